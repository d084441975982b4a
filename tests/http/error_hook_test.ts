import assert from "node:assert/strict";
import { z } from "zod";
import { systemClock } from "../../src/clock.ts";
import { GraphError, HttpError } from "../../src/errors.ts";
import { graphErrorHook } from "../../src/graph/graph_errors.ts";
import type { ErrorHook } from "../../src/http/http_error.ts";
import { type AuthProvider, Transport } from "../../src/http/transport.ts";

const schema = z.object({ value: z.number() });
const URL_A = "https://graph.example/v1.0/items?$top=5&tempauth=secret";

function transport(respond: (request: Request) => Response, onError?: ErrorHook) {
  const calls: Request[] = [];
  const fetch: typeof globalThis.fetch = (input, init) => {
    const request = new Request(input, init);
    calls.push(request);
    return Promise.resolve(respond(request));
  };
  const client = new Transport({
    fetch,
    clock: systemClock,
    requestTimeoutMs: 5000,
    maxRetries: 0,
    ...(onError ? { onError } : {}),
  });
  return { client, calls };
}

const envelope = () =>
  Response.json({ error: { code: "itemNotFound", message: "Not found." } }, { status: 404 });

Deno.test("Transport without an error hook raises HttpError: no Graph code, the URL redacted", async () => {
  const { client } = transport(envelope);
  const error = await client.json({ action: "list", url: URL_A }, schema).catch((e) => e);
  assert.ok(error instanceof HttpError && !(error instanceof GraphError), String(error));
  assert.equal(error.status, 404);
  assert.equal(error.code, undefined);
  assert.equal(error.url, "https://graph.example/v1.0/items?$top=5&tempauth=***");
  assert.ok(!error.message.includes("secret"), error.message);
});

Deno.test("Transport with Graph's hook raises the GraphError of the envelope", async () => {
  const { client } = transport(envelope, graphErrorHook);
  const error = await client.json({ action: "list", url: URL_A }, schema).catch((e) => e);
  assert.ok(error instanceof GraphError, String(error));
  assert.equal(error.code, "itemNotFound");
  assert.equal(error.message, "Cannot list: 404 itemNotFound Not found");
});

Deno.test("Transport classifies the hook's error: its code renews the token", async () => {
  let token = 1;
  const auth: AuthProvider = {
    authorization: () => Promise.resolve(`Bearer t${token}`),
    invalidate: () => void token++,
  };
  const expired: ErrorHook = ({ error, answer }) =>
    answer?.body === "expired"
      ? new HttpError(error.message, { status: answer.status, code: "InvalidAuthenticationToken" })
      : error;
  const { client, calls } = transport(
    (request) =>
      request.headers.get("authorization") === "Bearer t1"
        ? new Response("expired", { status: 401 })
        : Response.json({ value: 1 }),
    expired,
  );
  assert.deepEqual(await client.json({ action: "list", url: URL_A, auth }, schema), { value: 1 });
  assert.equal(calls.length, 2);
});

Deno.test("Transport gives a network failure and a wrong answer to the hook too", async () => {
  const failing: typeof globalThis.fetch = () =>
    Promise.reject(new TypeError("error sending request for url (https://graph.example/x?k=v)"));
  const plain = new Transport({
    fetch: failing,
    clock: systemClock,
    requestTimeoutMs: 5000,
    maxRetries: 0,
  });
  const network = await plain.text({ action: "list", url: URL_A }).catch((e) => e);
  assert.ok(network instanceof HttpError && !(network instanceof GraphError), String(network));
  assert.match(network.message, /^Cannot list: cannot reach https:\/\/graph\.example: /);
  assert.ok(!network.message.includes("k=v"), network.message);
  const { client } = transport(() => Response.json({ value: "x" }), graphErrorHook);
  const invalid = await client.json({ action: "list", url: URL_A }, schema).catch((e) => e);
  assert.ok(invalid instanceof GraphError, String(invalid));
  assert.match(invalid.message, /^Cannot list: unexpected answer: .* at value$/);
});

Deno.test("Transport without a throttle gate does not wait on a throttled answer", async () => {
  const { client, calls } = transport(() =>
    new Response("slow down", { status: 429, headers: { "retry-after": "30" } })
  );
  const error = await client.text({ action: "ask", url: URL_A }).catch((e) => e);
  assert.ok(error instanceof HttpError, String(error));
  assert.equal(error.status, 429);
  assert.equal(calls.length, 1);
});
