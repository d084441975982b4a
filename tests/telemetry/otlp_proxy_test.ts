/**
 * The exporters' requests take the same route as every other request: through `proxy_url`
 * unless `no_proxy` exempts the collector. The proxy here is a loopback forward proxy for plain
 * HTTP (absolute-form requests), recording what it forwarded.
 */
import assert from "node:assert/strict";
import { runMain } from "../helpers/cli_harness.ts";
import { OtlpReceiver } from "../helpers/otlp_receiver.ts";
import { simWorkspace } from "../helpers/sim_workspace.ts";
import { withoutProxyEnvironment } from "../helpers/proxy_env.ts";

/** A forward proxy for http:// targets: forwards each request and records its URL. */
function forwardProxy() {
  const forwarded: string[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (request) => {
    forwarded.push(request.url);
    return fetch(request.url, {
      method: request.method,
      headers: request.headers,
      body: request.body,
    });
  });
  return {
    forwarded,
    url: `http://127.0.0.1:${server.addr.port}`,
    [Symbol.asyncDispose]: () => server.shutdown(),
  };
}

Deno.test("exports go through proxy_url, and around it when no_proxy names the collector", async () => {
  using _clean = withoutProxyEnvironment();
  await using receiver = new OtlpReceiver();
  await using proxy = forwardProxy();
  await using ws = await simWorkspace();
  const env = {
    OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
  };
  await ws.writeSettings(`proxy_url = "${proxy.url}"`);
  const proxied = await runMain(["trigger", "--dry-run"], { cwd: ws.dir, env });
  assert.equal(proxied.code, 0, proxied.stderr);
  const otlp = proxy.forwarded.filter((url) => url.startsWith(receiver.url));
  assert.ok(otlp.some((url) => new URL(url).pathname === "/v1/traces"), "traces via the proxy");
  assert.equal(otlp.length, receiver.requests.length, "every export went through the proxy");
  assert.equal(receiver.spans().filter((s) => s.name === "ingest.run").length, 1);

  proxy.forwarded.length = 0;
  // The same collector named "localhost", which no_proxy exempts; Graph stays on 127.0.0.1.
  const local = receiver.url.replace("127.0.0.1", "localhost");
  await ws.writeSettings(`proxy_url = "${proxy.url}"\nno_proxy = ["localhost"]`);
  const direct = await runMain(["trigger", "--dry-run"], {
    cwd: ws.dir,
    env: { ...env, OTEL_EXPORTER_OTLP_ENDPOINT: local },
  });
  assert.equal(direct.code, 0, direct.stderr);
  assert.deepEqual(proxy.forwarded.filter((url) => url.startsWith(local)), []);
  assert.ok(proxy.forwarded.length > 0, "Graph still went through the proxy");
  assert.equal(receiver.spans().filter((s) => s.name === "ingest.run").length, 2);
});
