import assert from "node:assert/strict";
import { parseAllDocuments } from "yaml";
import { loadSettings } from "../../src/config/load.ts";
import { runMain } from "../helpers/cli_harness.ts";
import { simWorkspace } from "../helpers/sim_workspace.ts";

// deno-lint-ignore no-explicit-any
type Doc = any;

function parse(text: string): Doc[] {
  const docs = parseAllDocuments(text);
  for (const doc of docs) assert.deepEqual(doc.errors, [], "valid YAML");
  return docs.map((doc) => doc.toJS()).filter((doc) => doc !== null);
}

Deno.test("schedule print --kubernetes --workload-identity: ServiceAccount, pod label, no Secret volume", async () => {
  await using ws = await simWorkspace();
  const run = await runMain(
    ["schedule", "print", "--kubernetes", "--workload-identity", "--image", "ingest:t"],
    { cwd: ws.dir },
  );
  assert.equal(run.code, 0, run.stderr);
  const [account, cronJob] = parse(run.stdout);
  assert.equal(account.kind, "ServiceAccount");
  assert.equal(account.metadata.name, "ingest");
  assert.equal(account.metadata.annotations["azure.workload.identity/client-id"], ws.sim.clientId);
  assert.equal(account.metadata.annotations["azure.workload.identity/tenant-id"], ws.sim.tenantId);
  const pod = cronJob.spec.jobTemplate.spec.template;
  assert.equal(pod.metadata.labels["azure.workload.identity/use"], "true");
  assert.equal(typeof pod.metadata.labels["azure.workload.identity/use"], "string");
  assert.equal(pod.spec.serviceAccountName, "ingest");
  assert.ok(pod.spec.volumes.every((v: Doc) => v.secret === undefined), "a Secret volume remains");
  const container = pod.spec.containers[0];
  assert.ok(container.volumeMounts.every((m: Doc) => m.name !== "credentials"));
  const env = Object.fromEntries(container.env.map((e: Doc) => [e.name, e.value ?? e.valueFrom]));
  assert.equal(env.INGEST_JOBS__DEFAULT__AUTH, "workload_identity");
  assert.equal(env.INGEST_JOBS__DEFAULT__CLIENT_SECRET_FILE, undefined);
  assert.match(run.stdout, /system:serviceaccount:<namespace>:ingest/);
  assert.match(run.stdout, /api:\/\/AzureADTokenExchange/);
  assert.doesNotMatch(run.stdout, new RegExp(ws.sim.clientSecret.replace(/[.~]/g, "\\$&")));

  // The pod's settings (the ConfigMap without the secret, plus the printed env) load as workload
  // identity once the webhook has injected its variables.
  const snippet = (await Deno.readTextFile(ws.settingsPath)).split("\n")
    .filter((line) => !line.startsWith("client_secret")).join("\n");
  const settingsPath = `${ws.dir}/pod.toml`;
  await Deno.writeTextFile(settingsPath, snippet);
  const { settings } = await loadSettings({
    configPath: settingsPath,
    cwd: ws.dir,
    execPath: "/nonexistent/ingest",
    env: {
      // What the CronJob sets and what the webhook injects.
      INGEST_JOBS__DEFAULT__AUTH: "workload_identity",
      AZURE_FEDERATED_TOKEN_FILE: "/var/run/secrets/azure/tokens/azure-identity-token",
    },
  });
  assert.equal(settings.auth, "workload_identity");

  const bad = await runMain(["schedule", "print", "--cron", "--workload-identity"], {
    cwd: ws.dir,
  });
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /Cannot use --workload-identity: it only applies to --kubernetes/);
});
