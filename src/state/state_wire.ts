/**
 * Wire schema of the per-job state file (JSON). Validated once, when the file is read.
 *
 * Every section is optional: a feature that has nothing to remember leaves its section out.
 * A file whose `version` is not {@link STATE_VERSION} is foreign and is ignored with a warning.
 * @module
 */
import { z } from "zod";

/** The state file format this build reads and writes. */
export const STATE_VERSION = 1;

const isoInstant = () => z.string().refine((s) => !Number.isNaN(Date.parse(s)), "not a date");

/** Site, drive and folder ids resolved from `sharepoint_site_url` + `sharepoint_folder`. */
export const resolvedIdsSchema = z.object({
  site_id: z.string().min(1),
  drive_id: z.string().min(1),
  folder_id: z.string().min(1),
  resolved_at: isoInstant(),
  /** Display name of the library (messages only). */
  drive_name: z.string().optional(),
  /** URL segment of the library (messages only). */
  drive_url_segment: z.string().optional(),
  /** Path of the folder inside the library, "" for its root. */
  path_in_drive: z.string().optional(),
  web_url: z.string().optional(),
});

/** How the folder is listed, and the saved delta cursor. */
export const listingStateSchema = z.object({
  /** `folder_delta`, `root_delta` (folder delta refused) or `children`. */
  mode: z.enum(["folder_delta", "root_delta", "children"]),
  /** The whole `@odata.deltaLink` URL, opaque. */
  delta_link: z.string().min(1).optional(),
  /** When `delta_link` was saved. */
  link_saved_at: isoInstant().optional(),
  /**
   * The include/exclude globs the link was read with: candidates they left out are not offered
   * again by the link, so other globs mean a full listing.
   */
  filter_key: z.string().optional(),
  /**
   * The window start of the run that saved the link: files modified before it were not
   * examined, so a later window starting earlier needs a full listing.
   */
  window_since: isoInstant().optional(),
});

/** A file a run could not place (or held back by `min_age_seconds`), offered again next run. */
export const retryEntrySchema = z.object({
  id: z.string().min(1),
  name: z.string().min(1),
  /**
   * Why it is kept: it failed, it was too young, it was still waiting in `ingestion_dir`, its
   * modification time was at or after the window's end (a server clock ahead of ours), or it was
   * an empty placeholder inside `empty_file_grace_minutes` (`empty`).
   */
  reason: z.enum(["failed", "min_age", "pending", "future", "empty"]),
  /** The item's server `lastModifiedDateTime` when it was kept. */
  last_modified: isoInstant(),
  /** What the listing said of the file, so it can be fetched without listing it again. */
  size: z.number().int().nonnegative().optional(),
  created: isoInstant().optional(),
  quick_xor_hash: z.string().optional(),
  drive_id: z.string().optional(),
  /** The item's eTag, so a kept partial download of an unchanged item can be resumed. */
  etag: z.string().optional(),
  /** With `include_subfolders`: the path below the folder (`2026/12/x.csv`), for the filters. */
  path: z.string().min(1).optional(),
  /**
   * The file's arrival time when it was held (see `sync/arrival.ts`): the minimum age and the
   * empty-file grace count from it, not from a back-dated modification time.
   */
  arrived_at: isoInstant().optional(),
});

/** The last run that finished with exit 0 or 3. */
export const lastSuccessSchema = z.object({
  /** The window end (`until`) of that run. */
  until: isoInstant(),
  finished_at: isoInstant(),
  exit_code: z.union([z.literal(0), z.literal(3)]),
});

/** A stretch of time no run looked at: a catch-up capped by `max_catch_up_hours`. */
export const uncoveredIntervalSchema = z.object({
  since: isoInstant(),
  until: isoInstant(),
  /** When a run first left it out. */
  found_at: isoInstant(),
});

/**
 * A large download kept in staging_dir to resume in a later attempt or run (`Range: bytes=N-`).
 * Recorded before the first byte is written, removed when the file is placed or abandoned.
 */
export const partialEntrySchema = z.object({
  /** The item's id and drive id. */
  id: z.string().min(1),
  drive_id: z.string().min(1),
  /** The item's eTag when the download started: another eTag means other bytes, start over. */
  etag: z.string().min(1),
  /** The partial's file name in staging_dir (`<job>.<digest>.partial`). */
  file: z.string().regex(/^[^/\\]+$/, "must be a file name"),
  /** The item's name, for messages. */
  name: z.string().min(1),
  started_at: isoInstant(),
});

/**
 * A file item the last listing skipped because it lacked a name, size or time
 * (real-sharepoint-quirks.md §12): a delta run that does not list in full looks at it again.
 */
export const malformedEntrySchema = z.object({
  id: z.string().min(1),
  name: z.string().optional(),
});

/**
 * A file SharePoint flagged as malware (real-sharepoint-quirks.md §13): not downloaded again
 * until its eTag changes (new content, or the flag cleared).
 */
export const malwareEntrySchema = z.object({
  id: z.string().min(1),
  name: z.string().min(1),
  /** The item's eTag when it was flagged; undefined: its size and modification time. */
  etag: z.string().optional(),
  size: z.number().int().nonnegative().optional(),
  last_modified: isoInstant().optional(),
  flagged_at: isoInstant(),
});

/** Why the last listing failed as a whole (`ingest check` shows it until a listing succeeds). */
export const listingFailureSchema = z.object({
  at: isoInstant(),
  message: z.string().min(1),
});

/**
 * The content-identity ledger: what this job itself placed, so a later version of an item with
 * the same content (a column edit: new eTag and Modified, same cTag and bytes) is not downloaded
 * again. Binary, base64: per entry 20 bytes (an 8-byte hash of the item id, a 4-byte hash of the
 * cTag, a 4-byte hash of QuickXorHash and size, 0 when absent, and the placed time in whole
 * seconds), sorted by id hash; see `sync/placed_ledger.ts`.
 */
export const ledgerSchema = z.object({
  entries: z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, "must be base64"),
});

/**
 * The job's metrics counters and run times, kept across processes so a `run-once` under Task
 * Scheduler or cron exports cumulative `_total` series (see `schedule/run_metrics.ts`).
 */
export const metricsStateSchema = z.object({
  /** Counter totals by seed name (`syncjob.download.success.count`). */
  counters: z.record(z.string(), z.number().nonnegative()),
  /** When the last run ended, whatever its outcome. */
  last_run_at: isoInstant().optional(),
  /** When the last run that finished with exit 0 or 3 ended. */
  last_success_at: isoInstant().optional(),
});

/** The whole state file. */
export const jobStateSchema = z.object({
  version: z.literal(STATE_VERSION),
  /** Identity of what the state describes: `graph_base_url`, site URL and folder. */
  key: z.string().min(1),
  updated_at: isoInstant(),
  resolved: resolvedIdsSchema.optional(),
  listing: listingStateSchema.optional(),
  retry: z.array(retryEntrySchema).optional(),
  last_success: lastSuccessSchema.optional(),
  /** Intervals left out by capped catch-ups, until a run's window covers them. */
  uncovered: z.array(uncoveredIntervalSchema).optional(),
  partials: z.array(partialEntrySchema).optional(),
  malformed: z.array(malformedEntrySchema).optional(),
  malware: z.array(malwareEntrySchema).optional(),
  listing_failure: listingFailureSchema.optional(),
  ledger: ledgerSchema.optional(),
  metrics: metricsStateSchema.optional(),
});

/** What a job remembers between runs. */
export type JobState = z.infer<typeof jobStateSchema>;
export type ResolvedIds = z.infer<typeof resolvedIdsSchema>;
export type ListingState = z.infer<typeof listingStateSchema>;
export type RetryEntry = z.infer<typeof retryEntrySchema>;
export type LastSuccess = z.infer<typeof lastSuccessSchema>;
export type UncoveredInterval = z.infer<typeof uncoveredIntervalSchema>;
export type PartialEntry = z.infer<typeof partialEntrySchema>;
export type MalformedEntry = z.infer<typeof malformedEntrySchema>;
export type MalwareEntry = z.infer<typeof malwareEntrySchema>;
export type LedgerState = z.infer<typeof ledgerSchema>;
export type MetricsState = z.infer<typeof metricsStateSchema>;
