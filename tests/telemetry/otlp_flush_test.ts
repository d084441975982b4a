/**
 * The trace survives the process's end: a real `ingest` process exports the run span when it
 * exits on its own (exit 0, and exit 1 when the DB service is down) and when SIGTERM stops it
 * during a download (exit 143). The export uses `otel_endpoint` from the settings here, so the
 * setting is covered too. SIGTERM part: POSIX only (on Windows `kill()` is TerminateProcess).
 */
import assert from "node:assert/strict";
import { ExitCode } from "../../src/errors.ts";
import { OtlpReceiver } from "../helpers/otlp_receiver.ts";
import { RUNTIME_PERMISSIONS } from "../../src/permissions.ts";
import { delay, guarded, MAIN, namesIn, slowSim, workspace } from "../reliability/harness.ts";
import { simWorkspace } from "../helpers/sim_workspace.ts";

const ENV = { OTEL_EXPORTER_OTLP_PROTOCOL: "http/json" };

Deno.test("run-once exits 0 and 1 with its trace exported before the process ends", async () => {
  await using receiver = new OtlpReceiver();
  await using ws = await simWorkspace(
    {},
    `otel_endpoint = "${receiver.url}"\nlog_level = "WARNING"`,
  );
  const sim = ws.sim;
  {
    await guarded(60_000, async (guard) => {
      const ok = guard.spawn(["run-once", "--config", ws.settingsPath], { env: ENV });
      assert.equal((await ok.status).code, 0, ok.stderr);
      const first = receiver.spans().filter((s) => s.name === "ingest.run");
      assert.equal(first.length, 1);
      assert.equal(first[0]!.attributes["ingest.exit_code"], 0);

      await sim.close();
      const failed = guard.spawn(["run-once", "--config", ws.settingsPath], { env: ENV });
      assert.equal((await failed.status).code, ExitCode.Failed, failed.stderr);
      const runs = receiver.spans().filter((s) => s.name === "ingest.run");
      assert.equal(runs.length, 2, "the failed run's span was flushed too");
      assert.equal(runs[1]!.attributes["ingest.exit_code"], ExitCode.Failed);
      assert.equal(runs[1]!.status.code, 2, "status ERROR");
    });
  }
});

Deno.test({
  name: "SIGTERM during a download: exit 143 and the run span is exported, marked failed",
  ignore: Deno.build.os === "windows",
  fn: async () => {
    await using receiver = new OtlpReceiver();
    await using sim = await slowSim(200);
    const ws = await workspace(sim, {
      otel_endpoint: receiver.url,
      shutdown_timeout_seconds: 0,
      log_level: "WARNING",
    });
    try {
      await guarded(60_000, async (guard) => {
        const process = guard.spawn(["trigger", "--config", ws.settings, "--lookback", "1h"], {
          env: ENV,
        });
        for (;;) {
          if ((await namesIn(ws.stagingDir)).some((n) => n.endsWith(".part"))) break;
          const exited = await Promise.race([process.status.then(() => true), delay(20)]);
          if (exited) throw new Error(`ingest ended before streaming: ${process.stderr}`);
        }
        process.kill("SIGTERM");
        const { code } = await process.status;
        assert.equal(code, ExitCode.Terminated, process.stderr);
        const spans = receiver.spans();
        const run = spans.find((s) => s.name === "ingest.run");
        assert.ok(run, `run span exported: ${process.stderr}`);
        assert.equal(run.attributes["ingest.status"], "aborted");
        assert.equal(run.attributes["ingest.exit_code"], ExitCode.Interrupted);
        assert.equal(run.status.code, 2);
        const downloads = spans.filter((s) => s.name === "ingest.download");
        assert.ok(downloads.length >= 1, "the interrupted download's span is there");
        assert.ok(downloads.every((s) => s.parentSpanId === run.spanId));
      });
    } finally {
      await ws.cleanup();
    }
  },
});

Deno.test("the shipped binary's permissions suffice for telemetry (no extra sys or env access)", async () => {
  await using receiver = new OtlpReceiver();
  await using ws = await simWorkspace({}, `log_level = "WARNING"`);
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...RUNTIME_PERMISSIONS, MAIN, "run-once", "--config", ws.settingsPath],
    clearEnv: true,
    env: {
      ...Object.fromEntries(
        Object.entries(Deno.env.toObject()).filter(([key]) =>
          !key.startsWith("INGEST_") && !key.startsWith("OTEL_")
        ),
      ),
      ...ENV,
      NO_PROXY: "127.0.0.1,localhost",
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(output.stderr);
  assert.equal(output.code, 0, stderr);
  assert.ok(!/NotCapable|Requires .* access/.test(stderr), stderr);
  assert.equal(receiver.spans().filter((s) => s.name === "ingest.run").length, 1, stderr);
  assert.ok(receiver.points().length > 0, "metrics exported");
});
