/**
 * Whether telemetry is on and where it goes, from the standard `OTEL_*` variables and the
 * setting `otel_endpoint`. Pure: no OpenTelemetry module is loaded to decide.
 *
 * On only when an endpoint is configured: a per-signal `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` /
 * `…_METRICS_ENDPOINT` (used as given), else `OTEL_EXPORTER_OTLP_ENDPOINT`, else `otel_endpoint`
 * (both get `/v1/traces` and `/v1/metrics` appended, per the OTLP exporter specification).
 * `OTEL_SDK_DISABLED=true` turns it off whatever is set; `OTEL_TRACES_EXPORTER=none` or
 * `OTEL_METRICS_EXPORTER=none` turns off one signal. Deno's own OpenTelemetry (`OTEL_DENO`) is
 * a different thing this module does not use (see /work/shared/research/otel.md §1).
 * @module
 */
import { ConfigError } from "../errors.ts";
import { redactUrl } from "../redact.ts";

/** `url` without user info, query or fragment: safe to print (an endpoint may carry a key). */
export function displayEndpoint(url: string): string {
  return redactUrl(url, { query: "drop" });
}

/** Wire encoding of the OTLP/HTTP body. */
export type OtlpProtocol = "http/protobuf" | "http/json";

/** Where one signal goes. */
export interface SignalTarget {
  url: string;
  protocol: OtlpProtocol;
  /** Headers sent with every export (`OTEL_EXPORTER_OTLP_HEADERS`): never logged or printed. */
  headers: Record<string, string>;
  /** Deadline of one export request in ms (`OTEL_EXPORTER_OTLP_TIMEOUT`, default 10000). */
  timeoutMs: number;
}

/** Telemetry that is on: at least one of traces and metrics has a target. */
export interface OtelConfig {
  traces?: SignalTarget;
  metrics?: SignalTarget;
  /** Resource attributes, `service.name` included. */
  resource: Record<string, string>;
  /** `OTEL_METRIC_EXPORT_INTERVAL` (default 60000 ms): how often the daemon exports metrics. */
  metricIntervalMs: number;
  /** How long the last flush may delay the exit (at most {@link EXIT_FLUSH_MS}). */
  exitFlushMs: number;
}

/** Telemetry is off, and why (for `ingest check`). */
export interface OtelOff {
  off: true;
  reason: string;
}

/** The longest a dead or slow collector may delay the end of a command. */
export const EXIT_FLUSH_MS = 3_000;

const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_METRIC_INTERVAL_MS = 60_000;

type Env = Readonly<Record<string, string | undefined>>;

function value(env: Env, name: string): string | undefined {
  const text = env[name]?.trim();
  return text === undefined || text === "" ? undefined : text;
}

function milliseconds(env: Env, name: string): number | undefined {
  const text = value(env, name);
  if (text === undefined) return undefined;
  const ms = Number(text);
  if (!Number.isFinite(ms) || ms <= 0) {
    throw new ConfigError(
      `Cannot use ${name}=${text}: it must be a positive number of milliseconds`,
    );
  }
  return ms;
}

function protocol(env: Env, signal: "TRACES" | "METRICS"): OtlpProtocol {
  const name = value(env, `OTEL_EXPORTER_OTLP_${signal}_PROTOCOL`) !== undefined
    ? `OTEL_EXPORTER_OTLP_${signal}_PROTOCOL`
    : "OTEL_EXPORTER_OTLP_PROTOCOL";
  const text = value(env, name) ?? "http/protobuf";
  if (text === "http/protobuf" || text === "http/json") return text;
  throw new ConfigError(
    `Cannot use ${name}=${text}: ingest exports "http/protobuf" (the default) or "http/json"`,
  );
}

/** Parses a `key=value,key2=value2` list with percent-encoded values (W3C baggage style). */
export function parseKeyValues(text: string | undefined, name: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (text === undefined) return out;
  for (const part of text.split(",")) {
    if (part.trim() === "") continue;
    const at = part.indexOf("=");
    const key = at > 0 ? part.slice(0, at).trim() : "";
    if (key === "") {
      // The value may be a secret (a header): name the position, never the text.
      throw new ConfigError(`Cannot use ${name}: an entry is not of the form key=value`);
    }
    let decoded: string;
    try {
      decoded = decodeURIComponent(part.slice(at + 1).trim());
    } catch {
      throw new ConfigError(`Cannot use ${name}: the value of "${key}" is not percent-encoded`);
    }
    out[key] = decoded;
  }
  return out;
}

/** `base` with `/v1/traces` or `/v1/metrics` appended to its path (query and fragment kept). */
function withSignalPath(base: string, signal: "TRACES" | "METRICS"): string {
  if (!URL.canParse(base)) return base;
  const url = new URL(base);
  url.pathname = `${url.pathname.replace(/\/+$/, "")}/v1/${signal.toLowerCase()}`;
  return url.href;
}

function signalUrl(env: Env, signal: "TRACES" | "METRICS", base: string | undefined) {
  const own = value(env, `OTEL_EXPORTER_OTLP_${signal}_ENDPOINT`);
  const url = own ?? (base === undefined ? undefined : withSignalPath(base, signal));
  if (url === undefined) return undefined;
  const name = own !== undefined ? `OTEL_EXPORTER_OTLP_${signal}_ENDPOINT` : "the OTLP endpoint";
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigError(`Cannot use ${name} ${displayEndpoint(url)}: it is not a URL`);
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    throw new ConfigError(`Cannot use ${name} ${displayEndpoint(url)}: it must be an http(s) URL`);
  }
  return url;
}

function target(env: Env, signal: "TRACES" | "METRICS", base: string | undefined) {
  if (value(env, `OTEL_${signal}_EXPORTER`)?.toLowerCase() === "none") return undefined;
  const url = signalUrl(env, signal, base);
  if (url === undefined) return undefined;
  const headers = {
    ...parseKeyValues(value(env, "OTEL_EXPORTER_OTLP_HEADERS"), "OTEL_EXPORTER_OTLP_HEADERS"),
    ...parseKeyValues(
      value(env, `OTEL_EXPORTER_OTLP_${signal}_HEADERS`),
      `OTEL_EXPORTER_OTLP_${signal}_HEADERS`,
    ),
  };
  const timeoutMs = milliseconds(env, `OTEL_EXPORTER_OTLP_${signal}_TIMEOUT`) ??
    milliseconds(env, "OTEL_EXPORTER_OTLP_TIMEOUT") ?? DEFAULT_TIMEOUT_MS;
  return { url, protocol: protocol(env, signal), headers, timeoutMs };
}

/**
 * The telemetry configuration of this process, or why it is off.
 * @param otelEndpoint the setting `otel_endpoint`; the environment's endpoints win over it
 * @throws {ConfigError} naming the variable, for a value that cannot be used
 */
export function otelConfig(
  env: Env,
  otelEndpoint: string | undefined,
  version = "unknown",
): OtelConfig | OtelOff {
  if (value(env, "OTEL_SDK_DISABLED")?.toLowerCase() === "true") {
    return { off: true, reason: "OTEL_SDK_DISABLED=true" };
  }
  const base = value(env, "OTEL_EXPORTER_OTLP_ENDPOINT") ?? otelEndpoint;
  const traces = target(env, "TRACES", base);
  const metrics = target(env, "METRICS", base);
  if (traces === undefined && metrics === undefined) {
    return {
      off: true,
      reason: base === undefined
        ? "no OTLP endpoint (OTEL_EXPORTER_OTLP_ENDPOINT or otel_endpoint)"
        : "OTEL_TRACES_EXPORTER and OTEL_METRICS_EXPORTER are none",
    };
  }
  const attributes = parseKeyValues(
    value(env, "OTEL_RESOURCE_ATTRIBUTES"),
    "OTEL_RESOURCE_ATTRIBUTES",
  );
  const resource = {
    "service.version": version,
    ...attributes,
    "service.name": value(env, "OTEL_SERVICE_NAME") ?? attributes["service.name"] ?? "ingest",
  };
  const timeouts = [traces?.timeoutMs, metrics?.timeoutMs].filter((t) => t !== undefined);
  return {
    ...(traces ? { traces } : {}),
    ...(metrics ? { metrics } : {}),
    resource,
    metricIntervalMs: milliseconds(env, "OTEL_METRIC_EXPORT_INTERVAL") ??
      DEFAULT_METRIC_INTERVAL_MS,
    exitFlushMs: Math.min(EXIT_FLUSH_MS, ...timeouts),
  };
}

/** True when `config` says telemetry is off. */
export function isOff(config: OtelConfig | OtelOff): config is OtelOff {
  return "off" in config;
}

/** One line per signal for `ingest check`: where it goes, without credentials or headers. */
export function describeTargets(config: OtelConfig): string[] {
  const line = (name: string, t: SignalTarget | undefined) =>
    t === undefined
      ? `${name}: off`
      : `${name}: ${displayEndpoint(t.url)} (${t.protocol}${
        Object.keys(t.headers).length > 0
          ? `, ${Object.keys(t.headers).length} header(s) from OTEL_EXPORTER_OTLP_HEADERS`
          : ""
      })`;
  return [line("traces", config.traces), line("metrics", config.metrics)];
}
