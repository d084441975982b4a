import assert from "node:assert/strict";
import type { ManagedIdentitySource } from "../../src/config/auth_settings.ts";
import { AuthError } from "../../src/errors.ts";
import { ARC_KEY_MAX_BYTES, ManagedIdentityCredential } from "../../src/graph/managed_identity.ts";
import { ManualClock } from "../helpers/clocks.ts";

const NOW = Date.parse("2026-12-01T10:00:00Z");

interface Seen {
  url: URL;
  headers: Headers;
}

function scripted(answers: (Response | ((seen: Seen) => Response))[]) {
  const seen: Seen[] = [];
  const fetch: typeof globalThis.fetch = ((input: string | URL | Request, init?: RequestInit) => {
    const entry = { url: new URL(String(input)), headers: new Headers(init?.headers) };
    seen.push(entry);
    const next = answers.shift();
    if (!next) return Promise.reject(new Error("no more answers"));
    return Promise.resolve(typeof next === "function" ? next(entry) : next);
  }) as typeof globalThis.fetch;
  return { fetch, seen };
}

const TOKEN = { access_token: "eyJ0.eyJ0.sig", expires_in: "3600", expires_on: "0" };

function credential(
  source: ManagedIdentitySource,
  fetch: typeof globalThis.fetch,
  extra: Partial<ConstructorParameters<typeof ManagedIdentityCredential>[0]> = {},
) {
  return new ManagedIdentityCredential({
    source,
    resource: "https://graph.microsoft.com",
    fetch,
    clock: extra.clock ?? new ManualClock(NOW),
    timeoutMs: 5_000,
    ...extra,
  });
}

const IMDS: ManagedIdentitySource = {
  kind: "imds",
  endpoint: "http://169.254.169.254/metadata/identity/oauth2/token",
};

Deno.test("IMDS: api-version 2018-02-01, Metadata: true, resource, client_id of a user-assigned identity", async () => {
  const { fetch, seen } = scripted([Response.json(TOKEN)]);
  const token = await credential(IMDS, fetch, { clientId: "ua-1" }).request();
  assert.deepEqual(token, { accessToken: TOKEN.access_token, expiresInSeconds: 3600 });
  const { url, headers } = seen[0]!;
  assert.equal(url.searchParams.get("api-version"), "2018-02-01");
  assert.equal(url.searchParams.get("resource"), "https://graph.microsoft.com");
  assert.equal(url.searchParams.get("client_id"), "ua-1");
  assert.equal(headers.get("metadata"), "true");
});

Deno.test("IMDS retries 404, 429 and 5xx with waits of 2, 4, 8 and 16 s, then gives up after 5 tries", async () => {
  const clock = new ManualClock(NOW);
  const busy = () => new Response("{}", { status: 503 });
  const { fetch, seen } = scripted([
    busy(),
    new Response("", { status: 404 }),
    busy(),
    busy(),
    busy(),
  ]);
  await assert.rejects(
    credential(IMDS, fetch, { clock }).request(),
    (error: unknown) => error instanceof AuthError && /IMDS\): 503/.test(error.message),
  );
  assert.equal(seen.length, 5);
  assert.deepEqual(clock.sleeps, [2_000, 4_000, 8_000, 16_000]);
});

Deno.test("IMDS: 410 while it starts is retried for up to 70 s; a success ends the waits", async () => {
  const clock = new ManualClock(NOW);
  const gone = () => new Response("", { status: 410 });
  const { fetch, seen } = scripted([
    gone(),
    gone(),
    gone(),
    gone(),
    gone(),
    gone(),
    Response.json(TOKEN),
  ]);
  const token = await credential(IMDS, fetch, { clock }).request();
  assert.equal(token.accessToken, TOKEN.access_token);
  assert.equal(seen.length, 7);
  assert.ok(clock.sleeps.reduce((a, b) => a + b, 0) <= 70_000, String(clock.sleeps));
});

Deno.test("IMDS: 400 Identity not found is not retried and reads as one line", async () => {
  const clock = new ManualClock(NOW);
  const { fetch } = scripted([
    Response.json({ error: "invalid_request", error_description: "Identity not found" }, {
      status: 400,
    }),
  ]);
  await assert.rejects(credential(IMDS, fetch, { clock }).request(), {
    message:
      "Cannot get token from the Azure VM managed identity (IMDS): 400 invalid_request Identity not found",
  });
  assert.deepEqual(clock.sleeps, []);
});

Deno.test("App Service: X-IDENTITY-HEADER, api-version 2019-08-01, expiry from expires_on", async () => {
  const source: ManagedIdentitySource = {
    kind: "app_service",
    endpoint: "http://localhost:4141/msi/token",
    secret: "the-header",
  };
  const expiresOn = String(NOW / 1000 + 1800);
  const { fetch, seen } = scripted([Response.json({ access_token: "tok", expires_on: expiresOn })]);
  const token = await credential(source, fetch).request();
  assert.deepEqual(token, { accessToken: "tok", expiresInSeconds: 1800 });
  assert.equal(seen[0]!.headers.get("x-identity-header"), "the-header");
  assert.equal(seen[0]!.url.searchParams.get("api-version"), "2019-08-01");
});

const ARC_DIR = "/var/opt/azcmagent/tokens";
const ARC: ManagedIdentitySource = {
  kind: "arc",
  endpoint: "http://127.0.0.1:40342/metadata/identity/oauth2/token",
  tokensDir: ARC_DIR,
};

function challenge(realm: string) {
  return new Response(null, {
    status: 401,
    headers: { "www-authenticate": `Basic realm=${realm}` },
  });
}

Deno.test("Arc: the 401 challenge names the key file; the retry sends it as Basic credentials", async () => {
  const { fetch, seen } = scripted([challenge(`${ARC_DIR}/abc.key`), Response.json(TOKEN)]);
  const token = await credential(ARC, fetch, {
    os: "linux",
    fileSize: () => Promise.resolve(64),
    readTextFile: () => Promise.resolve("arc-key-value\n"),
  }).request();
  assert.equal(token.accessToken, TOKEN.access_token);
  assert.equal(seen[0]!.url.searchParams.get("api-version"), "2019-11-01");
  assert.equal(seen[0]!.headers.get("metadata"), "true");
  assert.equal(seen[1]!.headers.get("authorization"), "Basic arc-key-value");
});

const ARC_REFUSALS: [
  string,
  string,
  Partial<ConstructorParameters<typeof ManagedIdentityCredential>[0]>,
  RegExp,
][] = [
  ["not a .key file", `${ARC_DIR}/abc.txt`, {}, /it is not a \.key file/],
  [
    "outside the Tokens folder",
    "/tmp/abc.key",
    {},
    /not in the agent's Tokens folder \/var\/opt\/azcmagent\/tokens/,
  ],
  ["in a subfolder", `${ARC_DIR}/sub/abc.key`, {}, /not in the agent's Tokens folder/],
  [
    "larger than 4096 bytes",
    `${ARC_DIR}/abc.key`,
    { fileSize: () => Promise.resolve(ARC_KEY_MAX_BYTES + 1) },
    /larger than 4096 bytes/,
  ],
  [
    "unreadable (Linux)",
    `${ARC_DIR}/abc.key`,
    { readTextFile: () => Promise.reject(new Deno.errors.PermissionDenied("denied")) },
    /permission denied; the account running ingest must be a member of the "himds" group/,
  ],
];

for (const [name, realm, extra, pattern] of ARC_REFUSALS) {
  Deno.test(`Arc refuses a key file ${name}, in one line, without a second request`, async () => {
    const { fetch, seen } = scripted([challenge(realm), Response.json(TOKEN)]);
    await assert.rejects(
      credential(ARC, fetch, {
        os: "linux",
        fileSize: () => Promise.resolve(64),
        readTextFile: () => Promise.resolve("key"),
        ...extra,
      }).request(),
      (error: unknown) =>
        error instanceof AuthError && pattern.test(error.message) && !error.message.includes("\n"),
    );
    assert.equal(seen.length, 1);
  });
}

Deno.test("Arc on Windows names the Administrators / Hybrid Agent Extension Applications groups", async () => {
  const dir = "C:\\ProgramData\\AzureConnectedMachineAgent\\Tokens";
  const { fetch } = scripted([challenge(`${dir}\\abc.key`)]);
  await assert.rejects(
    credential({ ...ARC, tokensDir: dir }, fetch, {
      os: "windows",
      fileSize: () => Promise.resolve(64),
      readTextFile: () => Promise.reject(new Deno.errors.PermissionDenied("denied")),
    }).request(),
    /"Administrators" or "Hybrid Agent Extension Applications" group/,
  );
});
