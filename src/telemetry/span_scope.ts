/**
 * The tracing hooks the rest of the code calls: the span of the code running now, child spans,
 * span events and attributes. It imports no OpenTelemetry module: when telemetry is off no span
 * is ever current, and every hook is one lookup that finds nothing (zero cost, no SDK loaded).
 *
 * The run span is made current by `executeRun` through {@link runInSpan}; everything the run
 * awaits (token, DB query, listing, downloads, throttle waits) finds it, or a child of it,
 * through the async context, so the lower layers need no tracer parameter.
 * @module
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { withContext } from "@logtape/logtape";

/** Attribute values a span takes; `undefined` entries are dropped. */
export type SpanAttributes = Record<string, string | number | boolean | undefined>;

/** One span as the hooks see it (an OpenTelemetry span behind it when telemetry is on). */
export interface TraceSpan {
  readonly traceId: string;
  readonly spanId: string;
  setAttributes(attributes: SpanAttributes): void;
  addEvent(name: string, attributes?: SpanAttributes): void;
  /** Marks the span failed with the error's (redacted) one-line description. */
  fail(error: unknown): void;
  /** Starts a child span; it is not made current (see {@link runInSpan}). */
  child(name: string, attributes?: SpanAttributes): TraceSpan;
  /** Ends the span; later calls do nothing. */
  end(): void;
}

/** Starts the root span of one run; one per job (the job's attributes are already set). */
export interface RunTracer {
  startRun(attributes: SpanAttributes): TraceSpan;
}

const current = new AsyncLocalStorage<TraceSpan>();

/** The span of the code running now; undefined when telemetry is off or outside a run. */
export function activeSpan(): TraceSpan | undefined {
  return current.getStore();
}

/**
 * Runs `fn` with `span` current. Log records emitted meanwhile carry `trace_id` and `span_id`,
 * so log lines and traces join.
 */
export function runInSpan<T>(span: TraceSpan, fn: () => Promise<T>): Promise<T> {
  return current.run(
    span,
    () => withContext({ trace_id: span.traceId, span_id: span.spanId }, fn),
  );
}

/**
 * Runs `fn` in a child span `name` of the current span, ending it when `fn` settles (failed
 * when it throws). Without a current span it just runs `fn` with `undefined`.
 */
export async function inSpan<T>(
  name: string,
  attributes: SpanAttributes,
  fn: (span: TraceSpan | undefined) => Promise<T>,
): Promise<T> {
  const parent = current.getStore();
  if (parent === undefined) return await fn(undefined);
  const span = parent.child(name, attributes);
  try {
    return await runInSpan(span, () => fn(span));
  } catch (error) {
    span.fail(error);
    throw error;
  } finally {
    span.end();
  }
}

/**
 * Starts a child span of the current span without making it current, for a step whose start
 * and end lie in different statements; end it with `?.end()`. An unended child is ended with
 * its run span.
 */
export function startChildSpan(name: string, attributes: SpanAttributes = {}) {
  return current.getStore()?.child(name, attributes);
}

/** Adds an event (a throttling wait, a retry) to the current span, if any. */
export function spanEvent(name: string, attributes: SpanAttributes = {}): void {
  current.getStore()?.addEvent(name, attributes);
}

/** Sets attributes on the current span, if any. */
export function setSpanAttributes(attributes: SpanAttributes): void {
  current.getStore()?.setAttributes(attributes);
}
