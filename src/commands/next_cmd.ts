/**
 * `ingest next`: the next planned run times, so operators can check daily times, zones and DST.
 * @module
 */
import { ExitCode, UsageError } from "../errors.ts";
import { describeSchedule, nextRuns, toZonedIso } from "../schedule/schedule_math.ts";
import type { Settings } from "../config/settings.ts";
import type { CliContext } from "./context.ts";
import type { JobFlags } from "./flags.ts";

/** Parses `--count`: a whole number from 1 to 1000. */
export function parseCount(text: string): number {
  const count = Number(text);
  if (!Number.isInteger(count) || count < 1 || count > 1000) {
    throw new UsageError(`Cannot use --count "${text}": expected a whole number from 1 to 1000`);
  }
  return count;
}

function printJob(ctx: CliContext, settings: Settings, runs: Date[]): void {
  ctx.print(`Schedule: ${describeSchedule(settings.schedule, settings.timezone)}`);
  if (!settings.enabled) {
    ctx.print(
      `Scheduling is disabled (enabled = false): \`${ctx.command("run")}\` will not run these.`,
    );
  }
  for (const run of runs) {
    ctx.print(`  ${toZonedIso(run, settings.timezone)}  (${run.toISOString()})`);
  }
}

function jobJson(settings: Settings, runs: Date[]): Record<string, unknown> {
  return {
    schedule: settings.schedule,
    timezone: settings.timezone,
    enabled: settings.enabled,
    next: runs.map((d) => toZonedIso(d, settings.timezone)),
  };
}

/** Prints each selected job's schedule and its next `--count` run times in its zone. */
export async function nextCommand(
  ctx: CliContext,
  opts: { count: string } & JobFlags,
): Promise<number> {
  const count = parseCount(opts.count);
  const jobs = (await ctx.loadJobs(opts.job)).jobs.map((job) => job.settings);
  const from = new Date(ctx.deps.clock.now());
  const planned = jobs.map((settings) => ({
    settings,
    runs: nextRuns(settings.schedule, { from, count, timezone: settings.timezone }),
  }));
  if (ctx.flags.json) {
    ctx.printJson(
      planned.length === 1
        ? jobJson(planned[0]!.settings, planned[0]!.runs)
        : planned.map(({ settings, runs }) => ({ job: settings.job, ...jobJson(settings, runs) })),
    );
    return ExitCode.Ok;
  }
  planned.forEach(({ settings, runs }, index) => {
    if (planned.length > 1) ctx.print(`${index > 0 ? "\n" : ""}[jobs.${settings.job}]`);
    printJob(ctx, settings, runs);
  });
  return ExitCode.Ok;
}
