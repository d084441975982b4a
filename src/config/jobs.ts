/**
 * Many jobs in one settings file: `[scheduler]` holds the defaults and each `[jobs.<name>]` table
 * is one job whose name is its job key. A file without `[jobs.*]` tables is the single job
 * `default`, so every one-job settings file keeps working unchanged.
 *
 * Every key is per job except the short list {@link PROCESS_KEYS}, which only `[scheduler]` (or
 * its `INGEST_<KEY>` variable, or a flag) may set. Keys added to the schema are therefore per job
 * without any change here.
 * @module
 */
import { ConfigError } from "../errors.ts";
import type { RawSettings } from "./schema.ts";
import { suggest } from "./suggest.ts";

/** A job key: lowercase letters, digits, `-` and `_`, at most 32 characters, no dot. */
export const JOB_NAME = /^[a-z0-9][a-z0-9_-]{0,31}$/;

/** The job key of a settings file without `[jobs.*]` tables. */
export const DEFAULT_JOB = "default";

/** Keys that apply to the whole process: allowed in `[scheduler]` only. */
export const PROCESS_KEYS: ReadonlySet<string> = new Set<keyof RawSettings>([
  "log_level",
  "log_format",
  "log_file",
  "log_max_bytes",
  "log_max_files",
  "max_parallel_jobs",
  "otel_endpoint",
]);

/** The tables of a settings file: `[scheduler]` and, when present, one table per job. */
export interface SettingsTables {
  scheduler: Record<string, unknown>;
  /** Job tables in file order; undefined when the file has no `[jobs.*]` table. */
  jobs: Map<string, Record<string, unknown>> | undefined;
}

/** The state file's name in `staging_dir` for `job`. */
export function stateFileName(job: string): string {
  return job === DEFAULT_JOB ? "ingest.state.json" : `ingest-${job}.state.json`;
}

/** The lock file's name in `staging_dir` for `job` (when `lock_file` is not set). */
export function lockFileName(job: string): string {
  return job === DEFAULT_JOB ? "ingest.lock" : `ingest-${job}.lock`;
}

function isTable(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) &&
    !(value instanceof Date);
}

const JOB_NAME_RULE =
  "a job name is 1 to 32 lowercase letters, digits, '-' or '_', starting with a letter or digit";

/**
 * Splits the parsed `[jobs]` value of `path` into job tables.
 * @throws {ConfigError} one line per bad name or non-table value
 */
export function jobTables(path: string, jobs: unknown): Map<string, Record<string, unknown>> {
  if (!isTable(jobs)) {
    throw new ConfigError(
      `Cannot load settings file ${path}: "jobs" must hold one table per job, like [jobs.reports]`,
    );
  }
  const problems: string[] = [];
  const tables = new Map<string, Record<string, unknown>>();
  for (const [name, table] of Object.entries(jobs)) {
    if (!isTable(table)) {
      problems.push(
        `Cannot use key "${name}" in [jobs] of ${path}: [jobs] holds one table per job, ` +
          `like [jobs.reports]; put settings in [scheduler] or in a job's table`,
      );
    } else if (!JOB_NAME.test(name)) {
      problems.push(`Cannot use table [jobs.${name}] of ${path}: ${JOB_NAME_RULE}`);
    } else {
      tables.set(name, { ...table });
    }
  }
  if (problems.length > 0) throw new ConfigError(problems.join("\n"));
  if (tables.size === 0) {
    throw new ConfigError(
      `Cannot load settings file ${path}: [jobs] defines no job; add a [jobs.<name>] table or remove [jobs]`,
    );
  }
  return tables;
}

/** The job keys of `tables`, in file order (`default` when there are no job tables). */
export function jobNames(tables: SettingsTables | undefined): string[] {
  return tables?.jobs ? [...tables.jobs.keys()] : [DEFAULT_JOB];
}

/**
 * Checks a `--job` selection against the defined jobs; no selection means every job.
 * @throws {ConfigError} naming the unknown job, with a suggestion
 */
export function selectJobs(names: readonly string[], selection?: readonly string[]): string[] {
  if (selection === undefined || selection.length === 0) return [...names];
  const problems: string[] = [];
  for (const wanted of selection) {
    if (names.includes(wanted)) continue;
    const hint = suggest(wanted, names);
    problems.push(
      `Cannot select job "${wanted}": the settings define ${
        names.map((n) => `"${n}"`).join(", ")
      }` +
        (hint ? ` (did you mean "${hint}"?)` : ""),
    );
  }
  if (problems.length > 0) throw new ConfigError(problems.join("\n"));
  return names.filter((name) => selection.includes(name));
}

/** The `[jobs.<name>]` or `[scheduler]` label of a table, for messages. */
export function tableLabel(job: string | undefined): string {
  return job === undefined ? "[scheduler]" : `[jobs.${job}]`;
}
