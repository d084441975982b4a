/**
 * Hosts one simulated endpoint on a loopback `Deno.serve` server and does what every server of
 * the simulator shares: log the request, pick and apply a scripted fault, tag Graph-style
 * request ids, and turn handler crashes into 500 answers.
 * @module
 */
import { type FaultPlan, isBodyFault, pause, resetResponse, withBodyFault } from "./faults.ts";
import type { RequestLog, SimServerName } from "./request_log.ts";
import type { RequestIds } from "./responses.ts";
import type { Fault } from "./types.ts";

/** Per-request facts handed to an endpoint. */
export interface RequestContext {
  ids: RequestIds;
  /** Simulator clock when the request arrived. */
  now: number;
  /** Aborts when the simulator closes. */
  closing: AbortSignal;
}

/** Faults an endpoint answers itself (the answer replaces the normal one). */
export type AnswerFault = Extract<Fault, { kind: "status" | "expire-token" | "expire-url" }>;

/** One of the simulator's servers. */
export interface Endpoint {
  readonly server: SimServerName;
  /** The normal answer. */
  handle(request: Request, context: RequestContext): Response | Promise<Response>;
  /** The answer for a fault that replaces it. */
  faultAnswer(fault: AnswerFault, request: Request, context: RequestContext): Response;
  /** Name of the file `url` addresses, for `FaultMatch.file`. */
  fileName?(url: URL): string | undefined;
}

/** Shared facilities of the simulator's servers. */
export interface HostOptions {
  port: number;
  log: RequestLog;
  faults: FaultPlan;
  now: () => number;
  closing: AbortSignal;
  /** Serve HTTPS with this certificate and key (PEM) instead of HTTP. */
  tls?: { certificatePem: string; privateKeyPem: string } | undefined;
}

function decodedPath(url: URL): string {
  try {
    return decodeURIComponent(url.pathname);
  } catch {
    return url.pathname;
  }
}

async function answer(
  endpoint: Endpoint,
  request: Request,
  context: RequestContext,
  fault: Fault | undefined,
): Promise<Response> {
  if (fault?.kind === "delay") await pause(fault.ms, context.closing);
  if (fault?.kind === "reset") return resetResponse();
  if (fault?.kind === "status" || fault?.kind === "expire-token" || fault?.kind === "expire-url") {
    return endpoint.faultAnswer(fault, request, context);
  }
  if (fault?.kind === "ignore-range") {
    const headers = new Headers(request.headers);
    headers.delete("range");
    request = new Request(request.url, { method: request.method, headers });
  }
  const response = await endpoint.handle(request, context);
  return fault && isBodyFault(fault) ? withBodyFault(response, fault, context.closing) : response;
}

/**
 * Starts `endpoint` on 127.0.0.1 (port 0 = any free port), over HTTPS when `options.tls` is
 * given; stop it with `shutdown()`.
 */
export function serveEndpoint(
  endpoint: Endpoint,
  options: HostOptions,
): Deno.HttpServer<Deno.NetAddr> {
  return Deno.serve({
    hostname: "127.0.0.1",
    port: options.port,
    ...(options.tls ? { cert: options.tls.certificatePem, key: options.tls.privateKeyPem } : {}),
    onListen: () => {},
    // Body streams that a fault breaks on purpose end up here; they are not errors of the simulator.
    onError: () => new Response(null, { status: 500 }),
  }, async (request) => {
    const now = options.now();
    const entry = options.log.start(endpoint.server, request, now);
    const url = new URL(request.url);
    const requestId = crypto.randomUUID();
    const context: RequestContext = {
      ids: { requestId, clientRequestId: request.headers.get("client-request-id") ?? requestId },
      now,
      closing: options.closing,
    };
    const fault = options.faults.pick({
      server: endpoint.server,
      path: decodedPath(url),
      file: endpoint.fileName?.(url),
    });
    let response: Response;
    try {
      response = await answer(endpoint, request, context, fault);
    } catch (error) {
      response = new Response(`Simulator error: ${String(error)}`, { status: 500 });
    }
    options.log.finish(entry, fault?.kind === "reset" ? 0 : response.status, fault?.kind);
    return response;
  });
}
