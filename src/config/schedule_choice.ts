/**
 * Which schedule the settings ask for: an interval, daily times or a cron expression, checked
 * once while the settings are loaded.
 * @module
 */
import { Cron } from "croner";
import { ConfigError } from "../errors.ts";
import type { RawSettings } from "./schema.ts";
import type { ScheduleMode } from "./settings.ts";

/** The settings keys that choose the schedule. */
export type ScheduleSettings = Pick<
  RawSettings,
  "interval_minutes" | "quad_daily_times" | "cron" | "timezone"
>;

/** croner's `timezone` option for a settings zone: undefined means the process's local zone. */
export function cronTimezone(timezone: string): string | undefined {
  return timezone === "local" ? undefined : timezone;
}

/**
 * Checks a cron expression (croner syntax: 5, 6 or 7 fields) and that it fires at least once.
 * @throws {ConfigError} with croner's own message when the expression is not valid
 */
export function validateCron(expression: string, timezone = "local"): void {
  let next: Date | null;
  try {
    next = new Cron(expression, { timezone: cronTimezone(timezone), paused: true }).nextRun();
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ConfigError(`Cannot use cron "${expression}": ${reason}`, { cause: error });
  }
  if (next === null) {
    throw new ConfigError(`Cannot use cron "${expression}": it never fires`);
  }
}

/**
 * Chooses the schedule from the settings: daily times or a cron expression win over the
 * interval; the interval (default 60 minutes) applies when neither is set. Daily times are
 * sorted and deduplicated.
 * @throws {ConfigError} when both `quad_daily_times` and `cron` are set, or the cron is invalid
 */
export function chooseSchedule(raw: ScheduleSettings): ScheduleMode {
  const times = raw.quad_daily_times ?? [];
  const cron = raw.cron?.trim();
  if (times.length > 0 && cron) {
    throw new ConfigError(
      "Cannot choose a schedule: both quad_daily_times and cron are set; keep one of them",
    );
  }
  if (cron) {
    validateCron(cron, raw.timezone ?? "local");
    return { kind: "cron", expression: cron };
  }
  if (times.length > 0) return { kind: "daily", times: [...new Set(times)].sort() };
  return { kind: "interval", minutes: raw.interval_minutes ?? 60 };
}
