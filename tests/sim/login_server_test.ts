import assert from "node:assert/strict";
import { base64Url, createTestCertificate, pemBlock, toPem } from "../../src/sim/certificate.ts";
import { certificateSpki } from "../../src/sim/certificate.ts";
import { startSimulator } from "../../src/sim/simulator.ts";
import { GRAPH_SCOPE, requestToken, statusOf } from "./helpers.ts";

const ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

interface AadErrorBody {
  error: string;
  error_description: string;
  error_codes: number[];
  timestamp: string;
  trace_id: string;
  correlation_id: string;
  error_uri: string;
}

function secretForm(clientId: string, secret: string): Record<string, string> {
  return {
    client_id: clientId,
    client_secret: secret,
    scope: GRAPH_SCOPE,
    grant_type: "client_credentials",
  };
}

async function expectAadError(response: Response, status: number, error: string, code: number) {
  const body: AadErrorBody = await response.json();
  assert.equal(response.status, status);
  assert.equal(body.error, error);
  assert.deepEqual(body.error_codes, [code]);
  assert.match(body.error_description, new RegExp(`^AADSTS${code}: `));
  assert.match(
    body.error_description,
    /\r\nTrace ID: [0-9a-f-]{36}\r\nCorrelation ID: .+\r\nTimestamp: \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$/,
  );
  assert.match(body.timestamp, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$/);
  assert.equal(body.error_uri, `https://login.microsoftonline.com/error?code=${code}`);
  return body;
}

const encodeJson = (value: unknown) => base64Url(new TextEncoder().encode(JSON.stringify(value)));

/** A client assertion signed with `privateKeyPem`. */
async function assertion(options: {
  privateKeyPem: string;
  alg: "PS256" | "RS256";
  header: Record<string, string>;
  claims: Record<string, unknown>;
}): Promise<string> {
  const algorithm = options.alg === "PS256"
    ? { name: "RSA-PSS", saltLength: 32 }
    : { name: "RSASSA-PKCS1-v1_5" };
  const key = await crypto.subtle.importKey(
    "pkcs8",
    pemBlock(options.privateKeyPem, "PRIVATE KEY")! as BufferSource,
    { name: algorithm.name, hash: "SHA-256" },
    false,
    ["sign"],
  );
  const signingInput = `${encodeJson({ alg: options.alg, typ: "JWT", ...options.header })}.${
    encodeJson(options.claims)
  }`;
  const signature = await crypto.subtle.sign(
    algorithm,
    key,
    new TextEncoder().encode(signingInput),
  );
  return `${signingInput}.${base64Url(new Uint8Array(signature))}`;
}

const certificate = await createTestCertificate();

function claimsFor(
  sim: { authorityHost: string; tenantId: string; clientId: string },
  extra: Record<string, unknown> = {},
) {
  const now = Math.floor(Date.now() / 1000);
  return {
    aud: `${sim.authorityHost}/${sim.tenantId}/oauth2/v2.0/token`,
    iss: sim.clientId,
    sub: sim.clientId,
    jti: crypto.randomUUID(),
    nbf: now,
    exp: now + 600,
    ...extra,
  };
}

function assertionForm(clientId: string, jwt: string): Record<string, string> {
  return {
    client_id: clientId,
    client_assertion_type: ASSERTION_TYPE,
    client_assertion: jwt,
    scope: GRAPH_SCOPE,
    grant_type: "client_credentials",
  };
}

Deno.test("token endpoint issues a bearer token for the right client secret", async () => {
  await using sim = await startSimulator({ tokenLifetimeSeconds: 1234 });
  const response = await requestToken(sim, secretForm(sim.clientId, sim.clientSecret));
  const body = await response.json();
  assert.equal(response.status, 200);
  assert.equal(body.token_type, "Bearer");
  assert.equal(body.expires_in, 1234);
  assert.equal(body.ext_expires_in, 1234);
  assert.match(body.access_token, /^eyJ[\w-]+\.[\w-]+\.[\w-]+$/);
  assert.equal(response.headers.get("cache-control"), "no-store, no-cache");
});

Deno.test("token endpoint accepts the secret through HTTP Basic and the tenant's domain name", async () => {
  await using sim = await startSimulator();
  const basic = btoa(`${encodeURIComponent(sim.clientId)}:${encodeURIComponent(sim.clientSecret)}`);
  const response = await requestToken(
    sim,
    { scope: GRAPH_SCOPE, grant_type: "client_credentials" },
    {
      tenant: "contoso.onmicrosoft.com",
      headers: { authorization: `Basic ${basic}` },
    },
  );
  assert.equal(response.status, 200);
  assert.ok((await response.json()).access_token);
});

Deno.test("token endpoint answers AADSTS7000215 with HTTP 401 for a wrong secret", async () => {
  await using sim = await startSimulator();
  const response = await requestToken(sim, secretForm(sim.clientId, "not-the-secret"), {
    headers: { "client-request-id": "11111111-2222-3333-4444-555555555555" },
  });
  const body = await expectAadError(response, 401, "invalid_client", 7000215);
  assert.match(body.error_description, /Invalid client secret provided/);
  assert.equal(body.correlation_id, "11111111-2222-3333-4444-555555555555");
});

Deno.test("token endpoint rejects an unknown tenant, /common and /consumers", async () => {
  await using sim = await startSimulator();
  const form = secretForm(sim.clientId, sim.clientSecret);
  const unknown = await expectAadError(
    await requestToken(sim, form, { tenant: "fabrikam.onmicrosoft.com" }),
    400,
    "invalid_request",
    90002,
  );
  assert.match(unknown.error_description, /Tenant 'fabrikam.onmicrosoft.com' not found/);
  await expectAadError(
    await requestToken(sim, form, { tenant: "common" }),
    400,
    "invalid_request",
    9001023,
  );
  await expectAadError(
    await requestToken(sim, form, { tenant: "consumers" }),
    400,
    "invalid_request",
    9001023,
  );
});

Deno.test("token endpoint rejects an unknown client, a bad scope and missing parameters", async () => {
  await using sim = await startSimulator();
  const form = secretForm(sim.clientId, sim.clientSecret);
  await expectAadError(
    await requestToken(sim, { ...form, client_id: crypto.randomUUID() }),
    400,
    "unauthorized_client",
    700016,
  );
  await expectAadError(
    await requestToken(sim, { ...form, scope: "https://graph.microsoft.com/Sites.Read.All" }),
    400,
    "invalid_scope",
    70011,
  );
  const { grant_type: _, ...noGrant } = form;
  const missing = await expectAadError(
    await requestToken(sim, noGrant),
    400,
    "invalid_request",
    900144,
  );
  assert.match(missing.error_description, /'grant_type'/);
  const { scope: __, ...noScope } = form;
  await expectAadError(await requestToken(sim, noScope), 400, "invalid_request", 900144);
  await expectAadError(
    await requestToken(sim, { ...form, grant_type: "password" }),
    400,
    "unsupported_grant_type",
    70003,
  );
  const { client_secret: ___, ...noCredential } = form;
  await expectAadError(await requestToken(sim, noCredential), 401, "invalid_client", 7000218);
});

Deno.test("token endpoint accepts a PS256 client assertion with x5t#S256 and refuses its replay", async () => {
  await using sim = await startSimulator({ certificatePem: certificate.certificatePem });
  const jwt = await assertion({
    privateKeyPem: certificate.privateKeyPem,
    alg: "PS256",
    header: { "x5t#S256": certificate.x5tS256 },
    claims: claimsFor(sim),
  });
  const first = await requestToken(sim, assertionForm(sim.clientId, jwt));
  assert.equal(first.status, 200);
  assert.ok((await first.json()).access_token);
  const replay = await expectAadError(
    await requestToken(sim, assertionForm(sim.clientId, jwt)),
    401,
    "invalid_client",
    700027,
  );
  assert.match(replay.error_description, /jti/);
});

Deno.test("token endpoint accepts an RS256 assertion with x5t and the login.microsoftonline.com audience", async () => {
  await using sim = await startSimulator({ certificatePem: certificate.certificatePem });
  const jwt = await assertion({
    privateKeyPem: certificate.privateKeyPem,
    alg: "RS256",
    header: { x5t: certificate.x5t },
    claims: claimsFor(sim, {
      aud: `https://login.microsoftonline.com/${sim.tenantId}/oauth2/v2.0/token`,
    }),
  });
  assert.equal(await statusOf(requestToken(sim, assertionForm(sim.clientId, jwt))), 200);
});

Deno.test("token endpoint refuses assertions with a wrong thumbprint, key, audience, subject or time", async () => {
  await using sim = await startSimulator({ certificatePem: certificate.certificatePem });
  const other = await createTestCertificate();
  const sign = (
    overrides: { key?: string; header?: Record<string, string>; claims?: Record<string, unknown> },
  ) =>
    assertion({
      privateKeyPem: overrides.key ?? certificate.privateKeyPem,
      alg: "PS256",
      header: overrides.header ?? { "x5t#S256": certificate.x5tS256 },
      claims: claimsFor(sim, overrides.claims),
    });
  const cases: [string, Promise<string>, number][] = [
    ["thumbprint of another certificate", sign({ header: { "x5t#S256": other.x5tS256 } }), 700027],
    ["no thumbprint header", sign({ header: {} }), 700027],
    ["signed by another key", sign({ key: other.privateKeyPem }), 700027],
    ["wrong audience", sign({ claims: { aud: "https://example.com/token" } }), 700027],
    ["sub is not the client", sign({ claims: { sub: "someone-else" } }), 700027],
    ["expired", sign({ claims: { exp: Math.floor(Date.now() / 1000) - 3600 } }), 700024],
    ["not yet valid", sign({ claims: { nbf: Math.floor(Date.now() / 1000) + 3600 } }), 700024],
  ];
  for (const [name, jwt, code] of cases) {
    const response = await requestToken(sim, assertionForm(sim.clientId, await jwt));
    const body = await response.json();
    assert.equal(response.status, 401, name);
    assert.deepEqual(body.error_codes, [code], name);
  }
  const malformed = await requestToken(sim, assertionForm(sim.clientId, "not-a-jwt"));
  assert.equal(await statusOf(malformed), 401);
});

Deno.test("token endpoint verifies assertions against a bare SPKI public key (thumbprint not checked)", async () => {
  const spki = certificateSpki(pemBlock(certificate.certificatePem, "CERTIFICATE")!);
  await using sim = await startSimulator({ certificatePem: toPem(spki, "PUBLIC KEY") });
  const jwt = await assertion({
    privateKeyPem: certificate.privateKeyPem,
    alg: "PS256",
    header: { "x5t#S256": "anything" },
    claims: claimsFor(sim),
  });
  assert.equal(await statusOf(requestToken(sim, assertionForm(sim.clientId, jwt))), 200);
});

Deno.test("token endpoint refuses assertions when no certificate is registered", async () => {
  await using sim = await startSimulator();
  const jwt = await assertion({
    privateKeyPem: certificate.privateKeyPem,
    alg: "PS256",
    header: { "x5t#S256": certificate.x5tS256 },
    claims: claimsFor(sim),
  });
  await expectAadError(
    await requestToken(sim, assertionForm(sim.clientId, jwt)),
    401,
    "invalid_client",
    700027,
  );
});

Deno.test("token endpoint answers GET with an error and unknown paths with 404", async () => {
  await using sim = await startSimulator();
  const get = await fetch(`${sim.authorityHost}/${sim.tenantId}/oauth2/v2.0/token`);
  await expectAadError(get, 405, "invalid_request", 900561);
  const other = await fetch(`${sim.authorityHost}/${sim.tenantId}/oauth2/token`, {
    method: "POST",
  });
  assert.equal(other.status, 404);
  await other.body?.cancel();
});
