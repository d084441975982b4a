/**
 * The telemetry line of `ingest check`: off and why, or where each signal goes (endpoint without
 * credentials, query or headers) and whether the collector accepted one empty export request.
 * @module
 */
import { ConfigError, describeError } from "../errors.ts";
import type { Settings } from "../config/settings.ts";
import { VERSION } from "../version.ts";
import { describeTargets, isOff, otelConfig, type SignalTarget } from "./otel_config.ts";

/** A line of the check report (the shape of `CheckLine` in commands/check/check_line.ts). */
export interface TelemetryCheckLine {
  ok: boolean;
  name: string;
  detail: string;
  hint?: string;
  warning?: boolean;
}

const NAME = "telemetry";

/** An empty export request: valid OTLP in both encodings (an empty protobuf message is 0 bytes). */
function emptyRequest(target: SignalTarget, signal: "traces" | "metrics"): Uint8Array {
  if (target.protocol === "http/protobuf") return new Uint8Array();
  const key = signal === "traces" ? "resourceSpans" : "resourceMetrics";
  return new TextEncoder().encode(JSON.stringify({ [key]: [] }));
}

/**
 * Checks the telemetry settings and sends one empty export per signal through `fetchFn` (the
 * routed fetch). A collector that refuses is a warning: runs work without it.
 */
export async function checkTelemetry(
  settings: Pick<Settings, "otel_endpoint">,
  env: Readonly<Record<string, string | undefined>>,
  fetchFn: typeof fetch,
): Promise<TelemetryCheckLine> {
  let config;
  try {
    config = otelConfig(env, settings.otel_endpoint, VERSION);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return { ok: false, name: NAME, detail: error.message };
  }
  if (isOff(config)) return { ok: true, name: NAME, detail: `off (${config.reason})` };
  const { FetchTransport } = await import("./otlp_exporters.ts");
  const where = describeTargets(config).join("; ");
  const problems: string[] = [];
  for (const signal of ["traces", "metrics"] as const) {
    const target = config[signal];
    if (target === undefined) continue;
    const transport = new FetchTransport(target, fetchFn, signal, true);
    const answer = await transport.send(emptyRequest(target, signal), target.timeoutMs);
    if (answer.status !== "success") {
      problems.push(`${signal}: ${answer.error ? describeError(answer.error) : answer.status}`);
    }
  }
  if (problems.length === 0) {
    return { ok: true, name: NAME, detail: `on; ${where}; the collector accepted a test export` };
  }
  return {
    ok: true,
    warning: true,
    name: NAME,
    detail: `on; ${where}; test export failed: ${problems.join("; ")}`,
    hint: "runs still work, but their traces and metrics are dropped: check the collector's " +
      "address, OTEL_EXPORTER_OTLP_HEADERS, and proxy_url/no_proxy/ca_file",
  };
}
