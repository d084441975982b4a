/**
 * Telemetry of one command: off (the default, nothing loaded) or the OpenTelemetry SDK exporting
 * over OTLP/HTTP. Commands that run syncs start it once and dispose of it on every way out
 * (`await using`), which flushes within {@link EXIT_FLUSH_MS}.
 *
 * The SDK is loaded with a literal dynamic `import()` only when an endpoint is configured:
 * `deno compile` embeds it (the specifier is static), and a process without telemetry never
 * loads or initialises it.
 * @module
 */
import { getLogger } from "@logtape/logtape";
import type { Settings } from "../config/settings.ts";
import { Network } from "../network.ts";
import { VERSION } from "../version.ts";
import {
  describeTargets,
  EXIT_FLUSH_MS,
  isOff,
  type OtelConfig,
  otelConfig,
} from "./otel_config.ts";
import type { Telemetry } from "./telemetry_api.ts";

export { EXIT_FLUSH_MS };

const log = getLogger(["ingest", "telemetry"]);

/** Telemetry that is off: every method does nothing. */
export const telemetryOff: Telemetry = {
  enabled: false,
  forJob: () => undefined,
  flush: () => Promise.resolve(),
  shutdown: () => Promise.resolve(),
  [Symbol.asyncDispose]: () => Promise.resolve(),
};

/** What {@link startTelemetry} needs of the process. */
export interface TelemetryDeps {
  env: Readonly<Record<string, string | undefined>>;
  fetch: typeof fetch;
}

/** The SDK-backed telemetry for `config`, exporting through `fetch`. */
export async function startSdkTelemetry(
  config: OtelConfig,
  fetchFn: typeof fetch,
  onClose: () => void = () => {},
): Promise<Telemetry> {
  const { OtelTelemetry } = await import("./otel_sdk.ts");
  return new OtelTelemetry(config, fetchFn, onClose);
}

/**
 * Starts telemetry for a command over `settings`: the exporters use this job's `proxy_url`,
 * `no_proxy` and `ca_file` (a command over several jobs passes the first). Off unless an endpoint
 * is configured.
 * @throws {ConfigError} for an unusable `OTEL_*` value, `ca_file` or `proxy_url`
 */
export async function startTelemetry(
  settings: Settings,
  deps: TelemetryDeps,
): Promise<Telemetry> {
  const config = otelConfig(deps.env, settings.otel_endpoint, VERSION);
  if (isOff(config)) return telemetryOff;
  const network = new Network(settings, { fetch: deps.fetch, env: deps.env });
  const telemetry = await startSdkTelemetry(config, network.fetch, () => network.close());
  log.info("OpenTelemetry on: {targets}", {
    targets: describeTargets(config).join("; "),
    service_name: config.resource["service.name"],
  });
  return telemetry;
}
