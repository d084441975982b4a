/**
 * Finds, reads, merges and validates the settings of every job: defaults < `[scheduler]` <
 * `INGEST_<KEY>` < `[jobs.<name>]` < `INGEST_JOBS__<NAME>__<KEY>` < CLI flags. Every problem
 * becomes one `ConfigError` line naming the key, its table and its source.
 * @module
 */
import { basename, dirname, isAbsolute, join, resolve } from "node:path";
import { parse as parseToml, TomlError } from "smol-toml";
import type { z } from "zod";
import { ConfigError } from "../errors.ts";
import { resolveAuth } from "./auth_settings.ts";
import { chooseSchedule } from "./schedule_choice.ts";
import { jobSettingsFromEnv, settingsFromEnv } from "./env.ts";
import {
  DEFAULT_JOB,
  jobNames,
  jobTables,
  lockFileName,
  selectJobs,
  type SettingsTables,
  stateFileName,
  tableLabel,
} from "./jobs.ts";
import { PATH_KEYS, type RawSettings, SETTINGS_KEYS, settingsSchema } from "./schema.ts";
import { type Layer, mergeJob, sharedLockProblems } from "./merge_jobs.ts";
import type { Settings } from "./settings.ts";
import { describeSource, type ValueSource } from "./source.ts";
import { suggest } from "./suggest.ts";
import { plainTomlError } from "./toml_wording.ts";
import { settingsErrorMap } from "./wording.ts";

export type { ValueSource };

/** Inputs of {@link loadSettings}; everything that varies is injected. */
export interface LoadOptions {
  /** `--config PATH`. */
  configPath?: string | undefined;
  /** The process environment (only `INGEST_*` is read). */
  env: Record<string, string | undefined>;
  /** Working directory, for `./settings.toml` and relative env/flag paths. */
  cwd: string;
  /** Path of the running executable; `settings.toml` beside it is the last fallback. */
  execPath: string;
  /** Values from CLI flags, by settings key. */
  flags?: Partial<Record<keyof RawSettings, unknown>>;
  /** `--job NAME` selection; empty or undefined: every job. */
  jobs?: readonly string[];
  readTextFile?: (path: string) => Promise<string>;
  exists?: (path: string) => Promise<boolean>;
  /**
   * False: `client_secret_file`, `proxy_password_file` and `ca_file` are not read (the settings
   * then carry no secret, password or certificates). For `schedule print`, which runs on
   * workstations that do not hold the secrets. Default true.
   */
  readSecrets?: boolean;
}

/** The loaded settings of one job and the source of each key. */
export interface LoadedSettings {
  settings: Settings;
  sources: Record<string, ValueSource>;
}

/** The loaded settings of the selected jobs. */
export interface LoadedJobs {
  /** The selected jobs, in file order. */
  jobs: LoadedSettings[];
  /** Every job key the settings define, in file order. */
  names: string[];
  /** The settings file that was loaded, if any. */
  configPath: string | undefined;
}

async function fileExists(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isFile;
  } catch {
    return false;
  }
}

/** Picks the settings file: --config, INGEST_CONFIG, ./settings.toml, then beside the executable. */
export async function findSettingsFile(options: LoadOptions): Promise<string | undefined> {
  const exists = options.exists ?? fileExists;
  const explicit = options.configPath ?? options.env.INGEST_CONFIG;
  if (explicit !== undefined) {
    const path = resolve(options.cwd, explicit);
    const from = options.configPath !== undefined ? "--config" : "INGEST_CONFIG";
    if (!(await exists(path))) {
      throw new ConfigError(`Cannot load settings file ${path} (from ${from}): file not found`);
    }
    return path;
  }
  for (
    const candidate of [
      join(options.cwd, "settings.toml"),
      join(dirname(options.execPath), "settings.toml"),
    ]
  ) {
    if (await exists(candidate)) return candidate;
  }
  return undefined;
}

function tomlLocation(error: TomlError): string {
  return `line ${error.line}, column ${error.column}`;
}

async function readSettingsFile(path: string, options: LoadOptions): Promise<SettingsTables> {
  const read = options.readTextFile ?? ((p: string) => Deno.readTextFile(p));
  let text: string;
  try {
    text = await read(path);
  } catch (error) {
    throw new ConfigError(`Cannot read settings file ${path}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  let document: Record<string, unknown>;
  try {
    document = parseToml(text) as Record<string, unknown>;
  } catch (error) {
    if (error instanceof TomlError) {
      // No cause: the parser's own words would follow the plain ones.
      throw new ConfigError(
        `Cannot parse settings file ${path} at ${tomlLocation(error)}: ${
          plainTomlError(error.message, text, error.line)
        }`,
      );
    }
    throw new ConfigError(`Cannot parse settings file ${path}: ${String(error)}`, { cause: error });
  }
  for (const key of Object.keys(document)) {
    if (key === "scheduler" || key === "jobs") continue;
    const hint = SETTINGS_KEYS.includes(key as keyof RawSettings)
      ? ` (settings keys belong in the [scheduler] section)`
      : key.toLowerCase() === "scheduler" || suggest(key, ["scheduler"])
      ? ' (did you mean "[scheduler]"?)'
      : suggest(key, ["jobs"])
      ? ' (did you mean "[jobs.<name>]"?)'
      : "";
    throw new ConfigError(
      `Cannot load settings file ${path}: unknown top-level key "${key}"${hint}`,
    );
  }
  const jobs = document.jobs === undefined ? undefined : jobTables(path, document.jobs);
  const section = document.scheduler;
  if (section === undefined) {
    if (jobs) return { scheduler: {}, jobs };
    throw new ConfigError(`Cannot load settings file ${path}: it has no [scheduler] section`);
  }
  if (typeof section !== "object" || section === null || Array.isArray(section)) {
    throw new ConfigError(`Cannot load settings file ${path}: "scheduler" must be a table`);
  }
  return { scheduler: { ...section as Record<string, unknown> }, jobs };
}

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

function issueText(issue: z.core.$ZodIssue): string {
  if (issue.code === "invalid_type" && issue.expected !== "int") {
    return issue.input === undefined
      ? "is required"
      : `must be ${article(issue.expected)}, not ${typeName(issue.input)}`;
  }
  return issue.message.replace(/^Invalid input: /, "");
}

function article(type: string): string {
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

function typeName(value: unknown): string {
  if (Array.isArray(value)) return "an array";
  if (value === null) return "null";
  return typeof value === "string" ? `a string` : `${article(typeof value)}`;
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

async function loadSecret(
  raw: RawSettings,
  sources: Record<string, ValueSource>,
  options: LoadOptions,
) {
  if (raw.client_secret_file === undefined) return raw.client_secret;
  if (raw.client_secret !== undefined) {
    throw new ConfigError(
      `Cannot use both ${describeSource("client_secret", sources.client_secret)} and ` +
        `${describeSource("client_secret_file", sources.client_secret_file)}: keep one`,
    );
  }
  const read = options.readTextFile ?? ((p: string) => Deno.readTextFile(p));
  try {
    const secret = (await read(raw.client_secret_file)).trim();
    if (secret === "") throw new Error("the file is empty");
    return secret;
  } catch (error) {
    throw new ConfigError(
      `Cannot read client_secret_file ${raw.client_secret_file}: ${(error as Error).message}`,
      { cause: error },
    );
  }
}

async function readSettingFile(
  key: "proxy_password_file" | "ca_file",
  path: string,
  options: LoadOptions,
): Promise<string> {
  const read = options.readTextFile ?? ((p: string) => Deno.readTextFile(p));
  try {
    return await read(path);
  } catch (error) {
    throw new ConfigError(`Cannot read ${key} ${path}: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

/**
 * The proxy password from `proxy_password_file` (first line, trimmed). The user name comes from
 * `proxy_url`; one without the other is an error.
 */
async function loadProxyPassword(
  raw: RawSettings,
  sources: Record<string, ValueSource>,
  options: LoadOptions,
): Promise<string | undefined> {
  const file = raw.proxy_password_file;
  const user = raw.proxy_url === undefined ? "" : new URL(raw.proxy_url).username;
  if (file === undefined) {
    if (user === "") return undefined;
    throw new ConfigError(
      `Cannot use ${describeSource("proxy_url", sources.proxy_url)}: it names user "${
        decodeURIComponent(user)
      }" but proxy_password_file is not set`,
    );
  }
  if (user === "") {
    throw new ConfigError(
      `Cannot use ${describeSource("proxy_password_file", sources.proxy_password_file)}: ` +
        'proxy_url names no user (write it as "http://USER@proxy:8080")',
    );
  }
  const password = (await readSettingFile("proxy_password_file", file, options)).split(/\r?\n/)[0]!
    .trim();
  if (password === "") {
    throw new ConfigError(`Cannot read proxy_password_file ${file}: the file is empty`);
  }
  return password;
}

/** Every "CERTIFICATE" PEM block of `ca_file`; a file without one is an error. */
async function loadCaCertificates(
  raw: RawSettings,
  options: LoadOptions,
): Promise<string[] | undefined> {
  if (raw.ca_file === undefined) return undefined;
  const text = await readSettingFile("ca_file", raw.ca_file, options);
  const blocks = text.match(
    /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g,
  ) ?? [];
  if (blocks.length === 0) {
    throw new ConfigError(
      `Cannot use ca_file ${raw.ca_file}: it holds no "BEGIN CERTIFICATE" block ` +
        "(export the root CA as Base-64 encoded X.509 .cer/.pem)",
    );
  }
  return blocks.map((block) => `${block}\n`);
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
    read: options.readTextFile ?? ((p: string) => Deno.readTextFile(p)),
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

function noFileError(options: LoadOptions): ConfigError {
  return new ConfigError(
    `Cannot load settings: no settings file found (looked for ${
      join(options.cwd, "settings.toml")
    } and ` +
      `${
        join(dirname(options.execPath), "settings.toml")
      }); pass --config PATH or set INGEST_CONFIG`,
  );
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
