/**
 * End to end over HTTP against the simulator, through the CLI: workload identity (token file
 * rotated between runs), managed identity (App Service, Azure Arc, IMDS through the test-only
 * endpoint override), and certificates an administrator has (PFX and encrypted PEM with a
 * password file). Every failure is one line and exit 1, and no secret (assertion, identity
 * header, Arc key, PFX password, access token) reaches stdout, stderr or the DEBUG log file.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { createTestCertificate, type TestCertificate } from "../../src/sim/certificate.ts";
import type { SimOptions } from "../../src/sim/types.ts";
import { runMain } from "../helpers/cli_harness.ts";
import { encryptedPemOf, pkcs12Of } from "../helpers/pkcs12.ts";
import { type SimWorkspace, simWorkspace } from "../helpers/sim_workspace.ts";

const CREDENTIAL_KEYS = ["client_secret", "client_id", "tenant_id", "authority_host"];

/** The snippet without the keys the identity flows take from elsewhere. */
function without(keys: readonly string[]) {
  return (snippet: string) =>
    snippet.split("\n").filter((line) => !keys.some((key) => line.startsWith(`${key} =`)))
      .join("\n");
}

interface Flow extends AsyncDisposable {
  ws: SimWorkspace;
  logFile: string;
  /** Runs the CLI with `env`; returns the output and the log file's text. */
  run(args: string[], env?: Record<string, string>): Promise<{
    code: number;
    stdout: string;
    stderr: string;
    log: string;
  }>;
}

async function flow(options: SimOptions, extra: string, drop = CREDENTIAL_KEYS): Promise<Flow> {
  const ws = await simWorkspace(options);
  const logFile = join(ws.dir, "ingest.jsonl");
  await ws.writeSettings(
    `${extra}\nlog_level = "DEBUG"\nlog_file = ${JSON.stringify(logFile)}\n`,
    without(drop),
  );
  return {
    ws,
    logFile,
    async run(args, env = {}) {
      const result = await runMain(["--config", ws.settingsPath, ...args], { env });
      let log = "";
      try {
        log = await Deno.readTextFile(logFile);
      } catch { /* no log yet */ }
      return { ...result, log };
    },
    [Symbol.asyncDispose]: () => ws[Symbol.asyncDispose](),
  };
}

function assertAbsent(
  output: { stdout: string; stderr: string; log: string },
  secrets: readonly string[],
) {
  for (const secret of secrets) {
    for (const [where, text] of Object.entries(output)) {
      if (typeof text !== "string") continue;
      assert.ok(!text.includes(secret), `a secret (${secret.slice(0, 6)}…) appears in ${where}`);
    }
  }
  // No access token or assertion (JWT) of any kind.
  for (const [where, text] of Object.entries(output)) {
    if (typeof text === "string") assert.doesNotMatch(text, /eyJ[\w-]{10,}\.eyJ/, where);
  }
}

function assertOneLineFailure(result: { code: number; stderr: string }, pattern: RegExp) {
  assert.equal(result.code, 1, result.stderr);
  const lines = result.stderr.split("\n").filter((line) => pattern.test(line));
  assert.equal(lines.length >= 1, true, `no line matches ${pattern}:\n${result.stderr}`);
  assert.doesNotMatch(result.stderr, /\n\s+at /, "a stack trace was printed");
}

Deno.test("workload identity: env from the webhook, token file re-read and rotated between runs", async () => {
  await using f = await flow({}, "");
  const tokenFile = join(f.ws.dir, "azure-identity-token");
  const first = await f.ws.sim.issueServiceAccountToken();
  await Deno.writeTextFile(tokenFile, first);
  const env = {
    AZURE_CLIENT_ID: f.ws.sim.clientId,
    AZURE_TENANT_ID: f.ws.sim.tenantId,
    AZURE_AUTHORITY_HOST: `${f.ws.sim.authorityHost}/`,
    AZURE_FEDERATED_TOKEN_FILE: tokenFile,
  };
  const one = await f.run(["trigger"], env);
  assert.equal(one.code, 0, one.stderr);
  assert.equal(f.ws.incomingNames().length, 6, one.stdout);

  // The kubelet rotates the file: a token for another service account is refused (AADSTS70021),
  const stranger = await f.ws.sim.issueServiceAccountToken({
    subject: "system:serviceaccount:other:intruder",
  });
  await Deno.writeTextFile(tokenFile, stranger);
  const two = await f.run(["trigger"], env);
  assertOneLineFailure(two, /AADSTS70021.*no federated credential.*minutes/);
  // an expired one with AADSTS700024,
  const expired = await f.ws.sim.issueServiceAccountToken({ lifetimeSeconds: -10 });
  await Deno.writeTextFile(tokenFile, expired);
  const three = await f.run(["trigger"], env);
  assertOneLineFailure(three, /AADSTS700024.*expired or not yet valid/);
  // and the fresh one the kubelet writes next works again.
  const fresh = await f.ws.sim.issueServiceAccountToken();
  await Deno.writeTextFile(tokenFile, fresh);
  const four = await f.run(["check"], env);
  assert.match(
    four.stdout,
    /✓ auth: workload_identity \(inferred[^)]*\); client_id from env AZURE_CLIENT_ID, tenant_id from env AZURE_TENANT_ID, authority_host from env AZURE_AUTHORITY_HOST, federated_token_file from env AZURE_FEDERATED_TOKEN_FILE/,
  );
  assert.match(four.stdout, new RegExp(`✓ token: app ${f.ws.sim.clientId}`));
  for (const run of [one, two, three, four]) assertAbsent(run, [first, stranger, expired, fresh]);
});

Deno.test("workload identity: settings override the webhook variables; a missing file is one line", async () => {
  await using f = await flow(
    {},
    'auth = "workload_identity"\nfederated_token_file = "missing-token"\n',
    [
      "client_secret",
    ],
  );
  const result = await f.run(["trigger"], {
    AZURE_CLIENT_ID: "00000000-0000-0000-0000-000000000000",
    AZURE_FEDERATED_TOKEN_FILE: "/nonexistent/elsewhere",
  });
  assertOneLineFailure(
    result,
    /Cannot read federated_token_file .*missing-token \(from settings file/,
  );
});

Deno.test("managed identity, App Service: IDENTITY_ENDPOINT + IDENTITY_HEADER; check shows the identity", async () => {
  await using f = await flow({}, 'auth = "managed_identity"\n');
  const env = {
    IDENTITY_ENDPOINT: `${f.ws.sim.identityOrigin}/msi/token`,
    IDENTITY_HEADER: f.ws.sim.identityHeader,
  };
  const run = await f.run(["trigger"], env);
  assert.equal(run.code, 0, run.stderr);
  assert.equal(f.ws.incomingNames().length, 6);
  const check = await f.run(["check"], env);
  const { clientId, objectId } = f.ws.sim.managedIdentity;
  assert.match(
    check.stdout,
    new RegExp(
      `✓ token: app ${clientId}, object ${objectId} in tenant .*App Service managed identity`,
    ),
  );
  assert.match(
    check.stdout,
    /✓ auth: managed_identity \(settings file [^)]*\); endpoint from env IDENTITY_ENDPOINT \+ IDENTITY_HEADER/,
  );
  const wrong = await f.run(["trigger"], { ...env, IDENTITY_HEADER: "not-the-header-0000" });
  assertOneLineFailure(wrong, /Cannot get token from the App Service managed identity: 401/);
  for (const r of [run, check, wrong]) {
    assertAbsent(r, [f.ws.sim.identityHeader, "not-the-header-0000"]);
  }
});

Deno.test("managed identity, Azure Arc: 401 challenge, key file in the Tokens folder", async () => {
  const tokens = await Deno.makeTempDir({ prefix: "ingest-arc-tokens-" });
  try {
    await using f = await flow(
      { managedIdentity: { arcTokensDir: tokens } },
      'auth = "managed_identity"\n',
    );
    const env = {
      IDENTITY_ENDPOINT: `${
        f.ws.sim.identityOrigin.replace("127.0.0.1", "localhost")
      }/arc/metadata/identity/oauth2/token`,
      IMDS_ENDPOINT: f.ws.sim.identityOrigin,
      INGEST_TEST_ARC_TOKENS_DIR: tokens,
    };
    const run = await f.run(["trigger"], env);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(f.ws.incomingNames().length, 6);
    const keys = [...Deno.readDirSync(tokens)].map((e) =>
      Deno.readTextFileSync(join(tokens, e.name))
    );
    assert.ok(keys.length >= 1, "the agent wrote no key file");
    // A key file outside the agent's Tokens folder is refused.
    const elsewhere = await f.run(["trigger"], { ...env, INGEST_TEST_ARC_TOKENS_DIR: f.ws.dir });
    assertOneLineFailure(
      elsewhere,
      /Cannot use the Azure Arc key file .*not in the agent's Tokens folder/,
    );
    const allKeys = [...Deno.readDirSync(tokens)].map((e) =>
      Deno.readTextFileSync(join(tokens, e.name))
    );
    for (const r of [run, elsewhere]) assertAbsent(r, allKeys);
  } finally {
    await Deno.remove(tokens, { recursive: true });
  }
});

Deno.test("managed identity, IMDS through the test-only endpoint override; user-assigned by client id", async () => {
  const userAssigned = {
    clientId: "1e2d3c4b-5a69-4788-9a0b-c1d2e3f4a5b6",
    objectId: "6b5a4f3e-2d1c-4b0a-9f8e-7d6c5b4a3f2e",
  };
  await using f = await flow(
    { managedIdentity: { userAssigned: [userAssigned] } },
    `managed_identity_client_id = "${userAssigned.clientId}"\n`,
  );
  const env = { INGEST_TEST_IMDS_ENDPOINT: f.ws.sim.identityOrigin };
  const check = await f.run(["check"], env);
  assert.match(
    check.stdout,
    new RegExp(`✓ token: app ${userAssigned.clientId}, object ${userAssigned.objectId}.*IMDS`),
  );
  assert.match(check.stdout, /✓ auth: managed_identity \(inferred from the keys present\)/);
  const run = await f.run(["trigger"], env);
  assert.equal(run.code, 0, run.stderr);
  assert.equal(f.ws.incomingNames().length, 6);
  await f.ws.writeSettings(
    'auth = "managed_identity"\nmanaged_identity_client_id = "0f0f0f0f-0000-4000-8000-000000000000"\n',
    without(CREDENTIAL_KEYS),
  );
  const unknown = await f.run(["trigger"], env);
  assertOneLineFailure(
    unknown,
    /Cannot get token from the Azure VM managed identity \(IMDS\): 400 invalid_request Identity not found/,
  );
  for (const r of [check, run, unknown]) assertAbsent(r, []);
});

Deno.test("IMDS is refused when a proxy variable would carry its requests", async () => {
  await using f = await flow({}, 'auth = "managed_identity"\n');
  const result = await f.run(["trigger"], { HTTP_PROXY: "http://proxy.corp:8080" });
  assert.equal(result.code, 2, result.stderr);
  assert.match(
    result.stderr,
    /HTTP_PROXY in the environment would send the token requests to 169\.254\.169\.254 .*add 169\.254\.169\.254 to NO_PROXY/,
  );
  const allowed = await f.run(["config"], {
    HTTP_PROXY: "http://proxy.corp:8080",
    NO_PROXY: "169.254.169.254,localhost",
  });
  assert.equal(allowed.code, 0, allowed.stderr);
});

async function certificateFlow(
  certificate: TestCertificate,
  file: { name: string; bytes: Uint8Array | string },
  password: string | undefined,
) {
  const f = await flow({ certificatePem: certificate.certificatePem }, "", ["client_secret"]);
  const path = join(f.ws.dir, file.name);
  if (typeof file.bytes === "string") await Deno.writeTextFile(path, file.bytes);
  else await Deno.writeFile(path, file.bytes);
  const lines = [`client_certificate_path = "${file.name}"`];
  if (password !== undefined) {
    await Deno.writeTextFile(join(f.ws.dir, "cert.pw"), `${password}\n`);
    lines.push('client_certificate_password_file = "cert.pw"');
  }
  await f.ws.writeSettings(
    `${lines.join("\n")}\nlog_level = "DEBUG"\nlog_file = ${JSON.stringify(f.logFile)}\n`,
    without(["client_secret"]),
  );
  return f;
}

Deno.test("a PFX with a password file signs the assertion; check shows subject, thumbprint, expiry", async () => {
  const certificate = await createTestCertificate({ commonName: "ingest-prod", days: 400 });
  const password = "Pfx-Pa55word!with spaces";
  await using f = await certificateFlow(
    certificate,
    { name: "ingest.pfx", bytes: pkcs12Of(certificate, password) },
    password,
  );
  const run = await f.run(["trigger"]);
  assert.equal(run.code, 0, run.stderr);
  assert.equal(f.ws.incomingNames().length, 6);
  const check = await f.run(["check"]);
  assert.match(
    check.stdout,
    /✓ auth: certificate \(inferred from the keys present\).*client_certificate_password_file from settings file/,
  );
  assert.match(
    check.stdout,
    /✓ certificate: CN=ingest-prod, thumbprint [0-9A-F]{40}, expires \d{4}-.* \(in 39\d days\)/,
  );
  await Deno.writeTextFile(join(f.ws.dir, "cert.pw"), "wrong-password\n");
  const wrong = await f.run(["trigger"]);
  assertOneLineFailure(
    wrong,
    /Cannot use client certificate ".*ingest\.pfx": the password in client_certificate_password_file does not open the PKCS#12 file/,
  );
  const wrongCheck = await f.run(["check"]);
  assert.equal(wrongCheck.code, 1);
  assert.match(
    wrongCheck.stdout,
    /✗ certificate: Cannot use client certificate .*does not open the PKCS#12 file.*\n\s+→ client_certificate_path must be/,
  );
  assert.match(wrongCheck.stdout, /✗ token: .*\n\s+→ client_certificate_path must be/);
  for (const r of [run, check, wrong, wrongCheck]) {
    assertAbsent(r, [password, "wrong-password"]);
  }
});

Deno.test("an encrypted PEM key with a password file; a certificate near expiry warns in check and in the log", async () => {
  const certificate = await createTestCertificate({ commonName: "ingest-soon", days: 10 });
  const password = "pem-secret-4711";
  await using f = await certificateFlow(
    certificate,
    { name: "ingest.pem", bytes: encryptedPemOf(certificate, password) },
    password,
  );
  const run = await f.run(["trigger"]);
  assert.equal(run.code, 0, run.stderr);
  const warning = run.log.split("\n").filter((line) => line.startsWith("{")).map((line) =>
    JSON.parse(line)
  ).find((record) => record.logger === "ingest.auth" && record.level === "WARN");
  assert.ok(warning, `no certificate warning in the log:\n${run.log}`);
  assert.equal(warning.properties.subject, "CN=ingest-soon");
  assert.equal(warning.properties.state, "expires in 9 day(s)");
  assert.match(warning.properties.thumbprint, /^[0-9A-F]{40}$/);
  const check = await f.run(["check"]);
  assert.match(
    check.stdout,
    /⚠ certificate: CN=ingest-soon, .*\(in 9 day\(s\)\)\n\s+→ renew it now/,
  );
  await Deno.remove(join(f.ws.dir, "cert.pw"));
  await f.ws.writeSettings(
    `client_certificate_path = "ingest.pem"\nlog_level = "DEBUG"\nlog_file = ${
      JSON.stringify(f.logFile)
    }\n`,
    without(["client_secret"]),
  );
  const noPassword = await f.run(["trigger"]);
  assertOneLineFailure(
    noPassword,
    /the private key is encrypted; set client_certificate_password_file/,
  );
  for (const r of [run, check, noPassword]) assertAbsent(r, [password]);
});

Deno.test("ingest config shows the inferred method and the webhook variables as sources, no secret", async () => {
  await using f = await flow({}, "");
  const tokenFile = join(f.ws.dir, "azure-identity-token");
  const token = await f.ws.sim.issueServiceAccountToken();
  await Deno.writeTextFile(tokenFile, token);
  const result = await f.run(["config"], {
    AZURE_CLIENT_ID: f.ws.sim.clientId,
    AZURE_TENANT_ID: f.ws.sim.tenantId,
    AZURE_FEDERATED_TOKEN_FILE: tokenFile,
  });
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /^auth += "workload_identity" +# inferred from the keys present$/m);
  assert.match(result.stdout, /^client_id += "[^"]+" +# env AZURE_CLIENT_ID$/m);
  assert.match(
    result.stdout,
    /^federated_token_file += ".*azure-identity-token" +# env AZURE_FEDERATED_TOKEN_FILE$/m,
  );
  assertAbsent(result, [token]);
});
