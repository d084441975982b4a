/**
 * Two SyncJobs over one simulator, one listing with `children`, one with `delta`, each with its
 * own ingestion folder and state file, and a consumer that ingests what they place. Only the
 * settings differ, so the placed names of both must be the same after any change.
 * @module
 */
import { join } from "node:path";
import type { Clock } from "../../src/clock.ts";
import type { Settings } from "../../src/config/settings.ts";
import { dbClientFromSettings } from "../../src/db/http_db_client.ts";
import { GraphSharePointClient } from "../../src/graph/graph_client.ts";
import { Metrics } from "../../src/metrics.ts";
import { startSimulator } from "../../src/sim/simulator.ts";
import type { RequestLogEntry, SimOptions, Simulator } from "../../src/sim/types.ts";
import { SyncJob } from "../../src/sync_job.ts";
import type { SyncResult, SyncRunOptions } from "../../src/sync/sync_result.ts";
import { OffsetClock } from "../helpers/clocks.ts";
import { listNames } from "./fixture.ts";
import { NO_RETRIES, simSettings } from "./sim_fixture.ts";

/** One job of a {@link ModesFixture}. */
export interface ModeJob {
  settings: Settings;
  job: SyncJob;
  run(options?: Partial<SyncRunOptions>): Promise<SyncResult>;
  incoming(): Promise<string[]>;
}

export interface ModesFixture extends AsyncDisposable {
  sim: Simulator;
  clock: OffsetClock;
  children: ModeJob;
  delta: ModeJob;
  /** Graph requests logged since `mark` (token, DB and download origin aside). */
  graphSince(mark: number): RequestLogEntry[];
  /** Records what both placed as ingested and empties their ingestion folders. */
  consume(): Promise<void>;
}

/** A job against `sim` listing the way `listing` says, rooted in `dir`. */
export function modeJob(
  sim: Simulator,
  dir: string,
  clock: Clock,
  overrides: Partial<Settings> = {},
): ModeJob {
  // A run creates ingestion_dir and staging_dir only inside an existing folder.
  Deno.mkdirSync(dir, { recursive: true });
  const settings = simSettings(sim, dir, { ...NO_RETRIES, ...overrides });
  const sharepoint = new GraphSharePointClient({
    settings,
    clock,
    backoff: { baseMs: 1, maxMs: 5 },
    maxRetries: 0,
  });
  const job = new SyncJob({
    settings,
    sharepoint,
    db: dbClientFromSettings(settings),
    clock,
    metrics: new Metrics(),
    defaultLookbackMs: 2 * 3_600_000,
  });
  return {
    settings,
    job,
    run: (options = {}) =>
      job.run({ reference: new Date(clock.now()), trigger: "manual", ...options }),
    incoming: () => listNames(settings.ingestion_dir),
  };
}

export async function modesFixture(
  simOptions: SimOptions,
  overrides: Partial<Settings> = {},
): Promise<ModesFixture> {
  const sim = await startSimulator(simOptions);
  const dir = await Deno.makeTempDir({ prefix: "ingest-delta-" });
  const clock = new OffsetClock();
  const children = modeJob(sim, join(dir, "children"), clock, {
    ...overrides,
    listing: "children",
  });
  const delta = modeJob(sim, join(dir, "delta"), clock, { ...overrides, listing: "delta" });
  return {
    sim,
    clock,
    children,
    delta,
    graphSince: (mark) =>
      sim.requestLog.slice(mark).filter((e) => e.server === "graph" && e.status !== 0),
    async consume() {
      for (const job of [children, delta]) {
        for (const name of await job.incoming()) {
          // A second back: the DB window ends at the run's reference, in whole seconds.
          sim.markIngested(name, new Date(clock.now() - 1000));
          await Deno.remove(join(job.settings.ingestion_dir, name));
        }
      }
    },
    async [Symbol.asyncDispose]() {
      await sim.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}
