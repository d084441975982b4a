/**
 * Builds the running parts of several jobs in one process: one {@link Runtime} per job, with
 * what they share wired once — a throttle gate per app registration (a Retry-After seen by one
 * job pauses the others), a metrics registry per `metrics_file` (series labelled `{job="…"}`),
 * and the `max_parallel_jobs` run slots.
 * @module
 */
import type { Settings } from "./config/settings.ts";
import { ThrottleGate } from "./http/throttle_gate.ts";
import { Metrics } from "./metrics.ts";
import { buildRuntime, type Runtime, type RuntimeDeps } from "./runtime.ts";
import { JobSet } from "./schedule/job_set.ts";
import { Slots } from "./slots.ts";

/** The wired jobs of one process. */
export interface JobsRuntime {
  jobs: JobSet;
  runtimes: Runtime[];
  /** The throttle gate of each job key (shared by jobs with one app registration). */
  gates: ReadonlyMap<string, ThrottleGate>;
}

/** Jobs with the same app registration share one throttle gate: the limits are per app. */
export function appRegistrationKey(
  settings: Pick<
    Settings,
    "authority_host" | "tenant_id" | "client_id" | "managed_identity_client_id"
  >,
): string {
  return [
    settings.authority_host.replace(/\/+$/, "").toLowerCase(),
    (settings.tenant_id ?? "").toLowerCase(),
    (settings.client_id ?? `managed:${settings.managed_identity_client_id ?? "system"}`)
      .toLowerCase(),
  ].join("|");
}

/**
 * Wires every job in `jobs` (one settings object per job key).
 * @param command recorded as lock holder: "run", "run-once" or "trigger"
 */
export function buildJobsRuntime(
  jobs: readonly Settings[],
  deps: RuntimeDeps,
  command: string,
): JobsRuntime {
  // One job alone keeps its own overlap rules: slots only bound several jobs.
  const slots = jobs.length > 1 ? new Slots(jobs[0]!.max_parallel_jobs) : undefined;
  const gates = new Map<string, ThrottleGate>();
  const registries = new Map<string, Metrics>();
  const gateOfJob = new Map<string, ThrottleGate>();
  const runtimes = jobs.map((settings) => {
    const key = appRegistrationKey(settings);
    const maxWaitMs = Math.max(
      ...jobs.filter((s) => appRegistrationKey(s) === key).map((s) =>
        s.max_throttle_wait_seconds * 1000
      ),
    );
    let gate = gates.get(key);
    if (!gate) gates.set(key, gate = new ThrottleGate({ clock: deps.clock, maxWaitMs }));
    gateOfJob.set(settings.job, gate);
    const file = settings.metrics_file ?? `\0${settings.job}`;
    let registry = registries.get(file);
    if (!registry) registries.set(file, registry = new Metrics());
    return buildRuntime(settings, deps, command, {
      gate,
      metrics: registry.withLabels({ job: settings.job }),
      ...(slots ? { slots } : {}),
    });
  });
  return { jobs: new JobSet(runtimes.map((r) => r.scheduler)), runtimes, gates: gateOfJob };
}
