/**
 * What the commands hold of telemetry, on or off. Imports no OpenTelemetry module and nothing that
 * loads one, so both the SDK side (`otel_sdk.ts`) and the loader (`telemetry.ts`) can use it.
 * @module
 */
import type { Metrics } from "../metrics.ts";
import type { RunTracer } from "./span_scope.ts";

/** Telemetry as the commands see it. */
export interface Telemetry extends AsyncDisposable {
  readonly enabled: boolean;
  /**
   * The tracer of one job's runs (undefined when off); the job's metrics view is bridged to
   * OTLP metrics labelled `job`.
   */
  forJob(job: string, metrics: Metrics): RunTracer | undefined;
  /** Exports everything pending; resolves whether or not the collector answered. */
  flush(): Promise<void>;
  /** Flushes and stops, within the exit deadline; later calls do nothing. */
  shutdown(): Promise<void>;
}
