/**
 * What every CLI command receives: injected process facilities and the global flags.
 * @module
 */
import { dirname } from "node:path";
import type { Clock } from "../clock.ts";
import { type LoadedJobs, type LoadedSettings, loadJobs, onlyJob } from "../config/load.ts";
import type { RawSettings } from "../config/schema.ts";
import type { Settings } from "../config/settings.ts";
import { ConfigError } from "../errors.ts";
import { ensureFolder, fsReason } from "../folders.ts";
import type { LoggingOptions } from "../logging.ts";
import type { SignalApi } from "../schedule/shutdown.ts";
import { ingestCommand } from "./invocation.ts";
import type { StatusBlock } from "./status_block.ts";
import { colorAllowed, type Terminal } from "./terminal.ts";

/** Process facilities, injected by `main.ts` (real) or by tests (fakes). */
export interface CliDeps {
  env: Record<string, string | undefined>;
  cwd: string;
  execPath: string;
  /** Version of the Deno runtime (`Deno.version.deno`), for hints when running from source. */
  denoVersion: string;
  /** URL of the main module (`Deno.mainModule`). */
  mainModule: string;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** True when stderr is a terminal (pretty logs, progress). */
  isTty: boolean;
  /** Width of the terminal in columns (live displays). Default 80. */
  columns?: () => number;
  fetch: typeof fetch;
  clock: Clock;
  random: () => number;
  /** Shutdown signals (and the OS they belong to); tests send them by hand. */
  signals: SignalApi;
  setupLogging: (options: LoggingOptions) => Promise<void>;
}

/** Global flags shared by every command. */
export interface GlobalFlags {
  config?: string | undefined;
  logLevel?: string | undefined;
  logFormat?: string | undefined;
  json?: boolean | undefined;
  /** `--progress` (true) / `--no-progress` (false): overrides the terminal detection. */
  progress?: boolean | undefined;
}

/** A command's view of the process. */
export class CliContext {
  readonly deps: CliDeps;
  readonly flags: GlobalFlags;
  /** The live display that output goes above, while one is shown. */
  #block: StatusBlock | undefined;

  constructor(deps: CliDeps, flags: GlobalFlags) {
    this.deps = deps;
    this.flags = flags;
  }

  /**
   * Whether `trigger`, `run-once`, `check` and `run` show a live display on stderr:
   * `--progress`/`--no-progress`, else when stderr is a terminal; never with `--json`.
   */
  get live(): boolean {
    return !this.flags.json && (this.flags.progress ?? this.deps.isTty);
  }

  /** stderr as a terminal for a live display (`NO_COLOR` turns colours off). */
  terminal(): Terminal {
    return {
      write: this.deps.stderr,
      columns: this.deps.columns ?? (() => 80),
      color: colorAllowed(this.deps.env),
    };
  }

  /** Until {@link StatusBlock.close}, log records and printed lines appear above `block`. */
  showAbove(block: StatusBlock | undefined): void {
    this.#block = block;
  }

  /** Writes `text` on stderr, above the live display when one is shown. */
  stderr(text: string): void {
    if (this.#block) this.#block.above(() => this.deps.stderr(text));
    else this.deps.stderr(text);
  }

  /**
   * Loads the settings of exactly one job (the only one, or the one `--job` selects) with CLI
   * flags on top, then configures logging from them.
   * @throws {ConfigError} when the selection is not exactly one job (see `onlyJob`)
   */
  async load(
    extraFlags: Partial<Record<keyof RawSettings, unknown>> = {},
    selection: readonly string[] = [],
  ): Promise<LoadedSettings> {
    return onlyJob(await this.loadJobs(selection, extraFlags));
  }

  /**
   * Loads the settings of the jobs `selection` names (`--job`, default every job) with CLI
   * flags on top, then configures logging from the process-wide keys.
   */
  async loadJobs(
    selection: readonly string[] = [],
    extraFlags: Partial<Record<keyof RawSettings, unknown>> = {},
    options: { readSecrets?: boolean } = {},
  ): Promise<LoadedJobs> {
    const loaded = await this.#load(selection, extraFlags, options.readSecrets ?? true);
    await this.#setupLogging(loaded.jobs[0]!.settings, false);
    return loaded;
  }

  /**
   * Like {@link loadJobs}, for the commands that sync (`run`, `run-once`, `trigger`): the folders
   * of `log_file` and of every job's `metrics_file` are created when their parent exists, and
   * logging goes to `log_file` too. Every other command only reads, and logs to the console.
   * @throws {ConfigError} naming `log_file`/`metrics_file` when its folder cannot be used
   */
  async loadJobsForRun(selection: readonly string[] = []): Promise<LoadedJobs> {
    const loaded = await this.#load(selection, {}, true);
    const first = loaded.jobs[0]!.settings;
    if (first.log_file) await ensureFolder(dirname(first.log_file), "log_file");
    for (const { settings } of loaded.jobs) {
      if (settings.metrics_file) await ensureFolder(dirname(settings.metrics_file), "metrics_file");
    }
    await this.#setupLogging(first, true);
    return loaded;
  }

  #load(
    selection: readonly string[],
    extraFlags: Partial<Record<keyof RawSettings, unknown>>,
    readSecrets: boolean,
  ): Promise<LoadedJobs> {
    return loadJobs({
      readSecrets,
      configPath: this.flags.config,
      env: this.deps.env,
      cwd: this.deps.cwd,
      execPath: this.deps.execPath,
      flags: { log_level: this.flags.logLevel, log_format: this.flags.logFormat, ...extraFlags },
      jobs: selection,
    });
  }

  async #setupLogging(s: Settings, toFile: boolean): Promise<void> {
    const file = toFile && s.log_file
      ? { path: s.log_file, maxBytes: s.log_max_bytes, maxFiles: s.log_max_files }
      : undefined;
    try {
      await this.deps.setupLogging({
        level: s.log_level,
        format: s.log_format,
        write: (text) => this.stderr(text),
        isTty: this.deps.isTty,
        color: colorAllowed(this.deps.env),
        // The live display shows the files; a pretty console then keeps to run-level records.
        perFileOnConsole: !(this.live && consolePretty(s.log_format, this.deps.isTty)),
        file,
      });
    } catch (error) {
      if (!file) throw error;
      throw new ConfigError(`Cannot open log_file ${file.path}: ${fsReason(error)}`);
    }
  }

  /** Prints one line (or a JSON document with `--json`) on stdout. */
  print(text: string): void {
    const line = text.endsWith("\n") ? text : text + "\n";
    if (this.#block) this.#block.above(() => this.deps.stdout(line));
    else this.deps.stdout(line);
  }

  /** `ingest <args>` as the operator types it here (`deno task ingest <args>` from source). */
  command(args: string): string {
    return ingestCommand(this.deps, args);
  }

  printJson(value: unknown): void {
    this.deps.stdout(JSON.stringify(value, null, 2) + "\n");
  }
}

function consolePretty(format: string, isTty: boolean): boolean {
  return format === "pretty" || (format === "auto" && isTty);
}
