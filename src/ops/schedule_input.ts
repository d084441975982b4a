/**
 * What every `schedule print` printer receives, and the checks and schedule arithmetic they
 * share.
 * @module
 */
import type { ScheduleMode, Settings } from "../config/settings.ts";
import { UsageError } from "../errors.ts";
import { cronTimesOfDay, parseCron } from "./cron_spec.ts";

/** The settings the printers read. */
export type SchedulePrintSettings =
  & Pick<Settings, "schedule" | "timezone" | "jitter_seconds" | "shutdown_timeout_seconds">
  /** `enabled = false` prints a paused entry (default enabled). */
  & Partial<Pick<Settings, "enabled">>;

/** Input of every printer. */
export interface SchedulePrintInput {
  settings: SchedulePrintSettings;
  /** Absolute path of the `ingest` executable (or of a launcher, see `launcherArgs`). */
  binaryPath: string;
  /** Absolute path of the settings file passed as `--config`. */
  configPath: string;
  /** Working directory of the runs; the CLI passes the executable's folder. */
  workingDir: string;
  /** Path style to require: "windows" (`C:\…`, `\\server\…`) or "linux" (`/…`); default either. */
  os?: "windows" | "linux";
  /** Arguments before the subcommand when `binaryPath` is a launcher such as `deno`. */
  launcherArgs?: readonly string[];
  /** Account to run as: Task Scheduler `UserId`, systemd `User=`; default the installing user. */
  runAs?: string;
  /** This host's IANA zone; Task Scheduler fires in it, so it must match an IANA `timezone`. */
  hostTimeZone?: string;
  /** Stop a scheduled run after this many minutes (hard kill); default: derived from the schedule. */
  timeLimitMinutes?: number;
  /** Jobs passed as `--job NAME` (settings files with `[jobs.*]` tables); default none. */
  jobs?: readonly string[];
}

/** The unit or task name: `ingest`, or `ingest-<job>` for one job of a many-job file. */
export function unitName(input: Pick<SchedulePrintInput, "jobs">): string {
  return input.jobs?.length === 1 ? `ingest-${input.jobs[0]}` : "ingest";
}

/** Minutes in a day. */
export const DAY_MINUTES = 1440;

/** Throws the {@link UsageError} "Cannot <what>: <state>". */
export function scheduleError(what: string, state: string): never {
  throw new UsageError(`Cannot ${what}: ${state}`);
}

const WINDOWS_ABSOLUTE = /^(?:[A-Za-z]:[\\/]|\\\\[^\\]+\\)/;

function checkPath(path: string, label: string, os: SchedulePrintInput["os"]): void {
  // deno-lint-ignore no-control-regex
  if (/[\x00-\x1f\x7f]/.test(path)) {
    scheduleError(`use ${label}`, "it contains a control character");
  }
  const windows = WINDOWS_ABSOLUTE.test(path);
  const posix = path.startsWith("/");
  const ok = os === "windows" ? windows : os === "linux" ? posix : windows || posix;
  if (!ok) scheduleError(`use ${label} "${path}"`, "the OS scheduler needs an absolute path");
}

/**
 * Checks the paths of `input`: absolute (in the `os` style when given), no control characters.
 * @throws {UsageError}
 */
export function checkInput(input: SchedulePrintInput): void {
  checkPath(input.binaryPath, "the executable path", input.os);
  checkPath(input.configPath, "the settings path", input.os);
  checkPath(input.workingDir, "the working directory", input.os);
}

/** Arguments after the executable: launcher arguments, the subcommand, `--config <path>`. */
export function commandArgs(input: SchedulePrintInput, subcommand: string): string[] {
  const jobs = (input.jobs ?? []).flatMap((job) => ["--job", job]);
  return [...(input.launcherArgs ?? []), subcommand, "--config", input.configPath, ...jobs];
}

function parseHhMm(time: string): number {
  const match = /^(\d{2}):(\d{2})$/.exec(time);
  if (!match) scheduleError(`read daily time "${time}"`, 'expected "HH:MM"');
  return Number(match[1]) * 60 + Number(match[2]);
}

/** "HH:MM" of a minute of the day. */
export function hhmm(minuteOfDay: number): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${pad(Math.floor(minuteOfDay / 60))}:${pad(minuteOfDay % 60)}`;
}

/** The gap between sorted minutes-of-day when they are equally spaced over the whole day. */
export function evenGap(minutes: readonly number[]): number | undefined {
  if (minutes.length < 2) return undefined;
  const gap = DAY_MINUTES / minutes.length;
  if (!Number.isInteger(gap)) return undefined;
  const first = minutes[0] ?? 0;
  return minutes.every((m, i) => m === first + i * gap) ? gap : undefined;
}

/**
 * The daily-times or cron schedule as sorted minutes of the day, for schedulers that only
 * know daily times. `target` names the output in error messages.
 * @throws {UsageError} for an interval, or a cron that does not fire the same every day.
 */
export function dailyMinutes(mode: ScheduleMode, target: string): number[] {
  if (mode.kind === "daily") {
    if (mode.times.length === 0) scheduleError(`build ${target}`, "quad_daily_times is empty");
    return [...new Set(mode.times.map(parseHhMm))].sort((a, b) => a - b);
  }
  if (mode.kind === "cron") {
    const minutes = cronTimesOfDay(parseCron(mode.expression));
    if (minutes) return minutes;
    scheduleError(
      `express cron "${mode.expression}" in ${target}`,
      "only crons that fire at the same minutes every day translate; use quad_daily_times or " +
        "interval_minutes, or run `ingest run` as a service",
    );
  }
  scheduleError(`build ${target}`, "an interval has no daily times");
}
