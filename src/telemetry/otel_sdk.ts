/**
 * The OpenTelemetry SDK behind {@link Telemetry}: a tracer provider with a batch span processor,
 * a meter provider with a periodic reader, both exporting over OTLP/HTTP through the routed
 * fetch. Loaded only when telemetry is on (see telemetry.ts).
 *
 * No global OpenTelemetry API state is registered: spans are parented explicitly, and the span
 * of the running code travels in span_scope.ts's async context. So Deno's own OpenTelemetry
 * (`OTEL_DENO`), if someone turns it on too, neither sees nor replaces these spans.
 * @module
 */
import { getLogger } from "@logtape/logtape";
import {
  type Attributes,
  type Counter,
  type Gauge,
  type Meter,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
  type Tracer,
} from "@opentelemetry/api";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { MeterProvider, PeriodicExportingMetricReader } from "@opentelemetry/sdk-metrics";
import { BatchSpanProcessor, TracerProvider } from "@opentelemetry/sdk-trace";
import { describeError } from "../errors.ts";
import type { MetricChange, Metrics } from "../metrics.ts";
import { isSecretKey, REDACTED, redactText } from "../redact.ts";
import { VERSION } from "../version.ts";
import type { OtelConfig } from "./otel_config.ts";
import { FetchTransport, MetricExporter, spanExporter } from "./otlp_exporters.ts";
import type { RunTracer, SpanAttributes, TraceSpan } from "./span_scope.ts";
import type { Telemetry } from "./telemetry_api.ts";

const log = getLogger(["ingest", "telemetry"]);

/** Longest string attribute value exported; longer ones are cut. */
const MAX_VALUE_CHARS = 1_000;

const URL_QUERY = /\b(https?:\/\/[^\s?#"'<>]+)[?#][^\s"'<>]*/gi;

/**
 * `text` fit for export: tokens, JWTs and signed parameters masked as in the logs, and every
 * URL's query string and fragment removed (pre-authenticated download URLs are credentials).
 */
export function exportableText(text: string): string {
  return redactText(text).replace(URL_QUERY, "$1").slice(0, MAX_VALUE_CHARS);
}

/**
 * Attributes as exported: `undefined` dropped, secret-named keys masked, strings scrubbed of
 * tokens and URL queries (a second guard: callers never pass URLs with queries).
 */
export function cleanAttributes(attributes: SpanAttributes): Attributes {
  const out: Attributes = {};
  for (const [key, value] of Object.entries(attributes)) {
    if (value === undefined) continue;
    if (isSecretKey(key)) out[key] = REDACTED;
    else if (typeof value === "string") out[key] = exportableText(value);
    else out[key] = value;
  }
  return out;
}

/** The spans of one run still open, so that ending the run ends them too. */
interface RunSpans {
  open: Set<SdkSpan>;
}

class SdkSpan implements TraceSpan {
  #span: Span;
  #tracer: Tracer;
  #run: RunSpans;
  #root: boolean;
  #ended = false;
  #onEnd: ((span: Span) => void) | undefined;

  constructor(span: Span, tracer: Tracer, run: RunSpans, onEnd?: (span: Span) => void) {
    this.#span = span;
    this.#tracer = tracer;
    this.#run = run;
    this.#root = onEnd !== undefined;
    this.#onEnd = onEnd;
    if (!this.#root) run.open.add(this);
  }

  get traceId(): string {
    return this.#span.spanContext().traceId;
  }

  get spanId(): string {
    return this.#span.spanContext().spanId;
  }

  setAttributes(attributes: SpanAttributes): void {
    this.#span.setAttributes(cleanAttributes(attributes));
  }

  addEvent(name: string, attributes: SpanAttributes = {}): void {
    this.#span.addEvent(name, cleanAttributes(attributes));
  }

  fail(error: unknown): void {
    const message = exportableText(describeError(error));
    this.#span.setStatus({ code: SpanStatusCode.ERROR, message });
    this.#span.setAttribute(
      "error.type",
      error instanceof Error ? error.name : typeof error,
    );
  }

  child(name: string, attributes: SpanAttributes = {}): TraceSpan {
    const span = this.#tracer.startSpan(
      name,
      { kind: SpanKind.INTERNAL, attributes: cleanAttributes(attributes) },
      trace.setSpan(ROOT_CONTEXT, this.#span),
    );
    return new SdkSpan(span, this.#tracer, this.#run);
  }

  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#run.open.delete(this);
    if (this.#root) {
      for (const open of [...this.#run.open]) {
        open.setAttributes({ "ingest.unfinished": true });
        open.end();
      }
      this.#onEnd?.(this.#span);
    }
    this.#span.end();
  }
}

/** Seed metric names end in their unit; OTLP carries it apart. */
function unitOf(name: string): string | undefined {
  if (name.endsWith(".ms")) return "ms";
  if (name.endsWith(".seconds")) return "s";
  if (name.startsWith("syncjob.bytes")) return "By";
  return undefined;
}

/** Turns {@link Metrics} changes into OTLP counters and gauges (created on first sight). */
class MetricsBridge {
  #meter: Meter;
  #counters = new Map<string, Counter>();
  #gauges = new Map<string, Gauge>();

  constructor(meter: Meter) {
    this.#meter = meter;
  }

  record(change: MetricChange): void {
    const unit = unitOf(change.name);
    const options = { description: change.help, ...(unit ? { unit } : {}) };
    if (change.kind === "counter") {
      let counter = this.#counters.get(change.name);
      if (!counter) {
        this.#counters.set(change.name, counter = this.#meter.createCounter(change.name, options));
      }
      counter.add(change.by, change.labels);
    } else {
      let gauge = this.#gauges.get(change.name);
      if (!gauge) {
        this.#gauges.set(change.name, gauge = this.#meter.createGauge(change.name, options));
      }
      gauge.record(change.by, change.labels);
    }
  }
}

/** Telemetry that is on. */
export class OtelTelemetry implements Telemetry {
  readonly enabled = true;
  #config: OtelConfig;
  #transports: FetchTransport[] = [];
  #tracerProvider: TracerProvider | undefined;
  #meterProvider: MeterProvider | undefined;
  #bridge: MetricsBridge | undefined;
  #unobserve: (() => void)[] = [];
  #closing: Promise<void> | undefined;
  #onClose: () => void;

  constructor(config: OtelConfig, fetchFn: typeof fetch, onClose: () => void = () => {}) {
    this.#config = config;
    this.#onClose = onClose;
    const resource = resourceFromAttributes(config.resource);
    if (config.traces) {
      const transport = new FetchTransport(config.traces, fetchFn, "traces");
      this.#transports.push(transport);
      this.#tracerProvider = new TracerProvider({
        resource,
        spanProcessors: [
          new BatchSpanProcessor({
            exporter: spanExporter(config.traces, transport),
            exportTimeoutMillis: config.traces.timeoutMs,
          }),
        ],
      });
    }
    if (config.metrics) {
      const transport = new FetchTransport(config.metrics, fetchFn, "metrics");
      this.#transports.push(transport);
      this.#meterProvider = new MeterProvider({
        resource,
        readers: [
          new PeriodicExportingMetricReader({
            exporter: new MetricExporter(config.metrics, transport),
            exportIntervalMillis: config.metricIntervalMs,
            exportTimeoutMillis: Math.min(config.metrics.timeoutMs, config.metricIntervalMs),
          }),
        ],
      });
      this.#bridge = new MetricsBridge(this.#meterProvider.getMeter("ingest", VERSION));
    }
  }

  forJob(job: string, metrics: Metrics): RunTracer | undefined {
    const bridge = this.#bridge;
    if (bridge) this.#unobserve.push(metrics.observe((change) => bridge.record(change)));
    const tracer = this.#tracerProvider?.getTracer("ingest", VERSION);
    if (!tracer) return undefined;
    return {
      startRun: (attributes) => {
        const span = tracer.startSpan(
          "ingest.run",
          {
            kind: SpanKind.INTERNAL,
            attributes: cleanAttributes({ ...attributes, "ingest.job": job }),
          },
          ROOT_CONTEXT,
        );
        return new SdkSpan(span, tracer, { open: new Set() }, () => {});
      },
    };
  }

  async flush(): Promise<void> {
    await this.#within(
      Promise.allSettled([
        this.#tracerProvider?.forceFlush(),
        this.#meterProvider?.forceFlush(),
      ]),
    );
  }

  shutdown(): Promise<void> {
    this.#closing ??= this.#shutdown();
    return this.#closing;
  }

  async #shutdown(): Promise<void> {
    for (const unobserve of this.#unobserve) unobserve();
    const done = await this.#within(
      Promise.allSettled([this.#tracerProvider?.shutdown(), this.#meterProvider?.shutdown()]),
    );
    if (!done) {
      log.warn("Telemetry not exported within {deadline_ms} ms of the end: dropped", {
        deadline_ms: this.#config.exitFlushMs,
      });
      for (const transport of this.#transports) transport.abort();
    }
    this.#onClose();
  }

  /** True when `work` settled within the exit deadline. */
  async #within(work: Promise<unknown>): Promise<boolean> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const deadline = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), this.#config.exitFlushMs);
    });
    try {
      return await Promise.race([work.then(() => true), deadline]);
    } finally {
      clearTimeout(timer);
    }
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.shutdown();
  }
}
