import assert from "node:assert/strict";
import { join } from "node:path";
import { parse } from "smol-toml";
import { runSimulatorCli } from "../../src/sim/sim_cli.ts";

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
