/**
 * Resumable downloads under hard kills (Task Scheduler's TerminateProcess, here SIGKILL): the
 * partial of a large file and its entry in the job's state survive the kill, and the next run
 * continues it with `Range: bytes=N-` from exactly where the killed one stopped.
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
  type Workspace,
  workspace,
} from "./harness.ts";

const MIB = 1024 * 1024;
const KILLS = 20;
const posixOnly = Deno.build.os === "windows";

type Expected = Map<string, { size: number; quickXorHash: string | undefined }>;

async function expectedFiles(sim: Simulator): Promise<Expected> {
  const listing = await listSimFolder(sim, FOLDER);
  return new Map(listing.files.map((f) => [f.name, f]));
}

/** Size of the job's only `.partial` in staging, or 0 when there is none. */
async function partialSize(ws: Workspace): Promise<number> {
  const partials = (await namesIn(ws.stagingDir)).filter((n) => n.endsWith(".partial"));
  assert.ok(partials.length <= 1, `several partials: ${partials}`);
  if (partials.length === 0) return 0;
  return (await Deno.stat(`${ws.stagingDir}/${partials[0]}`).catch(() => ({ size: 0 }))).size;
}

/** Offsets of the ranged download requests so far (0 for a request without Range). */
function rangeOffsets(sim: Simulator): number[] {
  return sim.requestLog.filter((e) => e.server === "download").map((e) => {
    const match = /^bytes=(\d+)-$/.exec(e.headers.range ?? "");
    return match ? Number(match[1]) : 0;
  });
}

function downloadCount(sim: Simulator): number {
  return sim.requestLog.filter((e) => e.server === "download").length;
}

/** About 4 MB/s per stream, so a kill lands mid-file. */
function throttle(sim: Simulator): void {
  sim.addFault({
    match: { server: "download" },
    fault: { kind: "slow", delayMs: 16, chunkBytes: 64 * 1024 },
    times: Infinity,
  });
}

Deno.test({
  name: "SIGKILL during a 48 MB download: the next run resumes with Range where it stopped",
  ignore: posixOnly,
  async fn() {
    await using sim = await startSimulator({ seed: 11 });
    sim.addFile({
      path: `${DROP}/archive.zip`,
      size: 48 * MIB,
      lastModified: new Date(Date.now() - 60_000),
    });
    throttle(sim);
    const ws = await workspace(sim, { log_level: "WARNING", lookback_minutes: 120 });
    try {
      await guarded(120_000, async (guard) => {
        const expected = await expectedFiles(sim);
        const first = guard.spawn(["trigger", "--config", ws.settings]);
        while ((await partialSize(ws)) < 8 * MIB) {
          assert.equal(
            await Promise.race([first.status.then(() => "ended"), delay(20)]),
            undefined,
          );
        }
        first.kill("SIGKILL");
        assert.equal((await first.status).signal, "SIGKILL");
        const kept = await partialSize(ws);
        assert.ok(kept >= 8 * MIB && kept < 48 * MIB, `kept ${kept} bytes`);
        assert.deepEqual(await namesIn(ws.ingestionDir), []);
        const state = JSON.parse(await Deno.readTextFile(`${ws.stagingDir}/ingest.state.json`));
        assert.equal(state.partials?.[0]?.name, "archive.zip", "the state lists the partial");

        sim.clearFaults();
        sim.clearRequestLog();
        const second = await guard.run(["trigger", "--config", ws.settings]);
        assert.equal((await second.status).code, 0, second.stderr);
        assert.deepEqual(rangeOffsets(sim), [kept], "one request, resuming at the kept length");
        const resumed = sim.requestLog.find((e) => e.server === "download")!;
        assert.equal(resumed.status, 206);
        assert.deepEqual(await assertCompleteFiles(ws.ingestionDir, expected), ["archive.zip"]);
        assert.equal(await partialSize(ws), 0);
        const after = JSON.parse(await Deno.readTextFile(`${ws.stagingDir}/ingest.state.json`));
        assert.equal(after.partials, undefined);
      });
    } finally {
      await ws.cleanup();
    }
  },
});

Deno.test({
  name: "20 SIGKILLs at random points of one file converge: placed once, byte-exact, never partial",
  ignore: posixOnly,
  async fn() {
    const random = new SeededRandom(20_261_130);
    await using sim = await startSimulator({ seed: 12 });
    sim.addFile({
      path: `${DROP}/ledger.xlsx`,
      size: 48 * MIB + 4321,
      lastModified: new Date(Date.now() - 60_000),
    });
    throttle(sim);
    const ws = await workspace(sim, { log_level: "WARNING", lookback_minutes: 120 });
    try {
      await guarded(240_000, async (guard) => {
        const expected = await expectedFiles(sim);
        let placed = 0;
        const consume = async () => {
          for (const name of await assertCompleteFiles(ws.ingestionDir, expected)) {
            placed++;
            sim.markIngested(name);
            await Deno.remove(`${ws.ingestionDir}/${name}`);
          }
        };
        // The watcher's view, polled throughout: a name is never visible before it is whole.
        const size = expected.get("ledger.xlsx")!.size;
        const seen: string[] = [];
        let watching = true;
        const watcher = (async () => {
          while (watching) {
            for (const name of await namesIn(ws.ingestionDir)) {
              const info = await Deno.stat(`${ws.ingestionDir}/${name}`).catch(() => undefined);
              if (info !== undefined && (name !== "ledger.xlsx" || info.size !== size)) {
                seen.push(`${name}: ${info.size} bytes`);
              }
            }
            await delay(5);
          }
        })();
        try {
          let previous = 0;
          for (let kill = 0; kill < KILLS && placed === 0; kill++) {
            const started = downloadCount(sim);
            const process = guard.spawn(["trigger", "--config", ws.settings]);
            let ended = false;
            process.status.then(() => ended = true);
            while (downloadCount(sim) === started && !ended) await delay(10);
            await delay(100 + Math.floor(random.next() * 1200));
            process.kill("SIGKILL");
            await process.status;
            const kept = await partialSize(ws);
            assert.ok(
              kept >= previous || placed > 0,
              `kill ${kill}: partial shrank ${previous} → ${kept}`,
            );
            previous = kept;
            await consume();
          }
          sim.clearFaults();
          const final = await guard.run(["trigger", "--config", ws.settings]);
          assert.equal((await final.status).code, 0, final.stderr);
        } finally {
          watching = false;
          await watcher;
        }
        assert.deepEqual(seen, [], "incomplete or foreign entries seen in ingestion_dir");
        await consume();
        assert.equal(placed, 1, "the file was placed exactly once");
        const offsets = rangeOffsets(sim);
        const resumes = offsets.filter((o) => o > 0);
        assert.ok(resumes.length >= 5, `only ${resumes.length} resumed requests: ${offsets}`);
        for (let i = 1; i < offsets.length; i++) {
          assert.ok(offsets[i]! >= offsets[i - 1]!, `request ${i} went back: ${offsets}`);
        }
        assert.equal(await partialSize(ws), 0);
        const again = await guard.run(["trigger", "--config", ws.settings]);
        assert.equal((await again.status).code, 0, again.stderr);
        assert.deepEqual(
          await namesIn(ws.ingestionDir),
          [],
          "an ingested file is not placed again",
        );
      });
    } finally {
      await ws.cleanup();
    }
  },
});
