/**
 * The settings file: which one is used (--config, INGEST_CONFIG, ./settings.toml, then beside
 * the executable) and its tables, read and parsed.
 * @module
 */
import { dirname, join, resolve } from "node:path";
import { parse as parseToml, TomlError } from "smol-toml";
import { ConfigError } from "../errors.ts";
import { jobTables, type SettingsTables } from "./jobs.ts";
import { fileReader, type LoadOptions } from "./load_options.ts";
import { type RawSettings, SETTINGS_KEYS } from "./schema.ts";
import { suggest } from "./suggest.ts";
import { plainTomlError } from "./toml_wording.ts";

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

/**
 * Reads and parses the settings file: a `[scheduler]` table and optional `[jobs.<name>]`
 * tables; any other top-level key is an error with a suggestion.
 */
export async function readSettingsFile(
  path: string,
  options: LoadOptions,
): Promise<SettingsTables> {
  const read = fileReader(options);
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

/** The error when neither a settings file nor `INGEST_*` settings exist. */
export function noFileError(options: LoadOptions): ConfigError {
  return new ConfigError(
    `Cannot load settings: no settings file found (looked for ${
      join(options.cwd, "settings.toml")
    } and ` +
      `${
        join(dirname(options.execPath), "settings.toml")
      }); pass --config PATH or set INGEST_CONFIG`,
  );
}
