/**
 * End to end behind a corporate network: the simulator serves HTTPS with its own CA (as a
 * TLS-inspecting proxy re-signs traffic), a loopback CONNECT proxy demands Basic credentials,
 * and `ingest trigger` / `ingest check` read proxy_url, proxy_password_file, no_proxy and ca_file.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { defaultDemoFiles } from "../../src/sim/sim_cli.ts";
import { createTestCa, issueServerCertificate } from "../../src/sim/tls_certificates.ts";
import { runMain } from "../helpers/cli_harness.ts";
import { type ConnectProxyOptions, startConnectProxy } from "../helpers/connect_proxy.ts";
import { simWorkspace } from "../helpers/sim_workspace.ts";
import { withoutProxyEnvironment } from "../helpers/proxy_env.ts";

const USER = "svc-ingest";

const PASSWORD = "Corp-Pr0xy-S3cret!";

async function tlsSetup(
  proxyOptions: ConnectProxyOptions = { basic: { username: USER, password: PASSWORD } },
) {
  const ca = await createTestCa();
  const tls = await issueServerCertificate(ca);
  const ws = await simWorkspace({ tls, files: defaultDemoFiles(new Date()) });
  const proxy = startConnectProxy(proxyOptions);
  await Deno.writeTextFile(join(ws.dir, "corp-root.pem"), ca.certificatePem);
  await Deno.writeTextFile(join(ws.dir, "proxy.pw"), `${PASSWORD}\n`);
  return {
    ws,
    proxy,
    proxyLines: `proxy_url = "http://${USER}@127.0.0.1:${proxy.port}"\n` +
      'proxy_password_file = "proxy.pw"\n',
    async [Symbol.asyncDispose]() {
      await proxy.close();
      await ws[Symbol.asyncDispose]();
    },
  };
}

function assertNoSecret(text: string) {
  assert.ok(!text.includes(PASSWORD), "the proxy password appears in the output");
  assert.ok(
    !text.includes(btoa(`${USER}:${PASSWORD}`)),
    "the Basic credentials appear in the output",
  );
}

Deno.test("trigger through the proxy with ca_file places every file; no_proxy hosts go direct", async () => {
  using _environment = withoutProxyEnvironment();
  await using setup = await tlsSetup();
  const { ws, proxy } = setup;
  const logFile = join(ws.dir, "ingest.jsonl");
  await ws.writeSettings(
    setup.proxyLines + 'no_proxy = ["localhost"]\nca_file = "corp-root.pem"\n' +
      `log_level = "DEBUG"\nlog_file = ${JSON.stringify(logFile)}\n`,
  );
  const run = await runMain(["--config", ws.settingsPath, "trigger"]);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /Downloaded 6 file/);
  assert.equal(ws.incomingNames().length, 6, run.stdout);
  const graphPort = new URL(ws.sim.graphBaseUrl).port;
  const dbPort = new URL(ws.sim.dbServiceUrl).port;
  const loginPort = new URL(ws.sim.authorityHost).port;
  for (const port of [graphPort, dbPort, loginPort]) {
    assert.ok(
      proxy.connects.includes(`127.0.0.1:${port}`),
      `127.0.0.1:${port} went through the proxy`,
    );
  }
  assert.ok(
    !proxy.connects.some((t) => t.startsWith("localhost:")),
    "downloads (localhost) go direct",
  );
  assert.ok(proxy.authorizations.every((a) => a === `Basic ${btoa(`${USER}:${PASSWORD}`)}`));
  assertNoSecret(run.stdout + run.stderr + await Deno.readTextFile(logFile));
});

Deno.test("without ca_file the run fails with exit 1 and one line naming ca_file", async () => {
  using _environment = withoutProxyEnvironment();
  await using setup = await tlsSetup();
  const { ws } = setup;
  await ws.writeSettings(setup.proxyLines + "max_retries = 0\n");
  const run = await runMain(["--config", ws.settingsPath, "trigger"]);
  assert.equal(run.code, 1, run.stderr);
  const lines = run.stderr.trim().split("\n").filter((line) => line.startsWith("ingest:"));
  assert.equal(lines.length, 1, run.stderr);
  assert.match(lines[0]!, /certificate of 127\.0\.0\.1:\d+ has an unknown issuer.*set ca_file/);
  assertNoSecret(run.stdout + run.stderr);
  assert.deepEqual(ws.incomingNames(), []);
});

Deno.test("check prints each route, the trusted roots and the proxy's answer, never the password", async () => {
  using _environment = withoutProxyEnvironment();
  await using setup = await tlsSetup();
  const { ws, proxy } = setup;
  await ws.writeSettings(
    setup.proxyLines + 'no_proxy = ["*.sharepoint.com"]\nca_file = "corp-root.pem"\n',
  );
  const run = await runMain(["--config", ws.settingsPath, "check"]);
  assert.equal(run.code, 0, run.stdout + run.stderr);
  const graph = new URL(ws.sim.graphBaseUrl).host;
  const proxyShown = `http://${USER}@127.0.0.1:${proxy.port}`;
  assert.match(
    run.stdout,
    new RegExp(`✓ trust: trusted roots: .*ca_file .*corp-root\\.pem \\(1 certificate\\)`),
  );
  assert.ok(
    run.stdout.includes(`✓ route Graph: ${graph} via proxy ${proxyShown} (proxy_url)`),
    run.stdout,
  );
  assert.ok(
    run.stdout.includes(
      `✓ route downloads: contoso.sharepoint.com direct (no_proxy "*.sharepoint.com")`,
    ),
    run.stdout,
  );
  assert.ok(run.stdout.includes(`✓ proxy: ${proxyShown} opens a tunnel to ${graph}`), run.stdout);
  assert.match(run.stdout, /Verdict: ready/);
  assertNoSecret(run.stdout + run.stderr);
});

Deno.test("check names ca_file when the proxy's root is not trusted", async () => {
  using _environment = withoutProxyEnvironment();
  await using setup = await tlsSetup();
  const { ws } = setup;
  await ws.writeSettings(setup.proxyLines);
  const run = await runMain(["--config", ws.settingsPath, "check"]);
  assert.equal(run.code, 1);
  assert.match(run.stdout, /✗ token: .*unknown issuer.*set ca_file/);
  assertNoSecret(run.stdout + run.stderr);
});

Deno.test("a 407 asking for NTLM or Negotiate: check recommends a local forwarder, trigger says 407", async () => {
  using _environment = withoutProxyEnvironment();
  await using setup = await tlsSetup({ challenge: ["NTLM", "Negotiate"] });
  const { ws, proxy } = setup;
  await ws.writeSettings(setup.proxyLines + 'ca_file = "corp-root.pem"\nmax_retries = 0\n');
  const check = await runMain(["--config", ws.settingsPath, "check"]);
  assert.equal(check.code, 1);
  assert.match(
    check.stdout,
    /✗ proxy: http:\/\/svc-ingest@127\.0\.0\.1:\d+ answers 407: it wants NTLM, Negotiate \(Windows\) authentication/,
  );
  assert.match(
    check.stdout,
    /→ .*local authenticating forwarder \(Px or Cntlm\).*docs\/deployment-windows\.md/,
  );
  const trigger = await runMain(["--config", ws.settingsPath, "trigger"]);
  assert.equal(trigger.code, 1);
  const lines = trigger.stderr.trim().split("\n").filter((line) => line.startsWith("ingest:"));
  assert.equal(lines.length, 1, trigger.stderr);
  assert.match(lines[0]!, /proxy refused the credentials \(407\).*ingest check/);
  assert.ok(proxy.connects.length >= 2);
  assertNoSecret(check.stdout + check.stderr + trigger.stdout + trigger.stderr);
});

Deno.test("a ca_file Deno cannot read: trigger exits 2 naming ca_file, check fails its trust line", async () => {
  using _environment = withoutProxyEnvironment();
  await using ws = await simWorkspace();
  await Deno.writeTextFile(
    join(ws.dir, "broken.pem"),
    "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIQ\n-----END CERTIFICATE-----\n",
  );
  await ws.writeSettings('ca_file = "broken.pem"\n');
  const trigger = await runMain(["--config", ws.settingsPath, "trigger"]);
  assert.equal(trigger.code, 2, trigger.stderr);
  assert.match(trigger.stderr, /^ingest: Cannot use ca_file .*broken\.pem: .*BadEncoding/m);
  const check = await runMain(["--config", ws.settingsPath, "check"]);
  assert.equal(check.code, 1);
  assert.match(check.stdout, /✗ trust: Cannot use ca_file .*broken\.pem/);
});
