/**
 * Pure schedule maths: when the schedule the settings chose (src/config/schedule_choice.ts) fires
 * next, how far back a run looks, and the per-tick jitter. No timers and no global clock: every answer is a function
 * of the arguments, so tests pin ISO instants.
 *
 * Daily times and cron expressions are evaluated by croner (paused jobs, never started), which
 * gives the DST rules the scheduler also uses at run time: a daily time that falls in a
 * spring-forward gap fires at the first instant after the gap; a time that occurs twice on a
 * fall-back night fires once, at its first occurrence.
 * @module
 */
import { Cron } from "croner";
import { cronTimezone } from "../config/schedule_choice.ts";
import type { ScheduleMode } from "../config/settings.ts";
import { chooseLookbackMs } from "../sync/window.ts";

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;
/** How far ahead the cron lookback looks for its largest gap: a week plus a day. */
const CRON_SAMPLE_SPAN_MS = 8 * DAY_MS;
/** Spacing of the probes that find every cron gap longer than this. */
const CRON_PROBE_STEP_MS = 30 * MINUTE_MS;
/** Consecutive fires sampled to find short cron gaps. */
const CRON_SAMPLE_FIRES = 50;

/** Options of {@link nextRuns}. */
export interface NextRunsOptions {
  /** Start of the plan: for an interval, the first tick; otherwise runs strictly after it. */
  from: Date;
  /** How many run times to return. */
  count: number;
  /** "local" or an IANA zone; daily times and cron fields are read in it. */
  timezone: string;
}

/** A one-line description for logs and `ingest next`, e.g. "daily at 09:05, 18:05 (Europe/Berlin)". */
export function describeSchedule(mode: ScheduleMode, timezone: string): string {
  switch (mode.kind) {
    case "interval":
      return `every ${mode.minutes} minute${mode.minutes === 1 ? "" : "s"}`;
    case "daily":
      return `daily at ${mode.times.join(", ")} (${timezone})`;
    case "cron":
      return `cron "${mode.expression}" (${timezone})`;
  }
}

/** The croner pattern of one "HH:MM" daily time, firing at second 0. */
export function dailyTimePattern(time: string): string {
  const [hours, minutes] = time.split(":").map(Number);
  return `0 ${minutes} ${hours} * * *`;
}

function cronRuns(pattern: string, timezone: string, count: number, from: Date): Date[] {
  return new Cron(pattern, { timezone: cronTimezone(timezone), paused: true }).nextRuns(
    count,
    from,
  );
}

/**
 * The next `count` planned run times, ascending.
 * Interval: `from`, then every N minutes. Daily times and cron: the fires strictly after `from`
 * in `timezone`; two daily times that land on the same instant (a DST gap) run once.
 */
export function nextRuns(mode: ScheduleMode, options: NextRunsOptions): Date[] {
  const { from, count, timezone } = options;
  if (count <= 0) return [];
  switch (mode.kind) {
    case "interval":
      return Array.from(
        { length: count },
        (_, i) => new Date(from.getTime() + i * mode.minutes * MINUTE_MS),
      );
    case "daily": {
      const all = mode.times.flatMap((time) =>
        cronRuns(dailyTimePattern(time), timezone, count, from)
      );
      const unique = [...new Set(all.map((d) => d.getTime()))].sort((a, b) => a - b);
      return unique.slice(0, count).map((ms) => new Date(ms));
    }
    case "cron":
      return cronRuns(mode.expression, timezone, count, from);
  }
}

/** Minutes since midnight of an "HH:MM" time. */
function minuteOfDay(time: string): number {
  const [hours = 0, minutes = 0] = time.split(":").map(Number);
  return hours * 60 + minutes;
}

/** Largest wall-clock gap between consecutive daily times, wrapping midnight (one time: 24 h). */
export function largestDailyGapMs(times: readonly string[]): number {
  const minutes = [...new Set(times.map(minuteOfDay))].sort((a, b) => a - b);
  if (minutes.length === 0) return DAY_MS;
  let largest = (minutes[0] ?? 0) + 24 * 60 - (minutes[minutes.length - 1] ?? 0);
  for (let i = 1; i < minutes.length; i++) {
    largest = Math.max(largest, (minutes[i] ?? 0) - (minutes[i - 1] ?? 0));
  }
  return largest * MINUTE_MS;
}

/**
 * Largest gap between consecutive fires of a cron over the next 8 days from `from` (so weekly
 * patterns such as "weekdays only" show their weekend gap): the first 50 fires give short
 * gaps, probes every 30 minutes give the gap around each probe (previous to next fire).
 * Returns undefined when the cron fires fewer than twice.
 */
export function largestCronGapMs(
  expression: string,
  timezone: string,
  from: Date,
): number | undefined {
  const cron = new Cron(expression, { timezone: cronTimezone(timezone), paused: true });
  let largest: number | undefined;
  const fires = cron.nextRuns(CRON_SAMPLE_FIRES, from);
  for (let i = 1; i < fires.length; i++) {
    const gap = (fires[i]?.getTime() ?? 0) - (fires[i - 1]?.getTime() ?? 0);
    largest = Math.max(largest ?? 0, gap);
  }
  // Probes sit half a second off the whole second, so a probe never coincides with a fire.
  const start = Math.floor(from.getTime() / 1000) * 1000 + 500;
  for (let t = start; t <= start + CRON_SAMPLE_SPAN_MS; t += CRON_PROBE_STEP_MS) {
    const probe = new Date(t);
    const previous = cron.previousRuns(1, probe)[0];
    const next = cron.nextRun(probe);
    if (previous && next) largest = Math.max(largest ?? 0, next.getTime() - previous.getTime());
  }
  return largest;
}

/**
 * Default lookback of a run's time window: twice the schedule's longest pause, so one missed
 * tick is still covered. Interval: 2 × interval. Daily: 2 × the largest gap between consecutive
 * times (wrapping midnight). Cron: 2 × its largest gap over the next 8 days from `from`
 * (2 days when it fires fewer than twice).
 */
export function defaultLookbackMs(mode: ScheduleMode, timezone: string, from = new Date()): number {
  switch (mode.kind) {
    case "interval":
      return 2 * mode.minutes * MINUTE_MS;
    case "daily":
      return 2 * largestDailyGapMs(mode.times);
    case "cron":
      return 2 * (largestCronGapMs(mode.expression, timezone, from) ?? DAY_MS);
  }
}

/** The lookback a run uses when the caller gives none: `lookback_minutes`, else the default. */
export function effectiveLookbackMs(
  settings: { schedule: ScheduleMode; timezone: string; lookback_minutes?: number | undefined },
  from = new Date(),
): number {
  return chooseLookbackMs({
    settingsMinutes: settings.lookback_minutes,
    scheduleDefaultMs: () => defaultLookbackMs(settings.schedule, settings.timezone, from),
  });
}

/**
 * A random delay in whole milliseconds within [0, jitterSeconds × 1000], both ends included.
 * `random` returns values in [0, 1), like `Math.random`.
 */
export function jitterMs(jitterSeconds: number, random: () => number = Math.random): number {
  const maxMs = Math.max(0, Math.round(jitterSeconds * 1000));
  if (maxMs === 0) return 0;
  const r = Math.min(Math.max(random(), 0), 1 - Number.EPSILON);
  return Math.floor(r * (maxMs + 1));
}

/**
 * `date` as an ISO 8601 string with the offset of `timezone` ("local": the process's zone),
 * e.g. "2026-03-08T03:00:00-05:00", for logs and `ingest next`.
 */
export function toZonedIso(date: Date, timezone: string): string {
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone: cronTimezone(timezone),
    hourCycle: "h23",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
  }).formatToParts(date);
  const get = (type: Intl.DateTimeFormatPartTypes) =>
    Number(parts.find((p) => p.type === type)?.value ?? 0);
  const wallMs = Date.UTC(
    get("year"),
    get("month") - 1,
    get("day"),
    get("hour"),
    get("minute"),
    get("second"),
  );
  const offsetMinutes = Math.round((wallMs - Math.floor(date.getTime() / 1000) * 1000) / MINUTE_MS);
  const sign = offsetMinutes < 0 ? "-" : "+";
  const abs = Math.abs(offsetMinutes);
  const pad = (n: number, width = 2) => String(n).padStart(width, "0");
  const offset = offsetMinutes === 0 ? "Z" : `${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
  return `${pad(get("year"), 4)}-${pad(get("month"))}-${pad(get("day"))}T${pad(get("hour"))}:${
    pad(get("minute"))
  }:${pad(get("second"))}${offset}`;
}
