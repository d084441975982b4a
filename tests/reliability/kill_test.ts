/**
 * Crash safety: `ingest trigger` is SIGKILLed at 20 seeded random moments while it streams large
 * files slowly (as resumable partials: a kill mid-stream shows as partial bytes that changed). After every kill the ingestion folder holds only complete, hash-correct files;
 * a pretend file watcher then consumes them (records them in the DB service and removes them).
 * A final clean run places the rest, and no file is ever placed twice.
 */
import assert from "node:assert/strict";
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
  namesIn,
  workspace,
} from "./harness.ts";

const MIB = 1024 * 1024;
const KILLS = 20;
const CONCURRENCY = 2;

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

function downloadRequests(sim: Simulator): number {
  return sim.requestLog.filter((e) => e.server === "download").length;
}

/** Resolves once the download origin saw a request after the first `before`, or `process` ended. */
async function downloadStarted(
  sim: Simulator,
  before: number,
  process: { status: Promise<unknown> },
): Promise<void> {
  let ended = false;
  process.status.then(() => ended = true);
  for (let i = 0; i < 1000 && !ended && downloadRequests(sim) === before; i++) await delay(10);
}

Deno.test("SIGKILL at 20 random points leaves only complete files; a clean run finishes the rest once", async () => {
  const random = new SeededRandom(20_260_701);
  const now = Date.now();
  let added = 0;
  const addFile = (sim: Simulator) => {
    const size = (8 + Math.floor(random.next() * 25)) * MIB - Math.floor(random.next() * 4096);
    const name = `big_${String(++added).padStart(2, "0")}.bin`;
    sim.addFile({ path: `${DROP}/${name}`, size, lastModified: new Date(now - 60_000) });
  };
  await using sim = await startSimulator({ seed: 7 });
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
    await guarded(150_000, async (guard) => {
      const consumed = new Map<string, number>();
      const record = (names: string[]) => {
        for (const name of names) consumed.set(name, (consumed.get(name) ?? 0) + 1);
      };
      let midStream = 0;
      let lastBytes = 0;
      for (let kill = 0; kill < KILLS; kill++) {
        if (kill % 4 === 3) addFile(sim);
        const expected = await expectedFiles(sim);
        const requested = downloadRequests(sim);
        const process = guard.spawn(["trigger", "--config", ws.settings]);
        // Most kills land while bytes stream (a loaded host can spend seconds before the first
        // download); every fifth lands anywhere from the start, as before.
        if (kill % 5 !== 0) await downloadStarted(sim, requested, process);
        await delay(200 + Math.floor(random.next() * 1800));
        process.kill("SIGKILL");
        const status = await process.status;
        const names = await namesIn(ws.stagingDir);
        const staged = names.filter((n) => n.endsWith(".part"));
        const partials = names.filter((n) => n.endsWith(".partial"));
        const partialBytes = await sizeOf(ws.stagingDir, partials);
        if (status.signal === "SIGKILL" && (staged.length > 0 || partialBytes !== lastBytes)) {
          midStream++;
        }
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
  }
});
