/**
 * Shutdown signals during a download: SIGTERM and SIGINT abort the run after
 * `shutdown_timeout_seconds` (exit 143 / 130) without leaving a partial file in the ingestion
 * folder or a temporary file in staging; a download that finishes within the timeout is placed
 * and the process exits 0.
 *
 * POSIX only: on Windows, Deno's `kill()` is TerminateProcess whatever the signal, so no handler
 * runs. There, console_signals_test.ts drives Ctrl+C/Ctrl+Break through the signal API and
 * kill_test.ts shows that the run after a hard kill recovers cleanly.
 */
import assert from "node:assert/strict";
import { ExitCode } from "../../src/errors.ts";
import {
  assertNoStack,
  delay,
  guarded,
  type IngestProcess,
  namesIn,
  slowSim,
  workspace,
} from "./harness.ts";

const POSIX_ONLY = { ignore: Deno.build.os === "windows" };

async function untilStreaming(process: IngestProcess, stagingDir: string): Promise<void> {
  for (;;) {
    if ((await namesIn(stagingDir)).some((n) => n.endsWith(".part"))) return;
    const exited = await Promise.race([process.status.then(() => true), delay(20)]);
    if (exited) throw new Error(`ingest ended before streaming: ${process.stderr}`);
  }
}

async function interrupt(
  signal: "SIGTERM" | "SIGINT",
  options: { msPerChunk: number; shutdownSeconds: number },
) {
  await using sim = await slowSim(options.msPerChunk);
  const ws = await workspace(sim, {
    shutdown_timeout_seconds: options.shutdownSeconds,
    log_level: "WARNING",
  });
  try {
    return await guarded(60_000, async (guard) => {
      const process = guard.spawn(["trigger", "--config", ws.settings, "--lookback", "1h"]);
      await untilStreaming(process, ws.stagingDir);
      const sent = performance.now();
      process.kill(signal);
      const { code } = await process.status;
      assertNoStack(process.stderr, "stderr");
      return {
        code,
        afterSignalMs: performance.now() - sent,
        placed: await namesIn(ws.ingestionDir),
        temp: (await namesIn(ws.stagingDir)).filter((n) => n.endsWith(".part")),
        stderr: process.stderr,
      };
    });
  } finally {
    await ws.cleanup();
  }
}

Deno.test(
  "SIGTERM during a download aborts after the shutdown timeout: exit 143, no partial file",
  POSIX_ONLY,
  async () => {
    const result = await interrupt("SIGTERM", { msPerChunk: 100, shutdownSeconds: 1 });
    assert.equal(result.code, ExitCode.Terminated, result.stderr);
    assert.deepEqual(result.placed, []);
    assert.deepEqual(result.temp, []);
    assert.ok(result.afterSignalMs > 900, `exited after ${result.afterSignalMs} ms`);
    assert.ok(result.afterSignalMs < 1000 + 4000, `exited after ${result.afterSignalMs} ms`);
  },
);

Deno.test(
  "SIGINT during a download aborts after the shutdown timeout: exit 130, no partial file",
  POSIX_ONLY,
  async () => {
    const result = await interrupt("SIGINT", { msPerChunk: 100, shutdownSeconds: 1 });
    assert.equal(result.code, ExitCode.Interrupted, result.stderr);
    assert.deepEqual(result.placed, []);
    assert.deepEqual(result.temp, []);
    assert.ok(result.afterSignalMs < 1000 + 4000, `exited after ${result.afterSignalMs} ms`);
  },
);

Deno.test(
  "SIGTERM during a download that ends within the shutdown timeout places it and exits 0",
  POSIX_ONLY,
  async () => {
    // 64 chunks × 15 ms ≈ 1 s of streaming, well inside a 10 s shutdown timeout.
    const result = await interrupt("SIGTERM", { msPerChunk: 15, shutdownSeconds: 10 });
    assert.equal(result.code, ExitCode.Ok, result.stderr);
    assert.deepEqual(result.placed, ["slow.bin"]);
    assert.deepEqual(result.temp, []);
    assert.ok(result.afterSignalMs < 10_000, `exited after ${result.afterSignalMs} ms`);
  },
);
