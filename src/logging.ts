/**
 * LogTape setup: categories per component (`ingest.scheduler`, `ingest.sync`, `ingest.graph`,
 * `ingest.db`), a stderr sink (pretty on a TTY, JSON lines otherwise), an optional rotating
 * JSON-lines file (Task Scheduler discards console output), and redaction in front of every sink.
 * Only `main.ts` calls {@link setupLogging}.
 * @module
 */
import {
  configure,
  dispose,
  getAnsiColorFormatter,
  getTextFormatter,
  jsonLinesFormatter,
  type LogLevel,
  type LogRecord,
  reset,
  type Sink,
  type TextFormatter,
} from "@logtape/logtape";
import { getRotatingFileSink } from "@logtape/file";
import { AsyncLocalStorage } from "node:async_hooks";
import { redactValue } from "./redact.ts";

/** Levels as written in settings (seed style) and on the CLI. */
export type SettingsLogLevel = "DEBUG" | "INFO" | "WARNING" | "ERROR" | "CRITICAL";

/** Options of {@link setupLogging}. */
export interface LoggingOptions {
  level: SettingsLogLevel;
  format: "auto" | "pretty" | "json";
  /** Where console records go (stderr). */
  write: (text: string) => void;
  isTty: boolean;
  /** False when `NO_COLOR` is set: a pretty console on a terminal is then plain text. */
  color?: boolean;
  /**
   * False: INFO records about one file (see {@link isPerFileRecord}) stay off the console, while a
   * live display shows the files instead. They still go to the log file, and to the console at
   * DEBUG. Default true.
   */
  perFileOnConsole?: boolean;
  file?: { path: string; maxBytes: number; maxFiles: number } | undefined;
}

const LEVELS: Record<SettingsLogLevel, LogLevel> = {
  DEBUG: "debug",
  INFO: "info",
  WARNING: "warning",
  ERROR: "error",
  CRITICAL: "fatal",
};

/** Wraps `sink` so that no record reaches it with a secret in its message or properties. */
export function redactingSink(sink: Sink): Sink {
  return (record: LogRecord) =>
    sink({
      ...record,
      message: record.message.map((part) => redactValue(part)),
      properties: redactValue(record.properties) as Record<string, unknown>,
    });
}

/**
 * True for an INFO-or-lower record about a single file ("Placed …", "Skipped … pending"): such
 * records carry a `file` property. Warnings and errors about a file are not per-file noise.
 */
export function isPerFileRecord(record: LogRecord): boolean {
  return (record.level === "info" || record.level === "debug" || record.level === "trace") &&
    typeof record.properties.file === "string";
}

/**
 * Starts the message of a record that carries a job key other than `default` with `[job] `, so
 * pretty lines of several jobs can be told apart (JSON lines carry `job` as a property).
 */
export function withJobPrefix(formatter: TextFormatter): TextFormatter {
  return (record) => {
    const job = record.properties.job;
    if (typeof job !== "string" || job === "default") return formatter(record);
    const [first, ...rest] = record.message;
    return formatter({ ...record, message: [`[${job}] ${String(first ?? "")}`, ...rest] });
  };
}

function consoleFormatter(options: LoggingOptions): TextFormatter {
  const pretty = options.format === "pretty" || (options.format === "auto" && options.isTty);
  if (!pretty) return jsonLinesFormatter;
  return withJobPrefix(
    options.isTty && options.color !== false
      ? getAnsiColorFormatter({ timestamp: "date-time", category: ".", value: "bare" })
      : getTextFormatter({ timestamp: "date-time", category: ".", value: "bare" }),
  );
}

/** Configures LogTape for the process (idempotent: replaces an earlier configuration). */
export async function setupLogging(options: LoggingOptions): Promise<void> {
  const formatter = consoleFormatter(options);
  const quiet = options.perFileOnConsole === false && options.level !== "DEBUG";
  const toConsole = redactingSink((record) => options.write(formatter(record)));
  const sinks: Record<string, Sink> = {
    console: quiet
      ? (record) => {
        if (!isPerFileRecord(record)) toConsole(record);
      }
      : toConsole,
  };
  if (options.file) {
    sinks.file = redactingSink(getRotatingFileSink(options.file.path, {
      formatter: jsonLinesFormatter,
      maxSize: options.file.maxBytes,
      maxFiles: options.file.maxFiles,
      bufferSize: 0,
    }));
  }
  const sinkNames = Object.keys(sinks);
  await configure({
    reset: true,
    // Carries `job` (see Scheduler) into every record a job's run emits, at any depth.
    contextLocalStorage: new AsyncLocalStorage(),
    sinks,
    loggers: [
      { category: ["ingest"], lowestLevel: LEVELS[options.level], sinks: sinkNames },
      { category: ["logtape", "meta"], lowestLevel: "warning", sinks: ["console"] },
    ],
  });
}

/** Flushes and closes the sinks (the rotating file). */
export async function closeLogging(): Promise<void> {
  await dispose();
  await reset();
}
