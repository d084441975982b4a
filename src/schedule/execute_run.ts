/**
 * One run, start to end: take the process's share of the run lock, call the sync job, release
 * the lock, and report the {@link RunOutcome}. Never throws.
 * @module
 */
import { getLogger } from "@logtape/logtape";
import type { Clock } from "../clock.ts";
import { describeError, LockedError } from "../errors.ts";
import type { RunTrigger, SyncRunner, SyncRunOptions } from "../sync/sync_result.ts";
import {
  aborted,
  completed,
  failed,
  type RunOutcome,
  type RunRequest,
  skipped,
} from "./run_outcome.ts";
import type { LockLease, SharedRunLock } from "./shared_lock.ts";
import { runInSpan, type RunTracer } from "../telemetry/span_scope.ts";
import { endRunSpan, runStartAttributes } from "../telemetry/run_spans.ts";

const log = getLogger(["ingest", "scheduler"]);

/** Options of {@link executeRun}. */
export interface ExecuteRunOptions {
  job: SyncRunner;
  lock: SharedRunLock;
  clock: Clock;
  /** "tick", "run-once" or "manual", for logs. */
  kind: string;
  trigger: RunTrigger;
  request: RunRequest;
  /** Aborts the lock wait and the run. */
  signal: AbortSignal;
  /** The lookback when the request gives neither `since` nor `lookbackMs`. */
  defaultLookbackMs: (reference: Date) => number;
  /** Called once the lock is held, just before the job starts. */
  onRunning?: () => void;
  /** Called when another process holds the lock and the run is skipped. */
  onLocked?: () => void;
  /** Traces the run as one span (telemetry on); default none. */
  tracer?: RunTracer | undefined;
  /**
   * A forced trigger: when another process holds the lock, run anyway alongside it (with a
   * warning) and take the lock as soon as that run releases it, so no later run starts and
   * cleans the staging folder under this one. Placement never overwrites, and the state store
   * merges the two processes' updates, so overlapping runs stay safe.
   */
  force?: boolean;
}

function runOptions(options: ExecuteRunOptions): SyncRunOptions {
  const { request, trigger, kind } = options;
  const reference = new Date(options.clock.now());
  const explicitWindow = request.since !== undefined || request.lookbackMs !== undefined;
  const lookbackMs = explicitWindow ? request.lookbackMs : options.defaultLookbackMs(reference);
  const dryRun = request.dryRun ?? false;
  log.info("Run started ({trigger})", {
    trigger,
    kind,
    reference: reference.toISOString(),
    since: request.since?.toISOString(),
    lookback_ms: lookbackMs,
    dry_run: dryRun,
  });
  return {
    reference,
    since: request.since,
    lookbackMs,
    explicitWindow,
    dryRun,
    signal: options.signal,
    trigger,
    ...(request.progress ? { progress: request.progress } : {}),
    ...(request.fullListing ? { fullListing: true } : {}),
    ...(request.ignoreLedger ? { ignoreLedger: true } : {}),
  };
}

/**
 * A lease that waits for the lock in the background while a forced run overlaps another
 * process's run; releasing it stops the wait, or releases the lock once taken.
 */
function lockWhenFree(lock: SharedRunLock, signal: AbortSignal): LockLease {
  const stop = new AbortController();
  const onAbort = () => stop.abort();
  signal.addEventListener("abort", onAbort, { once: true });
  const taking = lock.acquire(stop.signal, { wait: true }).catch(() => undefined);
  return {
    release: async () => {
      signal.removeEventListener("abort", onAbort);
      stop.abort();
      await (await taking)?.release();
    },
  };
}

/** Runs the job once under the run lock and reports how it ended, as one span when traced. */
export async function executeRun(options: ExecuteRunOptions): Promise<RunOutcome> {
  const span = options.tracer?.startRun(runStartAttributes(options.kind, options.request));
  if (span === undefined) return await runLocked(options);
  const outcome = await runInSpan(span, () => runLocked(options));
  endRunSpan(span, outcome);
  return outcome;
}

async function runLocked(options: ExecuteRunOptions): Promise<RunOutcome> {
  const { kind, signal } = options;
  let lease: LockLease;
  let overlapping = false;
  try {
    lease = await options.lock.acquire(signal);
  } catch (error) {
    if (error instanceof LockedError && options.force) {
      log.warn(
        "Forced trigger overlaps another run: {reason}; it runs alongside it and takes the " +
          "lock once that run ends",
        { kind, reason: error.message },
      );
      lease = lockWhenFree(options.lock, signal);
      overlapping = true;
    } else if (error instanceof LockedError) {
      log.warn("Skipped {kind}: {reason}", { kind, reason: error.message });
      options.onLocked?.();
      return skipped("locked", error);
    } else {
      if (signal.aborted) return aborted(error);
      log.error("Cannot take the run lock: {error}", { error: describeError(error) });
      return failed(error);
    }
  }
  options.onRunning?.();
  try {
    const run = runOptions(options);
    const result = await options.job.run(overlapping ? { ...run, overlapping } : run);
    const message = result.dry_run
      ? "Run {run_id} finished (dry run): {downloaded} would be downloaded"
      : "Run {run_id} finished: {downloaded} downloaded, {failed} failed";
    log.info(message, {
      run_id: result.run_id,
      trigger: result.trigger,
      downloaded: result.downloaded.length,
      failed: result.failed.length,
      duration_ms: result.duration_ms,
    });
    return completed(result);
  } catch (error) {
    if (signal.aborted) {
      log.warn("Run aborted: {error}", { kind, error: describeError(error) });
      return aborted(error);
    }
    log.error("Run failed: {error}", { kind, error: describeError(error) });
    return failed(error);
  } finally {
    await lease.release().catch((error) =>
      log.error("Cannot release the run lock: {error}", { error: describeError(error) })
    );
  }
}
