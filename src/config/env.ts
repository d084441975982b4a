/**
 * `INGEST_<KEY>` environment overrides, typed like the settings file.
 * @module
 */
import { ConfigError } from "../errors.ts";
import { keyKind, type RawSettings, SETTINGS_KEYS } from "./schema.ts";
import { suggest } from "./suggest.ts";

/** Prefix of the variables that set one job's key: `INGEST_JOBS__<NAME>__<KEY>`. */
export const JOB_ENV_PREFIX = "INGEST_JOBS__";

/** Environment variables that configure the tool but are not settings keys. */
const NON_SETTING_VARS = new Set([
  "INGEST_CONFIG",
  // Test-only endpoints of the managed identity flows (see src/config/auth_settings.ts).
  "INGEST_TEST_IMDS_ENDPOINT",
  "INGEST_TEST_ARC_TOKENS_DIR",
]);

/** The environment variable that overrides `key`. */
export function envName(key: string): string {
  return `INGEST_${key.toUpperCase()}`;
}

const TRUE = new Set(["true", "1", "yes", "on"]);
const FALSE = new Set(["false", "0", "no", "off"]);

function parseValue(key: keyof RawSettings, text: string, name = envName(key)): unknown {
  switch (keyKind(key)) {
    case "boolean": {
      const lower = text.trim().toLowerCase();
      if (TRUE.has(lower)) return true;
      if (FALSE.has(lower)) return false;
      throw new ConfigError(`Cannot read ${name}: expected true or false, got "${text}"`);
    }
    case "number": {
      const value = Number(text.trim());
      if (text.trim() === "" || !Number.isFinite(value)) {
        throw new ConfigError(`Cannot read ${name}: expected a number, got "${text}"`);
      }
      return value;
    }
    case "list":
      return parseList(name, text);
    default:
      return text;
  }
}

function parseList(name: string, text: string): string[] {
  const trimmed = text.trim();
  if (trimmed.startsWith("[")) {
    try {
      const parsed: unknown = JSON.parse(trimmed);
      if (Array.isArray(parsed) && parsed.every((v) => typeof v === "string")) return parsed;
    } catch { /* reported below */ }
    throw new ConfigError(`Cannot read ${name}: expected a JSON array of strings`);
  }
  return trimmed === "" ? [] : trimmed.split(",").map((item) => item.trim());
}

/**
 * Settings values found in `env` (`INGEST_<KEY>`). Unknown `INGEST_*` variables are errors with
 * a suggestion, so a typo never silently does nothing.
 * @throws {ConfigError}
 */
export function settingsFromEnv(env: Record<string, string | undefined>): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  const known = new Map(SETTINGS_KEYS.map((key) => [envName(key), key]));
  for (const [name, text] of Object.entries(env)) {
    if (!name.startsWith("INGEST_") || text === undefined || NON_SETTING_VARS.has(name)) continue;
    if (name.startsWith(JOB_ENV_PREFIX)) continue;
    const key = known.get(name);
    if (!key) {
      const hint = suggest(name.slice("INGEST_".length).toLowerCase(), SETTINGS_KEYS);
      throw new ConfigError(
        `Cannot read environment variable ${name}: no such setting` +
          (hint ? ` (did you mean ${envName(hint)}?)` : ""),
      );
    }
    values[key] = parseValue(key, text);
  }
  return values;
}

/** The environment variable that overrides `key` of job `job`. */
export function jobEnvName(job: string, key: string): string {
  return `${JOB_ENV_PREFIX}${job.toUpperCase()}__${key.toUpperCase()}`;
}

/** One job's values from `INGEST_JOBS__<NAME>__<KEY>` variables, with each variable's name. */
export interface JobEnvValues {
  values: Record<string, unknown>;
  names: Record<string, string>;
}

/**
 * Per-job values found in `env`, by job key. The name is the part between `INGEST_JOBS__` and
 * the last `__` (job keys may contain `_`), lowercased; it must be one of `jobs`.
 * @throws {ConfigError} for an unknown job or key, naming the variable
 */
export function jobSettingsFromEnv(
  env: Record<string, string | undefined>,
  jobs: readonly string[],
): Map<string, JobEnvValues> {
  const result = new Map<string, JobEnvValues>();
  const problems: string[] = [];
  for (const [name, text] of Object.entries(env)) {
    if (!name.startsWith(JOB_ENV_PREFIX) || text === undefined) continue;
    const rest = name.slice(JOB_ENV_PREFIX.length);
    const split = rest.lastIndexOf("__");
    const job = split > 0 ? rest.slice(0, split).toLowerCase() : "";
    const keyText = split > 0 ? rest.slice(split + 2).toLowerCase() : "";
    if (!jobs.includes(job)) {
      const hint = job === "" ? undefined : suggest(job, jobs);
      problems.push(
        `Cannot read environment variable ${name}: ` +
          (job === ""
            ? `expected ${JOB_ENV_PREFIX}<JOB>__<KEY>`
            : `no job "${job}" in the settings (jobs: ${jobs.join(", ")})`) +
          (hint ? ` (did you mean ${jobEnvName(hint, keyText)}?)` : ""),
      );
      continue;
    }
    const key = SETTINGS_KEYS.find((k) => k === keyText);
    if (!key) {
      const hint = suggest(keyText, SETTINGS_KEYS);
      problems.push(
        `Cannot read environment variable ${name}: no such setting` +
          (hint ? ` (did you mean ${jobEnvName(job, hint)}?)` : ""),
      );
      continue;
    }
    const entry = result.get(job) ?? { values: {}, names: {} };
    entry.values[key] = parseValue(key, text, name);
    entry.names[key] = name;
    result.set(job, entry);
  }
  if (problems.length > 0) throw new ConfigError(problems.join("\n"));
  return result;
}
