import assert from "node:assert/strict";
import { join } from "node:path";
import { runSimulatorCli } from "../../src/sim/sim_cli.ts";
import { startSimulator } from "../../src/sim/simulator.ts";

const GRAPH = "https://graph.microsoft.com";

Deno.test("sim IMDS: Metadata: true and api-version 2018-02-01 are required; user-assigned ids by client_id", async () => {
  const userAssigned = [{ clientId: "ua-client", objectId: "ua-object" }];
  await using sim = await startSimulator({ managedIdentity: { userAssigned } });
  const url = (query: string) => `${sim.identityOrigin}/metadata/identity/oauth2/token?${query}`;
  const base = `api-version=2018-02-01&resource=${encodeURIComponent(GRAPH)}`;
  const noHeader = await fetch(url(base));
  assert.equal(noHeader.status, 400);
  assert.match(await noHeader.text(), /Required metadata header not specified/);
  const oldVersion = await fetch(url(base.replace("2018-02-01", "2017-09-01")), {
    headers: { metadata: "true" },
  });
  assert.equal(oldVersion.status, 400);
  await oldVersion.body?.cancel();
  const system = await (await fetch(url(base), { headers: { metadata: "true" } })).json();
  assert.equal(system.client_id, sim.managedIdentity.clientId);
  assert.match(system.expires_in, /^\d+$/);
  const user = await (await fetch(url(`${base}&client_id=ua-client`), {
    headers: { metadata: "true" },
  })).json();
  assert.equal(user.client_id, "ua-client");
  const unknown = await fetch(url(`${base}&client_id=nobody`), { headers: { metadata: "true" } });
  assert.equal(unknown.status, 400);
  assert.match(await unknown.text(), /Identity not found/);
});

Deno.test("sim Arc: 401 challenge names a fresh .key file; its content works once", async () => {
  const tokens = await Deno.makeTempDir();
  try {
    await using sim = await startSimulator({ managedIdentity: { arcTokensDir: tokens } });
    const url = `${sim.identityOrigin}/arc/metadata/identity/oauth2/token?api-version=2019-11-01` +
      `&resource=${encodeURIComponent(GRAPH)}`;
    const challenge = await fetch(url, { headers: { metadata: "true" } });
    assert.equal(challenge.status, 401);
    await challenge.body?.cancel();
    const realm = /^Basic realm=(.+)$/.exec(challenge.headers.get("www-authenticate") ?? "")?.[1];
    assert.ok(realm?.startsWith(tokens) && realm.endsWith(".key"), String(realm));
    const key = await Deno.readTextFile(realm!);
    const headers = { metadata: "true", authorization: `Basic ${key}` };
    const ok = await fetch(url, { headers });
    assert.equal(ok.status, 200);
    assert.ok((await ok.json()).access_token);
    const replay = await fetch(url, { headers });
    assert.equal(replay.status, 401);
    await replay.body?.cancel();
  } finally {
    await Deno.remove(tokens, { recursive: true });
  }
});

Deno.test("sim App Service: X-IDENTITY-HEADER must match; expires_on only", async () => {
  await using sim = await startSimulator();
  const url = `${sim.identityOrigin}/msi/token?api-version=2019-08-01&resource=${
    encodeURIComponent(GRAPH)
  }`;
  const wrong = await fetch(url, { headers: { "x-identity-header": "nope" } });
  assert.equal(wrong.status, 401);
  await wrong.body?.cancel();
  const body = await (await fetch(url, { headers: { "x-identity-header": sim.identityHeader } }))
    .json();
  assert.ok(body.access_token);
  assert.match(body.expires_on, /^\d+$/);
  assert.equal(body.expires_in, undefined);
});

Deno.test("sim login: federated assertions are checked against issuer, subject, audience and expiry", async () => {
  await using sim = await startSimulator();
  const post = async (assertion: string) => {
    const response = await fetch(`${sim.authorityHost}/${sim.tenantId}/oauth2/v2.0/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        client_id: sim.clientId,
        scope: `${GRAPH}/.default`,
        grant_type: "client_credentials",
        client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        client_assertion: assertion,
      }),
    });
    return { status: response.status, body: await response.json() };
  };
  assert.equal((await post(await sim.issueServiceAccountToken())).status, 200);
  const cases: [Parameters<typeof sim.issueServiceAccountToken>[0], number][] = [
    [{ subject: "system:serviceaccount:x:y" }, 70021],
    [{ audience: "api://other" }, 70021],
    [{ issuer: "https://other.issuer" }, 70021],
    [{ lifetimeSeconds: -1 }, 700024],
  ];
  for (const [options, code] of cases) {
    const answer = await post(await sim.issueServiceAccountToken(options));
    assert.equal(answer.status, 401, JSON.stringify(options));
    assert.deepEqual(answer.body.error_codes, [code]);
  }
  const token = await sim.issueServiceAccountToken();
  const [head, body] = token.split(".");
  const forged = await post(`${head}.${body}.${"A".repeat(342)}`);
  assert.deepEqual(forged.body.error_codes, [700027]);
});

Deno.test("ingest sim prints the environment of each secretless flow with a valid token file", async () => {
  const dir = await Deno.makeTempDir();
  const lines: string[] = [];
  try {
    await using _sim = await runSimulatorCli({ identityDir: dir }, (line) => lines.push(line));
    const text = lines.join("\n");
    assert.match(
      text,
      /workload identity {2}AZURE_CLIENT_ID=\S+ AZURE_TENANT_ID=\S+ AZURE_AUTHORITY_HOST=\S+ AZURE_FEDERATED_TOKEN_FILE=/,
    );
    assert.match(
      text,
      /App Service {8}IDENTITY_ENDPOINT=http:\/\/127\.0\.0\.1:\d+\/msi\/token IDENTITY_HEADER=/,
    );
    assert.match(
      text,
      /Azure Arc {10}IDENTITY_ENDPOINT=\S+ IMDS_ENDPOINT=\S+ INGEST_TEST_ARC_TOKENS_DIR=/,
    );
    assert.match(text, /Azure VM IMDS {6}INGEST_TEST_IMDS_ENDPOINT=http:\/\/127\.0\.0\.1:\d+/);
    const token = await Deno.readTextFile(join(dir, "azure-identity-token"));
    assert.equal(token.split(".").length, 3);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
