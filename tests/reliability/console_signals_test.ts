/**
 * Ctrl+C, Ctrl+Break and a second signal for `ingest run` and `ingest trigger` as Windows
 * delivers them: through the signal API (Deno raises SIGINT for Ctrl+C and SIGBREAK for
 * Ctrl+Break from its console control handler). Deno cannot send a console event to another
 * process, so the real CLI runs in process against the simulator with the signals fired by hand.
 * Closing the console window is not a signal `ingest` can act on: Windows ends the process as soon
 * as the control handler returns, like Task Scheduler's End (see kill_test.ts for that recovery).
 */
import assert from "node:assert/strict";
import { ExitCode } from "../../src/errors.ts";
import { ManualSignals, runMain } from "../helpers/cli_harness.ts";
import { delay, DROP, namesIn, slowSim, type Workspace, workspace } from "./harness.ts";

const MIB = 1024 * 1024;

async function untilStreaming(ws: Workspace, done: Promise<unknown>): Promise<void> {
  let ended = false;
  done.finally(() => ended = true);
  while (!(await namesIn(ws.stagingDir)).some((n) => n.endsWith(".part"))) {
    if (ended) throw new Error("ingest ended before streaming");
    await delay(10);
  }
}

async function outcome(ws: Workspace) {
  return {
    placed: await namesIn(ws.ingestionDir),
    temp: (await namesIn(ws.stagingDir)).filter((n) => n.endsWith(".part")),
  };
}

Deno.test("Windows: Ctrl+Break during `trigger` aborts the download after the shutdown timeout: exit 130, no partial file", async () => {
  await using sim = await slowSim(100);
  const ws = await workspace(sim, { shutdown_timeout_seconds: 0.5, log_level: "WARNING" });
  try {
    const signals = new ManualSignals("windows");
    const run = runMain(["trigger", "--config", ws.settings, "--lookback", "1h"], { signals });
    await untilStreaming(ws, run);
    assert.equal(signals.send("SIGBREAK"), 1);
    const { code, stderr } = await run;
    assert.equal(code, ExitCode.Interrupted, stderr);
    assert.deepEqual(await outcome(ws), { placed: [], temp: [] });
    assert.equal(signals.count("SIGBREAK") + signals.count("SIGINT"), 0, "listeners left behind");
  } finally {
    await ws.cleanup();
  }
});

Deno.test("Windows: Ctrl+C during `trigger` lets a download that ends within the timeout finish: exit 0", async () => {
  await using sim = await slowSim(10);
  const ws = await workspace(sim, { shutdown_timeout_seconds: 30, log_level: "WARNING" });
  try {
    const signals = new ManualSignals("windows");
    const run = runMain(["trigger", "--config", ws.settings, "--lookback", "1h"], { signals });
    await untilStreaming(ws, run);
    assert.equal(signals.send("SIGINT"), 1);
    const { code, stderr } = await run;
    assert.equal(code, ExitCode.Ok, stderr);
    assert.deepEqual(await outcome(ws), { placed: ["slow.bin"], temp: [] });
  } finally {
    await ws.cleanup();
  }
});

Deno.test("Windows: `run` stops on Ctrl+C while idle (exit 0) and on Ctrl+Break then Ctrl+C during a run (exit 130)", async () => {
  await using sim = await slowSim(100);
  const ws = await workspace(sim, {
    cron: "* * * * * *",
    lookback_minutes: 60,
    shutdown_timeout_seconds: 600,
    log_level: "INFO",
    log_format: "json",
  });
  try {
    const idle = new ManualSignals("windows");
    sim.markIngested("slow.bin");
    const idleRun = runMain(["run", "--config", ws.settings], { signals: idle });
    while (idle.count("SIGINT") === 0) await delay(10);
    await delay(50);
    idle.send("SIGINT");
    const stopped = await idleRun;
    assert.equal(stopped.code, ExitCode.Ok, stopped.stderr);
    assert.match(stopped.stderr, /Shutdown complete/);

    sim.addFile({ path: `${DROP}/next.bin`, size: 2 * MIB });
    const busy = new ManualSignals("windows");
    const busyRun = runMain(["run", "--config", ws.settings], { signals: busy });
    await untilStreaming(ws, busyRun);
    busy.send("SIGBREAK");
    await delay(50);
    assert.equal((await outcome(ws)).temp.length, 1, "the first signal waits for the download");
    busy.send("SIGINT");
    const aborted = await busyRun;
    assert.equal(aborted.code, ExitCode.Interrupted, aborted.stderr);
    assert.match(aborted.stderr, /Second \W*SIGINT\W*: stopping the run in progress now/);
    assert.deepEqual(await outcome(ws), { placed: [], temp: [] });
  } finally {
    await ws.cleanup();
  }
});
