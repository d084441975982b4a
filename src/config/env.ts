/**
 * `INGEST_<KEY>` environment overrides, typed like the settings file.
 * @module
 */
import { ConfigError } from "../errors.ts";
import { keyKind, type RawSettings, SETTINGS_KEYS } from "./schema.ts";
import { suggest } from "./suggest.ts";

/** Environment variables that configure the tool but are not settings keys. */
const NON_SETTING_VARS = new Set(["INGEST_CONFIG"]);

/** The environment variable that overrides `key`. */
export function envName(key: string): string {
  return `INGEST_${key.toUpperCase()}`;
}

const TRUE = new Set(["true", "1", "yes", "on"]);
const FALSE = new Set(["false", "0", "no", "off"]);

function parseValue(key: keyof RawSettings, text: string): unknown {
  const name = envName(key);
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
