import assert from "node:assert/strict";
import { ConfigError } from "../../src/errors.ts";
import { Metrics } from "../../src/metrics.ts";
import { cleanAttributes, exportableText } from "../../src/telemetry/otel_sdk.ts";
import {
  describeTargets,
  displayEndpoint,
  EXIT_FLUSH_MS,
  isOff,
  type OtelConfig,
  otelConfig,
  parseKeyValues,
} from "../../src/telemetry/otel_config.ts";

function on(env: Record<string, string>, setting?: string): OtelConfig {
  const config = otelConfig(env, setting, "1.2.3");
  if (isOff(config)) throw new Error(`off: ${config.reason}`);
  return config;
}

Deno.test("otelConfig() is off without an endpoint, and with OTEL_SDK_DISABLED=true", () => {
  const cases: [Record<string, string>, string | undefined, RegExp][] = [
    [{}, undefined, /no OTLP endpoint/],
    [{ OTEL_SERVICE_NAME: "x", OTEL_EXPORTER_OTLP_PROTOCOL: "grpc" }, undefined, /no OTLP/],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318", OTEL_SDK_DISABLED: "TRUE" }, undefined, /SDK/],
    [{ OTEL_SDK_DISABLED: "true" }, "http://c:4318", /OTEL_SDK_DISABLED/],
    [{ OTEL_TRACES_EXPORTER: "none", OTEL_METRICS_EXPORTER: "none" }, "http://c:4318", /none/],
  ];
  for (const [env, setting, reason] of cases) {
    const config = otelConfig(env, setting);
    assert.ok(isOff(config), JSON.stringify(env));
    assert.match(config.reason, reason);
  }
});

Deno.test("otelConfig() endpoints: per-signal as given, then the variable, then otel_endpoint", () => {
  const fromSetting = on({}, "https://collector.example/otlp/");
  assert.equal(fromSetting.traces?.url, "https://collector.example/otlp/v1/traces");
  assert.equal(fromSetting.metrics?.url, "https://collector.example/otlp/v1/metrics");
  const variableWins = on({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://env:4318" }, "http://set:4318");
  assert.equal(variableWins.traces?.url, "http://env:4318/v1/traces");
  const perSignal = on({
    OTEL_EXPORTER_OTLP_ENDPOINT: "http://env:4318",
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "http://traces:9999/custom",
  });
  assert.equal(perSignal.traces?.url, "http://traces:9999/custom");
  assert.equal(perSignal.metrics?.url, "http://env:4318/v1/metrics");
  const onlyTraces = on({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "http://traces:4318/v1/traces" });
  assert.equal(onlyTraces.metrics, undefined);
  const noMetrics = on({ OTEL_METRICS_EXPORTER: "none" }, "http://c:4318");
  assert.equal(noMetrics.metrics, undefined);
  assert.ok(noMetrics.traces);
  const query = on({ OTEL_EXPORTER_OTLP_ENDPOINT: "https://c.example/base?tenant=a" });
  assert.equal(query.traces?.url, "https://c.example/base/v1/traces?tenant=a");
});

Deno.test("otelConfig() reads protocol, headers, timeout, interval, service name and resource", () => {
  const config = on({
    OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318",
    OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
    OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: "http/protobuf",
    OTEL_EXPORTER_OTLP_HEADERS: "x-api-key=abc%3D%3D, tenant=t1",
    OTEL_EXPORTER_OTLP_TRACES_HEADERS: "tenant=t2",
    OTEL_EXPORTER_OTLP_TIMEOUT: "2000",
    OTEL_EXPORTER_OTLP_METRICS_TIMEOUT: "5000",
    OTEL_METRIC_EXPORT_INTERVAL: "15000",
    OTEL_RESOURCE_ATTRIBUTES: "service.name=from-attrs,deployment.environment=prod",
  });
  assert.equal(config.traces?.protocol, "http/json");
  assert.equal(config.metrics?.protocol, "http/protobuf");
  assert.deepEqual(config.traces?.headers, { "x-api-key": "abc==", tenant: "t2" });
  assert.deepEqual(config.metrics?.headers, { "x-api-key": "abc==", tenant: "t1" });
  assert.equal(config.traces?.timeoutMs, 2000);
  assert.equal(config.metrics?.timeoutMs, 5000);
  assert.equal(config.metricIntervalMs, 15000);
  assert.equal(config.exitFlushMs, 2000, "a lower export timeout shortens the exit flush");
  assert.deepEqual(config.resource, {
    "service.name": "from-attrs",
    "service.version": "1.2.3",
    "deployment.environment": "prod",
  });
  const defaults = on({}, "http://c:4318");
  assert.equal(defaults.traces?.protocol, "http/protobuf");
  assert.equal(defaults.traces?.timeoutMs, 10_000);
  assert.equal(defaults.metricIntervalMs, 60_000);
  assert.equal(defaults.exitFlushMs, EXIT_FLUSH_MS);
  assert.equal(defaults.resource["service.name"], "ingest");
  assert.equal(
    on({ OTEL_SERVICE_NAME: "mine", OTEL_RESOURCE_ATTRIBUTES: "service.name=x" }, "http://c:1")
      .resource["service.name"],
    "mine",
  );
});

Deno.test("otelConfig() rejects unusable values naming the variable, never a header value", () => {
  const base = { OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318" };
  const cases: [Record<string, string>, RegExp][] = [
    [{ ...base, OTEL_EXPORTER_OTLP_PROTOCOL: "grpc" }, /OTEL_EXPORTER_OTLP_PROTOCOL=grpc/],
    [{ ...base, OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: "json" }, /TRACES_PROTOCOL=json/],
    [{ ...base, OTEL_EXPORTER_OTLP_TIMEOUT: "soon" }, /OTEL_EXPORTER_OTLP_TIMEOUT=soon/],
    [{ ...base, OTEL_METRIC_EXPORT_INTERVAL: "0" }, /OTEL_METRIC_EXPORT_INTERVAL=0/],
    [{ ...base, OTEL_EXPORTER_OTLP_HEADERS: "s3cr3t-without-key" }, /HEADERS: an entry/],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: "ftp://c/" }, /must be an http\(s\) URL/],
    [{ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "not a url" }, /TRACES_ENDPOINT.*not a URL/],
  ];
  for (const [env, message] of cases) {
    assert.throws(() => otelConfig(env, undefined), (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.match(error.message, message);
      assert.ok(!error.message.includes("s3cr3t"));
      return true;
    });
  }
});

Deno.test("describeTargets() and displayEndpoint() show no user, password, query or header value", () => {
  const config = on({
    OTEL_EXPORTER_OTLP_ENDPOINT: "https://user:pw@c.example:4318/?api_key=k",
    OTEL_EXPORTER_OTLP_HEADERS: "authorization=Bearer%20t0ken",
    OTEL_METRICS_EXPORTER: "none",
  });
  const text = describeTargets(config).join("\n");
  assert.equal(
    text,
    "traces: https://c.example:4318/v1/traces (http/protobuf, 1 header(s) from " +
      "OTEL_EXPORTER_OTLP_HEADERS)\nmetrics: off",
  );
  assert.equal(displayEndpoint("http://a:b@h/p?q=1#f"), "http://h/p");
  assert.deepEqual(parseKeyValues(" a = 1 ,, b=x%20y ", "X"), { a: "1", b: "x y" });
});

Deno.test("Metrics.observe() reports every change of its view with the view's labels", () => {
  const registry = new Metrics();
  const a = registry.withLabels({ job: "a" });
  const b = registry.withLabels({ job: "b" });
  const seen: unknown[] = [];
  const stop = a.observe((change) => seen.push(change));
  a.inc("x.count", 2, "Xs");
  b.inc("x.count", 5);
  a.set("y.ms", 7, "Y");
  stop();
  a.inc("x.count");
  assert.deepEqual(seen, [
    { name: "x.count", kind: "counter", help: "Xs", labels: { job: "a" }, by: 2 },
    { name: "y.ms", kind: "gauge", help: "Y", labels: { job: "a" }, by: 7 },
  ]);
  assert.equal(a.value("x.count"), 3);
});

Deno.test("exported attributes drop undefined, mask secret keys and strip every URL query", () => {
  const cleaned = cleanAttributes({
    "ingest.file.name": "report.pdf",
    reason: "Cannot download report.pdf from https://tenant.sharepoint.com/_layouts/15/download." +
      "aspx?UniqueId=abc&tempauth=eyJ0eXAiOiJKV1QiLCJhbGciOi.eyJhdWQiOiJodHRwcz.sig: 503",
    client_secret: "s3cret",
    "ingest.count": 3,
    "ingest.none": undefined,
  });
  assert.deepEqual(cleaned, {
    "ingest.file.name": "report.pdf",
    reason:
      "Cannot download report.pdf from https://tenant.sharepoint.com/_layouts/15/download.aspx 503",
    client_secret: "***",
    "ingest.count": 3,
  });
  assert.equal(
    exportableText("see http://h/p#frag and https://x/y?a=1."),
    "see http://h/p and https://x/y",
  );
});
