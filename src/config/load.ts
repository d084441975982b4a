/**
 * Finds, reads, merges and validates the settings of every job: defaults < `[scheduler]` <
 * `INGEST_<KEY>` < `[jobs.<name>]` < `INGEST_JOBS__<NAME>__<KEY>` < CLI flags. Every problem
 * becomes one `ConfigError` line naming the key, its table and its source.
 * @module
 */
import { basename, dirname, isAbsolute, join, resolve } from "node:path";
import { ConfigError } from "../errors.ts";
import { resolveAuth } from "./auth_settings.ts";
import { chooseSchedule } from "./schedule_choice.ts";
import { jobSettingsFromEnv, settingsFromEnv } from "./env.ts";
import {
  DEFAULT_JOB,
  jobNames,
  lockFileName,
  selectJobs,
  stateFileName,
  tableLabel,
} from "./jobs.ts";
import { PATH_KEYS, type RawSettings, SETTINGS_KEYS, settingsSchema } from "./schema.ts";
import { type Layer, mergeJob, sharedLockProblems } from "./merge_jobs.ts";
import type { Settings } from "./settings.ts";
import { describeSource, type ValueSource } from "./source.ts";
import { suggest } from "./suggest.ts";
import { issueText, settingsErrorMap } from "./wording.ts";
import {
  fileReader,
  type LoadedJobs,
  type LoadedSettings,
  type LoadOptions,
} from "./load_options.ts";
import { findSettingsFile, noFileError, readSettingsFile } from "./settings_file.ts";
import { loadCaCertificates, loadProxyPassword, loadSecret } from "./secret_files.ts";

export type { LoadedJobs, LoadedSettings, LoadOptions, ValueSource };

function checkUnknownKeys(
  values: Record<string, unknown>,
  sources: Record<string, ValueSource>,
): void {
  const problems: string[] = [];
  for (const key of Object.keys(values)) {
    if (SETTINGS_KEYS.includes(key as keyof RawSettings)) continue;
    const hint = suggest(key, SETTINGS_KEYS);
    problems.push(
      `Cannot use ${describeSource(key, sources[key])}: unknown setting` +
        (hint ? ` (did you mean "${hint}"?)` : ""),
    );
  }
  if (problems.length > 0) throw new ConfigError(problems.join("\n"));
}

function validate(
  values: Record<string, unknown>,
  sources: Record<string, ValueSource>,
  missing?: ValueSource,
): RawSettings {
  const parsed = settingsSchema.safeParse(values, { reportInput: true, error: settingsErrorMap });
  if (parsed.success) return parsed.data;
  const lines = parsed.error.issues.map((issue) => {
    const key = String(issue.path[0] ?? "");
    const where = describeSource(key, sources[key] ?? missing);
    const index = issue.path.length > 1 ? ` (item ${Number(issue.path[1]) + 1})` : "";
    return `Cannot use ${where}${index}: ${issueText(issue)}`;
  });
  throw new ConfigError([...new Set(lines)].join("\n"));
}

function resolvePaths(
  raw: RawSettings,
  sources: Record<string, ValueSource>,
  cwd: string,
): RawSettings {
  const result: Record<string, unknown> = { ...raw };
  for (const key of PATH_KEYS) {
    const value = raw[key];
    if (value === undefined || isAbsolute(value)) continue;
    const source = sources[key];
    const base = source?.kind === "file" ? dirname(source.path) : cwd;
    result[key] = resolve(base, value);
  }
  return result as RawSettings;
}

/**
 * The staging folder must not be the ingestion folder, and the lock file must not lie in it: the
 * file watcher would take temporary and lock files for new files. Checked before anything is
 * written.
 */
function checkOutsideIngestion(
  ingestionDir: string,
  paths: { staging_dir: string; lock_file: string },
  sources: Record<string, ValueSource>,
): void {
  const ingestion = resolve(ingestionDir);
  if (resolve(paths.staging_dir) === ingestion) {
    throw new ConfigError(
      `Cannot use ${
        describeSource("staging_dir", sources.staging_dir)
      }: it is the ingestion_dir; set staging_dir to another folder on the same drive`,
    );
  }
  if (dirname(resolve(paths.lock_file)) === ingestion) {
    throw new ConfigError(
      `Cannot use ${
        describeSource("lock_file", sources.lock_file)
      }: it is inside ingestion_dir, where the file watcher would pick it up`,
    );
  }
}

export { DEFAULT_JOB, stateFileName };

/** Default staging folder: a hidden sibling of `ingestion_dir`, so it sits on the same volume. */
export function defaultStagingDir(ingestionDir: string): string {
  return join(dirname(ingestionDir), `.${basename(ingestionDir)}.ingest-staging`);
}

/** Validates and resolves one job's merged values into its {@link Settings}. */
async function resolveJob(
  job: string,
  layer: Layer,
  file: { path: string | undefined; multi: boolean },
  options: LoadOptions,
): Promise<LoadedSettings> {
  const { path, multi } = file;
  const { values, sources } = layer;
  checkUnknownKeys(values, sources);
  // A missing key is named with the file it is missing from (and its table, with jobs).
  const missing: ValueSource | undefined = path === undefined
    ? undefined
    : multi
    ? { kind: "file", path, table: tableLabel(job) }
    : { kind: "file", path };
  const raw = resolvePaths(validate(values, sources, missing), sources, options.cwd);
  // `schedule print` reads no secret file: the workstation may not hold the secrets.
  const reads = options.readSecrets !== false;
  const secret = reads || raw.client_secret_file === undefined
    ? await loadSecret(raw, sources, options)
    : undefined;
  const credential = await resolveAuth({
    raw,
    // Without reading it, a secret file still says which method the keys imply.
    secret: reads ? secret : secret ?? raw.client_secret_file,
    sources,
    env: options.env,
    cwd: options.cwd,
    read: fileReader(options),
    readSecrets: reads,
  });
  const proxyPassword = reads ? await loadProxyPassword(raw, sources, options) : undefined;
  const caCertificates = reads ? await loadCaCertificates(raw, options) : undefined;
  for (const key of SETTINGS_KEYS) sources[key] ??= { kind: "default" };
  const staging = raw.staging_dir ?? defaultStagingDir(raw.ingestion_dir);
  const lockFile = raw.lock_file ?? join(staging, lockFileName(job));
  checkOutsideIngestion(raw.ingestion_dir, { staging_dir: staging, lock_file: lockFile }, sources);
  const { client_secret: _ignored, ...rest } = raw;
  const settings: Settings = {
    ...rest,
    ...(secret !== undefined ? { client_secret: secret } : {}),
    ...(proxyPassword !== undefined ? { proxy_password: proxyPassword } : {}),
    ...(caCertificates !== undefined ? { ca_certificates: caCertificates } : {}),
    ...credential,
    staging_dir: staging,
    lock_file: lockFile,
    schedule: chooseSchedule(raw),
    config_path: path,
    job,
    state_file: join(staging, stateFileName(job)),
  };
  return { settings, sources };
}

function messageLines(error: unknown): string[] {
  if (error instanceof ConfigError) return error.message.split("\n");
  throw error;
}

/**
 * Loads every job's settings with their sources and returns the jobs `options.jobs` selects.
 * Every job is validated, selected or not: one settings file is one unit.
 * @throws {ConfigError} one line per problem over all jobs, naming the key, the table and the
 *   file or variable
 */
export async function loadJobs(options: LoadOptions): Promise<LoadedJobs> {
  const path = await findSettingsFile(options);
  const tables = path === undefined ? undefined : await readSettingsFile(path, options);
  const env = settingsFromEnv(options.env);
  const flags = Object.fromEntries(
    Object.entries(options.flags ?? {}).filter(([, value]) => value !== undefined),
  );
  if (path === undefined && Object.keys(env).length === 0) throw noFileError(options);
  const names = jobNames(tables);
  const jobEnv = jobSettingsFromEnv(options.env, names);
  const selected = selectJobs(names, options.jobs);
  const problems: string[] = [];
  const jobs: LoadedSettings[] = [];
  for (const job of names) {
    const { layer, problems: own } = mergeJob(job, { path, tables, env, jobEnv, flags });
    problems.push(...own);
    try {
      const file = { path, multi: tables?.jobs !== undefined };
      jobs.push(await resolveJob(job, layer, file, options));
    } catch (error) {
      const lines = messageLines(error);
      const label = tableLabel(job);
      problems.push(
        ...(tables?.jobs === undefined
          ? lines
          : lines.map((line) =>
            line.includes("[jobs.") || line.includes("[scheduler]")
              ? line
              : `${line} (job ${label})`
          )),
      );
    }
  }
  problems.push(...sharedLockProblems(jobs));
  if (problems.length > 0) throw new ConfigError([...new Set(problems)].join("\n"));
  return {
    jobs: jobs.filter((job) => selected.includes(job.settings.job)),
    names,
    configPath: path,
  };
}

/**
 * Loads the settings of one job with their sources: the only job of the file, or the one
 * `options.jobs` selects.
 * @throws {ConfigError} one line per problem, naming the key and the file or variable; also
 *   when the selection is not exactly one job
 */
export async function loadSettings(options: LoadOptions): Promise<LoadedSettings> {
  return onlyJob(await loadJobs(options));
}

/**
 * The one job of `loaded`.
 * @throws {ConfigError} when it holds several jobs (or none)
 */
export function onlyJob(loaded: LoadedJobs): LoadedSettings {
  const [only, ...more] = loaded.jobs;
  if (only === undefined || more.length > 0) {
    throw new ConfigError(
      `Cannot choose one job: the settings define ${loaded.names.length} jobs ` +
        `(${loaded.names.join(", ")}); pass --job NAME`,
    );
  }
  return only;
}
