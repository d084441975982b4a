/**
 * What loading the settings takes (everything that varies is injected) and what it gives.
 * @module
 */
import type { RawSettings } from "./schema.ts";
import type { Settings } from "./settings.ts";
import type { ValueSource } from "./source.ts";

/** Inputs of `loadSettings`/`loadJobs`; everything that varies is injected. */
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

/** How the loader reads a file: the injected `readTextFile`, else `Deno.readTextFile`. */
export function fileReader(
  options: Pick<LoadOptions, "readTextFile">,
): (path: string) => Promise<string> {
  return options.readTextFile ?? ((path: string) => Deno.readTextFile(path));
}
