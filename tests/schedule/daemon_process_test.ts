import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { ExitCode } from "../../src/errors.ts";
import { spawnFixture } from "./fixtures/spawn.ts";

const FIXTURE = fileURLToPath(new URL("./fixtures/daemon.ts", import.meta.url));

/** Starts the daemon fixture, waits for its first run, sends `signal`, returns the exit code. */
async function signalDaemon(mode: "busy" | "idle", signal: Deno.Signal): Promise<number> {
  const dir = await Deno.makeTempDir({ prefix: "ingest-daemon-" });
  const { child, text, reader } = await spawnFixture(
    FIXTURE,
    [mode, `${dir}/ingest.lock`],
    "running\n",
  );
  try {
    assert.match(text, /running/);
    child.kill(signal);
    const status = await child.status;
    await reader.cancel();
    return status.code;
  } finally {
    try {
      child.kill("SIGKILL");
    } catch {
      // already exited
    }
    await child.status;
    await Deno.remove(dir, { recursive: true });
  }
}

/**
 * POSIX only: Deno cannot send a console control event to another process on Windows, and its
 * `kill()` is TerminateProcess there. The Windows test below runs the same daemon with its real
 * SIGINT/SIGBREAK listeners; console_signals_test.ts fires them through the signal API.
 */
const POSIX_ONLY = { ignore: Deno.build.os === "windows" };

Deno.test("daemon process: SIGTERM while idle exits 0", POSIX_ONLY, async () => {
  assert.equal(await signalDaemon("idle", "SIGTERM"), ExitCode.Ok);
});

Deno.test(
  "daemon process: SIGTERM during a run aborts it after the timeout and exits 143",
  POSIX_ONLY,
  async () => {
    assert.equal(await signalDaemon("busy", "SIGTERM"), ExitCode.Terminated);
  },
);

Deno.test(
  "daemon process: SIGINT during a run aborts it after the timeout and exits 130",
  POSIX_ONLY,
  async () => {
    assert.equal(await signalDaemon("busy", "SIGINT"), ExitCode.Interrupted);
  },
);

Deno.test({
  name: "daemon process on Windows: the real Ctrl+C/Ctrl+Break listeners register; End is exit 1",
  ignore: Deno.build.os !== "windows",
}, async () => {
  // "running" is printed once runDaemon registered its SIGINT and SIGBREAK listeners with Deno
  // and the first run started; a listener Windows refuses would have thrown before that.
  assert.equal(await signalDaemon("busy", "SIGKILL"), 1);
});
