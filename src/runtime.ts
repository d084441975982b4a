/**
 * Builds the running parts from the settings: one Graph client, one DB client, one SyncJob and
 * one Scheduler sharing one `Metrics` registry. The only place that wires real implementations.
 * @module
 */
import type { Clock } from "./clock.ts";
import type { Settings } from "./config/settings.ts";
import { dbClientFromSettings } from "./db/http_db_client.ts";
import { GraphSharePointClient } from "./graph/graph_client.ts";
import type { ThrottleGate } from "./http/throttle_gate.ts";
import { Metrics } from "./metrics.ts";
import type { RunSlots } from "./schedule/run_slots.ts";
import { Scheduler } from "./scheduler.ts";
import { effectiveLookbackMs } from "./schedule/schedule_math.ts";
import { SyncJob } from "./sync_job.ts";

/** Injected process facilities the runtime needs. */
export interface RuntimeDeps {
  fetch: typeof fetch;
  clock: Clock;
  random: () => number;
}

/** The wired components of one process. */
export interface Runtime {
  sharepoint: GraphSharePointClient;
  job: SyncJob;
  scheduler: Scheduler;
  metrics: Metrics;
}

/** Parts a job shares with the other jobs of the process (see `runtime_jobs.ts`). */
export interface SharedParts {
  gate?: ThrottleGate;
  metrics?: Metrics;
  slots?: RunSlots;
}

/**
 * Wires the components for `settings`.
 * @param command recorded as lock holder: "run", "run-once" or "trigger"
 */
export function buildRuntime(
  settings: Settings,
  deps: RuntimeDeps,
  command: string,
  shared: SharedParts = {},
): Runtime {
  const metrics = shared.metrics ?? new Metrics().withLabels({ job: settings.job });
  const sharepoint = new GraphSharePointClient({
    settings,
    fetch: deps.fetch,
    clock: deps.clock,
    random: deps.random,
    ...(shared.gate ? { gate: shared.gate } : {}),
  });
  const db = dbClientFromSettings(settings, deps.fetch);
  const job = new SyncJob({
    settings,
    sharepoint,
    db,
    clock: deps.clock,
    metrics,
    defaultLookbackMs: effectiveLookbackMs(settings, new Date(deps.clock.now())),
  });
  const scheduler = new Scheduler({
    settings,
    job,
    clock: deps.clock,
    random: deps.random,
    metrics,
    command,
    ...(shared.slots ? { slots: shared.slots } : {}),
  });
  return { sharepoint, job, scheduler, metrics };
}
