/**
 * OTLP/HTTP span and metric exporters whose requests go through the process's routed `fetch`
 * (`proxy_url`, `no_proxy`, `ca_file`), built from the SDK's own parts: `OTLPExporterBase` and
 * its export delegate (queueing, timeouts, result handling) and the JSON/protobuf serializers of
 * `@opentelemetry/otlp-transformer`. The packaged `exporter-*-otlp-http|proto` exporters send
 * through `node:http` agents, which bypass the routed fetch, so only the transport is ours.
 * @module
 */
import { getLogger } from "@logtape/logtape";
import {
  createOtlpNetworkExportDelegate,
  ExporterMetrics,
  type ExportResponse,
  getSharedConfigurationDefaults,
  type IExporterTransport,
  OTLPExporterBase,
} from "@opentelemetry/otlp-exporter-base";
import {
  type ISerializer,
  JsonMetricsSerializer,
  JsonTraceSerializer,
  MetricsExporterMetricsHelper,
  ProtobufMetricsSerializer,
  ProtobufTraceSerializer,
  TraceExporterMetricsHelper,
} from "@opentelemetry/otlp-transformer";
import type { ReadableSpan, SpanExporter } from "@opentelemetry/sdk-trace";
import {
  AggregationTemporality,
  type PushMetricExporter,
  type ResourceMetrics,
} from "@opentelemetry/sdk-metrics";
import { describeError } from "../errors.ts";
import { redactText } from "../redact.ts";
import { displayEndpoint, type SignalTarget } from "./otel_config.ts";

const log = getLogger(["ingest", "telemetry"]);

const RETRYABLE = new Set([429, 502, 503, 504]);

/** Sends serialized OTLP bodies with `fetch`; {@link abort} cancels requests in flight. */
export class FetchTransport implements IExporterTransport {
  #target: SignalTarget;
  #fetch: typeof fetch;
  #signal: string;
  #abort = new AbortController();
  #quiet: boolean;
  #warned: boolean;

  /** @param quiet do not log failures (the caller reports them) */
  constructor(
    target: SignalTarget,
    fetchFn: typeof fetch,
    signal: "traces" | "metrics",
    quiet = false,
  ) {
    this.#warned = quiet;
    this.#quiet = quiet;
    this.#target = target;
    this.#fetch = fetchFn;
    this.#signal = signal;
  }

  async send(data: Uint8Array, timeoutMillis: number): Promise<ExportResponse> {
    const contentType = this.#target.protocol === "http/json"
      ? "application/json"
      : "application/x-protobuf";
    try {
      const response = await this.#fetch(this.#target.url, {
        method: "POST",
        headers: { ...this.#target.headers, "content-type": contentType },
        body: data as Uint8Array<ArrayBuffer>,
        signal: AbortSignal.any([AbortSignal.timeout(timeoutMillis), this.#abort.signal]),
      });
      const body = new Uint8Array(await response.arrayBuffer());
      if (response.ok) return { status: "success", data: body };
      const error = new Error(`HTTP ${response.status} ${response.statusText}`.trim());
      this.#warn(error);
      if (RETRYABLE.has(response.status)) return { status: "retryable", error };
      return { status: "failure", error };
    } catch (error) {
      this.#warn(error);
      return { status: "failure", error: new Error(describeError(error)) };
    }
  }

  /** The first failure is a warning; later ones are debug records (a dead collector is one fact). */
  #warn(error: unknown): void {
    if (this.#quiet) return;
    const properties = {
      signal: this.#signal,
      endpoint: displayEndpoint(this.#target.url),
      error: redactText(describeError(error)),
    };
    const message = "Cannot export {signal} to {endpoint}: {error}";
    if (this.#warned) log.debug(message, properties);
    else log.warn(message, properties);
    this.#warned = true;
  }

  /** Cancels every request in flight (the exit deadline passed). */
  abort(): void {
    this.#abort.abort(new Error("the telemetry exit deadline passed"));
  }

  shutdown(): void {}
}

function delegate<T>(
  target: SignalTarget,
  transport: FetchTransport,
  serializer: ISerializer<T, unknown>,
  componentType: string,
  helper: ConstructorParameters<typeof ExporterMetrics<T>>[0]["metricsHelper"],
) {
  return createOtlpNetworkExportDelegate(
    { ...getSharedConfigurationDefaults(), timeoutMillis: target.timeoutMs, compression: "none" },
    serializer,
    new ExporterMetrics<T>({
      componentType,
      metricsHelper: helper,
      url: displayEndpoint(target.url),
      meterProvider: undefined,
      responseAttributesFromError: () => ({}),
    }),
    transport,
  );
}

/** An OTLP/HTTP span exporter over `transport`. */
export function spanExporter(target: SignalTarget, transport: FetchTransport): SpanExporter {
  const serializer = target.protocol === "http/json"
    ? JsonTraceSerializer
    : ProtobufTraceSerializer;
  return new OTLPExporterBase<ReadableSpan[]>(
    delegate(target, transport, serializer, "otlp_http_span_exporter", TraceExporterMetricsHelper),
  );
}

/** An OTLP/HTTP metric exporter over `transport`, cumulative like the Prometheus textfile. */
export class MetricExporter extends OTLPExporterBase<ResourceMetrics>
  implements PushMetricExporter {
  constructor(target: SignalTarget, transport: FetchTransport) {
    const serializer = target.protocol === "http/json"
      ? JsonMetricsSerializer
      : ProtobufMetricsSerializer;
    super(
      delegate(
        target,
        transport,
        serializer,
        "otlp_http_metric_exporter",
        MetricsExporterMetricsHelper,
      ),
    );
  }

  selectAggregationTemporality(): AggregationTemporality {
    return AggregationTemporality.CUMULATIVE;
  }
}
