/**
 * Twenty `run-once` and `trigger` processes started together on one settings file, half of them
 * waiting for the lock instead of skipping: the run lock, the "already in ingestion_dir" check
 * and the no-overwrite placement let every file be downloaded and placed exactly once.
 */
import assert from "node:assert/strict";
import { startSimulator } from "../../src/sim/simulator.ts";
import { listSimFolder } from "../../bench/sim_listing.ts";
import {
  assertCompleteFiles,
  assertNoStack,
  delay,
  DROP,
  FOLDER,
  guarded,
  workspace,
} from "./harness.ts";

const PROCESSES = 20;

function uniqueId(url: string): string {
  return /UniqueId=([0-9a-f-]+)/i.exec(url)?.[1] ?? url;
}
const FILES = 30;

Deno.test("20 concurrent run-once/trigger processes place every file exactly once", async () => {
  const now = Date.now();
  await using sim = await startSimulator({
    files: Array.from({ length: FILES }, (_, i) => ({
      path: `${DROP}/part_${String(i).padStart(2, "0")}.csv`,
      size: 96 * 1024 + i * 517,
      lastModified: new Date(now - 5 * 60_000),
    })),
  });
  const listing = await listSimFolder(sim, FOLDER);
  const expected = new Map(listing.files.map((f) => [f.name, f]));
  sim.clearRequestLog();
  // Slow the first bodies a little so that runs overlap for real.
  sim.addFault({
    match: { server: "download" },
    fault: { kind: "delay", ms: 30 },
    times: 8,
  });
  const ws = await workspace(sim, { download_concurrency: 4, log_level: "WARNING" });
  try {
    await guarded(90_000, async (guard) => {
      // Odd processes wait for the lock (overlap_policy = "queue" from the environment), even
      // ones skip; a third start a little later, after the first run may have finished.
      const processes = await Promise.all(Array.from({ length: PROCESSES }, async (_, i) => {
        if (i % 3 === 2) await delay(100 * i);
        return guard.spawn(
          [i % 2 === 0 ? "run-once" : "trigger", "--config", ws.settings, "--lookback", "1h"],
          i % 2 === 1 ? { env: { INGEST_OVERLAP_POLICY: "queue" } } : {},
        );
      }));
      const codes = await Promise.all(processes.map(async (p) => (await p.status).code));
      for (const [i, code] of codes.entries()) {
        assert.ok(code === 0 || code === 4, `process ${i} exited ${code}: ${processes[i]!.stderr}`);
        assertNoStack(processes[i]!.stderr, `process ${i} stderr`);
      }
      assert.ok(codes.includes(0), "no process ran");
      assert.ok(codes.includes(4), "no process was skipped by the lock");
      assert.ok(codes.filter((c) => c === 0).length >= PROCESSES / 2, "queued runs did not run");

      const placed = await assertCompleteFiles(ws.ingestionDir, expected);
      assert.deepEqual(placed, [...expected.keys()].sort());

      const sizeById = new Map(listing.files.map((f) => [uniqueId(f.downloadUrl), f.size]));
      const downloads = sim.requestLog.filter((e) => e.server === "download" && e.status < 300);
      assert.ok(downloads.every((e) => e.headers.range === undefined), "a ranged download");
      const perFile = new Map<string, number>();
      for (const entry of downloads) {
        const id = uniqueId(entry.url);
        perFile.set(id, (perFile.get(id) ?? 0) + 1);
      }
      assert.deepEqual([...perFile.values()].filter((n) => n > 1), [], "a file downloaded twice");
      const served = downloads.reduce((sum, e) => sum + (sizeById.get(uniqueId(e.url)) ?? 0), 0);
      const total = listing.files.reduce((sum, f) => sum + f.size, 0);
      assert.equal(served, total, "bytes served by the download origin");
    });
  } finally {
    await ws.cleanup();
  }
});
