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
import { Network } from "./network.ts";
import type { Slots } from "./slots.ts";
import { Scheduler } from "./scheduler.ts";
import { effectiveLookbackMs } from "./schedule/schedule_math.ts";
import { stateStoreFor } from "./state/job_state.ts";
import { SyncJob } from "./sync_job.ts";
import type { Telemetry } from "./telemetry/telemetry_api.ts";

/** Injected process facilities the runtime needs. */
export interface RuntimeDeps {
  fetch: typeof fetch;
  clock: Clock;
  random: () => number;
  /** The process environment, for `HTTPS_PROXY`/`NO_PROXY` beneath the settings (default none). */
  env?: Readonly<Record<string, string | undefined>>;
  /** OpenTelemetry of the command (traces and OTLP metrics); default off. */
  telemetry?: Telemetry;
}

/** The wired components of one process. */
export interface Runtime {
  sharepoint: GraphSharePointClient;
  job: SyncJob;
  scheduler: Scheduler;
  metrics: Metrics;
  /** The routed fetch's clients; closed with the runtime. */
  network: Network;
  /** Closes the HTTP clients; call it when the run or the process ends. */
  close(): void;
  [Symbol.dispose](): void;
}

/** Parts a job shares with the other jobs of the process (see `runtime_jobs.ts`). */
export interface SharedParts {
  gate?: ThrottleGate;
  metrics?: Metrics;
  slots?: Slots;
}

/**
 * Wires the components for `settings`. Every request (token, Graph, downloads, DB service) goes
 * through one {@link Network}: close the runtime (or `using`) when the run or process ends.
 * @param command recorded as lock holder: "run", "run-once" or "trigger"
 */
export function buildRuntime(
  settings: Settings,
  deps: RuntimeDeps,
  command: string,
  shared: SharedParts = {},
): Runtime {
  const metrics = shared.metrics ?? new Metrics().withLabels({ job: settings.job });
  const network = new Network(settings, { fetch: deps.fetch, env: deps.env ?? {} });
  const sharepoint = new GraphSharePointClient({
    settings,
    fetch: network.fetch,
    directFetch: network.directFetch,
    clock: deps.clock,
    random: deps.random,
    ...(shared.gate ? { gate: shared.gate } : {}),
  });
  const db = dbClientFromSettings(settings, { fetch: network.fetch, clock: deps.clock });
  const state = stateStoreFor(settings, () => deps.clock.now());
  const job = new SyncJob({
    settings,
    state,
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
    state,
    ...(shared.slots ? { slots: shared.slots } : {}),
    tracer: deps.telemetry?.forJob(settings.job, metrics),
  });
  const close = () => network.close();
  return { sharepoint, job, scheduler, metrics, network, close, [Symbol.dispose]: close };
}
