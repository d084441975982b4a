import assert from "node:assert/strict";
import { AuthError, ConfigError } from "../../src/errors.ts";
import {
  scopeFor,
  TokenProvider,
  type TokenProviderOptions,
  tokenUrl,
} from "../../src/graph/auth.ts";
import { base64url, parseClientCertificate } from "../../src/graph/client_assertion.ts";
import { json, type Responder, scriptedFetch, testTransport } from "../http/fetch_script.ts";
import { SteppedClock } from "../helpers/clocks.ts";

const SECRET = "qWgdYAmab0YSkuL1qKv5bPX~secret";

function setup(responder: Responder, overrides: Partial<TokenProviderOptions> = {}) {
  const clock = new SteppedClock();
  const { fetch, calls } = scriptedFetch(clock, responder);
  const transport = testTransport(fetch, clock);
  const provider = new TokenProvider({
    transport,
    clock,
    authorityHost: "https://login.microsoftonline.com",
    tenantId: "contoso.onmicrosoft.com",
    clientId: "00001111-aaaa-2222-bbbb-3333cccc4444",
    graphBaseUrl: "https://graph.microsoft.com/v1.0",
    clientSecret: SECRET,
    ...overrides,
  });
  return { clock, calls, provider };
}

const tokenAnswer = (token: string, expiresIn: number | string = 3599) =>
  json({ token_type: "Bearer", expires_in: expiresIn, ext_expires_in: 3599, access_token: token });

Deno.test("tokenUrl() and scopeFor() follow the cloud of the settings", () => {
  assert.equal(
    tokenUrl("https://login.microsoftonline.com/", "contoso.onmicrosoft.com"),
    "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token",
  );
  assert.equal(
    scopeFor("https://graph.microsoft.com/v1.0"),
    "https://graph.microsoft.com/.default",
  );
  assert.equal(scopeFor("https://graph.microsoft.us/v1.0"), "https://graph.microsoft.us/.default");
  assert.equal(scopeFor("http://127.0.0.1:8080/v1.0"), "https://graph.microsoft.com/.default");
  assert.equal(scopeFor("http://localhost:8080/v1.0"), "https://graph.microsoft.com/.default");
});

Deno.test("TokenProvider posts the client secret as a form", async () => {
  const { calls, provider } = setup(() => tokenAnswer("tok-1"));
  assert.equal(await provider.authorization(), "Bearer tok-1");
  const call = calls[0]!;
  assert.equal(call.method, "POST");
  assert.equal(
    call.url,
    "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token",
  );
  assert.equal(call.headers.get("content-type"), "application/x-www-form-urlencoded");
  assert.equal(call.headers.get("authorization"), null);
  const form = new URLSearchParams(call.body);
  assert.deepEqual(Object.fromEntries(form), {
    client_id: "00001111-aaaa-2222-bbbb-3333cccc4444",
    scope: "https://graph.microsoft.com/.default",
    grant_type: "client_credentials",
    client_secret: SECRET,
  });
  assert.match(
    call.body,
    /client_secret=qWgdYAmab0YSkuL1qKv5bPX%7Esecret/,
    "the secret is URL-encoded",
  );
});

Deno.test("TokenProvider caches the token until 5 minutes before expiry", async () => {
  let n = 0;
  const { calls, provider, clock } = setup(() => tokenAnswer(`tok-${++n}`, 3600));
  const [a, b] = await Promise.all([provider.getToken(), provider.getToken()]);
  assert.equal(a, "tok-1");
  assert.equal(b, "tok-1");
  assert.equal(calls.length, 1, "concurrent callers share one request");
  await clock.advance(3299_000);
  assert.equal(await provider.getToken(), "tok-1");
  await clock.advance(1000);
  assert.equal(await provider.getToken(), "tok-2");
  assert.equal(calls.length, 2);
});

Deno.test("TokenProvider.invalidate() forces a new token; short tokens renew at half-life", async () => {
  let n = 0;
  const { calls, provider, clock } = setup(() => tokenAnswer(`tok-${++n}`, "60"));
  assert.equal(await provider.getToken(), "tok-1");
  provider.invalidate();
  assert.equal(await provider.getToken(), "tok-2");
  await clock.advance(29_000);
  assert.equal(await provider.getToken(), "tok-2");
  await clock.advance(1000);
  assert.equal(await provider.getToken(), "tok-3");
  assert.equal(calls.length, 3);
});

Deno.test("TokenProvider reports the AADSTS code and first description line only", async () => {
  const body = {
    error: "invalid_client",
    error_description:
      "AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app 'a8fdfbd0-da97-42d9-8f1a-fd6a7cb650b4'.\r\nTrace ID: 6f6c4645-0202-4486-b625-fa957dfc4700\r\nCorrelation ID: 5fc87507-4086-4e77-b415-cee677eb232e\r\nTimestamp: 2023-05-06 06:03:00Z",
    error_codes: [7000215],
    timestamp: "2023-05-06 06:03:00Z",
    trace_id: "6f6c4645-0202-4486-b625-fa957dfc4700",
    correlation_id: "5fc87507-4086-4e77-b415-cee677eb232e",
    error_uri: "https://login.microsoftonline.com/error?code=7000215",
  };
  const { provider } = setup(() => json(body, 401));
  const error = await provider.getToken().catch((e) => e);
  assert.ok(error instanceof AuthError);
  assert.equal(
    error.message,
    "Cannot get token: AADSTS7000215 Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app 'a8fdfbd0-da97-42d9-8f1a-fd6a7cb650b4'",
  );
  assert.equal(error.aadsts, 7000215);
  assert.equal(error.code, "invalid_client");
  assert.equal(error.status, 401);
  assert.doesNotMatch(error.message, /Trace ID|6f6c4645/);
  assert.doesNotMatch(error.message, new RegExp(SECRET.slice(0, 10)));
});

Deno.test("TokenProvider reports a non-JSON error answer by status", async () => {
  const { provider } = setup(() =>
    new Response("<html>not here</html>", { status: 404, statusText: "Not Found" })
  );
  const error = await provider.getToken().catch((e) => e);
  assert.ok(error instanceof AuthError);
  assert.equal(error.message, "Cannot get token: 404 Not Found");
  assert.equal(error.status, 404);
});

Deno.test("TokenProvider wraps an unreachable login host in AuthError", async () => {
  const { provider } = setup(() => {
    throw new TypeError("fetch failed: connection refused");
  });
  const error = await provider.getToken().catch((e) => e);
  assert.ok(error instanceof AuthError);
  assert.match(
    error.message,
    /^Cannot get token: cannot reach https:\/\/login.microsoftonline.com: /,
  );
});

Deno.test("TokenProvider needs a secret or a certificate", () => {
  assert.throws(
    () => setup(() => tokenAnswer("x"), { clientSecret: undefined }),
    ConfigError,
  );
});

async function makeKeyPair() {
  const pair = await crypto.subtle.generateKey(
    {
      name: "RSA-PSS",
      modulusLength: 2048,
      publicExponent: new Uint8Array([1, 0, 1]),
      hash: "SHA-256",
    },
    true,
    ["sign", "verify"],
  );
  const pkcs8 = new Uint8Array(await crypto.subtle.exportKey("pkcs8", pair.privateKey));
  return { publicKey: pair.publicKey, pkcs8 };
}

function pem(label: string, der: Uint8Array): string {
  const b64 = btoa(String.fromCharCode(...der)).replace(/.{64}/g, "$&\n");
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}

function decodePart(part: string): Record<string, unknown> {
  const b64 = part.replace(/-/g, "+").replace(/_/g, "/");
  return JSON.parse(atob(b64 + "=".repeat((4 - (b64.length % 4)) % 4)));
}

function fromBase64url(part: string): Uint8Array<ArrayBuffer> {
  const b64 = part.replace(/-/g, "+").replace(/_/g, "/");
  const binary = atob(b64 + "=".repeat((4 - (b64.length % 4)) % 4));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

Deno.test("TokenProvider signs a PS256 client assertion that verifies with the public key", async () => {
  const { publicKey, pkcs8 } = await makeKeyPair();
  const certDer = new TextEncoder().encode("stand-in certificate DER bytes");
  const path = await Deno.makeTempFile({ suffix: ".pem" });
  try {
    await Deno.writeTextFile(path, pem("PRIVATE KEY", pkcs8) + pem("CERTIFICATE", certDer));
    const { calls, provider, clock } = setup(() => tokenAnswer("tok-cert"), {
      clientSecret: undefined,
      clientCertificatePath: path,
      uuid: () => "11111111-2222-4333-8444-555555555555",
    });
    assert.equal(await provider.getToken(), "tok-cert");
    const form = new URLSearchParams(calls[0]!.body);
    assert.equal(form.get("client_secret"), null);
    assert.equal(
      form.get("client_assertion_type"),
      "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
    );
    assert.equal(form.get("scope"), "https://graph.microsoft.com/.default");
    const [header, claims, signature] = form.get("client_assertion")!.split(".");
    const thumbprint = base64url(new Uint8Array(await crypto.subtle.digest("SHA-256", certDer)));
    assert.deepEqual(decodePart(header!), { alg: "PS256", typ: "JWT", "x5t#S256": thumbprint });
    const now = Math.floor(clock.now() / 1000);
    assert.deepEqual(decodePart(claims!), {
      aud: "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token",
      iss: "00001111-aaaa-2222-bbbb-3333cccc4444",
      sub: "00001111-aaaa-2222-bbbb-3333cccc4444",
      jti: "11111111-2222-4333-8444-555555555555",
      nbf: now,
      iat: now,
      exp: now + 300,
    });
    const valid = await crypto.subtle.verify(
      { name: "RSA-PSS", saltLength: 32 },
      publicKey,
      fromBase64url(signature!),
      new TextEncoder().encode(`${header}.${claims}`),
    );
    assert.equal(valid, true);
  } finally {
    await Deno.remove(path);
  }
});

Deno.test("parseClientCertificate() accepts PKCS#1 keys and rejects incomplete PEMs", async () => {
  const { pkcs8 } = await makeKeyPair();
  const pkcs1 = pkcs8.slice(26);
  const cert = pem("CERTIFICATE", new Uint8Array([1, 2, 3]));
  const loaded = await parseClientCertificate(pem("RSA PRIVATE KEY", pkcs1) + cert);
  assert.equal(loaded.privateKey.algorithm.name, "RSA-PSS");
  await assert.rejects(parseClientCertificate(cert), ConfigError);
  await assert.rejects(
    parseClientCertificate(
      "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n" + cert,
    ),
    /encrypted/,
  );
});

Deno.test("TokenProvider.invalidate(rejected) keeps a token renewed after the rejected one was sent", async () => {
  let n = 0;
  const { provider, calls } = setup(() => tokenAnswer(`tok-${++n}`));
  const old = await provider.authorization();
  provider.invalidate(old);
  const renewed = await provider.authorization();
  assert.notEqual(renewed, old);
  provider.invalidate(old);
  assert.equal(
    await provider.authorization(),
    renewed,
    "a late 401 for the old token changes nothing",
  );
  assert.equal(calls.length, 2);
});
