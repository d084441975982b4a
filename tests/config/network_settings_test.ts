import assert from "node:assert/strict";
import { MINIMAL as BASE } from "./settings_files.ts";
import { join } from "node:path";
import { loadSettings } from "../../src/config/load.ts";
import { ConfigError } from "../../src/errors.ts";
import { runMain } from "../helpers/cli_harness.ts";

const MINIMAL = BASE.replace("http://127.0.0.1:9/db", "https://db.corp.local/ingested");

const PEM = "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIQ\n-----END CERTIFICATE-----\n";
const PASSWORD = "Pr0xy-Pa55w0rd!";

async function folder(extra: string, files: Record<string, string> = {}) {
  const dir = await Deno.makeTempDir({ prefix: "ingest-net-" });
  await Deno.writeTextFile(join(dir, "settings.toml"), MINIMAL + extra);
  for (const [name, text] of Object.entries(files)) await Deno.writeTextFile(join(dir, name), text);
  return dir;
}

async function loadIn(dir: string, env: Record<string, string> = {}) {
  return await loadSettings({ env, cwd: dir, execPath: "/nonexistent/ingest" });
}

async function errorIn(dir: string, env: Record<string, string> = {}): Promise<string> {
  try {
    await loadIn(dir, env);
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    return error.message;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  assert.fail("expected a ConfigError");
}

Deno.test("proxy_url, proxy_password_file, no_proxy and ca_file load, paths beside the file", async () => {
  const dir = await folder(
    'proxy_url = "http://svc%40corp@proxy.corp:8080"\nproxy_password_file = "proxy.pw"\n' +
      'no_proxy = [".Corp.Local", "10.0.0.0/8", "*.internal"]\nca_file = "corp-root.pem"\n',
    { "proxy.pw": `${PASSWORD}\r\n`, "corp-root.pem": `subject=Corp\n${PEM}${PEM}` },
  );
  const { settings, sources } = await loadIn(dir);
  assert.equal(settings.proxy_url, "http://svc%40corp@proxy.corp:8080");
  assert.equal(settings.proxy_password, PASSWORD);
  assert.deepEqual(settings.no_proxy, [".corp.local", "10.0.0.0/8", "*.internal"]);
  assert.equal(settings.ca_file, join(dir, "corp-root.pem"));
  assert.equal(settings.ca_certificates?.length, 2);
  assert.equal(sources.no_proxy?.kind, "file");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("INGEST_PROXY_URL and INGEST_NO_PROXY come from the environment", async () => {
  const dir = await folder("");
  const { settings } = await loadIn(dir, {
    INGEST_PROXY_URL: "https://proxy.corp:8443",
    INGEST_NO_PROXY: "db.corp.local, 127.0.0.1",
  });
  assert.equal(settings.proxy_url, "https://proxy.corp:8443");
  assert.deepEqual(settings.no_proxy, ["db.corp.local", "127.0.0.1"]);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("bad network settings give one line naming the key", async () => {
  const cases: [string, Record<string, string>, RegExp][] = [
    [
      `proxy_url = "http://svc:${PASSWORD}@proxy:8080"\n`,
      {},
      /proxy_url.*must not contain a password.*proxy_password_file/,
    ],
    ['proxy_url = "socks5://proxy:1080"\n', {}, /proxy_url.*http:\/\/ or https:\/\//],
    ['proxy_url = "proxy.corp:8080"\n', {}, /proxy_url.*http:\/\/ or https:\/\//],
    ['proxy_url = "http://proxy:8080/path"\n', {}, /proxy_url.*no path/],
    ['no_proxy = ["https://db.corp.local/"]\n', {}, /no_proxy.*item 1.*not a URL/],
    ['no_proxy = ["db.corp.local:443"]\n', {}, /no_proxy.*port/],
    [
      'proxy_url = "http://svc@proxy:8080"\n',
      {},
      /proxy_url.*user "svc" but proxy_password_file is not set/,
    ],
    [
      'proxy_url = "http://proxy:8080"\nproxy_password_file = "pw"\n',
      { pw: "x" },
      /proxy_password_file.*names no user/,
    ],
    [
      'proxy_url = "http://svc@proxy:8080"\nproxy_password_file = "missing.pw"\n',
      {},
      /Cannot read proxy_password_file .*missing\.pw/,
    ],
    [
      'proxy_url = "http://svc@proxy:8080"\nproxy_password_file = "pw"\n',
      { pw: "\n" },
      /proxy_password_file .*empty/,
    ],
    [
      'ca_file = "root.cer"\n',
      { "root.cer": "binary DER?" },
      /ca_file .*root\.cer.*no "BEGIN CERTIFICATE"/,
    ],
    ['ca_file = "nope.pem"\n', {}, /Cannot read ca_file .*nope\.pem/],
  ];
  for (const [extra, files, expected] of cases) {
    const message = await errorIn(await folder(extra, files));
    assert.match(message, expected, extra);
    assert.equal(message.split("\n").length, 1, extra);
    assert.ok(!message.includes(PASSWORD), `password shown: ${message}`);
  }
});

Deno.test("ingest config never shows the proxy password", async () => {
  const dir = await folder(
    'proxy_url = "http://svc@proxy.corp:8080"\nproxy_password_file = "proxy.pw"\n',
    { "proxy.pw": PASSWORD },
  );
  const text = await runMain(["config"], { cwd: dir });
  const json = await runMain(["--json", "config"], { cwd: dir });
  assert.equal(text.code, 0);
  assert.equal(json.code, 0);
  const out = text.stdout + text.stderr + json.stdout + json.stderr;
  assert.match(out, /proxy_password_file/);
  assert.match(out, /http:\/\/svc@proxy\.corp:8080/);
  assert.ok(!out.includes(PASSWORD));
  await Deno.remove(dir, { recursive: true });
});
