/**
 * A loopback OTLP/HTTP receiver (http/json) for the telemetry tests: it keeps every request
 * body and headers, and flattens the spans and metric data points it received.
 */

/** One received export request. */
export interface OtlpRequest {
  path: string;
  contentType: string;
  headers: Headers;
  body: string;
}

/** A span as received (JSON encoding: ids are hex, attributes are `{key, value}` pairs). */
export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  attributes: Record<string, unknown>;
  events: { name: string; attributes: Record<string, unknown> }[];
  status: { code?: number; message?: string };
}

/** One metric data point as received. */
export interface ReceivedPoint {
  name: string;
  attributes: Record<string, unknown>;
  value: number;
}

// deno-lint-ignore no-explicit-any
type Json = any;

function anyValue(value: Json): unknown {
  if (value === undefined || value === null) return undefined;
  if ("stringValue" in value) return value.stringValue;
  if ("intValue" in value) return Number(value.intValue);
  if ("doubleValue" in value) return value.doubleValue;
  if ("boolValue" in value) return value.boolValue;
  return value;
}

function attributes(list: Json[] | undefined): Record<string, unknown> {
  return Object.fromEntries((list ?? []).map((a: Json) => [a.key, anyValue(a.value)]));
}

/** A running receiver; `url` is its base (give it as OTEL_EXPORTER_OTLP_ENDPOINT). */
export class OtlpReceiver implements AsyncDisposable {
  readonly requests: OtlpRequest[] = [];
  #server: Deno.HttpServer<Deno.NetAddr>;
  /** When set, requests wait for this long before the answer (a slow collector). */
  delayMs = 0;
  #closing = new AbortController();

  constructor(status = 200) {
    this.#server = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen: () => {} },
      async (request) => {
        const body = await request.text();
        this.requests.push({
          path: new URL(request.url).pathname,
          contentType: request.headers.get("content-type") ?? "",
          headers: request.headers,
          body,
        });
        if (this.delayMs > 0) await this.#pause(this.delayMs);
        return new Response("{}", { status, headers: { "content-type": "application/json" } });
      },
    );
  }

  #pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.#closing.signal.addEventListener("abort", () => {
        clearTimeout(timer);
        resolve();
      }, { once: true });
    });
  }

  get url(): string {
    return `http://127.0.0.1:${this.#server.addr.port}`;
  }

  /** Every span of every trace request. */
  spans(): ReceivedSpan[] {
    return this.requests.filter((r) => r.path === "/v1/traces").flatMap((r) =>
      JSON.parse(r.body).resourceSpans.flatMap((rs: Json) =>
        rs.scopeSpans.flatMap((ss: Json) =>
          ss.spans.map((s: Json) => ({
            traceId: s.traceId,
            spanId: s.spanId,
            parentSpanId: s.parentSpanId ?? "",
            name: s.name,
            attributes: attributes(s.attributes),
            events: (s.events ?? []).map((e: Json) => ({
              name: e.name,
              attributes: attributes(e.attributes),
            })),
            status: s.status ?? {},
          }))
        )
      )
    );
  }

  /** Resource attributes of the first request. */
  resource(): Record<string, unknown> {
    const first = this.requests[0];
    if (!first) return {};
    const parsed = JSON.parse(first.body);
    const resource = (parsed.resourceSpans ?? parsed.resourceMetrics)[0].resource;
    return attributes(resource.attributes);
  }

  /** Every data point of every metrics request (sums and gauges). */
  points(): ReceivedPoint[] {
    return this.requests.filter((r) => r.path === "/v1/metrics").flatMap((r) =>
      JSON.parse(r.body).resourceMetrics.flatMap((rm: Json) =>
        rm.scopeMetrics.flatMap((sm: Json) =>
          sm.metrics.flatMap((m: Json) =>
            (m.sum ?? m.gauge ?? { dataPoints: [] }).dataPoints.map((p: Json) => ({
              name: m.name,
              attributes: attributes(p.attributes),
              value: p.asInt !== undefined ? Number(p.asInt) : p.asDouble,
            }))
          )
        )
      )
    );
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.#closing.abort();
    await this.#server.shutdown();
  }
}
