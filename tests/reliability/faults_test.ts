/**
 * Faults a real tenant produces: access tokens expiring mid-run, a flapping DB service, a
 * download that stalls (slow loris), Graph answers slower than the timeout, and servers that
 * drop connections or cut bodies short. Every run ends with the right files, the documented exit
 * code and a one-line message, within its timeouts.
 */
import assert from "node:assert/strict";
import { startSimulator } from "../../src/sim/simulator.ts";
import type { SimFileSpec, Simulator } from "../../src/sim/types.ts";
import { listSimFolder } from "../../bench/sim_listing.ts";
import {
  assertCompleteFiles,
  assertNoStack,
  delay,
  DROP,
  FOLDER,
  guarded,
  LISTING_PATH,
  LISTING_URL,
  namesIn,
  sinceFirstRequest,
  workspace,
} from "./harness.ts";

const now = Date.now();

function files(prefix: string, count: number, size = 48 * 1024): SimFileSpec[] {
  return Array.from({ length: count }, (_, i) => ({
    path: `${DROP}/${prefix}_${String(i).padStart(2, "0")}.csv`,
    size: size + i * 101,
    lastModified: new Date(now - 10 * 60_000),
  }));
}

async function expectedOf(sim: Simulator) {
  return new Map((await listSimFolder(sim, FOLDER)).files.map((f) => [f.name, f]));
}

/**
 * Expires the access token on the first Graph request after every `every` Graph requests, one
 * expiry at a time (the next is armed only once the previous one fired).
 */
async function expireTokenEvery(sim: Simulator, every: number, stop: AbortSignal) {
  let armedAt = -1;
  let fired = 0;
  while (!stop.aborted) {
    const graph = sim.requestLog.filter((e) => e.server === "graph");
    const expired = graph.filter((e) => e.fault === "expire-token").length;
    if (armedAt >= 0 && expired > fired) {
      fired = expired;
      armedAt = -1;
    }
    if (armedAt < 0 && graph.length >= (fired + 1) * every) {
      sim.addFault({ match: { server: "graph" }, fault: { kind: "expire-token" }, times: 1 });
      armedAt = graph.length;
    }
    await delay(5);
  }
}

Deno.test("tokens expiring every few Graph requests are renewed and the run completes", async () => {
  await using sim = await startSimulator({ files: files("tok", 12) });
  const expected = await expectedOf(sim);
  sim.clearRequestLog();
  // Every download URL is refused once, so every file costs a Graph request for a fresh URL.
  for (const name of expected.keys()) {
    sim.addFault({ match: { server: "download", file: name }, fault: { kind: "expire-url" } });
  }
  const ws = await workspace(sim, { download_concurrency: 2, log_level: "WARNING" });
  const stop = new AbortController();
  const expiring = expireTokenEvery(sim, 4, stop.signal);
  try {
    await guarded(60_000, async (guard) => {
      const run = await guard.run(["trigger", "--config", ws.settings, "--lookback", "1h"]);
      assert.equal((await run.status).code, 0, run.stderr);
      assert.equal((await assertCompleteFiles(ws.ingestionDir, expected)).length, 12);
      const log = sim.requestLog;
      const expiries = log.filter((e) => e.fault === "expire-token").length;
      assert.ok(expiries >= 3, `only ${expiries} token expiries`);
      // Every expiry costs at most one new token: a request that was already on the wire with
      // the expired token gets a 401 too, but must not discard the token renewed meanwhile.
      const rejected = log.filter((e) => e.server === "graph" && e.status === 401).length;
      const tokens = log.filter((e) => e.server === "login" && e.status === 200).length;
      assert.ok(tokens >= 2, `${tokens} tokens: the expired token was never renewed`);
      assert.ok(tokens <= expiries + 1, `${tokens} tokens for ${expiries} expiries`);
      assert.ok(tokens <= rejected + 1, `${tokens} tokens for ${rejected} rejections`);
    });
  } finally {
    stop.abort();
    await expiring;
    await ws.cleanup();
  }
});

Deno.test("a flapping DB service either fails the run fast with exit 1 and no download, or succeeds", async () => {
  await using sim = await startSimulator({ seed: 503 });
  sim.addFault({
    match: { server: "db" },
    fault: { kind: "status", status: 503, body: "<html>Service Unavailable</html>" },
    probability: 0.3,
  });
  sim.addFault({ match: { server: "db" }, fault: { kind: "reset" }, probability: 0.3 });
  const ws = await workspace(sim, { log_level: "ERROR" });
  try {
    await guarded(90_000, async (guard) => {
      const outcomes: number[] = [];
      for (let round = 0; round < 8; round++) {
        for (const spec of files(`db${round}`, 3)) sim.addFile(spec);
        const expected = await expectedOf(sim);
        const before = sim.requestLog.length;
        const run = await guard.run(["trigger", "--config", ws.settings, "--lookback", "1h"]);
        const code = (await run.status).code;
        outcomes.push(code);
        assertNoStack(run.stderr, "stderr");
        const downloads = sim.requestLog.slice(before).filter((e) => e.server === "download");
        if (code === 1) {
          const message = run.stderr.split("\n").filter((l) => l.startsWith("ingest: "));
          assert.equal(message.length, 1, run.stderr);
          assert.match(message[0]!, /^ingest: Cannot query DB service /);
          assert.equal(downloads.length, 0, "downloaded although the DB service failed");
          assert.deepEqual(await namesIn(ws.ingestionDir), []);
          assert.ok(sinceFirstRequest(sim, before) < 10_000, "did not fail fast");
        } else {
          assert.equal(code, 0, run.stderr);
          const placed = await assertCompleteFiles(ws.ingestionDir, expected);
          assert.equal(placed.length, 3 * (round + 1) - consumedSoFar(outcomes));
        }
        for (const name of await namesIn(ws.ingestionDir)) {
          sim.markIngested(name);
          await Deno.remove(`${ws.ingestionDir}/${name}`);
        }
      }
      assert.ok(outcomes.includes(0) && outcomes.includes(1), `outcomes ${outcomes}`);
    });
  } finally {
    await ws.cleanup();
  }
});

/** Files placed (and consumed) by the successful rounds before the last one. */
function consumedSoFar(outcomes: number[]): number {
  let consumed = 0;
  let pending = 0;
  for (const code of outcomes.slice(0, -1)) {
    pending += 3;
    if (code === 0) {
      consumed += pending;
      pending = 0;
    }
  }
  return consumed;
}

Deno.test("a stalled download (slow loris) fails after its retries with exit 3, the others are placed", async () => {
  await using sim = await startSimulator({
    files: [...files("ok", 5), {
      path: `${DROP}/stall.csv`,
      size: 200_000,
      lastModified: new Date(now - 600_000),
    }],
  });
  const expected = await expectedOf(sim);
  sim.addFault({
    match: { server: "download", file: "stall.csv" },
    fault: { kind: "slow", delayMs: 0, chunkBytes: 1024, stallMs: 30_000 },
    times: Infinity,
  });
  const ws = await workspace(sim, {
    request_timeout_seconds: 1,
    max_retries: 1,
    log_level: "ERROR",
  });
  try {
    await guarded(60_000, async (guard) => {
      const before = sim.requestLog.length;
      const run = await guard.run(["trigger", "--config", ws.settings, "--lookback", "1h"]);
      const elapsed = sinceFirstRequest(sim, before);
      assert.equal((await run.status).code, 3, run.stderr);
      assert.match(run.stdout + run.stderr, /stall\.csv/);
      assert.match(run.stdout + run.stderr, /no data for 1 s/);
      assertNoStack(run.stderr, "stderr");
      const placed = await assertCompleteFiles(ws.ingestionDir, expected);
      assert.deepEqual(placed, [...expected.keys()].filter((n) => n !== "stall.csv").sort());
      assert.ok(elapsed < 12_000, `took ${elapsed} ms for two 1 s stalls`);
      assert.deepEqual((await namesIn(ws.stagingDir)).filter((n) => n.endsWith(".part")), []);
    });
  } finally {
    await ws.cleanup();
  }
});

Deno.test("a Graph answer slower than request_timeout_seconds is retried and the run completes", async () => {
  await using sim = await startSimulator({ files: files("late", 4) });
  const expected = await expectedOf(sim);
  sim.clearRequestLog();
  sim.addFault({
    match: { server: "graph", path: LISTING_PATH },
    fault: { kind: "delay", ms: 4000 },
  });
  const ws = await workspace(sim, { request_timeout_seconds: 1, log_level: "ERROR" });
  try {
    await guarded(60_000, async (guard) => {
      const before = sim.requestLog.length;
      const run = await guard.run(["trigger", "--config", ws.settings, "--lookback", "1h"]);
      const elapsed = sinceFirstRequest(sim, before);
      assert.equal((await run.status).code, 0, run.stderr);
      assert.equal((await assertCompleteFiles(ws.ingestionDir, expected)).length, 4);
      assert.ok(elapsed < 10_000, "waited for the slow answer");
      const children = sim.requestLog.filter((e) => LISTING_URL.test(e.url));
      assert.equal(children.length, 2, "the slow listing was sent again");
    });
  } finally {
    await ws.cleanup();
  }
});

Deno.test("dropped connections and cut bodies are retried; a file that always breaks gives exit 3", async () => {
  await using sim = await startSimulator({
    files: [...files("net", 8), {
      path: `${DROP}/doomed.csv`,
      size: 70_000,
      lastModified: new Date(now - 600_000),
    }],
  });
  const expected = await expectedOf(sim);
  for (const name of expected.keys()) {
    if (name === "doomed.csv") continue;
    sim.addFault({ match: { server: "download", file: name }, fault: { kind: "reset" } });
    sim.addFault({
      match: { server: "download", file: name },
      fault: { kind: "truncate", afterBytes: 10_000 },
    });
  }
  sim.addFault({ match: { server: "download", file: "net_03.csv" }, fault: { kind: "corrupt" } });
  sim.addFault({
    match: { server: "download", file: "doomed.csv" },
    fault: { kind: "truncate", afterBytes: 5_000 },
    times: Infinity,
  });
  sim.addFault({ match: { server: "graph", path: LISTING_PATH }, fault: { kind: "reset" } });
  sim.addFault({ match: { server: "login" }, fault: { kind: "reset" } });
  const ws = await workspace(sim, { max_retries: 3, log_level: "ERROR" });
  try {
    await guarded(60_000, async (guard) => {
      const before = sim.requestLog.length;
      const run = await guard.run(["trigger", "--config", ws.settings, "--lookback", "1h"]);
      const elapsed = sinceFirstRequest(sim, before);
      assert.equal((await run.status).code, 3, run.stderr);
      assert.match(run.stdout, /doomed\.csv/);
      assertNoStack(run.stderr, "stderr");
      const placed = await assertCompleteFiles(ws.ingestionDir, expected);
      assert.deepEqual(placed, [...expected.keys()].filter((n) => n !== "doomed.csv").sort());
      assert.ok(elapsed < 20_000, "retries took too long");
      const kinds = sim.requestLog.map((e) => e.fault).filter((k) => k !== undefined);
      assert.equal(kinds.filter((k) => k === "reset").length, 8 + 2, "resets served");
      assert.equal(kinds.filter((k) => k === "truncate").length, 8 + 4, "truncated bodies");
      assert.equal(kinds.filter((k) => k === "corrupt").length, 1, "corrupted bodies");
      assert.deepEqual((await namesIn(ws.stagingDir)).filter((n) => n.endsWith(".part")), []);
    });
  } finally {
    await ws.cleanup();
  }
});
