/**
 * Soak: the `ingest run` daemon on a one-second cron for `INGEST_SOAK_SECONDS` (default 45) while
 * new files keep arriving and a pretend watcher consumes them. Resident memory and open file
 * descriptors do not grow after the warm-up, every tick is logged, and SIGTERM shuts it down
 * cleanly with exit 0.
 *
 * Memory and descriptors are read from /proc, so they are sampled on Linux only. On Windows the
 * daemon is stopped the way Task Scheduler and service wrappers end it when it does not react:
 * TerminateProcess, exit code 1 (Ctrl+C/Ctrl+Break: console_signals_test.ts).
 */
import assert from "node:assert/strict";
import { startSimulator } from "../../src/sim/simulator.ts";
import {
  assertNoStack,
  delay,
  DROP,
  guarded,
  jsonLogLines,
  namesIn,
  processUsage,
  workspace,
} from "./harness.ts";

/** /proc exists: memory and open descriptors can be sampled. */
const PROC = Deno.build.os === "linux";
const WINDOWS = Deno.build.os === "windows";
const SECONDS = Number(Deno.env.get("INGEST_SOAK_SECONDS") ?? 45);
const WARM_UP_MS = Math.min(10_000, (SECONDS * 1000) / 4);
/** Samples averaged at each end (one per second). */
const WINDOW = 5;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
}

Deno.test(`soak: run daemon on a 1 s cron for ${SECONDS} s keeps memory and handles flat`, async () => {
  assert.ok(SECONDS >= 15, "INGEST_SOAK_SECONDS must be at least 15");
  const now = Date.now();
  await using sim = await startSimulator({
    files: Array.from({ length: 3 }, (_, i) => ({
      path: `${DROP}/seed_${i}.csv`,
      size: 32 * 1024,
      lastModified: new Date(now - 60_000),
    })),
  });
  const ws = await workspace(sim, {
    cron: "* * * * * *",
    lookback_minutes: 60,
    log_format: "json",
    log_level: "INFO",
    shutdown_timeout_seconds: 5,
  });
  try {
    await guarded(SECONDS * 1000 + 60_000, async (guard) => {
      const daemon = guard.spawn(["run", "--config", ws.settings]);
      await daemon.waitForLine(/"Tick 1 /);
      const started = performance.now();
      const samples: { at: number; rssKb: number; fds: number }[] = [];
      let arrivals = 0;
      let seconds = 0;
      while (performance.now() - started < SECONDS * 1000) {
        await delay(1000);
        const at = performance.now() - started;
        if (PROC) samples.push({ at, ...await processUsage(daemon.pid) });
        if (++seconds % 3 === 0) {
          sim.addFile({ path: `${DROP}/arrival_${++arrivals}.csv`, size: 40 * 1024 });
        }
        for (const name of await namesIn(ws.ingestionDir)) {
          sim.markIngested(name);
          await Deno.remove(`${ws.ingestionDir}/${name}`);
        }
      }
      const sentAt = performance.now();
      daemon.kill("SIGTERM");
      const { code } = await daemon.status;
      const stopMs = performance.now() - sentAt;
      assert.equal(code, WINDOWS ? 1 : 0, daemon.stderr.slice(-2000));
      assert.ok(stopMs < 5000 + 3000, `shutdown took ${stopMs} ms`);
      assertNoStack(daemon.stderr, "stderr");

      const logs = jsonLogLines(daemon.stderr);
      const messages = logs.map((l) => String(l.message));
      const shutdown = messages.some((m) => m.startsWith("Shutdown complete"));
      assert.equal(shutdown, !WINDOWS, "Shutdown complete logged only after a signal");
      const ticks = logs.filter((l) => /^Tick \d+ /.test(String(l.message)))
        .map((l) => (l.properties as { tick: number }).tick);
      assert.deepEqual(ticks, ticks.map((_, i) => i + 1), "tick numbers skip or repeat");
      const elapsedS = (sentAt - started) / 1000;
      assert.ok(ticks.length >= Math.floor(elapsedS), `${ticks.length} ticks in ${elapsedS} s`);
      assert.ok(ticks.length <= Math.ceil(elapsedS) + 2, `${ticks.length} ticks in ${elapsedS} s`);
      const finished = messages.filter((m) => m.startsWith("Sync finished")).length;
      assert.ok(finished >= ticks.length - 2, `${finished} runs for ${ticks.length} ticks`);
      assert.equal(messages.filter((m) => m.startsWith("Sync failed")).length, 0);
      assert.ok(arrivals > 0 && (await namesIn(ws.ingestionDir)).length <= 1);
      if (!PROC) return;

      // GC makes RSS a sawtooth: a leak shows as troughs rising, so the lowest late sample is
      // compared with the highest early one; the overall peak bounds any runaway growth.
      const early = samples.filter((s) => s.at >= WARM_UP_MS).slice(0, WINDOW);
      const late = samples.slice(-Math.ceil(samples.length / 2));
      const earlyPeak = Math.max(...early.map((s) => s.rssKb));
      const lateLow = Math.min(...late.map((s) => s.rssKb));
      const peak = Math.max(...samples.filter((s) => s.at >= WARM_UP_MS).map((s) => s.rssKb));
      assert.ok(lateLow <= earlyPeak + 4 * 1024, `RSS rose from ${earlyPeak} kB to ${lateLow} kB`);
      assert.ok(peak <= earlyPeak + 32 * 1024, `RSS peaked at ${peak} kB after ${earlyPeak} kB`);
      const fdStart = median(early.map((s) => s.fds));
      const fdEnd = median(samples.slice(-WINDOW).map((s) => s.fds));
      assert.ok(fdEnd <= fdStart + 2, `open fds grew from ${fdStart} to ${fdEnd}`);
    });
  } finally {
    await ws.cleanup();
  }
});
