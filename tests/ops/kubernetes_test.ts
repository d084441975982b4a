import assert from "node:assert/strict";
import { parseAllDocuments } from "yaml";
import type { Settings } from "../../src/config/settings.ts";
import { UsageError } from "../../src/errors.ts";
import {
  CONTAINER_UID,
  containerDataPath,
  cronJobName,
  kubernetesCronJobs,
  kubernetesSchedule,
} from "../../src/ops/kubernetes.ts";
import { testSettings } from "../sync/test_settings.ts";
import { runMain } from "../helpers/cli_harness.ts";
import { simWorkspace } from "../helpers/sim_workspace.ts";

const HOST = "/srv/ingest";

function job(name: string, overrides: Partial<Settings> = {}): Settings {
  return testSettings(HOST, {
    job: name,
    ingestion_dir: `${HOST}/in/${name}`,
    staging_dir: `${HOST}/in/.${name}.ingest-staging`,
    lock_file: `${HOST}/in/.${name}.ingest-staging/ingest-${name}.lock`,
    ...overrides,
  });
}

// deno-lint-ignore no-explicit-any
type Doc = any;

function parse(text: string): Doc[] {
  const docs = parseAllDocuments(text);
  for (const doc of docs) assert.deepEqual(doc.errors, [], "valid YAML");
  return docs.map((doc) => doc.toJS()).filter((doc) => doc !== null);
}

function env(doc: Doc): Record<string, unknown> {
  const container = doc.spec.jobTemplate.spec.template.spec.containers[0];
  return Object.fromEntries(
    container.env.map((e: Doc) => [e.name, e.value ?? e.valueFrom]),
  );
}

Deno.test("kubernetesCronJobs() prints one CronJob per job with the overlap skip and the job's schedule", () => {
  const text = kubernetesCronJobs({
    jobs: [
      job("reports", {
        schedule: { kind: "daily", times: ["09:05", "12:05", "15:05"] },
        timezone: "America/Chicago",
        shutdown_timeout_seconds: 45,
      }),
      job("arch_ive", { schedule: { kind: "interval", minutes: 30 }, timezone: "local" }),
    ],
    configPath: `${HOST}/settings.toml`,
    image: "registry.example/ingest:0.1.0",
  });
  const [reports, archive] = parse(text);
  assert.equal(reports.apiVersion, "batch/v1");
  assert.equal(reports.kind, "CronJob");
  assert.equal(reports.metadata.name, "ingest-reports");
  assert.equal(archive.metadata.name, "ingest-arch-ive");
  assert.equal(reports.spec.schedule, "5 9,12,15 * * *");
  assert.equal(reports.spec.timeZone, "America/Chicago");
  assert.equal(archive.spec.schedule, "*/30 * * * *");
  assert.equal(archive.spec.timeZone, undefined);
  assert.match(text, /timezone = "local" \(arch_ive\)/);
  for (const doc of [reports, archive]) {
    assert.equal(doc.spec.concurrencyPolicy, "Forbid");
    assert.equal(typeof doc.spec.startingDeadlineSeconds, "number");
    assert.equal(doc.spec.suspend, false);
    const pod = doc.spec.jobTemplate.spec.template.spec;
    assert.equal(pod.restartPolicy, "Never");
    assert.equal(pod.securityContext.runAsNonRoot, true);
    assert.equal(pod.securityContext.runAsUser, CONTAINER_UID);
    assert.deepEqual(
      pod.volumes.map((v: Doc) => Object.keys(v).find((k) => k !== "name")),
      ["configMap", "secret", "persistentVolumeClaim", "emptyDir"],
    );
    assert.equal(pod.volumes[0].configMap.name, "ingest-settings");
    assert.equal(pod.volumes[1].secret.secretName, "ingest-credentials");
    assert.equal(pod.volumes[2].persistentVolumeClaim.claimName, "ingest-data");
    assert.equal(pod.containers[0].image, "registry.example/ingest:0.1.0");
  }
  const container = reports.spec.jobTemplate.spec.template.spec.containers[0];
  assert.deepEqual(container.args, [
    "run-once",
    "--config",
    "/etc/ingest/settings.toml",
    "--job",
    "reports",
  ]);
  assert.equal(reports.spec.jobTemplate.spec.template.spec.terminationGracePeriodSeconds, 55);
  assert.deepEqual(env(reports), {
    INGEST_JOBS__REPORTS__INGESTION_DIR: "/data/in/reports",
    INGEST_JOBS__REPORTS__STAGING_DIR: "/data/in/.reports.ingest-staging",
    INGEST_JOBS__REPORTS__LOCK_FILE: "/data/in/.reports.ingest-staging/ingest-reports.lock",
    INGEST_JOBS__REPORTS__CLIENT_SECRET_FILE: "/var/run/secrets/ingest/client_secret",
    INGEST_JOBS__REPORTS__DB_SERVICE_TOKEN: {
      secretKeyRef: { name: "ingest-credentials", key: "db_service_token", optional: true },
    },
    K8S_POD_NAME: { fieldRef: { fieldPath: "metadata.name" } },
    K8S_NAMESPACE: { fieldRef: { fieldPath: "metadata.namespace" } },
    OTEL_SERVICE_NAME: "ingest",
    OTEL_RESOURCE_ATTRIBUTES: "k8s.cronjob.name=ingest-reports,k8s.pod.name=$(K8S_POD_NAME)," +
      "k8s.namespace.name=$(K8S_NAMESPACE)",
  });
  assert.match(text, /# Traces and metrics \(OTLP\/HTTP\): add OTEL_EXPORTER_OTLP_ENDPOINT/);
  assert.deepEqual(
    container.volumeMounts.map((m: Doc) => m.mountPath),
    ["/etc/ingest", "/var/run/secrets/ingest", "/data", "/tmp"],
  );
  assert.equal(env(archive).INGEST_JOBS__ARCH_IVE__INGESTION_DIR, "/data/in/arch_ive");
});

Deno.test("kubernetesCronJobs() mounts a certificate instead of a secret and suspends disabled jobs", () => {
  const [doc] = parse(kubernetesCronJobs({
    jobs: [job("a", { client_certificate_path: `${HOST}/cert.pem`, enabled: false })],
    configPath: `${HOST}/settings.toml`,
  }));
  assert.equal(doc.spec.suspend, true);
  assert.equal(
    env(doc).INGEST_JOBS__A__CLIENT_CERTIFICATE_PATH,
    "/var/run/secrets/ingest/client_certificate.pem",
  );
  assert.equal(env(doc).INGEST_JOBS__A__CLIENT_SECRET_FILE, undefined);
  assert.equal(doc.spec.jobTemplate.spec.template.spec.containers[0].image, "ingest:latest");
});

const SCHEDULES: [Settings["schedule"], string | RegExp][] = [
  [{ kind: "interval", minutes: 60 }, "0 * * * *"],
  [{ kind: "interval", minutes: 15 }, "*/15 * * * *"],
  [{ kind: "interval", minutes: 360 }, "0 */6 * * *"],
  [{ kind: "daily", times: ["06:00"] }, "0 6 * * *"],
  [{ kind: "cron", expression: "0 5 9-18/3 * * 1-5" }, "5 9-18/3 * * 1-5"],
  [{ kind: "cron", expression: "30 2 * * 0" }, "30 2 * * 0"],
  [{ kind: "interval", minutes: 7 }, /interval_minutes = 7 of job "x" in a Kubernetes CronJob/],
  [
    { kind: "daily", times: ["09:05", "12:30"] },
    /one Kubernetes CronJob schedule: the times differ/,
  ],
  [{ kind: "cron", expression: "15 0 9 * * *" }, /Kubernetes CronJob: cron has no seconds field/],
];

for (const [schedule, expected] of SCHEDULES) {
  Deno.test(`kubernetesSchedule(${JSON.stringify(schedule)})`, () => {
    if (typeof expected === "string") {
      assert.equal(kubernetesSchedule({ schedule, job: "x" }), expected);
      return;
    }
    assert.throws(() => kubernetesSchedule({ schedule, job: "x" }), (error: Error) => {
      assert.ok(error instanceof UsageError);
      assert.match(error.message, /^Cannot /);
      assert.match(error.message, expected);
      return true;
    });
  });
}

Deno.test("cronJobName() and containerDataPath() keep names and paths valid", () => {
  assert.equal(cronJobName("a_b-"), "ingest-a-b");
  assert.equal(containerDataPath("/srv/ingest/data/in", "/srv/ingest"), "/data/data/in");
  assert.equal(containerDataPath("/mnt/share/incoming", "/srv/ingest"), "/data/incoming");
});

Deno.test("ingest schedule print --kubernetes prints the selected jobs from the settings", async () => {
  await using ws = await simWorkspace();
  const all = await runMain(["schedule", "print", "--kubernetes", "--image", "ingest:t"], {
    cwd: ws.dir,
  });
  assert.equal(all.code, 0, all.stderr);
  const [doc] = parse(all.stdout);
  assert.equal(doc.metadata.name, "ingest-default");
  assert.deepEqual(doc.spec.jobTemplate.spec.template.spec.containers[0].args.slice(-2), [
    "--job",
    "default",
  ]);
  const bad = await runMain(["schedule", "print", "--cron", "--image", "x"], { cwd: ws.dir });
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /^ingest: Cannot use --image: it only applies to --kubernetes/);
});

Deno.test("the Dockerfile builds in a stage and runs as the CronJob's non-root user", async () => {
  const text = await Deno.readTextFile(new URL("../../Dockerfile", import.meta.url));
  const stages = [...text.matchAll(/^FROM (\S+)/gm)].map((m) => m[1]);
  assert.equal(stages.length, 2);
  assert.match(stages[0]!, new RegExp(`^denoland/deno:${Deno.version.deno.replace(/\./g, "\\.")}`));
  assert.match(stages[1]!, /slim/);
  assert.match(text, new RegExp(`^USER ${CONTAINER_UID}:${CONTAINER_UID}$`, "m"));
  assert.match(text, /COPY --from=build \/ingest /);
});
