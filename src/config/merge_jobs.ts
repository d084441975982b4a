/**
 * Merges the layers of one job's settings, before validation: `[scheduler]` < `INGEST_<KEY>` <
 * `[jobs.<job>]` < `INGEST_JOBS__<JOB>__<KEY>` < flags, each value with its source. Process-wide
 * keys set for one job and lock files shared by two jobs are problems, one line each.
 * @module
 */
import { resolve } from "node:path";
import { envName, type JobEnvValues } from "./env.ts";
import { PROCESS_KEYS, type SettingsTables, tableLabel } from "./jobs.ts";
import { describeSource, type ValueSource } from "./source.ts";

/** Where the merged values of one job came from, before validation. */
export interface Layer {
  values: Record<string, unknown>;
  sources: Record<string, ValueSource>;
}

function put(layer: Layer, values: Record<string, unknown>, source: (key: string) => ValueSource) {
  for (const [key, value] of Object.entries(values)) {
    if (value === undefined) continue;
    layer.values[key] = value;
    layer.sources[key] = source(key);
  }
}

/** Process-wide keys set in a job table or a job's variable: one line each. */
function processKeyProblems(layer: Layer): string[] {
  return Object.keys(layer.values).filter((key) => PROCESS_KEYS.has(key)).map((key) =>
    `Cannot use ${
      describeSource(key, layer.sources[key])
    }: it applies to the whole process; set it in [scheduler]`
  );
}

/**
 * Merges the layers of `job`: [scheduler] < `INGEST_<KEY>` < [jobs.<job>] <
 * `INGEST_JOBS__<JOB>__<KEY>` < flags.
 */
export function mergeJob(
  job: string,
  input: {
    path: string | undefined;
    tables: SettingsTables | undefined;
    env: Record<string, unknown>;
    jobEnv: Map<string, JobEnvValues>;
    flags: Record<string, unknown>;
  },
): { layer: Layer; problems: string[] } {
  const { path, tables } = input;
  const layer: Layer = { values: {}, sources: {} };
  const multi = tables?.jobs !== undefined;
  if (path !== undefined && tables) {
    put(layer, tables.scheduler, () => ({
      kind: "file",
      path,
      ...(multi ? { table: tableLabel(undefined) } : {}),
    }));
  }
  put(layer, input.env, (key) => ({ kind: "env", name: envName(key) }));
  const own: Layer = { values: {}, sources: {} };
  const table = tables?.jobs?.get(job);
  if (path !== undefined && table) {
    put(own, table, () => ({ kind: "file", path, table: tableLabel(job) }));
  }
  const fromEnv = input.jobEnv.get(job);
  if (fromEnv) put(own, fromEnv.values, (key) => ({ kind: "env", name: fromEnv.names[key]! }));
  const problems = processKeyProblems(own);
  put(layer, own.values, (key) => own.sources[key]!);
  put(layer, input.flags, (key) => ({ kind: "flag", name: `--${key.replace(/_/g, "-")}` }));
  return { layer, problems };
}

/** Two jobs with one lock file would lock each other out: each job needs its own. */
export function sharedLockProblems(
  jobs: readonly {
    settings: { job: string; lock_file: string };
    sources: Record<string, ValueSource>;
  }[],
): string[] {
  const owners = new Map<string, string>();
  const problems: string[] = [];
  for (const { settings, sources } of jobs) {
    const path = resolve(settings.lock_file);
    const other = owners.get(path);
    if (other === undefined) {
      owners.set(path, settings.job);
      continue;
    }
    problems.push(
      `Cannot use ${describeSource("lock_file", sources.lock_file)} for job "${settings.job}": ` +
        `job "${other}" uses the same lock file ${path}; set lock_file per job or leave it unset`,
    );
  }
  return problems;
}
