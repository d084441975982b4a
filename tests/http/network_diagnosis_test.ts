import assert from "node:assert/strict";
import { networkAdvice, networkProblem } from "../../src/http/network_diagnosis.ts";
import {
  createTestCa,
  issueServerCertificate,
  type ServerCertificateOptions,
} from "../../src/sim/tls_certificates.ts";

const DAY = 86_400_000;

function fetchFailure(detail: string, url = "https://graph.example.com/v1.0/sites"): Error {
  return new TypeError("fetch failed", {
    cause: new Error(`error sending request for url (${url}): client error (Connect): ${detail}`),
  });
}

Deno.test("networkProblem reads Deno's certificate and proxy errors", () => {
  const cases: [string, Record<string, unknown> | undefined][] = [
    ["invalid peer certificate: UnknownIssuer", { kind: "tls", cause: "unknown issuer" }],
    [
      "invalid peer certificate: certificate expired: verification time 1 (UNIX), but certificate is not valid after 0",
      { kind: "tls", cause: "expired" },
    ],
    [
      'invalid peer certificate: certificate not valid for name "localhost"; certificate is only valid for DnsName("x")',
      { kind: "tls", cause: "name mismatch" },
    ],
    ["invalid peer certificate: BadSignature", { kind: "tls", cause: "not trusted" }],
    ["proxy authentication required", { kind: "proxy-auth" }],
    ["unsuccessful tunnel", { kind: "proxy-tunnel" }],
    ["unexpected eof while tunneling", { kind: "proxy-tunnel" }],
    ["tcp connect error: Connection refused (os error 111)", undefined],
  ];
  for (const [detail, expected] of cases) {
    const problem = networkProblem(fetchFailure(detail));
    if (expected === undefined) {
      assert.equal(problem, undefined, detail);
      continue;
    }
    for (const [key, value] of Object.entries(expected)) {
      assert.equal((problem as Record<string, unknown>)[key], value, detail);
    }
    assert.equal(problem?.host, "graph.example.com", detail);
  }
  assert.match(networkAdvice(fetchFailure("invalid peer certificate: UnknownIssuer"))!, /ca_file/);
  assert.match(
    networkAdvice(fetchFailure("proxy authentication required"))!,
    /proxy_password_file/,
  );
});

Deno.test("the simulator's certificates fail the way the diagnosis expects", async () => {
  const ca = await createTestCa();
  const now = Date.now();
  const cases: [string, ServerCertificateOptions, string | undefined, string | undefined][] = [
    ["trusted", {}, ca.certificatePem, undefined],
    ["unknown issuer", {}, undefined, "unknown issuer"],
    ["name mismatch", { names: ["other.example"] }, ca.certificatePem, "name mismatch"],
    [
      "expired",
      { notBefore: new Date(now - 10 * DAY), notAfter: new Date(now - DAY) },
      ca.certificatePem,
      "expired",
    ],
  ];
  for (const [name, options, trusted, expected] of cases) {
    const tls = await issueServerCertificate(ca, options);
    const server = Deno.serve({
      hostname: "127.0.0.1",
      port: 0,
      cert: tls.certificatePem,
      key: tls.privateKeyPem,
      onListen: () => {},
      onError: () => new Response(null, { status: 500 }),
    }, () => new Response("ok"));
    using client = Deno.createHttpClient(trusted ? { caCerts: [trusted] } : {});
    try {
      const response = await fetch(`https://localhost:${server.addr.port}/`, { client });
      assert.equal(await response.text(), "ok", name);
      assert.equal(expected, undefined, `${name}: the handshake should have failed`);
    } catch (error) {
      if (error instanceof assert.AssertionError) throw error;
      const problem = networkProblem(error);
      assert.equal(problem?.kind, "tls", `${name}: ${error}`);
      assert.equal(problem?.kind === "tls" && problem.cause, expected, name);
      assert.equal(problem?.host, `localhost:${server.addr.port}`, name);
    } finally {
      await server.shutdown();
    }
  }
});
