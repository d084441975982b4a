/**
 * The one parser of log levels, for `log_level` in the settings file, `INGEST_LOG_LEVEL` and
 * `--log-level`: case-insensitive, `WARN` for `WARNING`.
 * @module
 */

/** Log levels as settings write them. */
export const LOG_LEVEL_NAMES = ["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] as const;

/** What the operator may write, for messages. */
export const LOG_LEVEL_CHOICES = "debug, info, warning (or warn), error, critical (any case)";

/** `text` as a settings level ("warn" → "WARNING"), or undefined when it names none. */
export function normaliseLogLevel(text: string): typeof LOG_LEVEL_NAMES[number] | undefined {
  const upper = text.trim().toUpperCase().replace(/^WARN$/, "WARNING");
  return (LOG_LEVEL_NAMES as readonly string[]).includes(upper)
    ? upper as typeof LOG_LEVEL_NAMES[number]
    : undefined;
}
