/**
 * Process lifecycles for the CLI: the `run` daemon, and one run (`run-once`, `trigger`) that a
 * shutdown signal can interrupt. Both answer with the process exit code; only `main` exits.
 *
 * First signal: stop scheduling, wait for the run in progress up to the shutdown timeout, then
 * abort it. Second signal: abort at once. Exit 0 after a clean wait (for a single run: the run's
 * own code), 130 (SIGINT/SIGBREAK) or 143 (SIGTERM) when a run had to be aborted.
 * @module
 */
import { getLogger } from "@logtape/logtape";
import { AbortedError, ExitCode } from "../errors.ts";
import { combinedExitCode, type JobOutcome } from "./job_set.ts";
import type { RunOutcome } from "./run_outcome.ts";
import {
  exitCodeForSignal,
  type ShutdownSignal,
  ShutdownWatcher,
  type SignalApi,
} from "./shutdown.ts";

const log = getLogger(["ingest", "scheduler"]);

/** What the lifecycles need from the Scheduler. */
export interface StoppableScheduler {
  start(): boolean;
  stop(options?: { timeoutMs?: number }): Promise<{ aborted: boolean }>;
  abort(reason?: unknown): void;
}

/** Options of {@link runDaemon} and {@link runWithShutdown}. */
export interface ShutdownOptions {
  /** How long to wait for a run in progress after the first signal (`shutdown_timeout_seconds`). */
  timeoutMs?: number;
  /** The signal API; default the real Deno API. */
  signals?: SignalApi;
  /** Clock for telling a repeated delivery from a second signal; default `Date.now`. */
  now?: () => number;
}

interface Shutdown {
  watcher: ShutdownWatcher;
  /** Set when the first signal started the shutdown. */
  stopping: Promise<{ aborted: boolean }> | undefined;
}

function watchSignals(scheduler: StoppableScheduler, options: ShutdownOptions): Shutdown {
  const shutdown: Shutdown = { watcher: undefined as never, stopping: undefined };
  shutdown.watcher = new ShutdownWatcher({
    api: options.signals,
    ...(options.now ? { now: options.now } : {}),
    onSignal: (signal, count) => {
      if (count === 1) {
        log.info("Shutdown started ({signal})", { signal, timeout_ms: options.timeoutMs });
        shutdown.stopping = scheduler.stop({ timeoutMs: options.timeoutMs });
        return;
      }
      log.warn("Second {signal}: stopping the run in progress now", { signal });
      scheduler.abort(
        new AbortedError(`Cannot finish run: stopped by the operator (second ${signal})`),
      );
    },
  });
  return shutdown;
}

async function finish(
  shutdown: Shutdown,
  signal: ShutdownSignal,
  forcedAbort = false,
): Promise<ExitCode> {
  const { aborted } = await (shutdown.stopping ?? Promise.resolve({ aborted: false }));
  const exitCode = aborted || forcedAbort ? exitCodeForSignal(signal) : undefined;
  log.info("Shutdown complete ({signal})", {
    signal,
    aborted: aborted || forcedAbort,
    exit_code: exitCode ?? ExitCode.Ok,
  });
  return exitCode ?? ExitCode.Ok;
}

/**
 * `ingest run`: starts the scheduler and resolves when a shutdown signal has been handled.
 * Resolves 0 at once when scheduling is disabled.
 */
export async function runDaemon(
  scheduler: StoppableScheduler,
  options: ShutdownOptions = {},
): Promise<ExitCode> {
  const shutdown = watchSignals(scheduler, options);
  try {
    if (!scheduler.start()) return ExitCode.Ok;
    const signal = await shutdown.watcher.first;
    return await finish(shutdown, signal);
  } finally {
    shutdown.watcher[Symbol.dispose]();
  }
}

/**
 * `ingest run-once` / `ingest trigger`: runs `action` with shutdown signals handled. Resolves
 * with the run's exit code, or 130/143 when a signal made the run abort (or not start).
 */
export async function runWithShutdown(
  scheduler: StoppableScheduler,
  action: () => Promise<RunOutcome>,
  options: ShutdownOptions = {},
): Promise<{ exitCode: ExitCode; outcome: RunOutcome; signal: ShutdownSignal | undefined }> {
  const { exitCode, outcomes, signal } = await runJobsWithShutdown(
    scheduler,
    async () => [{ job: "", outcome: await action() }],
    options,
  );
  return { exitCode, outcome: outcomes[0]!.outcome, signal };
}

function interrupted(outcome: RunOutcome): boolean {
  return outcome.status === "aborted" ||
    (outcome.status === "skipped" && outcome.reason === "stopped");
}

/**
 * {@link runWithShutdown} for a command over several jobs: resolves with every job's outcome
 * and their {@link combinedExitCode}, or 130/143 when a signal made a run abort (or not start).
 */
export async function runJobsWithShutdown(
  scheduler: StoppableScheduler,
  action: () => Promise<JobOutcome[]>,
  options: ShutdownOptions = {},
): Promise<{ exitCode: ExitCode; outcomes: JobOutcome[]; signal: ShutdownSignal | undefined }> {
  const shutdown = watchSignals(scheduler, options);
  try {
    const outcomes = await action();
    const combined = combinedExitCode(outcomes.map((o) => o.outcome.exitCode)) as ExitCode;
    const signal = shutdown.watcher.signal;
    if (signal === undefined) return { exitCode: combined, outcomes, signal };
    const code = await finish(shutdown, signal, outcomes.some((o) => interrupted(o.outcome)));
    return { exitCode: code === ExitCode.Ok ? combined : code, outcomes, signal };
  } finally {
    shutdown.watcher[Symbol.dispose]();
  }
}
