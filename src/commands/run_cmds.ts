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
import { ProgressLine } from "./progress.ts";
import { jobSummaryLine, outcomeJson, summaryLines } from "./summary.ts";

/** Flags of `trigger` / `run-once`. */
export interface WindowFlags {
  since?: string;
  lookback?: string;
  dryRun?: boolean;
  force?: boolean;
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
): Promise<number> {
  const { scheduler } = buildRuntime(settings, ctx.deps, command);
  const progress = command === "trigger" && ctx.deps.isTty && !ctx.flags.json
    ? new ProgressLine({ write: ctx.deps.stderr, now: () => ctx.deps.clock.now() })
    : undefined;
  if (progress) request.progress = progress;
  const { exitCode, outcome, signal } = await runWithShutdown(
    scheduler,
    () => command === "trigger" ? scheduler.trigger(request) : scheduler.runOnce(request),
    { timeoutMs: settings.shutdown_timeout_seconds * 1000, signals: ctx.deps.signals },
  );
  progress?.finish();
  report(ctx, outcome, exitCode, settings.ingestion_dir, signal);
  return exitCode;
}

async function manyJobs(
  ctx: CliContext,
  jobs: Settings[],
  request: TriggerRequest,
  command: "run-once" | "trigger",
): Promise<number> {
  const { jobs: jobSet } = buildJobsRuntime(jobs, ctx.deps, command);
  const { exitCode, outcomes } = await runJobsWithShutdown(
    jobSet,
    () => jobSet.runAll(command, request),
    { timeoutMs: longestShutdownMs(jobs), signals: ctx.deps.signals },
  );
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
  const { jobs } = await ctx.loadJobs(flags.job);
  const settings = jobs.map((job) => job.settings);
  return settings.length === 1
    ? await oneJob(ctx, settings[0]!, request, command)
    : await manyJobs(ctx, settings, request, command);
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
 * SIGINT/SIGTERM (SIGINT/SIGBREAK on Windows).
 */
export async function runCommand(ctx: CliContext, flags: { job?: string[] } = {}): Promise<number> {
  const { jobs } = await ctx.loadJobs(flags.job);
  const settings = jobs.map((job) => job.settings);
  const { jobs: jobSet } = buildJobsRuntime(settings, ctx.deps, "run");
  return await runDaemon(jobSet, {
    timeoutMs: longestShutdownMs(settings),
    signals: ctx.deps.signals,
  });
}
