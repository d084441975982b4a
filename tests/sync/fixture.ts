/**
 * A SyncJob wired to fakes in a fresh temporary folder; `await using` removes the folder.
 * @module
 */
import { join } from "node:path";
import type { Settings } from "../../src/config/settings.ts";
import { Metrics } from "../../src/metrics.ts";
import { SyncJob } from "../../src/sync_job.ts";
import type { SyncResult, SyncRunOptions } from "../../src/sync/sync_result.ts";
import { ManualClock } from "../helpers/clocks.ts";
import { FakeDb } from "./fake_db.ts";
import { type FakeFileSpec, FakeSharePoint } from "./fake_sharepoint.ts";
import { testSettings } from "./test_settings.ts";

/** The reference time of every fixture run. */
export const REFERENCE = new Date("2026-03-01T12:00:00Z");
/** Default lookback of fixture runs: 2 h (an hourly schedule). */
export const LOOKBACK_MS = 2 * 3_600_000;

/** `minutes` before {@link REFERENCE}. */
export function minutesAgo(minutes: number): Date {
  return new Date(REFERENCE.getTime() - minutes * 60_000);
}

export interface Fixture extends AsyncDisposable {
  dir: string;
  settings: Settings;
  sharepoint: FakeSharePoint;
  db: FakeDb;
  clock: ManualClock;
  metrics: Metrics;
  job: SyncJob;
  run(options?: Partial<SyncRunOptions>): Promise<SyncResult>;
  /** Names in ingestion_dir, sorted. */
  incoming(): Promise<string[]>;
  /** Names in staging_dir but the state file, sorted ([] when it does not exist). */
  staged(): Promise<string[]>;
}

export async function fixture(
  files: FakeFileSpec[],
  overrides: Partial<Settings> = {},
  extra: { ingested?: string[]; os?: string } = {},
): Promise<Fixture> {
  const dir = await Deno.makeTempDir({ prefix: "ingest-sync-" });
  const settings = testSettings(dir, overrides);
  const sharepoint = new FakeSharePoint(files);
  const db = new FakeDb(extra.ingested ?? []);
  const clock = new ManualClock(REFERENCE);
  const metrics = new Metrics();
  const job = new SyncJob({
    settings,
    sharepoint,
    db,
    clock,
    metrics,
    defaultLookbackMs: LOOKBACK_MS,
    ...(extra.os ? { os: extra.os } : {}),
  });
  return {
    dir,
    settings,
    sharepoint,
    db,
    clock,
    metrics,
    job,
    run: (options = {}) => job.run({ reference: REFERENCE, trigger: "manual", ...options }),
    incoming: () => listNames(settings.ingestion_dir),
    staged: () => stagedNames(settings),
    [Symbol.asyncDispose]: () => Deno.remove(dir, { recursive: true }),
  };
}

/** Sorted names in `staging_dir` other than the job's state file and its lock (not leftovers). */
export async function stagedNames(settings: Settings): Promise<string[]> {
  const state = settings.state_file.split(/[\\/]/).at(-1);
  return (await listNames(settings.staging_dir)).filter((name) =>
    name !== state && name !== `${state}.lock`
  );
}

/** Sorted entry names of `dir`, [] when it does not exist. */
export async function listNames(dir: string): Promise<string[]> {
  const names: string[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) names.push(entry.name);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw error;
  }
  return names.sort();
}

/** Text of `ingestion_dir/name`. */
export function readIncoming(f: Fixture, name: string): Promise<string> {
  return Deno.readTextFile(join(f.settings.ingestion_dir, name));
}
