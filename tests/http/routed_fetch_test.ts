import assert from "node:assert/strict";
import { RoutedFetch } from "../../src/http/routed_fetch.ts";

interface FakeClient extends Deno.HttpClient {
  options: Deno.CreateHttpClientOptions;
  closed: boolean;
}

function harness() {
  const clients: FakeClient[] = [];
  const calls: { url: string; client: unknown }[] = [];
  const createHttpClient = (options: Deno.CreateHttpClientOptions) => {
    const client = { options, closed: false } as unknown as FakeClient;
    client.close = () => void (client.closed = true);
    clients.push(client);
    return client;
  };
  const fetch = ((input: string | URL | Request, init?: RequestInit & { client?: unknown }) => {
    calls.push({ url: String(input instanceof Request ? input.url : input), client: init?.client });
    return Promise.resolve(new Response("ok"));
  }) as typeof globalThis.fetch;
  return { clients, calls, createHttpClient, fetch };
}

Deno.test("RoutedFetch: nothing configured makes no client and passes requests through", async () => {
  const h = harness();
  using routed = new RoutedFetch({
    plan: { env: {} },
    fetch: h.fetch,
    createHttpClient: h.createHttpClient,
  });
  await routed.fetch("https://graph.microsoft.com/v1.0/sites");
  assert.equal(h.clients.length, 0);
  assert.equal(h.calls[0]!.client, undefined);
});

Deno.test("RoutedFetch: ca_file alone gives every request one client with the extra roots", async () => {
  const h = harness();
  using routed = new RoutedFetch({
    plan: { env: {} },
    fetch: h.fetch,
    caCerts: ["-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----\n"],
    createHttpClient: h.createHttpClient,
  });
  await routed.fetch("https://login.microsoftonline.com/t/oauth2/v2.0/token");
  await routed.fetch(new URL("https://db.corp.local/x"));
  assert.equal(h.clients.length, 1);
  assert.deepEqual(h.clients[0]!.options.caCerts?.length, 1);
  assert.equal(h.clients[0]!.options.proxy, undefined);
  assert.equal(h.calls[0]!.client, h.clients[0]);
  assert.equal(h.calls[1]!.client, h.clients[0]);
});

Deno.test("RoutedFetch: proxy_url and no_proxy pick the client per destination, then close", async () => {
  const h = harness();
  const routed = new RoutedFetch({
    plan: {
      proxy: { url: "http://proxy.corp:8080/", username: "svc" },
      noProxy: [".corp.local"],
      env: {},
    },
    fetch: h.fetch,
    proxyPassword: "pw-from-file",
    createHttpClient: h.createHttpClient,
  });
  const [proxied, direct] = h.clients;
  assert.deepEqual(proxied!.options.proxy, {
    url: "http://proxy.corp:8080/",
    basicAuth: { username: "svc", password: "pw-from-file" },
  });
  assert.equal(direct!.options.proxy, undefined);
  await routed.fetch("https://graph.microsoft.com/v1.0/sites");
  await routed.fetch(new Request("https://db.corp.local/ingested"));
  assert.equal(h.calls[0]!.client, proxied);
  assert.equal(h.calls[1]!.client, direct);
  routed.close();
  assert.ok(proxied!.closed && direct!.closed);
  await assert.rejects(routed.fetch("https://graph.microsoft.com/"), /clients are closed/);
});
