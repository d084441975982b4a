import assert from "node:assert/strict";
import { fileURLToPath as fromFileUrl } from "node:url";
import { AbortedError, ExitCode, LockedError } from "../../src/errors.ts";
import { ManualClock } from "../helpers/clocks.ts";
import { fixtureArgs, spawnFixture } from "./fixtures/spawn.ts";
import {
  acquireRunLock,
  describeHolder,
  fileLockFactory,
  lockInfoPath,
  readLockInfo,
} from "../../src/schedule/run_lock.ts";

const FIXTURE = fromFileUrl(new URL("./fixtures/hold_lock.ts", import.meta.url));
const NOW = Date.parse("2026-11-26T10:00:00.123Z");

async function tempLockPath(): Promise<{ dir: string; path: string } & AsyncDisposable> {
  const dir = await Deno.makeTempDir({ prefix: "ingest-lock-" });
  return {
    dir,
    path: `${dir}/state/ingest.lock`,
    [Symbol.asyncDispose]: () => Deno.remove(dir, { recursive: true }),
  };
}

Deno.test("acquireRunLock() creates the lock's folder (its parent exists) and records the holder in <lock_file>.info", async () => {
  await using tmp = await tempLockPath();
  const clock = new ManualClock(NOW);
  await using lock = await acquireRunLock({
    path: tmp.path,
    command: "run-once",
    wait: false,
    clock,
    hostname: "host-a",
  });
  assert.equal(lock.path, tmp.path);
  assert.deepEqual(await readLockInfo(tmp.path), {
    pid: Deno.pid,
    started_at: "2026-11-26T10:00:00Z",
    hostname: "host-a",
    command: "run-once",
  });
  assert.equal((await Deno.stat(tmp.path)).isFile, true);
});

Deno.test("acquireRunLock() without wait throws LockedError naming the holder", async () => {
  await using tmp = await tempLockPath();
  const clock = new ManualClock(NOW);
  await using _first = await acquireRunLock({
    path: tmp.path,
    command: "run-once",
    wait: false,
    clock,
  });
  await assert.rejects(
    acquireRunLock({ path: tmp.path, command: "trigger", wait: false, clock }),
    (error: unknown) => {
      assert.ok(error instanceof LockedError);
      assert.equal(error.exitCode, ExitCode.Locked);
      assert.equal(
        error.message,
        `Cannot start run: another run holds ${tmp.path} (pid ${Deno.pid} since 2026-11-26T10:00:00Z, run-once)`,
      );
      return true;
    },
  );
});

Deno.test("release() frees the lock without deleting or truncating the lock file", async () => {
  await using tmp = await tempLockPath();
  const factory = fileLockFactory({ path: tmp.path, command: "run" });
  const first = await factory({ wait: false });
  await first.release();
  await first.release();
  assert.equal((await Deno.stat(tmp.path)).isFile, true);
  const second = await factory({ wait: false });
  await second.release();
  assert.equal((await Deno.stat(lockInfoPath(tmp.path))).isFile, true);
});

Deno.test("acquireRunLock() with wait polls until the holder releases", async () => {
  await using tmp = await tempLockPath();
  const first = await acquireRunLock({ path: tmp.path, command: "run", wait: false });
  const clock = new ManualClock(NOW, {
    onSleep: async (polls) => {
      if (polls === 3) await first.release();
    },
  });
  await using second = await acquireRunLock({
    path: tmp.path,
    command: "run-once",
    wait: true,
    clock,
  });
  assert.equal(clock.sleeps.length, 3);
  assert.equal((await readLockInfo(tmp.path))?.command, "run-once");
  assert.equal(second.info.command, "run-once");
});

Deno.test("acquireRunLock() with wait stops with AbortedError when the signal aborts", async () => {
  await using tmp = await tempLockPath();
  await using _first = await acquireRunLock({ path: tmp.path, command: "run", wait: false });
  const controller = new AbortController();
  const clock = new ManualClock(NOW, {
    onSleep: (polls) => {
      if (polls === 2) controller.abort();
    },
  });
  await assert.rejects(
    acquireRunLock({
      path: tmp.path,
      command: "run-once",
      wait: true,
      signal: controller.signal,
      clock,
    }),
    AbortedError,
  );
  assert.equal(clock.sleeps.length, 2);
  await assert.rejects(
    acquireRunLock({ path: tmp.path, command: "run-once", wait: true, signal: controller.signal }),
    AbortedError,
  );
});

Deno.test("describeHolder() tolerates a missing info file", async () => {
  await using tmp = await tempLockPath();
  assert.equal(await readLockInfo(tmp.path), undefined);
  assert.equal(describeHolder(undefined), "holder unknown");
  assert.match(
    describeHolder({ pid: 7, started_at: "x", hostname: "elsewhere", command: "run" }),
    /^pid 7 on elsewhere since x, run$/,
  );
});

interface Holder extends AsyncDisposable {
  child: Deno.ChildProcess;
  pid: number;
}

/** Starts a child process that takes the lock and keeps it until killed. */
async function spawnHolder(path: string): Promise<Holder> {
  const { child, text, reader } = await spawnFixture(FIXTURE, ["hold", path], "\n");
  reader.releaseLock();
  const match = /^locked (\d+)/.exec(text);
  assert.ok(match, `holder did not take the lock: ${JSON.stringify(text)}`);
  return {
    child,
    pid: Number(match[1]),
    [Symbol.asyncDispose]: async () => {
      try {
        child.kill("SIGKILL");
      } catch {
        // already gone
      }
      await child.status;
      await child.stdout.cancel().catch(() => {});
    },
  };
}

/** Runs the fixture in "try" mode: exit code and stderr. */
async function tryInChild(path: string): Promise<{ code: number; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: fixtureArgs(FIXTURE, ["try", path]),
    stdout: "null",
    stderr: "piped",
  }).output();
  return { code: out.code, stderr: new TextDecoder().decode(out.stderr) };
}

Deno.test("run lock: a second process cannot take the lock while another process holds it", async () => {
  await using tmp = await tempLockPath();
  await using holder = await spawnHolder(tmp.path);
  assert.equal(holder.pid, holder.child.pid);

  const other = await tryInChild(tmp.path);
  assert.equal(other.code, ExitCode.Locked);
  assert.match(
    other.stderr,
    new RegExp(`another run holds .*\\(pid ${holder.pid} since .*, run-once\\)`),
  );

  await assert.rejects(
    acquireRunLock({ path: tmp.path, command: "trigger", wait: false }),
    (error: unknown) => error instanceof LockedError && error.message.includes(`pid ${holder.pid}`),
  );
});

Deno.test("run lock: a hard kill of the holder releases the lock (SIGKILL; TerminateProcess on Windows)", async () => {
  await using tmp = await tempLockPath();
  const holder = await spawnHolder(tmp.path);
  await assert.rejects(
    acquireRunLock({ path: tmp.path, command: "run", wait: false }),
    LockedError,
  );

  holder.child.kill("SIGKILL");
  const status = await holder.child.status;
  // Windows has no signals: Deno's kill() is TerminateProcess(handle, 1), as is Task Scheduler's
  // "End" and its stop of an overrunning task; no handler or finally block runs.
  assert.deepEqual(
    { code: status.code, signal: status.signal },
    Deno.build.os === "windows" ? { code: 1, signal: null } : { code: 137, signal: "SIGKILL" },
  );
  await holder[Symbol.asyncDispose]();

  await using lock = await acquireRunLock({ path: tmp.path, command: "run", wait: false });
  assert.equal(lock.info.pid, Deno.pid);
  assert.equal((await tryInChild(tmp.path)).code, ExitCode.Locked);
});

Deno.test("readLockInfo: a malformed holder file means holder unknown; missing names are filled in", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const lock = `${dir}/ingest.lock`;
    const cases: [string, unknown][] = [
      ["not json", undefined],
      ["[]", undefined],
      ['{"pid":"12","started_at":"2026-12-01T00:00:00Z"}', undefined],
      ['{"pid":12}', undefined],
      [
        '{"pid":12,"started_at":"2026-12-01T00:00:00Z"}',
        { pid: 12, started_at: "2026-12-01T00:00:00Z", hostname: "unknown", command: "unknown" },
      ],
      [
        '{"pid":12,"started_at":"2026-12-01T00:00:00Z","hostname":"h","command":"run","x":1}',
        { pid: 12, started_at: "2026-12-01T00:00:00Z", hostname: "h", command: "run" },
      ],
    ];
    for (const [text, expected] of cases) {
      await Deno.writeTextFile(`${lock}.info`, text);
      assert.deepEqual(await readLockInfo(lock), expected, text);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
