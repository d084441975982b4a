/**
 * Crash safety: `ingest trigger` is hard-killed at 20 seeded random moments while it streams large
 * files slowly: SIGKILL on Linux/macOS, TerminateProcess on Windows (what Task Scheduler's "End"
 * and its time limit do: exit code 1, no signal, no handler or `finally` runs). Large files
 * stream as resumable partials, so a kill mid-stream shows as partial bytes that changed. After every kill the ingestion folder holds only complete, hash-correct files;
 * a pretend file watcher then consumes them (records them in the DB service and removes them).
 * A final clean run places the rest, and no file is ever placed twice.
 */
import assert from "node:assert/strict";
import { readLockInfo } from "../../src/schedule/run_lock.ts";
import { SeededRandom } from "../../src/sim/prng.ts";
import { startSimulator } from "../../src/sim/simulator.ts";
import type { Simulator } from "../../src/sim/types.ts";
import { listSimFolder } from "../../bench/sim_listing.ts";
import {
  assertCompleteFiles,
  delay,
  DROP,
  FOLDER,
  guarded,
  type IngestProcess,
  namesIn,
  within,
  workspace,
} from "./harness.ts";

const MIB = 1024 * 1024;
const KILLS = 20;
const CONCURRENCY = 2;
/** Time for the whole test: a process starts far more slowly on Windows, and under Wine. */
const BUDGET_MS = Deno.build.os === "windows" ? 600_000 : 150_000;

type Expected = Map<string, { size: number; quickXorHash: string | undefined }>;

async function expectedFiles(sim: Simulator): Promise<Expected> {
  const listing = await listSimFolder(sim, FOLDER);
  return new Map(listing.files.map((f) => [f.name, f]));
}

/** The watcher: every file in `dir` is recorded as ingested and removed; returns the names. */
async function consume(sim: Simulator, dir: string): Promise<string[]> {
  const names = await namesIn(dir);
  for (const name of names) {
    sim.markIngested(name);
    await Deno.remove(`${dir}/${name}`);
  }
  return names;
}

/** Total size of `names` in `dir` (files that vanished count 0). */
async function sizeOf(dir: string, names: string[]): Promise<number> {
  let total = 0;
  for (const name of names) {
    total += (await Deno.stat(`${dir}/${name}`).catch(() => ({ size: 0 }))).size;
  }
  return total;
}

/** Resolves once `reached()` is true or the process ended. */
async function until(process: IngestProcess, reached: () => Promise<boolean>): Promise<void> {
  while (!(await reached())) {
    if (await Promise.race([process.status.then(() => true), delay(20)])) return;
  }
}

/** Resolves once `process` holds the run lock (the default `<staging_dir>/ingest.lock`). */
function untilLocked(process: IngestProcess, stagingDir: string): Promise<void> {
  return until(
    process,
    async () => (await readLockInfo(`${stagingDir}/ingest.lock`))?.pid === process.pid,
  );
}

/**
 * Resolves once bytes stream in `stagingDir`: a temporary file that is not a leftover of an
 * earlier run appeared, or the resumable partials grew past `partialBytes`.
 */
function untilStreaming(
  process: IngestProcess,
  stagingDir: string,
  leftovers: { names: Set<string>; partialBytes: number },
): Promise<void> {
  return until(process, async () => {
    const names = await namesIn(stagingDir);
    if (names.some((n) => n.endsWith(".part") && !leftovers.names.has(n))) return true;
    const partials = names.filter((n) => n.endsWith(".partial"));
    return await sizeOf(stagingDir, partials) !== leftovers.partialBytes;
  });
}

/** Resolves once a file is in `ingestionDir` (the watcher empties it after every kill). */
function untilPlaced(process: IngestProcess, ingestionDir: string): Promise<void> {
  return until(process, async () => (await namesIn(ingestionDir)).length > 0);
}

/** Whether `status` is the end of a hard kill on this OS. */
function hardKilled(status: Deno.CommandStatus): boolean {
  return Deno.build.os === "windows"
    ? status.code === 1 && status.signal === null
    : status.signal === "SIGKILL";
}

/**
 * Closes the simulator within 10 s. Linux and Windows close a killed process's sockets, so the
 * server's graceful shutdown completes. Under Wine they stay open and a response to a killed
 * deno.exe stalls the shutdown forever; as Wine passes for Windows, a late close is tolerated there.
 */
async function closeSimulator(sim: Simulator): Promise<void> {
  const closed = await within(sim.close().then(() => true), 10_000, false);
  if (!closed && Deno.build.os !== "windows") throw new Error("The simulator did not close");
}

Deno.test({
  name:
    "a hard kill at 20 random points leaves only complete files; a clean run finishes the rest once",
  // The simulator may be left serving killed clients under Wine (see closeSimulator).
  sanitizeOps: Deno.build.os !== "windows",
  sanitizeResources: Deno.build.os !== "windows",
}, async () => {
  const random = new SeededRandom(20_260_701);
  const now = Date.now();
  let added = 0;
  const addFile = (sim: Simulator) => {
    const size = (8 + Math.floor(random.next() * 25)) * MIB - Math.floor(random.next() * 4096);
    const name = `big_${String(++added).padStart(2, "0")}.bin`;
    sim.addFile({ path: `${DROP}/${name}`, size, lastModified: new Date(now - 60_000) });
  };
  const sim = await startSimulator({ seed: 7 });
  for (let i = 0; i < 6; i++) addFile(sim);
  // About 25 MB/s per stream: some files are placed within a kill window, most are cut off.
  sim.addFault({
    match: { server: "download" },
    fault: { kind: "slow", delayMs: 2, chunkBytes: 64 * 1024 },
    times: Infinity,
  });
  const ws = await workspace(sim, {
    download_concurrency: CONCURRENCY,
    log_level: "WARNING",
    lookback_minutes: 120,
  });
  try {
    await guarded(BUDGET_MS, async (guard) => {
      const consumed = new Map<string, number>();
      const record = (names: string[]) => {
        for (const name of names) consumed.set(name, (consumed.get(name) ?? 0) + 1);
      };
      let midStream = 0;
      let lastBytes = 0;
      for (let kill = 0; kill < KILLS; kill++) {
        if (kill % 4 === 3) addFile(sim);
        const expected = await expectedFiles(sim);
        const leftovers = { names: new Set(await namesIn(ws.stagingDir)), partialBytes: lastBytes };
        const process = guard.spawn(["trigger", "--config", ws.settings]);
        // Each kill lands at a random moment after a point of ingest's own run, however slowly
        // this host starts a process: after the run took the lock (token, listing, first bytes),
        // after its first temporary file appeared, or after it placed a file.
        if (kill % 3 === 0) await untilLocked(process, ws.stagingDir);
        else if (kill % 3 === 1) await untilStreaming(process, ws.stagingDir, leftovers);
        else await untilPlaced(process, ws.ingestionDir);
        await delay(Math.floor(random.next() * 1800));
        process.kill("SIGKILL");
        const status = await process.status;
        const names = await namesIn(ws.stagingDir);
        const staged = names.filter((n) => n.endsWith(".part"));
        const partials = names.filter((n) => n.endsWith(".partial"));
        const partialBytes = await sizeOf(ws.stagingDir, partials);
        if (hardKilled(status) && (staged.length > 0 || partialBytes !== lastBytes)) midStream++;
        lastBytes = partialBytes;
        assert.ok(
          staged.length <= CONCURRENCY,
          `kill ${kill}: ${staged.length} temporary files, leftovers were not cleaned`,
        );
        assert.ok(
          partials.length <= expected.size,
          `kill ${kill}: ${partials.length} partials for ${expected.size} files`,
        );
        record(await assertCompleteFiles(ws.ingestionDir, expected));
        await consume(sim, ws.ingestionDir);
      }
      assert.ok(midStream >= 5, `only ${midStream} of ${KILLS} kills landed mid-stream`);
      assert.ok(consumed.size > 0, "no file was placed before a kill");

      sim.clearFaults();
      const expected = await expectedFiles(sim);
      const final = await guard.run(["trigger", "--config", ws.settings]);
      assert.equal((await final.status).code, 0, final.stderr);
      record(await assertCompleteFiles(ws.ingestionDir, expected));
      await consume(sim, ws.ingestionDir);
      assert.deepEqual(
        (await namesIn(ws.stagingDir)).filter((n) => n.endsWith(".part") || n.endsWith(".partial")),
        [],
        "temporary files or resumable partials after the clean run",
      );
      assert.deepEqual([...consumed.keys()].sort(), [...expected.keys()].sort());
      const twice = [...consumed].filter(([, count]) => count > 1);
      assert.deepEqual(twice, [], "files placed more than once");
    });
  } finally {
    await ws.cleanup();
    await closeSimulator(sim);
  }
});
