import assert from "node:assert/strict";
import { z } from "zod";
import { AbortedError, GraphError, ThrottledError, TimeoutError } from "../../src/errors.ts";
import { ThrottleGate } from "../../src/http/throttle_gate.ts";
import { graphErrorHook } from "../../src/graph/graph_errors.ts";
import { type AuthProvider, Transport } from "../../src/http/transport.ts";
import { USER_AGENT } from "../../src/version.ts";
import { graphError, hang, json, type Responder, scriptedFetch } from "./fetch_script.ts";
import { settle, SteppedClock } from "../helpers/clocks.ts";

function setup(responder: Responder, options: { maxWaitMs?: number; maxRetries?: number } = {}) {
  const clock = new SteppedClock();
  const { fetch, calls } = scriptedFetch(clock, responder);
  const gate = new ThrottleGate({ clock, maxWaitMs: options.maxWaitMs ?? 60_000 });
  const transport = new Transport({
    fetch,
    clock,
    onError: graphErrorHook,
    gate,
    requestTimeoutMs: 10_000,
    random: () => 0,
    maxRetries: options.maxRetries ?? 2,
    backoff: { baseMs: 100, maxMs: 1000 },
  });
  return { clock, calls, gate, transport };
}

class CountingAuth implements AuthProvider {
  token = 1;
  invalidated = 0;
  authorization(): Promise<string> {
    return Promise.resolve(`Bearer token-${this.token}`);
  }
  invalidate(): void {
    this.invalidated++;
    this.token++;
  }
}

const schema = z.object({ value: z.number() });
const URL_A = "https://graph.example/v1.0/drives/d/items/i/children?$top=1000";

Deno.test("Transport sends the User-Agent and parses JSON with the schema", async () => {
  const { transport, calls } = setup(() => json({ value: 7, extra: "tolerated" }));
  const data = await transport.json({ action: "list", url: URL_A }, schema);
  assert.deepEqual(data, { value: 7 });
  assert.equal(calls[0]?.headers.get("user-agent"), USER_AGENT);
  assert.match(USER_AGENT, /ingest\/\d+\.\d+\.\d+$/);
  assert.equal(calls[0]?.headers.get("authorization"), null, "no token unless asked");
});

Deno.test("Transport decodes Graph errors: status, code, nested inner code, request id", async () => {
  const { transport } = setup(() =>
    json({
      error: {
        code: "itemNotFound",
        message: "The resource could not be found.",
        innererror: {
          code: "invalidPath",
          innerError: { code: "pathIsTooLong", "request-id": "abc" },
        },
      },
    }, 404)
  );
  const error = await transport.json({ action: 'get folder "/x"', url: URL_A }, schema).catch((e) =>
    e
  );
  assert.ok(error instanceof GraphError);
  assert.equal(
    error.message,
    'Cannot get folder "/x": 404 itemNotFound The resource could not be found',
  );
  assert.equal(error.status, 404);
  assert.equal(error.code, "itemNotFound");
  assert.equal(error.innerCode, "pathIsTooLong");
  assert.equal(error.requestId, "abc");
  assert.equal(error.method, "GET");
  assert.equal(error.url, URL_A);
});

Deno.test("Transport keeps query secrets out of error URLs and messages", async () => {
  const secretUrl = "https://files.example/download.aspx?UniqueId=1&tempauth=SECRET&$top=5";
  const { transport } = setup(() => {
    throw new TypeError(`error sending request for url (${secretUrl}): connection refused`);
  }, { maxRetries: 0 });
  const error = await transport.open({ action: 'download "a"', url: secretUrl }).catch((e) => e);
  assert.ok(error instanceof GraphError);
  assert.doesNotMatch(error.message, /SECRET/);
  assert.doesNotMatch(String((error.cause as Error).message), /SECRET/);
  assert.equal(error.url, "https://files.example/download.aspx?UniqueId=***&tempauth=***&$top=5");
  assert.match(error.message, /^Cannot download "a": cannot reach https:\/\/files.example: /);
});

Deno.test("Transport honours Retry-After on 429 before sending again", async () => {
  const { transport, calls, clock } = setup((_, n) =>
    n === 0
      ? graphError(429, "activityLimitReached", "The request has been throttled", {
        "retry-after": "2.5",
      })
      : json({ value: 1 })
  );
  const start = clock.now();
  const data = await clock.run(transport.json({ action: "list", url: URL_A }, schema));
  assert.deepEqual(data, { value: 1 });
  assert.equal(calls.length, 2);
  assert.equal(calls[1]!.at - start, 2500);
});

Deno.test("Transport pauses other requests while one is throttled", async () => {
  const { transport, calls, clock } = setup((call) =>
    call.url.endsWith("/a") && calls.filter((c) => c.url.endsWith("/a")).length === 1
      ? graphError(503, "serviceNotAvailable", "busy", { "retry-after": "3" })
      : json({ value: 1 })
  );
  const start = clock.now();
  const first = transport.json({ action: "a", url: "https://graph.example/a" }, schema);
  await settle();
  const second = transport.json({ action: "b", url: "https://graph.example/b" }, schema);
  await clock.run(Promise.all([first, second]));
  const b = calls.find((c) => c.url.endsWith("/b"))!;
  assert.equal(b.at - start, 3000, "the unthrottled request waited for the gate too");
  assert.equal(calls.filter((c) => c.at - start < 3000).length, 1);
});

Deno.test("Transport backs off exponentially on 429 without Retry-After", async () => {
  const { transport, calls, clock } = setup((_, n) =>
    n < 2 ? graphError(429, "TooManyRequests", "slow down") : json({ value: 1 })
  );
  const start = clock.now();
  await clock.run(transport.json({ action: "list", url: URL_A }, schema));
  assert.deepEqual(calls.map((c) => c.at - start), [0, 50, 150]);
});

Deno.test("Transport gives up with ThrottledError past the wait budget", async () => {
  const { transport, calls, clock } = setup(
    () => graphError(429, "activityLimitReached", "throttled", { "retry-after": "4" }),
    { maxWaitMs: 10_000 },
  );
  const error = await clock.run(transport.json({ action: "list", url: URL_A }, schema)).catch((e) =>
    e
  );
  assert.ok(error instanceof ThrottledError);
  assert.equal(error.waitedMs, 8000);
  assert.equal(calls.length, 3);
  assert.ok(error.cause instanceof GraphError);
  assert.equal((error.cause as GraphError).code, "activityLimitReached");
});

Deno.test("Transport retries 5xx with backoff, then reports the last error", async () => {
  const { transport, calls, clock } = setup(() => new Response("upstream down", { status: 502 }));
  const start = clock.now();
  const error = await clock.run(transport.json({ action: "list", url: URL_A }, schema)).catch((e) =>
    e
  );
  assert.ok(error instanceof GraphError);
  assert.equal(error.message, "Cannot list: 502 upstream down");
  assert.deepEqual(calls.map((c) => c.at - start), [0, 50, 150]);
});

Deno.test("Transport renews the token once on 401 InvalidAuthenticationToken", async () => {
  const auth = new CountingAuth();
  const { transport, calls } = setup((call) =>
    call.headers.get("authorization") === "Bearer token-1"
      ? graphError(
        401,
        "InvalidAuthenticationToken",
        "Access token has expired or is not yet valid.",
      )
      : json({ value: 2 })
  );
  const data = await transport.json({ action: "list", url: URL_A, auth }, schema);
  assert.deepEqual(data, { value: 2 });
  assert.equal(auth.invalidated, 1);
  assert.deepEqual(calls.map((c) => c.headers.get("authorization")), [
    "Bearer token-1",
    "Bearer token-2",
  ]);
});

Deno.test("Transport does not renew the token twice for one request", async () => {
  const auth = new CountingAuth();
  const { transport, calls } = setup(() =>
    graphError(401, "InvalidAuthenticationToken", "Access token validation failure.")
  );
  const error = await transport.json({ action: "list", url: URL_A, auth }, schema).catch((e) => e);
  assert.ok(error instanceof GraphError);
  assert.equal(error.status, 401);
  assert.equal(auth.invalidated, 1);
  assert.equal(calls.length, 2);
});

Deno.test("Transport times out a request without an answer", async () => {
  const { transport, calls, clock } = setup((_, __, signal) => hang(signal), { maxRetries: 1 });
  const error = await clock.run(transport.json({ action: "list", url: URL_A }, schema)).catch((e) =>
    e
  );
  assert.ok(error instanceof TimeoutError);
  assert.match(error.message, /^Cannot list: no answer for 10 s \(request_timeout_seconds\)$/);
  assert.equal(calls.length, 2, "a timeout is retried like a network failure");
  assert.equal(clock.pending, 0, "no timer is left behind");
});

Deno.test("Transport turns an abort into AbortedError without retrying", async () => {
  const controller = new AbortController();
  const { transport, calls } = setup((_, __, signal) => hang(signal));
  const pending = transport.json({ action: "list", url: URL_A, signal: controller.signal }, schema);
  await settle();
  controller.abort();
  await assert.rejects(pending, AbortedError);
  assert.equal(calls.length, 1);
});

Deno.test("Transport hands back pass-through statuses such as a 302", async () => {
  const { transport } = setup(() =>
    new Response(null, { status: 302, headers: { location: "https://files.example/x" } })
  );
  const response = await transport.open({
    action: "download",
    url: URL_A,
    redirect: "manual",
    passStatuses: [302],
  });
  assert.equal(response.status, 302);
  assert.equal(response.headers.get("location"), "https://files.example/x");
});

Deno.test("Transport rejects answers that do not match the schema", async () => {
  const { transport } = setup(() => json({ value: "seven" }));
  const error = await transport.json({ action: "list", url: URL_A }, schema).catch((e) => e);
  assert.ok(error instanceof GraphError);
  assert.match(error.message, /^Cannot list: unexpected answer: .* at value$/);
});

/** A signal that counts the abort listeners currently attached to it. */
function countingSignal(): { controller: AbortController; listeners: () => number } {
  const controller = new AbortController();
  const signal = controller.signal;
  let attached = 0;
  const add = signal.addEventListener.bind(signal);
  const remove = signal.removeEventListener.bind(signal);
  signal.addEventListener = ((...args: Parameters<typeof add>) => {
    attached++;
    add(...args);
  }) as typeof signal.addEventListener;
  signal.removeEventListener = ((...args: Parameters<typeof remove>) => {
    attached--;
    remove(...args);
  }) as typeof signal.removeEventListener;
  return { controller, listeners: () => attached };
}

Deno.test("Transport leaves no listener on the caller's signal after a buffered request", async () => {
  const { controller, listeners } = countingSignal();
  const { transport, clock } = setup(() => json({ value: 1 }));
  for (let i = 0; i < 3; i++) {
    await transport.json({ action: "list", url: URL_A, signal: controller.signal }, schema);
  }
  assert.equal(listeners(), 0);
  assert.equal(clock.pending, 0, "no timeout timer is left behind");
});

Deno.test("Transport keeps a streamed body bound to the caller's signal after the headers", async () => {
  const { controller } = countingSignal();
  let fetchSignal: AbortSignal | undefined;
  const { transport, clock } = setup((_, __, signal) => {
    fetchSignal = signal;
    return new Response(new ReadableStream({ start() {} }));
  });
  const response = await transport.open({
    action: "download",
    url: URL_A,
    signal: controller.signal,
  });
  assert.equal(clock.pending, 0, "the header timeout is stopped once the answer arrived");
  assert.equal(fetchSignal?.aborted, false);
  controller.abort(new Error("stalled"));
  assert.equal(fetchSignal?.aborted, true, "the body's request signal follows the caller's");
  assert.equal((fetchSignal?.reason as Error).message, "stalled");
  await response.body?.cancel();
});
