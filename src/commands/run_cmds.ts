/**
 * `ingest run`, `ingest run-once` and `ingest trigger`.
 * @module
 */
import { describeError, UsageError } from "../errors.ts";
import { buildRuntime } from "../runtime.ts";
import { runDaemon, runWithShutdown } from "../schedule/daemon.ts";
import type { RunOutcome, TriggerRequest } from "../schedule/run_outcome.ts";
import { parseDuration, parseSince } from "../sync/window.ts";
import type { CliContext } from "./context.ts";
import { toZonedIso } from "../schedule/schedule_math.ts";
import { DaemonLine } from "./daemon_line.ts";
import { SyncDisplay } from "./sync_display.ts";
import { outcomeJson, summaryLines } from "./summary.ts";

/** Flags of `trigger` / `run-once`. */
export interface WindowFlags {
  since?: string;
  lookback?: string;
  dryRun?: boolean;
  force?: boolean;
  /** `--full`: ignore the saved delta link for this run. */
  full?: boolean;
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

async function oneRun(
  ctx: CliContext,
  flags: WindowFlags,
  command: "run-once" | "trigger",
): Promise<number> {
  const request = windowRequest(flags);
  const { settings } = await ctx.load();
  using runtime = buildRuntime(settings, ctx.deps, command);
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

/** `ingest trigger`: one manual run now. */
export function triggerCommand(ctx: CliContext, flags: WindowFlags): Promise<number> {
  return oneRun(ctx, flags, "trigger");
}

/** `ingest run-once`: one scheduled iteration. */
export function runOnceCommand(ctx: CliContext, flags: WindowFlags): Promise<number> {
  if (flags.force) throw new UsageError("Cannot use --force with run-once: it is a trigger option");
  return oneRun(ctx, flags, "run-once");
}

/** `ingest run`: the scheduler daemon, until SIGINT/SIGTERM (SIGINT/SIGBREAK on Windows). */
export async function runCommand(ctx: CliContext): Promise<number> {
  const { settings } = await ctx.load();
  using runtime = buildRuntime(settings, ctx.deps, "run");
  const { scheduler } = runtime;
  const line = ctx.live
    ? new DaemonLine({
      terminal: ctx.terminal(),
      source: scheduler,
      now: () => ctx.deps.clock.now(),
      formatTime: (date) => shortTime(date, new Date(ctx.deps.clock.now()), settings.timezone),
    })
    : undefined;
  ctx.showAbove(line?.block);
  line?.block.start();
  try {
    return await runDaemon(scheduler, {
      timeoutMs: settings.shutdown_timeout_seconds * 1000,
      signals: ctx.deps.signals,
    });
  } finally {
    line?.block.close();
    ctx.showAbove(undefined);
  }
}

/** "14:10:00" today in `timezone`, else "2026-12-01 06:00". */
function shortTime(date: Date, now: Date, timezone: string): string {
  const iso = toZonedIso(date, timezone);
  return iso.slice(0, 10) === toZonedIso(now, timezone).slice(0, 10)
    ? iso.slice(11, 19)
    : iso.slice(0, 16).replace("T", " ");
}
