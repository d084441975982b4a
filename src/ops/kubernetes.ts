/**
 * `ingest schedule print --kubernetes`: one Kubernetes CronJob per job, each running
 * `ingest run-once --job <name>` in a container. A pure function of the settings.
 *
 * - `concurrencyPolicy: Forbid` is the overlap skip: a schedule that fires while the job's pod
 *   still runs is skipped. `startingDeadlineSeconds` drops a start missed by more than that.
 * - The settings file comes from the ConfigMap `ingest-settings` (key `settings.toml`), the
 *   credential from the Secret `ingest-credentials` through `client_secret_file` (or
 *   `client_certificate_path`), and `ingestion_dir` from the volume claim `ingest-data`. The
 *   container's paths are set with `INGEST_JOBS__<JOB>__<KEY>` variables, so the ConfigMap can
 *   hold the very file the host uses.
 * - With `workloadIdentity` (Entra Workload ID) there is no credential Secret: a ServiceAccount
 *   annotated `azure.workload.identity/client-id`, the pod label
 *   `azure.workload.identity/use: "true"` (required in the pod template), and `auth =
 *   "workload_identity"`; the webhook injects the token file and `AZURE_*` variables
 *   (research/secretless-auth.md §2 "Kubernetes — Entra Workload ID").
 * - The schedule is translated like for crontab: an interval must divide an hour or a day,
 *   daily times must share their minute (one CronJob has one schedule), a cron must not use
 *   seconds. An IANA `timezone` becomes `timeZone:`.
 * @module
 */
import { basename, isAbsolute, relative } from "node:path";
import type { Settings } from "../config/settings.ts";
import { jobEnvName } from "../config/env.ts";
import { UsageError } from "../errors.ts";
import { cronSchedules } from "./schedule_print.ts";
import { scheduleError } from "./schedule_input.ts";
import { toYaml, type YamlValue } from "./yaml_emit.ts";

/** Names the manifests refer to; create them as the printed comments say. */
export const KUBERNETES_NAMES = {
  configMap: "ingest-settings",
  secret: "ingest-credentials",
  claim: "ingest-data",
} as const;

/** Where the container finds its files. */
export const CONTAINER_PATHS = {
  settings: "/etc/ingest/settings.toml",
  settingsDir: "/etc/ingest",
  secrets: "/var/run/secrets/ingest",
  data: "/data",
} as const;

/** The user id of the image's non-root user (see the Dockerfile). */
export const CONTAINER_UID = 10001;

/** Input of {@link kubernetesCronJobs}. */
export interface KubernetesInput {
  /** The jobs to print, one CronJob each. */
  jobs: readonly Settings[];
  /** The settings file on this host: relative `ingestion_dir`s are kept relative to its folder. */
  configPath: string;
  /** Container image; default `ingest:latest`. */
  image?: string | undefined;
  /** Entra Workload ID instead of a credential Secret (`--workload-identity`). */
  workloadIdentity?: boolean | undefined;
}

/** The ServiceAccount of `--workload-identity` (the federated credential's subject names it). */
export const WORKLOAD_IDENTITY_ACCOUNT = "ingest";

/** The CronJob name of `job`: DNS-1123 (`_` becomes `-`), at most 52 characters. */
export function cronJobName(job: string): string {
  return `ingest-${job.replace(/_/g, "-")}`.replace(/-+$/, "").slice(0, 52);
}

/** The CronJob schedule (5-field cron) of `settings`, or a UsageError saying why there is none. */
export function kubernetesSchedule(settings: Pick<Settings, "schedule" | "job">): string {
  let lines: string[];
  try {
    lines = cronSchedules(settings.schedule);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    // The message is the crontab one rewritten: as a cause it would be said twice.
    throw new UsageError(
      error.message.replace(/\bin crontab\b/, `of job "${settings.job}" in a Kubernetes CronJob`)
        .replace(/or a systemd timer\b/, "or a cron"),
    );
  }
  if (lines.length !== 1) {
    scheduleError(
      `express the daily times of job "${settings.job}" in one Kubernetes CronJob schedule`,
      "the times differ in their minute; use times that share the minute (09:05, 12:05) or a cron",
    );
  }
  return lines[0]!;
}

/** Seconds a missed start may still begin: 5 minutes, or half an interval shorter than 10. */
function startingDeadline(settings: Settings): number {
  const mode = settings.schedule;
  return mode.kind === "interval" && mode.minutes < 10 ? Math.max(10, mode.minutes * 30) : 300;
}

/** The container path of `dir`: below `/data`, keeping its path relative to the settings file. */
export function containerDataPath(dir: string, configDir: string): string {
  const rel = relative(configDir, dir);
  const inside = rel !== "" && !rel.startsWith("..") && !isAbsolute(rel);
  const tail = (inside ? rel : basename(dir)).split(/[\\/]+/).filter(Boolean).join("/");
  return `${CONTAINER_PATHS.data}/${tail}`;
}

function envVar(name: string, value: string): YamlValue {
  return { name, value };
}

function containerEnv(
  settings: Settings,
  configDir: string,
  workloadIdentity: boolean,
): YamlValue[] {
  const job = settings.job;
  const env: YamlValue[] = [
    envVar(
      jobEnvName(job, "ingestion_dir"),
      containerDataPath(settings.ingestion_dir, configDir),
    ),
    envVar(jobEnvName(job, "staging_dir"), containerDataPath(settings.staging_dir, configDir)),
    envVar(
      jobEnvName(job, "lock_file"),
      `${containerDataPath(settings.staging_dir, configDir)}/${basename(settings.lock_file)}`,
    ),
  ];
  if (settings.metrics_file !== undefined) {
    env.push(
      envVar(jobEnvName(job, "metrics_file"), `${CONTAINER_PATHS.data}/metrics/${job}.prom`),
    );
  }
  if (workloadIdentity) {
    env.push(envVar(jobEnvName(job, "auth"), "workload_identity"));
  } else if (settings.client_certificate_path !== undefined) {
    env.push(
      envVar(
        jobEnvName(job, "client_certificate_path"),
        `${CONTAINER_PATHS.secrets}/client_certificate.pem`,
      ),
    );
  } else {
    env.push(
      envVar(jobEnvName(job, "client_secret_file"), `${CONTAINER_PATHS.secrets}/client_secret`),
    );
  }
  env.push({
    name: jobEnvName(job, "db_service_token"),
    valueFrom: {
      secretKeyRef: { name: KUBERNETES_NAMES.secret, key: "db_service_token", optional: true },
    },
  });
  env.push(...telemetryEnv(job));
  return env;
}

/**
 * The OpenTelemetry resource of the pod (docs/telemetry.md). Telemetry stays off until an
 * endpoint is set: `otel_endpoint` in the ConfigMap or `OTEL_EXPORTER_OTLP_ENDPOINT` here.
 */
function telemetryEnv(job: string): YamlValue[] {
  const field = (fieldPath: string) => ({ fieldRef: { fieldPath } });
  return [
    { name: "K8S_POD_NAME", valueFrom: field("metadata.name") },
    { name: "K8S_NAMESPACE", valueFrom: field("metadata.namespace") },
    envVar("OTEL_SERVICE_NAME", "ingest"),
    envVar(
      "OTEL_RESOURCE_ATTRIBUTES",
      `k8s.cronjob.name=${cronJobName(job)},k8s.pod.name=$(K8S_POD_NAME),` +
        "k8s.namespace.name=$(K8S_NAMESPACE)",
    ),
  ];
}

/** One CronJob manifest for one job. */
export function cronJob(settings: Settings, input: KubernetesInput): Record<string, YamlValue> {
  const configDir = input.configPath.replace(/[\\/][^\\/]*$/, "");
  const workloadIdentity = input.workloadIdentity === true;
  const labels = { "app.kubernetes.io/name": "ingest", "ingest/job": settings.job };
  const podLabels = workloadIdentity
    ? { ...labels, "azure.workload.identity/use": "true" }
    : labels;
  const credentialMount = workloadIdentity
    ? []
    : [{ name: "credentials", mountPath: CONTAINER_PATHS.secrets, readOnly: true }];
  const credentialVolume = workloadIdentity
    ? []
    : [{ name: "credentials", secret: { secretName: KUBERNETES_NAMES.secret } }];
  const spec: Record<string, YamlValue> = {
    schedule: kubernetesSchedule(settings),
    ...(settings.timezone === "local" ? {} : { timeZone: settings.timezone }),
    concurrencyPolicy: "Forbid",
    startingDeadlineSeconds: startingDeadline(settings),
    suspend: !settings.enabled,
    successfulJobsHistoryLimit: 3,
    failedJobsHistoryLimit: 3,
    jobTemplate: {
      spec: {
        backoffLimit: 0,
        activeDeadlineSeconds: 7200,
        template: {
          metadata: { labels: podLabels },
          spec: {
            ...(workloadIdentity ? { serviceAccountName: WORKLOAD_IDENTITY_ACCOUNT } : {}),
            restartPolicy: "Never",
            terminationGracePeriodSeconds: Math.ceil(settings.shutdown_timeout_seconds) + 10,
            securityContext: {
              runAsNonRoot: true,
              runAsUser: CONTAINER_UID,
              runAsGroup: CONTAINER_UID,
              fsGroup: CONTAINER_UID,
            },
            containers: [{
              name: "ingest",
              image: input.image ?? "ingest:latest",
              args: ["run-once", "--config", CONTAINER_PATHS.settings, "--job", settings.job],
              env: containerEnv(settings, configDir, workloadIdentity),
              securityContext: {
                allowPrivilegeEscalation: false,
                readOnlyRootFilesystem: true,
                capabilities: { drop: ["ALL"] },
              },
              volumeMounts: [
                { name: "settings", mountPath: CONTAINER_PATHS.settingsDir, readOnly: true },
                ...credentialMount,
                { name: "data", mountPath: CONTAINER_PATHS.data },
                { name: "tmp", mountPath: "/tmp" },
              ],
            }],
            volumes: [
              { name: "settings", configMap: { name: KUBERNETES_NAMES.configMap } },
              ...credentialVolume,
              { name: "data", persistentVolumeClaim: { claimName: KUBERNETES_NAMES.claim } },
              { name: "tmp", emptyDir: {} },
            ],
          },
        },
      },
    },
  };
  return {
    apiVersion: "batch/v1",
    kind: "CronJob",
    metadata: { name: cronJobName(settings.job), labels },
    spec,
  };
}

/**
 * The CronJobs of `input.jobs` as one multi-document YAML stream, after comments saying how to
 * create the ConfigMap, Secret and volume claim they use.
 * @throws {UsageError} a schedule a CronJob cannot express
 */
export function kubernetesCronJobs(input: KubernetesInput): string {
  const head = input.workloadIdentity ? workloadIdentityHead(input) : [
    "# ingest: one CronJob per job (`ingest schedule print --kubernetes`).",
    `# kubectl create configmap ${KUBERNETES_NAMES.configMap} --from-file=settings.toml`,
    `# kubectl create secret generic ${KUBERNETES_NAMES.secret} --from-file=client_secret=<file>` +
    " [--from-literal=db_service_token=<token>]",
    `# The volume claim ${KUBERNETES_NAMES.claim} holds ingestion_dir and staging_dir` +
    " (the file watcher reads the same volume).",
    "# The settings.toml in the ConfigMap must not hold client_secret (the pod reads it from the" +
    " Secret) nor log_file (pods log to stderr).",
    "# Traces and metrics (OTLP/HTTP): add OTEL_EXPORTER_OTLP_ENDPOINT (e.g." +
    " http://otel-collector.observability:4318) to env, or otel_endpoint to settings.toml;" +
    " a collector key goes in OTEL_EXPORTER_OTLP_HEADERS from a Secret (secretKeyRef)." +
    " See docs/telemetry.md.",
  ];
  const local = input.jobs.filter((s) => s.timezone === "local").map((s) => s.job);
  if (local.length > 0) {
    head.push(
      `# timezone = "local" (${local.join(", ")}): the schedule runs in the cluster's zone, ` +
        "usually UTC; set an IANA timezone to pin it.",
    );
  }
  const jitter = input.jobs.filter((s) => s.jitter_seconds > 0).map((s) => s.job);
  if (jitter.length > 0) {
    head.push(`# jitter_seconds is not applied by CronJobs (${jitter.join(", ")}).`);
  }
  const docs = input.jobs.map((settings) => `---\n${toYaml(cronJob(settings, input))}`);
  if (input.workloadIdentity) {
    docs.unshift(`---\n${toYaml(workloadIdentityAccount(input.jobs))}`);
  }
  return [...head, ...docs].join("\n");
}

/** The app registration every job uses; one ServiceAccount names one client id. */
function workloadClient(jobs: readonly Settings[]): { clientId: string; tenantId?: string } {
  const ids = [...new Set(jobs.map((s) => s.client_id ?? "<app-client-id>"))];
  if (ids.length > 1) {
    throw new UsageError(
      `Cannot print one workload identity ServiceAccount for jobs with different client_id ` +
        `(${ids.join(", ")}): pass --job NAME for the jobs of one app registration`,
    );
  }
  const tenants = [...new Set(jobs.map((s) => s.tenant_id).filter((t) => t !== undefined))];
  return { clientId: ids[0]!, ...(tenants.length === 1 ? { tenantId: tenants[0]! } : {}) };
}

/** The ServiceAccount with the `azure.workload.identity/client-id` annotation. */
export function workloadIdentityAccount(jobs: readonly Settings[]): Record<string, YamlValue> {
  const { clientId, tenantId } = workloadClient(jobs);
  return {
    apiVersion: "v1",
    kind: "ServiceAccount",
    metadata: {
      name: WORKLOAD_IDENTITY_ACCOUNT,
      labels: { "app.kubernetes.io/name": "ingest" },
      annotations: {
        "azure.workload.identity/client-id": clientId,
        ...(tenantId !== undefined ? { "azure.workload.identity/tenant-id": tenantId } : {}),
      },
    },
  };
}

function workloadIdentityHead(input: KubernetesInput): string[] {
  const { clientId } = workloadClient(input.jobs);
  return [
    "# ingest: one CronJob per job with Entra Workload ID " +
    "(`ingest schedule print --kubernetes --workload-identity`): no credential Secret.",
    `# kubectl create configmap ${KUBERNETES_NAMES.configMap} --from-file=settings.toml`,
    "# The app registration trusts the ServiceAccount through a federated credential " +
    "(docs/entra-app-registration.md):",
    `#   az ad app federated-credential create --id ${clientId} --parameters ` +
    `'{"name":"ingest-k8s","issuer":"<cluster OIDC issuer URL>",` +
    `"subject":"system:serviceaccount:<namespace>:${WORKLOAD_IDENTITY_ACCOUNT}",` +
    `"audiences":["api://AzureADTokenExchange"]}'`,
    `# Optional: kubectl create secret generic ${KUBERNETES_NAMES.secret} ` +
    "--from-literal=db_service_token=<token> (read as an environment variable, not a volume).",
    `# The volume claim ${KUBERNETES_NAMES.claim} holds ingestion_dir and staging_dir` +
    " (the file watcher reads the same volume).",
    "# The settings.toml in the ConfigMap must not hold client_secret, client_secret_file or" +
    ' client_certificate_path (the pods use auth = "workload_identity") nor log_file.',
  ];
}
