import assert from "node:assert/strict";
import { join } from "node:path";
import { parse } from "smol-toml";
import { runSimulatorCli } from "../../src/sim/sim_cli.ts";
import { ManualSignals, runMain } from "../helpers/cli_harness.ts";

Deno.test("runSimulatorCli() with a CA file serves HTTPS and prints ca_file in the snippet", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ingest-sim-tls-" });
  const caFile = join(dir, "ca.pem");
  const lines: string[] = [];
  await using sim = await runSimulatorCli({ tlsCaFile: caFile }, (line) => lines.push(line));
  const text = lines.join("\n");
  assert.match(sim.graphBaseUrl, /^https:\/\/127\.0\.0\.1:\d+\/v1\.0$/);
  assert.match(sim.authorityHost, /^https:/);
  assert.match(sim.dbServiceUrl, /^https:/);
  assert.match(sim.downloadOrigin, /^https:\/\/localhost:/);
  const settings = (parse(text.slice(text.indexOf("[scheduler]"))) as {
    scheduler: Record<string, string>;
  }).scheduler;
  assert.equal(settings.ca_file, caFile);
  const ca = await Deno.readTextFile(caFile);
  assert.match(ca, /^-----BEGIN CERTIFICATE-----/);
  await assert.rejects(fetch(sim.graphBaseUrl), /fetch failed/);
  using client = Deno.createHttpClient({ caCerts: [ca] });
  const response = await fetch(
    `${sim.authorityHost}/${sim.tenantId}/v2.0/.well-known/openid-configuration`,
    {
      client,
    },
  );
  await response.body?.cancel();
  assert.ok(response.status < 500, `the login server answered over HTTPS (${response.status})`);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("ingest sim --tls serves HTTPS, prints ca_file, and removes the CA file when stopped", async () => {
  const signals = new ManualSignals("linux");
  let out = "";
  const running = runMain(["sim", "--tls", "--files", "2"], {
    signals,
    stdout: (text) => (out += text),
  });
  for (let i = 0; i < 600 && !out.includes("ca_file ="); i++) {
    await new Promise((r) => setTimeout(r, 5));
  }
  const graph = out.match(/graph_base_url = "([^"]+)"/)?.[1];
  const caFile = out.match(/ca_file = "([^"]+)"/)?.[1];
  assert.ok(graph?.startsWith("https://") && caFile, out);
  using client = Deno.createHttpClient({ caCerts: [await Deno.readTextFile(caFile)] });
  const response = await fetch(`${graph}/sites/contoso.sharepoint.com:/sites/Finance`, { client });
  assert.equal(response.status, 401, "Graph answers over HTTPS and wants a token");
  await response.body?.cancel();
  assert.equal(signals.send("SIGINT"), 1);
  assert.equal((await running).code, 0);
  await assert.rejects(Deno.stat(caFile), Deno.errors.NotFound);
});
