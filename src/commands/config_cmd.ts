/**
 * `ingest config`: the effective settings, secrets redacted, with where each value came from.
 * @module
 */
import type { LoadedSettings, ValueSource } from "../config/load.ts";
import { SECRET_KEYS, SETTINGS_KEYS } from "../config/schema.ts";
import { ExitCode } from "../errors.ts";
import { REDACTED } from "../redact.ts";
import { effectiveLookbackMs } from "../schedule/schedule_math.ts";
import type { CliContext } from "./context.ts";
import type { JobFlags } from "./flags.ts";

function sourceText(source: ValueSource | undefined): string {
  switch (source?.kind) {
    case "file":
      return source.table ? `file ${source.path} ${source.table}` : `file ${source.path}`;
    case "env":
      return `env ${source.name}`;
    case "flag":
      return `flag ${source.name}`;
    default:
      return "default";
  }
}

function show(key: string, value: unknown): unknown {
  if (value === undefined) return undefined;
  return SECRET_KEYS.has(key) ? REDACTED : value;
}

interface Row {
  key: string;
  value: unknown;
  source: string;
}

function rowsOf({ settings, sources }: LoadedSettings): Row[] {
  const record = settings as unknown as Record<string, unknown>;
  const derived = ["schedule", "config_path", "job", "state_file"];
  return [...SETTINGS_KEYS, ...derived].map((key) => {
    if (key === "lookback_minutes" && settings.lookback_minutes === undefined) {
      // Not set: show what runs use and where it comes from, not "(not set)".
      return {
        key,
        value: Math.round(effectiveLookbackMs(settings) / 60_000),
        source: "derived: twice the longest gap between two scheduled runs (not set)",
      };
    }
    return {
      key,
      value: show(key, record[key]),
      source: derived.includes(key)
        ? "derived"
        : key === "auth" && sources.auth?.kind === "default"
        ? "inferred from the keys present"
        : sourceText(sources[key]),
    };
  });
}

function printRows(ctx: CliContext, rows: Row[]): void {
  const width = Math.max(...rows.map((r) => r.key.length));
  for (const row of rows) {
    const value = row.value === undefined ? "(not set)" : JSON.stringify(row.value);
    ctx.print(`${row.key.padEnd(width)} = ${value}  # ${row.source}`);
  }
}

function jsonOf(rows: Row[]): Record<string, unknown> {
  return Object.fromEntries(rows.map((r) => [r.key, { value: r.value ?? null, source: r.source }]));
}

/**
 * Prints every key of each selected job, its value (secrets as `***`) and its source. With
 * several jobs, each job's block starts with its `[jobs.<name>]` header.
 */
export async function configCommand(ctx: CliContext, flags: JobFlags = {}): Promise<number> {
  const { jobs } = await ctx.loadJobs(flags.job);
  if (jobs.length === 1) {
    const rows = rowsOf(jobs[0]!);
    if (ctx.flags.json) ctx.printJson(jsonOf(rows));
    else printRows(ctx, rows);
    return ExitCode.Ok;
  }
  if (ctx.flags.json) {
    ctx.printJson({
      jobs: Object.fromEntries(jobs.map((job) => [job.settings.job, jsonOf(rowsOf(job))])),
    });
    return ExitCode.Ok;
  }
  jobs.forEach((job, index) => {
    if (index > 0) ctx.print("");
    ctx.print(`[jobs.${job.settings.job}]`);
    printRows(ctx, rowsOf(job));
  });
  return ExitCode.Ok;
}
