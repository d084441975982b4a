/**
 * The ledger's way in and out of the job state store (its `ledger` section, written by the
 * store's one atomic writer). See `placed_ledger.ts` for what the ledger holds.
 * @module
 */
import { getLogger } from "@logtape/logtape";
import type { RemoteFile } from "../graph/sharepoint_client.ts";
import type { JobState, JobStateStore } from "../state/job_state.ts";
import { ledgerRetentionMs, PlacedLedger } from "./placed_ledger.ts";

const log = getLogger(["ingest", "sync"]);

/** The ledger a run consults, or undefined when `ignore` (`--ignore-ledger`). */
export function ledgerFor(
  state: JobState,
  ignore: boolean,
  runId: string,
): PlacedLedger | undefined {
  if (!ignore) return PlacedLedger.from(state.ledger);
  log.warn(
    "Ignoring the ledger of files this job placed (--ignore-ledger): files the DB service does " +
      "not list are downloaded again even when this job placed that very content before",
    { run_id: runId },
  );
  return undefined;
}

/** What {@link recordPlaced} needs. */
export interface RecordPlacedOptions {
  store: JobStateStore;
  placed: readonly RemoteFile[];
  now: number;
  maxCatchUpHours: number;
  runId: string;
}

/**
 * Adds the files a run placed to the ledger and drops entries older than the retention. Never
 * throws: a state that cannot be written is logged (the next run may download such a file again
 * when the DB service does not list it, a duplicate the watcher already tolerates by name).
 */
export async function recordPlaced(options: RecordPlacedOptions): Promise<void> {
  const cutoff = options.now - ledgerRetentionMs(options.maxCatchUpHours);
  const placed = options.placed.map((file) => ({ file, at: options.now }));
  try {
    if (placed.length === 0) {
      const oldest = PlacedLedger.from((await options.store.current()).ledger).summary().oldest;
      if (oldest === undefined || oldest >= cutoff) return;
    }
    await options.store.update((state) => {
      const before = PlacedLedger.from(state.ledger);
      const next = before.with(placed, cutoff);
      if (next.size > 0) state.ledger = next.toState();
      else delete state.ledger;
    });
  } catch (error) {
    log.warn("Cannot record the placed files in the state file {state_file}: {error}", {
      run_id: options.runId,
      state_file: options.store.path,
      error: (error as Error).message,
    });
  }
}
