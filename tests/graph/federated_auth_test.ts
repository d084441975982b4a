import assert from "node:assert/strict";
import { join } from "node:path";
import { TokenProvider } from "../../src/graph/auth.ts";
import { tokenIdentity } from "../../src/graph/token_identity.ts";
import { federatedAssertion } from "../../src/graph/credential.ts";
import { loadClientCertificate } from "../../src/graph/client_assertion.ts";
import { createTestCertificate } from "../../src/sim/certificate.ts";
import { json, scriptedFetch, testTransport } from "../http/fetch_script.ts";
import { SteppedClock } from "../helpers/clocks.ts";
import { encryptedPemOf, pkcs12Of } from "../helpers/pkcs12.ts";

function provider(tokenFile: string, answer: (n: number) => Response) {
  const clock = new SteppedClock();
  const { fetch, calls } = scriptedFetch(clock, (_call, n) => answer(n));
  const transport = testTransport(fetch, clock);
  const tokens = new TokenProvider({
    transport,
    clock,
    authorityHost: "https://login.microsoftonline.com/",
    tenantId: "tenant",
    clientId: "app",
    graphBaseUrl: "https://graph.microsoft.com/v1.0",
    clientAssertion: federatedAssertion(tokenFile, "env AZURE_FEDERATED_TOKEN_FILE"),
  });
  return { tokens, calls };
}

const ok = (token: string) => json({ token_type: "Bearer", expires_in: 3599, access_token: token });

Deno.test("workload identity reads the token file for every token request (the kubelet rotates it)", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const file = join(dir, "azure-identity-token");
    await Deno.writeTextFile(file, "sa-token-1\n");
    const { tokens, calls } = provider(file, (n) => ok(`access-${n}`));
    await tokens.getToken();
    await Deno.writeTextFile(file, "sa-token-2");
    tokens.invalidate();
    await tokens.getToken();
    const forms = calls.map((call) => new URLSearchParams(call.body));
    assert.deepEqual(forms.map((f) => f.get("client_assertion")), ["sa-token-1", "sa-token-2"]);
    for (const form of forms) {
      assert.equal(
        form.get("client_assertion_type"),
        "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
      );
      assert.equal(form.get("grant_type"), "client_credentials");
      assert.equal(form.get("client_secret"), null);
    }
    assert.equal(calls[0]!.url, "https://login.microsoftonline.com/tenant/oauth2/v2.0/token");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("AADSTS70021 and AADSTS700024 are explained in the same line", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const file = join(dir, "token");
    await Deno.writeTextFile(file, "sa-token");
    for (
      const [code, text, explained] of [
        [
          70021,
          "No matching federated identity record found for presented assertion.",
          /no federated credential .* a few minutes/,
        ],
        [
          700024,
          "Client assertion is not within its valid time range.",
          /expired or not yet valid/,
        ],
      ] as const
    ) {
      const { tokens } = provider(file, () =>
        json({
          error: "invalid_client",
          error_description: `AADSTS${code}: ${text}\r\nTrace ID: x\r\nCorrelation ID: y`,
          error_codes: [code],
        }, 400));
      await assert.rejects(
        tokens.getToken(),
        (error: Error) =>
          error.message.startsWith(`Cannot get token: AADSTS${code} `) &&
          explained.test(error.message) &&
          !error.message.includes("\n"),
      );
    }
    await Deno.remove(file);
    const { tokens } = provider(file, () => ok("never"));
    await assert.rejects(
      tokens.getToken(),
      /Cannot read federated_token_file .* \(from env AZURE_FEDERATED_TOKEN_FILE\)/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("tokenIdentity() reads appid/azp, oid and tid, and nothing from a non-JWT", () => {
  const encode = (v: unknown) =>
    btoa(JSON.stringify(v)).replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");
  const token = `${encode({ alg: "RS256" })}.${
    encode({ azp: "app-1", oid: "obj-1", tid: "t-1" })
  }.sig`;
  assert.deepEqual(tokenIdentity(token), { appId: "app-1", objectId: "obj-1", tenantId: "t-1" });
  assert.deepEqual(tokenIdentity("opaque"), {});
});

Deno.test("PKCS#12 and encrypted PEM load with their password, with subject, SHA-1 thumbprint and expiry", async () => {
  const certificate = await createTestCertificate({ commonName: "ingest-pfx", days: 90 });
  const dir = await Deno.makeTempDir();
  try {
    const pfx = join(dir, "a.pfx");
    const pem = join(dir, "a.pem");
    const noExtension = join(dir, "a.bin");
    await Deno.writeFile(pfx, pkcs12Of(certificate, "pw1"));
    await Deno.writeFile(noExtension, pkcs12Of(certificate, "pw1"));
    await Deno.writeTextFile(pem, encryptedPemOf(certificate, "pw2"));
    for (const [path, password] of [[pfx, "pw1"], [noExtension, "pw1"], [pem, "pw2"]] as const) {
      const loaded = await loadClientCertificate(path, password);
      assert.equal(loaded.subject, "CN=ingest-pfx");
      assert.equal(loaded.thumbprintS256, certificate.x5tS256);
      assert.match(loaded.thumbprintSha1!, /^[0-9A-F]{40}$/);
      assert.ok(loaded.notAfter!.getTime() > Date.now() + 88 * 86_400_000);
    }
    await assert.rejects(
      loadClientCertificate(pfx),
      /protected by a password; set client_certificate_password_file/,
    );
    await assert.rejects(loadClientCertificate(pem, "nope"), /does not decrypt the private key/);
    await Deno.writeTextFile(join(dir, "junk.pfx"), "not a pfx");
    await assert.rejects(
      loadClientCertificate(join(dir, "junk.pfx"), "x"),
      /neither PEM nor a readable PKCS#12/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
