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
  file?: { path: string; maxBytes: number; maxFiles: number } | undefined;
}

const LEVELS: Record<SettingsLogLevel, LogLevel> = {
  DEBUG: "debug",
  INFO: "info",
  WARNING: "warning",
  ERROR: "error",
  CRITICAL: "fatal",
};

/**
 * Wraps `sink` so that no record reaches it with a secret in its message or properties. The
 * wrapper disposes like `sink`: LogTape's `dispose()` closes only sinks that carry
 * `Symbol.dispose`/`Symbol.asyncDispose`, so without them the rotating file would stay open
 * (on Windows an open handle keeps the file, and so its folder, from being removed).
 */
export function redactingSink(sink: Sink): Sink {
  const wrapped = (record: LogRecord) =>
    sink({
      ...record,
      message: record.message.map((part) => redactValue(part)),
      properties: redactValue(record.properties) as Record<string, unknown>,
    });
  const disposable = sink as Partial<Disposable & AsyncDisposable>;
  const dispose = disposable[Symbol.dispose];
  const asyncDispose = disposable[Symbol.asyncDispose];
  if (dispose) return Object.assign(wrapped, { [Symbol.dispose]: () => dispose.call(sink) });
  if (asyncDispose) {
    return Object.assign(wrapped, { [Symbol.asyncDispose]: () => asyncDispose.call(sink) });
  }
  return wrapped;
}

function consoleFormatter(options: LoggingOptions): TextFormatter {
  const pretty = options.format === "pretty" || (options.format === "auto" && options.isTty);
  if (!pretty) return jsonLinesFormatter;
  return options.isTty
    ? getAnsiColorFormatter({ timestamp: "date-time", category: ".", value: "bare" })
    : getTextFormatter({ timestamp: "date-time", category: ".", value: "bare" });
}

/** Configures LogTape for the process (idempotent: replaces an earlier configuration). */
export async function setupLogging(options: LoggingOptions): Promise<void> {
  const formatter = consoleFormatter(options);
  const sinks: Record<string, Sink> = {
    console: redactingSink((record) => options.write(formatter(record))),
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
