/**
 * Throttling storm: 30% of Graph and download requests answered 429 with a short Retry-After.
 * The run still places every file, never sends a request while a Retry-After is pending (the
 * throttle gate is shared by every request of the process), and ends in bounded time.
 */
import assert from "node:assert/strict";
import { startSimulator } from "../../src/sim/simulator.ts";
import type { RequestLogEntry, Simulator } from "../../src/sim/types.ts";
import { listSimFolder } from "../../bench/sim_listing.ts";
import { assertCompleteFiles, assertNoStack, DROP, FOLDER, guarded, workspace } from "./harness.ts";

const FILES = 40;

function seeded(): Promise<Simulator> {
  const now = Date.now();
  return startSimulator({
    seed: 429,
    files: Array.from({ length: FILES }, (_, i) => ({
      path: `${DROP}/t_${String(i).padStart(2, "0")}.csv`,
      size: 20_000 + i * 333,
      lastModified: new Date(now - 10 * 60_000),
    })),
  });
}

function addStorm(sim: Simulator, retryAfter: string): void {
  for (const server of ["graph", "download"] as const) {
    sim.addFault({
      match: { server },
      fault: { kind: "status", status: 429, retryAfter, code: "activityLimitReached" },
      probability: 0.3,
    });
  }
}

/**
 * Requests (Graph or download) that arrived while a Retry-After was pending, ignoring those that
 * arrived within `inFlightMs` of the 429: those were sent before its answer could be read.
 */
function earlyRequests(
  log: readonly RequestLogEntry[],
  retryAfterMs: number,
  inFlightMs: number,
): string[] {
  const gated = log.filter((e) => e.server === "graph" || e.server === "download");
  const early: string[] = [];
  for (const [i, throttled] of gated.entries()) {
    if (throttled.status !== 429) continue;
    for (const later of gated.slice(i + 1)) {
      const gap = later.at - throttled.at;
      if (gap >= retryAfterMs - 1) break;
      if (gap > inFlightMs) early.push(`${later.method} ${later.url} ${gap} ms after a 429`);
    }
  }
  return early;
}

async function storm(options: { concurrency: number; retryAfter: string; inFlightMs: number }) {
  await using sim = await seeded();
  const expected = new Map((await listSimFolder(sim, FOLDER)).files.map((f) => [f.name, f]));
  sim.clearRequestLog();
  addStorm(sim, options.retryAfter);
  const ws = await workspace(sim, {
    download_concurrency: options.concurrency,
    log_level: "ERROR",
    max_retries: 10,
  });
  try {
    await guarded(60_000, async (guard) => {
      const started = performance.now();
      const run = await guard.run(["trigger", "--config", ws.settings, "--lookback", "1h"]);
      const elapsed = performance.now() - started;
      assert.equal((await run.status).code, 0, run.stderr);
      assertNoStack(run.stderr, "stderr");
      const placed = await assertCompleteFiles(ws.ingestionDir, expected);
      assert.equal(placed.length, FILES);

      const log = sim.requestLog;
      const throttled = log.filter((e) => e.status === 429).length;
      assert.ok(throttled >= 10, `only ${throttled} answers were 429`);
      const retryAfterMs = Number(options.retryAfter) * 1000;
      assert.deepEqual(earlyRequests(log, retryAfterMs, options.inFlightMs), []);
      const waits = throttled * retryAfterMs;
      assert.ok(elapsed < 15_000 + waits, `took ${elapsed} ms for ${throttled} throttles`);
    });
  } finally {
    await ws.cleanup();
  }
}

Deno.test("throttling storm, one download at a time: nothing is sent before Retry-After elapsed", async () => {
  await storm({ concurrency: 1, retryAfter: "0.05", inFlightMs: 0 });
});

Deno.test("throttling storm, four downloads at a time: one 429 pauses every request", async () => {
  // With concurrent requests, others may already be on the wire when a 429 arrives; anything
  // that reaches the server later than `inFlightMs` after it was sent after the 429 was read.
  await storm({ concurrency: 4, retryAfter: "0.25", inFlightMs: 50 });
});
