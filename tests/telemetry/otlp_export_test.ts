/**
 * OpenTelemetry end to end, in process: a run against the simulator exports one trace (a run
 * span with token, DB query, listing and one download span per file) and the counters as
 * metrics to a loopback OTLP receiver (http/json); no secret reaches any exported body; with the
 * receiver down the run still exits 0, soon.
 */
import assert from "node:assert/strict";
import { acquireRunLock } from "../../src/schedule/run_lock.ts";
import { ManualSignals, runMain } from "../helpers/cli_harness.ts";
import { OtlpReceiver } from "../helpers/otlp_receiver.ts";
import { simWorkspace } from "../helpers/sim_workspace.ts";

const JSON_EXPORT = { OTEL_EXPORTER_OTLP_PROTOCOL: "http/json", NO_PROXY: "127.0.0.1,localhost" };

Deno.test("a run exports one trace with a child span per downloaded file, and its counters", async () => {
  await using receiver = new OtlpReceiver();
  await using ws = await simWorkspace();
  const run = await runMain(["--json", "trigger"], {
    cwd: ws.dir,
    env: {
      ...JSON_EXPORT,
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_SERVICE_NAME: "ingest-test",
      OTEL_RESOURCE_ATTRIBUTES: "deployment.environment=test,team=data%20ops",
    },
  });
  assert.equal(run.code, 0, run.stderr);
  const result = JSON.parse(run.stdout);
  assert.equal(result.downloaded.length, 6);

  const spans = receiver.spans();
  const roots = spans.filter((s) => s.name === "ingest.run");
  assert.equal(roots.length, 1, "one run span");
  const root = roots[0]!;
  assert.equal(root.parentSpanId, "");
  assert.ok(spans.every((s) => s.traceId === root.traceId), "one trace");
  assert.equal(root.attributes["ingest.job"], "default");
  assert.equal(root.attributes["ingest.trigger"], "manual");
  assert.equal(root.attributes["ingest.exit_code"], 0);
  assert.equal(root.attributes["ingest.status"], "completed");
  assert.equal(root.attributes["ingest.downloaded"], 6);
  assert.equal(root.attributes["ingest.listing.mode"], result.listing);
  assert.equal(root.attributes["ingest.window.reason"], result.window.reason);
  assert.equal(root.attributes["ingest.graph.requests"], result.graph_requests);
  assert.equal(root.attributes["ingest.bytes"], result.bytes);

  const logs = run.stderr.split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l));
  const finished = logs.find((l) => String(l.message).startsWith("Sync finished"));
  assert.equal(finished?.properties.trace_id, root.traceId, "log records join the trace");
  assert.equal(finished?.properties.span_id, root.spanId);
  const children = (name: string) =>
    spans.filter((s) => s.name === name && s.parentSpanId === root.spanId);
  assert.equal(children("ingest.token").length, 1, "token span");
  assert.equal(children("ingest.db.query").length, 1, "DB query span");
  const [listing] = children("ingest.listing");
  assert.ok(listing, "listing span");
  assert.equal(listing.attributes["ingest.listed"], result.listed);
  assert.ok((listing.attributes["ingest.listing.pages"] as number) >= 1);
  const downloads = children("ingest.download");
  assert.deepEqual(
    downloads.map((s) => s.attributes["ingest.file.name"]).sort(),
    [...result.downloaded].sort(),
  );
  for (const span of downloads) {
    assert.equal(span.attributes["ingest.file.outcome"], "placed");
    assert.equal(span.attributes["ingest.file.attempts"], 1);
    assert.equal(span.attributes["ingest.file.resumed"], false);
    assert.equal(span.attributes["ingest.file.bytes"], span.attributes["ingest.file.size"]);
    assert.ok(span.attributes["ingest.file.verification"]);
  }
  const resource = receiver.resource();
  assert.equal(resource["service.name"], "ingest-test");
  assert.equal(resource["deployment.environment"], "test");
  assert.equal(resource["team"], "data ops");

  const points = receiver.points();
  const point = (name: string) => points.find((p) => p.name === name);
  assert.equal(point("syncjob.download.success.count")?.value, 6);
  assert.equal(point("syncjob.download.success.count")?.attributes.job, "default");
  assert.equal(point("syncjob.download.failure.count")?.value, 0);
  assert.equal(point("scheduler.tick.count"), undefined, "a manual trigger is not a tick");
  assert.ok((point("syncjob.duration.ms")?.value ?? -1) >= 0);
  assert.equal(point("syncjob.bytes.count")?.value, result.bytes);
  assert.ok(receiver.requests.every((r) => r.contentType === "application/json"));
});

Deno.test("run-once counts its tick; nothing secret appears in any exported body", async () => {
  await using receiver = new OtlpReceiver();
  await using ws = await simWorkspace();
  const run = await runMain(["run-once"], {
    cwd: ws.dir,
    env: {
      ...JSON_EXPORT,
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_HEADERS: "x-api-key=collector-key-123",
    },
  });
  assert.equal(run.code, 0, run.stderr);
  const root = receiver.spans().find((s) => s.name === "ingest.run");
  assert.equal(root?.attributes["ingest.trigger"], "run-once");
  const tick = receiver.points().find((p) => p.name === "scheduler.tick.count");
  assert.equal(tick?.value, 1);
  assert.ok(receiver.requests.length >= 2);
  for (const request of receiver.requests) {
    assert.equal(request.headers.get("x-api-key"), "collector-key-123", "headers are sent");
    const secrets = [
      ws.sim.clientSecret,
      "collector-key-123",
      "tempauth",
      "access_token",
      "Bearer",
      "eyJ",
      "client_assertion",
      "?",
    ];
    for (const secret of secrets) {
      assert.ok(!request.body.includes(secret), `${secret} in ${request.path}`);
    }
  }
  assert.match(run.stderr, /OpenTelemetry on: .*traces: http:\/\/127\.0\.0\.1:\d+\/v1\/traces/);
  assert.ok(!run.stderr.includes("collector-key-123"), "headers are never logged");
});

Deno.test("with the receiver down the run exits 0 within a few seconds of a run without telemetry", async () => {
  await using plainWs = await simWorkspace();
  await using ws = await simWorkspace();
  const started = performance.now();
  const plain = await runMain(["trigger"], { cwd: plainWs.dir });
  const plainMs = performance.now() - started;
  assert.equal(plain.code, 0, plain.stderr);
  // A port that was just free: connection refused.
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  const from = performance.now();
  const traced = await runMain(["trigger"], {
    cwd: ws.dir,
    env: { ...JSON_EXPORT, OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}` },
  });
  const tracedMs = performance.now() - from;
  assert.equal(traced.code, 0, traced.stderr);
  assert.match(traced.stderr, /Cannot export .*(traces|metrics).* to .*http:\/\/127\.0\.0\.1/);
  assert.equal(ws.incomingNames().length, 6, "the run itself is unaffected");
  assert.ok(tracedMs < plainMs + 5_000, `${tracedMs} ms vs ${plainMs} ms without telemetry`);
});

Deno.test("a collector that never answers delays the exit by the flush deadline at most", async () => {
  await using receiver = new OtlpReceiver();
  receiver.delayMs = 60_000;
  await using ws = await simWorkspace();
  const from = performance.now();
  const run = await runMain(["trigger", "--dry-run"], {
    cwd: ws.dir,
    env: { ...JSON_EXPORT, OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url },
  });
  const ms = performance.now() - from;
  assert.equal(run.code, 0, run.stderr);
  assert.ok(ms < 3_000 + 4_000, `ended after ${ms} ms`);
  assert.match(run.stderr, /Telemetry not exported within 3000 ms/);
});

Deno.test("check says whether telemetry is on, where it goes without credentials, and tries an export", async () => {
  await using receiver = new OtlpReceiver();
  await using ws = await simWorkspace();
  const off = await runMain(["--json", "check"], { cwd: ws.dir });
  const offLine = JSON.parse(off.stdout).checks.find((c: { name: string }) =>
    c.name === "telemetry"
  );
  assert.equal(offLine.ok, true);
  assert.match(offLine.detail, /^off \(no OTLP endpoint/);

  const endpoint = receiver.url.replace("http://", "http://otlp-usr:pa55word@") + "/?key=abc";
  const on = await runMain(["--json", "check"], {
    cwd: ws.dir,
    env: {
      ...JSON_EXPORT,
      OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
      OTEL_EXPORTER_OTLP_HEADERS: "authorization=Basic%20c2VjcmV0",
    },
  });
  const onLine = JSON.parse(on.stdout).checks.find((c: { name: string }) => c.name === "telemetry");
  assert.equal(onLine.ok, true);
  assert.equal(onLine.warning, undefined, onLine.detail);
  assert.match(onLine.detail, /^on; traces: http:\/\/127\.0\.0\.1:\d+\/v1\/traces \(http\/json/);
  assert.match(onLine.detail, /accepted a test export/);
  for (const secret of ["pa55word", "otlp-usr", "key=abc", "c2VjcmV0", "Basic"]) {
    assert.ok(!on.stdout.includes(secret) && !on.stderr.includes(secret), secret);
  }
  assert.deepEqual(receiver.requests.map((r) => r.path).sort(), ["/v1/metrics", "/v1/traces"]);
  assert.match(receiver.requests[0]!.headers.get("authorization") ?? "", /Basic c2VjcmV0/);

  const bad = await runMain(["check"], {
    cwd: ws.dir,
    env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_EXPORTER_OTLP_PROTOCOL: "grpc" },
  });
  assert.match(bad.stdout, /✗ telemetry: Cannot use OTEL_EXPORTER_OTLP_PROTOCOL=grpc/);
});

Deno.test("throttling waits and download retries are span events; a failed file fails its span", async () => {
  await using receiver = new OtlpReceiver();
  await using ws = await simWorkspace();
  ws.sim.addFault({
    match: { server: "download", file: "Q4 forecast.xlsx" },
    fault: { kind: "status", status: 429, retryAfter: "1", code: "activityLimitReached" },
  });
  ws.sim.addFault({
    match: { server: "download", file: "customers (EU).csv" },
    fault: { kind: "reset" },
  });
  ws.sim.addFault({
    match: { server: "download", file: "inventory_snapshot.csv" },
    fault: { kind: "status", status: 404, code: "itemNotFound" },
    times: Infinity,
  });
  const run = await runMain(["trigger"], {
    cwd: ws.dir,
    env: { ...JSON_EXPORT, OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url },
  });
  assert.equal(run.code, 3, run.stderr);
  const spans = receiver.spans();
  const byFile = (name: string) =>
    spans.find((s) => s.name === "ingest.download" && s.attributes["ingest.file.name"] === name);
  const throttled = byFile("Q4 forecast.xlsx");
  const waits = spans.flatMap((s) => s.events).filter((e) => e.name === "ingest.throttle.wait");
  assert.ok(waits.length >= 1, "a throttle wait event");
  assert.ok((waits[0]!.attributes["ingest.wait_ms"] as number) > 0);
  assert.equal(throttled?.attributes["ingest.file.outcome"], "placed");
  const retried = byFile("customers (EU).csv");
  assert.equal(retried?.attributes["ingest.file.attempts"], 2);
  assert.ok(retried?.events.some((e) => e.name === "ingest.retry"));
  const failed = byFile("inventory_snapshot.csv");
  assert.equal(failed?.attributes["ingest.file.outcome"], "failed");
  assert.equal(failed?.status.code, 2);
  const root = spans.find((s) => s.name === "ingest.run")!;
  assert.equal(root.attributes["ingest.exit_code"], 3);
  assert.equal(root.attributes["ingest.failed"], 1);
  assert.equal(root.status.code, 2);
});

Deno.test("the daemon exports metrics every OTEL_METRIC_EXPORT_INTERVAL and flushes on SIGTERM", async () => {
  await using receiver = new OtlpReceiver();
  await using ws = await simWorkspace({}, "interval_minutes = 60");
  const signals = new ManualSignals("linux");
  const daemon = runMain(["run"], {
    cwd: ws.dir,
    signals,
    env: {
      ...JSON_EXPORT,
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_METRIC_EXPORT_INTERVAL: "100",
    },
  });
  const until = async (what: string, done: () => boolean) => {
    for (let i = 0; i < 500 && !done(); i++) await new Promise((r) => setTimeout(r, 20));
    assert.ok(done(), what);
  };
  await until("the first tick placed the files", () => ws.incomingNames().length === 6);
  await until(
    "periodic metric exports with the tick counted",
    () => receiver.points().some((p) => p.name === "syncjob.download.success.count"),
  );
  assert.equal(receiver.spans().length, 0, "spans are batched, not yet sent");
  assert.equal(signals.send("SIGTERM"), 1);
  const { code } = await daemon;
  assert.equal(code, 0);
  const run = receiver.spans().find((s) => s.name === "ingest.run");
  assert.equal(run?.attributes["ingest.trigger"], "scheduled");
  assert.equal(run?.attributes["ingest.downloaded"], 6);
  assert.ok(receiver.points().some((p) => p.name === "scheduler.tick.count" && p.value === 1));
});

Deno.test("an unusable OTEL_* value stops the command with exit 2 and one line naming it", async () => {
  await using ws = await simWorkspace();
  const run = await runMain(["trigger"], {
    cwd: ws.dir,
    env: {
      OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:4318",
      OTEL_EXPORTER_OTLP_PROTOCOL: "grpc",
    },
  });
  assert.equal(run.code, 2);
  assert.match(run.stderr, /Cannot use OTEL_EXPORTER_OTLP_PROTOCOL=grpc/);
  assert.ok(!/\n\s+at /.test(run.stderr), "no stack trace");
  assert.deepEqual(ws.incomingNames(), [], "nothing ran");
});

Deno.test("the default protocol is http/protobuf", async () => {
  await using receiver = new OtlpReceiver();
  await using ws = await simWorkspace();
  const run = await runMain(["trigger", "--dry-run"], {
    cwd: ws.dir,
    env: { NO_PROXY: "127.0.0.1,localhost", OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url },
  });
  assert.equal(run.code, 0, run.stderr);
  const traces = receiver.requests.filter((r) => r.path === "/v1/traces");
  assert.equal(traces.length, 1);
  assert.equal(traces[0]!.contentType, "application/x-protobuf");
  assert.ok(traces[0]!.body.includes("ingest.run"), "span name in the protobuf body");
  assert.ok(!traces[0]!.body.trimStart().startsWith("{"), "not JSON");
});

Deno.test("several jobs in one process: one trace per job's run, metrics labelled by job", async () => {
  await using receiver = new OtlpReceiver();
  await using ws = await simWorkspace();
  const scheduler = (await Deno.readTextFile(ws.settingsPath)).split("\n")
    .filter((line) => !/^(sharepoint_folder|ingestion_dir) =/.test(line)).join("\n");
  await Deno.writeTextFile(
    ws.settingsPath,
    `${scheduler.trimEnd()}
otel_endpoint = "${receiver.url}"

[jobs.first]
sharepoint_folder = "/Shared Documents/Reports"
ingestion_dir = "in/first"

[jobs.second]
sharepoint_folder = "/Shared Documents/Reports"
ingestion_dir = "in/second"
`,
  );
  // A run creates an ingestion_dir only inside a folder that exists.
  await Deno.mkdir(`${ws.dir}/in`);
  const run = await runMain(["run-once"], { cwd: ws.dir, env: JSON_EXPORT });
  assert.equal(run.code, 0, run.stderr);
  const roots = receiver.spans().filter((s) => s.name === "ingest.run");
  assert.deepEqual(roots.map((s) => s.attributes["ingest.job"]).sort(), ["first", "second"]);
  assert.notEqual(roots[0]!.traceId, roots[1]!.traceId, "one trace per run");
  for (const root of roots) {
    const downloads = receiver.spans().filter((s) =>
      s.name === "ingest.download" && s.parentSpanId === root.spanId
    );
    assert.equal(downloads.length, 6, `${root.attributes["ingest.job"]}: a span per file`);
  }
  const placed = receiver.points().filter((p) => p.name === "syncjob.download.success.count");
  assert.deepEqual(
    placed.map((p) => [p.attributes.job, p.value]).sort(),
    [["first", 6], ["second", 6]],
  );
});

Deno.test("exit 4 (another process holds the lock) still exports the run span, marked skipped", async () => {
  await using receiver = new OtlpReceiver();
  await using ws = await simWorkspace();
  const config = await runMain(["--json", "config"], { cwd: ws.dir });
  const lockFile = JSON.parse(config.stdout).lock_file.value;
  const lock = await acquireRunLock({ path: lockFile, command: "run", wait: false, pid: 4242 });
  try {
    const run = await runMain(["run-once"], {
      cwd: ws.dir,
      env: { ...JSON_EXPORT, OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url },
    });
    assert.equal(run.code, 4, run.stderr);
  } finally {
    await lock.release();
  }
  const [root, ...rest] = receiver.spans();
  assert.equal(rest.length, 0, "no child span: nothing ran");
  assert.equal(root?.attributes["ingest.status"], "skipped");
  assert.equal(root?.attributes["ingest.skip_reason"], "locked");
  assert.equal(root?.attributes["ingest.exit_code"], 4);
  const skipped = receiver.points().find((p) => p.name === "scheduler.tick.skipped_overlap.count");
  assert.equal(skipped?.value, 1);
});
