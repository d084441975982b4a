/**
 * A SyncJob wired to the real Graph client and the real DB client, talking to the simulator over
 * loopback HTTP. Only the settings point at the simulator.
 * @module
 */
import { join } from "node:path";
import type { Settings } from "../../src/config/settings.ts";
import { dbClientFromSettings } from "../../src/db/http_db_client.ts";
import { GraphSharePointClient } from "../../src/graph/graph_client.ts";
import { Metrics } from "../../src/metrics.ts";
import { startSimulator } from "../../src/sim/simulator.ts";
import type { RequestLogEntry, SimFileSpec, SimOptions, Simulator } from "../../src/sim/types.ts";
import { SyncJob } from "../../src/sync_job.ts";
import type { SyncResult, SyncRunOptions } from "../../src/sync/sync_result.ts";
import { OffsetClock } from "../helpers/clocks.ts";
import { listNames, stagedNames } from "./fixture.ts";
import { testSettings } from "./test_settings.ts";

/** The folder every simulator fixture syncs. */
export const FOLDER = "/Shared Documents/Reports";

export interface SimFixture extends AsyncDisposable {
  sim: Simulator;
  dir: string;
  settings: Settings;
  clock: OffsetClock;
  metrics: Metrics;
  job: SyncJob;
  /** Runs with the reference time "now". */
  run(options?: Partial<SyncRunOptions>): Promise<SyncResult>;
  incoming(): Promise<string[]>;
  staged(): Promise<string[]>;
  /** Simulator log entries of the download origin (URLs carry ids, not names). */
  downloads(): RequestLogEntry[];
}

/** `minutes` before now. */
export function minutesAgo(minutes: number): Date {
  return new Date(Date.now() - minutes * 60_000);
}

/** A file in the synced folder, modified `minutes` ago. */
export function report(
  name: string,
  minutes: number,
  extra: Partial<SimFileSpec> = {},
): SimFileSpec {
  return { path: `Reports/${name}`, lastModified: minutesAgo(minutes), ...extra };
}

/** Settings of a job whose failures end at once: no retry, no wait, generous timeouts. */
export const NO_RETRIES: Partial<Settings> = {
  request_timeout_seconds: 10,
  db_timeout_seconds: 10,
  retry_delay_seconds: 0,
  max_retries: 0,
};

/** Test settings rooted in `dir` that point every endpoint and credential at `sim`. */
export function simSettings(
  sim: Simulator,
  dir: string,
  overrides: Partial<Settings> = {},
): Settings {
  return testSettings(dir, {
    graph_base_url: sim.graphBaseUrl,
    authority_host: sim.authorityHost,
    tenant_id: sim.tenantId,
    client_id: sim.clientId,
    client_secret: sim.clientSecret,
    sharepoint_site_url: sim.siteUrl,
    sharepoint_folder: FOLDER,
    db_service_url: sim.dbServiceUrl,
    max_throttle_wait_seconds: 10,
    ...overrides,
  });
}

export async function simFixture(
  simOptions: SimOptions,
  overrides: Partial<Settings> = {},
): Promise<SimFixture> {
  const sim = await startSimulator(simOptions);
  const dir = await Deno.makeTempDir({ prefix: "ingest-syncsim-" });
  const settings = simSettings(sim, dir, {
    request_timeout_seconds: 5,
    db_timeout_seconds: 5,
    ...overrides,
  });
  const clock = new OffsetClock();
  const metrics = new Metrics();
  const sharepoint = new GraphSharePointClient({
    settings,
    clock,
    backoff: { baseMs: 5, maxMs: 20 },
    maxRetries: 1,
  });
  const db = dbClientFromSettings(settings);
  const job = new SyncJob({
    settings,
    sharepoint,
    db,
    clock,
    metrics,
    defaultLookbackMs: 2 * 3_600_000,
  });
  return {
    sim,
    dir,
    settings,
    clock,
    metrics,
    job,
    run: (options = {}) => job.run({ reference: new Date(), trigger: "manual", ...options }),
    incoming: () => listNames(settings.ingestion_dir),
    staged: () => stagedNames(settings),
    downloads: () => sim.requestLog.filter((e) => e.server === "download"),
    async [Symbol.asyncDispose]() {
      await sim.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

/** Bytes of `ingestion_dir/name`. */
export function readPlaced(f: SimFixture, name: string): Promise<Uint8Array> {
  return Deno.readFile(join(f.settings.ingestion_dir, name));
}
