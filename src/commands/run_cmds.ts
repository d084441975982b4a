/**
 * `ingest run`, `ingest run-once` and `ingest trigger`.
 * @module
 */
import { describeError, UsageError } from "../errors.ts";
import { buildRuntime } from "../runtime.ts";
import type { Settings } from "../config/settings.ts";
import { buildJobsRuntime } from "../runtime_jobs.ts";
import { runDaemon, runJobsWithShutdown, runWithShutdown } from "../schedule/daemon.ts";
import type { RunOutcome, TriggerRequest } from "../schedule/run_outcome.ts";
import { parseDuration, parseSince } from "../sync/window.ts";
import type { CliContext } from "./context.ts";
import { toZonedIso } from "../schedule/schedule_math.ts";
import { DaemonLine } from "./daemon_line.ts";
import { SyncDisplay } from "./sync_display.ts";
import { jobSummaryLine, outcomeJson, summaryLines } from "./summary.ts";
import { startTelemetry, telemetryOff } from "../telemetry/telemetry.ts";
import type { Telemetry } from "../telemetry/telemetry_api.ts";

/** Flags of `trigger` / `run-once`. */
export interface WindowFlags {
  since?: string;
  lookback?: string;
  dryRun?: boolean;
  force?: boolean;
  /** `--full`: ignore the saved delta link for this run. */
  full?: boolean;
  /** `--ignore-ledger`: ignore the ledger of content this job placed, for this run. */
  ignoreLedger?: boolean;
  /** `--job NAME` (repeatable); empty: every job. */
  job?: string[];
}

/** Turns the window flags into a run request. */
export function windowRequest(flags: WindowFlags): TriggerRequest {
  if (flags.since !== undefined && flags.lookback !== undefined) {
    throw new UsageError("Cannot use --since and --lookback together: pick one");
  }
  const request: TriggerRequest = {};
  if (flags.since !== undefined) request.since = parseSince(flags.since);
  if (flags.lookback !== undefined) request.lookbackMs = parseDuration(flags.lookback);
  if (flags.dryRun) request.dryRun = true;
  if (flags.force) request.force = true;
  if (flags.full || flags.since !== undefined || flags.lookback !== undefined) {
    request.fullListing = true;
  }
  if (flags.ignoreLedger) request.ignoreLedger = true;
  return request;
}

function report(
  ctx: CliContext,
  outcome: RunOutcome,
  exitCode: number,
  ingestionDir: string,
  signal?: string,
): void {
  if (ctx.flags.json) {
    ctx.printJson(outcomeJson(outcome, exitCode));
    return;
  }
  switch (outcome.status) {
    case "completed":
      for (const line of summaryLines(outcome.result, ingestionDir)) ctx.print(line);
      return;
    case "skipped":
      ctx.deps.stderr(
        `ingest: ${
          outcome.error ? describeError(outcome.error) : `run skipped (${outcome.reason})`
        }\n`,
      );
      return;
    case "aborted":
      ctx.deps.stderr(
        `ingest: run aborted${
          signal ? ` by ${signal}` : ""
        }: files already in ${ingestionDir} are ` +
          "complete, unfinished downloads were removed; the next run fetches the rest\n",
      );
      return;
    default:
      ctx.deps.stderr(`ingest: ${describeError(outcome.error)}\n`);
  }
}

async function oneJob(
  ctx: CliContext,
  settings: Settings,
  request: TriggerRequest,
  command: "run-once" | "trigger",
  telemetry: Telemetry = telemetryOff,
): Promise<number> {
  using runtime = buildRuntime(settings, { ...ctx.deps, telemetry }, command);
  const { scheduler } = runtime;
  const display = ctx.live
    ? new SyncDisplay({ terminal: ctx.terminal(), now: () => ctx.deps.clock.now() })
    : undefined;
  if (display) {
    request.progress = display;
    ctx.showAbove(display.block);
    display.block.start();
  }
  try {
    const { exitCode, outcome, signal } = await runWithShutdown(
      scheduler,
      () => command === "trigger" ? scheduler.trigger(request) : scheduler.runOnce(request),
      { timeoutMs: settings.shutdown_timeout_seconds * 1000, signals: ctx.deps.signals },
    );
    display?.block.close();
    ctx.showAbove(undefined);
    report(ctx, outcome, exitCode, settings.ingestion_dir, signal);
    return exitCode;
  } finally {
    display?.block.close();
    ctx.showAbove(undefined);
  }
}

async function manyJobs(
  ctx: CliContext,
  jobs: Settings[],
  request: TriggerRequest,
  command: "run-once" | "trigger",
  telemetry: Telemetry = telemetryOff,
): Promise<number> {
  const { jobs: jobSet, runtimes } = buildJobsRuntime(jobs, { ...ctx.deps, telemetry }, command);
  let run: Awaited<ReturnType<typeof runJobsWithShutdown>>;
  try {
    run = await runJobsWithShutdown(
      jobSet,
      () => jobSet.runAll(command, request),
      { timeoutMs: longestShutdownMs(jobs), signals: ctx.deps.signals },
    );
  } finally {
    for (const runtime of runtimes) runtime.close();
  }
  const { exitCode, outcomes } = run;
  const dirs = new Map(jobs.map((s) => [s.job, s.ingestion_dir]));
  if (ctx.flags.json) {
    ctx.printJson(
      outcomes.map(({ job, outcome }) => ({ job, ...outcomeJson(outcome, outcome.exitCode) })),
    );
  } else {
    for (const { job, outcome } of outcomes) {
      ctx.print(jobSummaryLine(job, outcome, dirs.get(job)!));
    }
  }
  return exitCode;
}

/** The longest `shutdown_timeout_seconds` of `jobs`, in ms: the whole process waits that long. */
function longestShutdownMs(jobs: readonly Settings[]): number {
  return Math.max(...jobs.map((s) => s.shutdown_timeout_seconds * 1000));
}

async function oneRun(
  ctx: CliContext,
  flags: WindowFlags,
  command: "run-once" | "trigger",
): Promise<number> {
  const request = windowRequest(flags);
  const { jobs } = await ctx.loadJobsForRun(flags.job);
  const settings = jobs.map((job) => job.settings);
  // Disposed on every way out (exit 0/1/3/4, a signal's 130/143, a throw): flushes the trace.
  await using telemetry = await startTelemetry(settings[0]!, ctx.deps);
  return settings.length === 1
    ? await oneJob(ctx, settings[0]!, request, command, telemetry)
    : await manyJobs(ctx, settings, request, command, telemetry);
}

/** `ingest trigger`: one manual run now. */
export function triggerCommand(ctx: CliContext, flags: WindowFlags): Promise<number> {
  return oneRun(ctx, flags, "trigger");
}

/** `ingest run-once`: one scheduled iteration. */
export function runOnceCommand(ctx: CliContext, flags: WindowFlags): Promise<number> {
  if (flags.force) throw new UsageError("Cannot use --force with run-once: it is a trigger option");
  return oneRun(ctx, flags, "run-once");
}

/**
 * `ingest run`: the scheduler daemon over every enabled job (or the `--job` selection), until
 * SIGINT/SIGTERM (SIGINT/SIGBREAK on Windows). On a terminal with one job, one status line shows
 * the next planned run and the last run's outcome.
 */
export async function runCommand(ctx: CliContext, flags: { job?: string[] } = {}): Promise<number> {
  const { jobs } = await ctx.loadJobsForRun(flags.job);
  const settings = jobs.map((job) => job.settings);
  await using telemetry = await startTelemetry(settings[0]!, ctx.deps);
  const { jobs: jobSet, runtimes } = buildJobsRuntime(settings, { ...ctx.deps, telemetry }, "run");
  const only = runtimes.length === 1 ? runtimes[0] : undefined;
  const line = ctx.live && only
    ? new DaemonLine({
      terminal: ctx.terminal(),
      source: only.scheduler,
      now: () => ctx.deps.clock.now(),
      formatTime: (date) => shortTime(date, new Date(ctx.deps.clock.now()), settings[0]!.timezone),
    })
    : undefined;
  ctx.showAbove(line?.block);
  line?.block.start();
  try {
    return await runDaemon(jobSet, {
      timeoutMs: longestShutdownMs(settings),
      signals: ctx.deps.signals,
    });
  } finally {
    line?.block.close();
    ctx.showAbove(undefined);
    for (const runtime of runtimes) runtime.close();
  }
}

/** "14:10:00" today in `timezone`, else "2026-12-01 06:00". */
function shortTime(date: Date, now: Date, timezone: string): string {
  const iso = toZonedIso(date, timezone);
  return iso.slice(0, 10) === toZonedIso(now, timezone).slice(0, 10)
    ? iso.slice(11, 19)
    : iso.slice(0, 16).replace("T", " ");
}
