/**
 * Cron expressions (croner syntax) parsed into explicit value sets, so `schedule print` can
 * translate them for the OS schedulers: daily times, systemd `OnCalendar=`, crontab fields.
 * @module
 */
import { UsageError } from "../errors.ts";

/** One field of a cron expression. */
export interface CronField {
  /** Text as written (after nickname expansion; `?` becomes `*`). */
  text: string;
  /** Allowed values, sorted (day of week: 0 = Sunday; 7 folds into 0). */
  values: number[];
  /** True for `*`: unrestricted. */
  any: boolean;
}

/** A parsed cron expression; `second` is `[0]` for 5-field expressions. */
export interface CronSpec {
  second: CronField;
  minute: CronField;
  hour: CronField;
  dayOfMonth: CronField;
  month: CronField;
  dayOfWeek: CronField;
}

const NICKNAMES: Record<string, string> = {
  "@yearly": "0 0 1 1 *",
  "@annually": "0 0 1 1 *",
  "@monthly": "0 0 1 * *",
  "@weekly": "0 0 * * 0",
  "@daily": "0 0 * * *",
  "@midnight": "0 0 * * *",
  "@hourly": "0 * * * *",
};
const MONTHS = "JAN FEB MAR APR MAY JUN JUL AUG SEP OCT NOV DEC".split(" ");
const DAYS = "SUN MON TUE WED THU FRI SAT".split(" ");
const SYSTEMD_DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

function cronValue(token: string, names: string[] | undefined, offset: number): number {
  const index = names?.indexOf(token.toUpperCase()) ?? -1;
  if (index >= 0) return index + offset;
  if (!/^\d+$/.test(token)) throw new RangeError(`unsupported token "${token}"`);
  return Number(token);
}

function cronField(text: string, min: number, max: number, names?: string[]): CronField {
  const normalized = text === "?" ? "*" : text;
  const values = new Set<number>();
  for (const part of normalized.split(",")) {
    const [range = "", stepText] = part.split("/");
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step < 1) throw new RangeError(`bad step in "${part}"`);
    let from = min;
    let to = max;
    if (range !== "*") {
      const [a = "", b] = range.split("-");
      from = cronValue(a, names, min);
      to = b === undefined ? (stepText === undefined ? from : max) : cronValue(b, names, min);
    }
    if (from < min || to > max || from > to) throw new RangeError(`"${part}" is out of range`);
    for (let v = from; v <= to; v += step) values.add(max === 7 && v === 7 ? 0 : v);
  }
  return { text: normalized, values: [...values].sort((x, y) => x - y), any: normalized === "*" };
}

/**
 * Parses a croner-style expression for translation: numbers, names, `*`, `?`, lists, ranges
 * and steps in 5 fields (or 6 with leading seconds), and the `@daily`-style nicknames.
 * @throws {UsageError} for anything else (`L`, `W`, `#`, a year field, out-of-range values).
 */
export function parseCron(expression: string): CronSpec {
  const expanded = NICKNAMES[expression.trim().toLowerCase()] ?? expression.trim();
  const parts = expanded.split(/\s+/);
  if (parts.length === 5) parts.unshift("0");
  try {
    if (parts.length !== 6) throw new RangeError("only 5 fields (or 6 with seconds) translate");
    const [s = "", mi = "", h = "", dom = "", mo = "", dow = ""] = parts;
    return {
      second: cronField(s, 0, 59),
      minute: cronField(mi, 0, 59),
      hour: cronField(h, 0, 23),
      dayOfMonth: cronField(dom, 1, 31),
      month: cronField(mo, 1, 12, MONTHS),
      dayOfWeek: cronField(dow, 0, 7, DAYS),
    };
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new UsageError(`Cannot translate cron "${expression}": ${reason}`, { cause: error });
  }
}

/** Minutes of the day (sorted) when `spec` fires at the same times every day, else undefined. */
export function cronTimesOfDay(spec: CronSpec): number[] | undefined {
  const everyDay = spec.dayOfMonth.any && spec.month.any && spec.dayOfWeek.any;
  if (!everyDay || spec.second.values.join() !== "0") return undefined;
  return spec.hour.values.flatMap((h) => spec.minute.values.map((m) => h * 60 + m));
}

/** A systemd calendar component: `*`, `start/step` (to the end), or a list. */
function calendarField(field: CronField, min: number, max: number): string {
  const values = field.values;
  if (field.any || values.length === max - min + 1) return "*";
  const pad = (v: number) => String(v).padStart(2, "0");
  const first = values[0] ?? min;
  const step = values.length > 1 ? (values[1] ?? first) - first : 0;
  const toTheEnd = step > 0 && values.every((v, i) => v === first + i * step) &&
    first + values.length * step > max;
  return toTheEnd ? `${pad(first)}/${step}` : values.map(pad).join(",");
}

/**
 * The systemd `OnCalendar=` form of a cron expression (without a zone), e.g.
 * `0 30 9 * * MON-FRI` → `Mon,Tue,Wed,Thu,Fri *-*-* 09:30:00`.
 * @throws {UsageError} when both day-of-month and day-of-week are restricted: cron fires when
 *   either matches, systemd only when both do.
 */
export function cronToOnCalendar(expression: string): string {
  const spec = parseCron(expression);
  if (!spec.dayOfMonth.any && !spec.dayOfWeek.any) {
    throw new UsageError(
      `Cannot express cron "${expression}" as a systemd timer: cron fires when day-of-month ` +
        "OR day-of-week matches, systemd needs both",
    );
  }
  const days = spec.dayOfWeek.any
    ? ""
    : `${spec.dayOfWeek.values.map((d) => SYSTEMD_DAYS[d]).join(",")} `;
  const date = `*-${calendarField(spec.month, 1, 12)}-${calendarField(spec.dayOfMonth, 1, 31)}`;
  const time = [
    calendarField(spec.hour, 0, 23),
    calendarField(spec.minute, 0, 59),
    calendarField(spec.second, 0, 59),
  ].join(":");
  return `${days}${date} ${time}`;
}
