/**
 * The run's time window and the `--since` / `--lookback` parsers. Pure functions.
 * @module
 */
import type { TimeWindow } from "../db/db_service_client.ts";
import { UsageError } from "../errors.ts";

const UNIT_MS = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1_000 } as const;

/** What decides a run's window. */
export interface WindowInput {
  /** The run's reference time: becomes `until`. */
  reference: Date;
  /** `--since`: explicit start, wins over every lookback. */
  since?: Date | undefined;
  /** `--lookback`: wins over {@link defaultLookbackMs}. */
  lookbackMs?: number | undefined;
  /** The lookback when the run gives none: {@link chooseLookbackMs}'s choice. */
  defaultLookbackMs: number;
}

/** What {@link chooseLookbackMs} chooses from. */
export interface LookbackChoice {
  /** The run's own lookback (`--lookback`, or one its caller already chose). */
  runMs?: number | undefined;
  /** `lookback_minutes` from the settings. */
  settingsMinutes?: number | undefined;
  /** The schedule's default (2 × its largest gap), computed only when needed. */
  scheduleDefaultMs: () => number;
}

/**
 * The lookback of a run without `--since`: the first given of the run's own lookback,
 * `lookback_minutes`, and the schedule's default. The one place of this precedence.
 */
export function chooseLookbackMs(choice: LookbackChoice): number {
  if (choice.runMs !== undefined) return choice.runMs;
  if (choice.settingsMinutes !== undefined) return choice.settingsMinutes * 60_000;
  return choice.scheduleDefaultMs();
}

/**
 * The window `[since, until)` of a run: `until` = `reference`; `since` = the explicit `since`, or
 * `until` minus `lookbackMs`, else minus `defaultLookbackMs`.
 * @throws {UsageError} when `since` is not before `reference` or the lookback is not positive.
 */
export function computeWindow(input: WindowInput): TimeWindow {
  const until = new Date(input.reference.getTime());
  if (Number.isNaN(until.getTime())) {
    throw new UsageError("Cannot compute the time window: the reference time is not a valid date");
  }
  if (input.since !== undefined) {
    if (!(input.since.getTime() < until.getTime())) {
      throw new UsageError(
        `Cannot use --since ${input.since.toISOString()}: it is not before the run's reference time ${until.toISOString()}`,
      );
    }
    return { since: new Date(input.since.getTime()), until };
  }
  const lookbackMs = input.lookbackMs ?? input.defaultLookbackMs;
  if (!Number.isFinite(lookbackMs) || lookbackMs <= 0) {
    throw new UsageError(
      `Cannot compute the time window: the lookback ${lookbackMs} ms is not positive`,
    );
  }
  return { since: new Date(until.getTime() - lookbackMs), until };
}

/** True when `instant` lies in `[window.since, window.until)`. */
export function inWindow(instant: Date, window: TimeWindow): boolean {
  const t = instant.getTime();
  return t >= window.since.getTime() && t < window.until.getTime();
}

/**
 * Milliseconds of a duration like "90m", "36h", "7d", "45s" or "1h30m" (units d, h, m, s, in that
 * order, whole numbers, case-insensitive).
 * @throws {UsageError} when `text` is not such a duration or is zero.
 */
export function parseDuration(text: string): number {
  const trimmed = text.trim();
  const match = /^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/i.exec(trimmed);
  if (!trimmed || !match) {
    throw new UsageError(
      `Cannot parse duration "${text}": use whole numbers with units d, h, m, s, like 90m, 36h, 7d or 1h30m`,
    );
  }
  const [, d, h, m, s] = match;
  const ms = Number(d ?? 0) * UNIT_MS.d + Number(h ?? 0) * UNIT_MS.h + Number(m ?? 0) * UNIT_MS.m +
    Number(s ?? 0) * UNIT_MS.s;
  if (ms <= 0 || !Number.isSafeInteger(ms)) {
    throw new UsageError(`Cannot parse duration "${text}": it must be longer than zero`);
  }
  return ms;
}

const RFC3339 =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d+)?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;

/**
 * The instant of an RFC 3339 date-time with `Z` or a numeric offset, e.g.
 * "2026-03-01T10:00:00Z" or "2026-03-01T11:00:00+01:00".
 * @throws {UsageError} when `text` is not a valid date-time or has no offset.
 */
export function parseSince(text: string): Date {
  const fail = (state: string) =>
    new UsageError(
      `Cannot parse --since "${text}": ${state}; use RFC 3339 like 2026-03-01T10:00:00Z`,
    );
  const match = RFC3339.exec(text.trim());
  if (!match) {
    throw fail("it is not a date-time with Z or an offset like +01:00");
  }
  const [, y, mo, d, h, mi, s, frac, z, sign, oh, om] = match.map((v) => v ?? "");
  const [year, month, day, hour, minute, second] = [y, mo, d, h, mi, s].map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const local = Date.UTC(year, month - 1, day, hour, minute, second);
  const check = new Date(local);
  const fieldsValid = check.getUTCFullYear() === year && check.getUTCMonth() === month - 1 &&
    check.getUTCDate() === day && hour < 24 && minute < 60 && second < 60;
  const offsetMinutes = z ? 0 : (sign === "-" ? -1 : 1) * (Number(oh) * 60 + Number(om));
  if (!fieldsValid || Number(oh) > 23 || Number(om) > 59) throw fail("it is not a valid date-time");
  const millis = frac ? Math.floor(Number(`0${frac}`) * 1000) : 0;
  return new Date(local + millis - offsetMinutes * 60_000);
}
