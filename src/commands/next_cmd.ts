/**
 * `ingest next`: the next planned run times, so operators can check daily times, zones and DST.
 * @module
 */
import { ExitCode, UsageError } from "../errors.ts";
import { describeSchedule, nextRuns, toZonedIso } from "../schedule/schedule_math.ts";
import type { CliContext } from "./context.ts";

/** Parses `--count`: a whole number from 1 to 1000. */
export function parseCount(text: string): number {
  const count = Number(text);
  if (!Number.isInteger(count) || count < 1 || count > 1000) {
    throw new UsageError(`Cannot use --count "${text}": expected a whole number from 1 to 1000`);
  }
  return count;
}

/** Prints the schedule and its next `--count` run times in the configured zone. */
export async function nextCommand(ctx: CliContext, opts: { count: string }): Promise<number> {
  const count = parseCount(opts.count);
  const { settings } = await ctx.load();
  const from = new Date(ctx.deps.clock.now());
  const runs = nextRuns(settings.schedule, { from, count, timezone: settings.timezone });
  if (ctx.flags.json) {
    ctx.printJson({
      schedule: settings.schedule,
      timezone: settings.timezone,
      enabled: settings.enabled,
      next: runs.map((d) => toZonedIso(d, settings.timezone)),
    });
    return ExitCode.Ok;
  }
  ctx.print(`Schedule: ${describeSchedule(settings.schedule, settings.timezone)}`);
  if (!settings.enabled) {
    ctx.print(
      `Scheduling is disabled (enabled = false): \`${ctx.command("run")}\` will not run these.`,
    );
  }
  for (const run of runs) {
    ctx.print(`  ${toZonedIso(run, settings.timezone)}  (${run.toISOString()})`);
  }
  return ExitCode.Ok;
}
