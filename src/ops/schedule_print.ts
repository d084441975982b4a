/**
 * `ingest schedule print`: ready-to-install schedules for the OS scheduler, filled from the
 * settings — a Windows Task Scheduler XML ({@link taskSchedulerXml}), a systemd service +
 * timer ({@link systemdUnits}) or a service for the `run` daemon
 * ({@link systemdDaemonService}), or crontab lines ({@link crontabLine}). Pure functions of
 * their input: nothing is read or written.
 *
 * Each OS-scheduled run is `<binary> run-once --config <settings>`, so the tool's own lock,
 * window and exit codes behave exactly as under `ingest run`.
 * @module
 */
import type { ScheduleMode } from "../config/settings.ts";
import { cronToOnCalendar, parseCron } from "./cron_spec.ts";
import {
  checkInput,
  commandArgs,
  dailyMinutes,
  hhmm,
  scheduleError,
  type SchedulePrintInput,
  type SchedulePrintSettings,
  unitName,
} from "./schedule_input.ts";

export type { SchedulePrintInput, SchedulePrintSettings } from "./schedule_input.ts";
export {
  executionTimeLimitMinutes,
  taskSchedulerXml,
  utf16leWithBom,
  windowsQuoteArg,
  xmlEscape,
} from "./task_scheduler_xml.ts";

/** A systemd service + timer pair for `run-once`. */
export interface SystemdUnits {
  /** Contents of `ingest.service`. */
  service: string;
  /** Contents of `ingest.timer`. */
  timer: string;
}

// ---------- systemd ----------

/** Quotes one `ExecStart=` argument; `%` specifiers and `$` variables are escaped. */
export function systemdQuoteArg(arg: string): string {
  if (/[\n\r]/.test(arg)) scheduleError(`quote "${arg}" for systemd`, "it contains a line break");
  const escaped = arg.replaceAll("%", "%%").replaceAll("$", "$$$$");
  if (/^[A-Za-z0-9_@+=:,./-]+$/.test(arg)) return escaped;
  return `"${escaped.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

function execStart(input: SchedulePrintInput, subcommand: string): string {
  return [input.binaryPath, ...commandArgs(input, subcommand)].map(systemdQuoteArg).join(" ");
}

function serviceHead(input: SchedulePrintInput, description: string): string[] {
  if (input.runAs !== undefined && !/^[A-Za-z0-9_][A-Za-z0-9_.@-]*$/.test(input.runAs)) {
    scheduleError(`use "${input.runAs}" as a systemd User=`, "not a valid user name");
  }
  return [
    "[Unit]",
    `Description=${description}`,
    "Wants=network-online.target",
    "After=network-online.target",
    "",
    "[Service]",
    input.runAs ? `User=${input.runAs}` : "# User=ingest   (run as a dedicated account, not root)",
    `WorkingDirectory=${input.workingDir.replaceAll("%", "%%")}`,
  ];
}

function stopTimeout(settings: SchedulePrintSettings): string {
  return `TimeoutStopSec=${Math.ceil(settings.shutdown_timeout_seconds) + 10}s`;
}

function timerSchedule(settings: SchedulePrintSettings): string[] {
  const mode = settings.schedule;
  if (mode.kind === "interval") {
    // OnUnitActiveSec= alone never fires before the first run; OnActiveSec= covers a timer
    // enabled long after boot, OnBootSec= every boot.
    return ["OnActiveSec=1min", "OnBootSec=1min", `OnUnitActiveSec=${mode.minutes}min`];
  }
  const zone = settings.timezone === "local" ? "" : ` ${settings.timezone}`;
  const calendars = mode.kind === "daily"
    ? dailyMinutes(mode, "systemd timer").map((m) => `*-*-* ${hhmm(m)}:00`)
    : [cronToOnCalendar(mode.expression)];
  return [...calendars.map((c) => `OnCalendar=${c}${zone}`), "Persistent=true"];
}

/**
 * A oneshot `ingest.service` running `run-once` and an `ingest.timer` starting it on the
 * schedule: daily times as `OnCalendar=*-*-* HH:MM:00 <zone>` lines, a cron as its
 * `OnCalendar=` equivalent, an interval as `OnUnitActiveSec=` after boot and activation.
 * Exit 4 (another run holds the lock) counts as success. A disabled job's timer has no install
 * target, so enabling it does nothing.
 * @throws {UsageError} relative paths, a cron systemd cannot express.
 */
export function systemdUnits(input: SchedulePrintInput): SystemdUnits {
  checkInput(input);
  const { settings } = input;
  const service = [
    ...serviceHead(input, "ingest: pull new SharePoint files (one run)"),
    "Type=oneshot",
    `ExecStart=${execStart(input, "run-once")}`,
    "SuccessExitStatus=4",
    `TimeoutStartSec=${input.timeLimitMinutes ?? 120}min`,
    "KillSignal=SIGTERM",
    stopTimeout(settings),
    "NoNewPrivileges=true",
    "",
  ].join("\n");
  const jitter = settings.jitter_seconds > 0
    ? [`RandomizedDelaySec=${Math.ceil(settings.jitter_seconds)}s`]
    : [];
  const paused = settings.enabled === false;
  const timer = [
    ...(paused
      ? [
        "# enabled = false: this job is paused. The timer has no [Install] target, so",
        "# `systemctl enable` does not start it; restore WantedBy= below to resume.",
      ]
      : []),
    "[Unit]",
    "Description=ingest schedule",
    "",
    "[Timer]",
    ...timerSchedule(settings),
    "AccuracySec=1s",
    ...jitter,
    `Unit=${unitName(input)}.service`,
    "",
    "[Install]",
    paused ? "#WantedBy=timers.target" : "WantedBy=timers.target",
    "",
  ].join("\n");
  return { service, timer };
}

/**
 * A service running the `ingest run` daemon (its own scheduler): restarts on failure but not
 * on a settings error (exit 2), stops with SIGTERM and waits `shutdown_timeout_seconds` + 10 s;
 * exit 143 (in-flight run aborted on SIGTERM) counts as a clean stop.
 * @throws {UsageError} relative paths.
 */
export function systemdDaemonService(input: SchedulePrintInput): string {
  checkInput(input);
  return [
    ...serviceHead(input, "ingest: SharePoint ingestion scheduler (ingest run)"),
    "Type=simple",
    `ExecStart=${execStart(input, "run")}`,
    "Restart=on-failure",
    "RestartSec=30s",
    "RestartPreventExitStatus=2",
    "SuccessExitStatus=143",
    "KillSignal=SIGTERM",
    stopTimeout(input.settings),
    "NoNewPrivileges=true",
    "",
    "[Install]",
    "WantedBy=multi-user.target",
    "",
  ].join("\n");
}

// ---------- cron ----------

/** Quotes one word for `/bin/sh`, then escapes `%`, which cron turns into a newline. */
export function crontabQuoteArg(arg: string): string {
  const quoted = /^[A-Za-z0-9_@+=:,./-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`;
  return quoted.replaceAll("%", "\\%");
}

function intervalCron(minutes: number): string {
  if (minutes < 60 && 60 % minutes === 0) {
    return minutes === 1 ? "* * * * *" : `*/${minutes} * * * *`;
  }
  if (minutes % 60 === 0 && 24 % (minutes / 60) === 0) {
    const hours = minutes / 60;
    return hours === 1 ? "0 * * * *" : hours === 24 ? "0 0 * * *" : `0 */${hours} * * *`;
  }
  scheduleError(
    `express interval_minutes = ${minutes} in crontab`,
    "cron repeats within an hour or a day; use a divisor of 60 (like 30) or of 24 hours " +
      "(like 120), quad_daily_times, or a systemd timer",
  );
}

/** The 5-field cron lines that fire on `mode` (daily times grouped by minute). */
export function cronSchedules(mode: ScheduleMode): string[] {
  if (mode.kind === "interval") return [intervalCron(mode.minutes)];
  if (mode.kind === "cron") {
    const spec = parseCron(mode.expression);
    if (spec.second.values.join() !== "0") {
      scheduleError(`express cron "${mode.expression}" in crontab`, "cron has no seconds field");
    }
    const fields = [spec.minute, spec.hour, spec.dayOfMonth, spec.month, spec.dayOfWeek];
    return [fields.map((field) => field.text).join(" ")];
  }
  const byMinute = new Map<number, number[]>();
  for (const m of dailyMinutes(mode, "crontab lines")) {
    byMinute.set(m % 60, [...(byMinute.get(m % 60) ?? []), Math.floor(m / 60)]);
  }
  return [...byMinute].map(([minute, hours]) => `${minute} ${hours.join(",")} * * *`);
}

/**
 * Crontab lines (for `crontab -e`) running `run-once` on the schedule: daily times grouped by
 * minute, an interval as `*\/N` when N divides an hour or a day, a cron as itself. An IANA
 * `timezone` adds a `CRON_TZ=` line (honoured by cronie; Debian's cron ignores it).
 * `jitter_seconds` is not applied by cron. A disabled job's lines are commented out.
 * @throws {UsageError} relative paths, an interval cron cannot repeat, a cron with seconds.
 */
export function crontabLine(input: SchedulePrintInput): string {
  checkInput(input);
  const { settings } = input;
  const command = [input.binaryPath, ...commandArgs(input, "run-once")]
    .map(crontabQuoteArg).join(" ");
  const zone = settings.timezone === "local" ? [] : [`CRON_TZ=${settings.timezone}`];
  const jitter = settings.jitter_seconds > 0 ? ["# jitter_seconds is not applied by cron"] : [];
  const paused = settings.enabled === false;
  const pause = paused
    ? ["# enabled = false: this job is paused; remove the leading # of the line below to resume"]
    : [];
  return [
    "# ingest: pull new SharePoint files (install with `crontab -e`)",
    ...pause,
    ...jitter,
    ...zone,
    ...cronSchedules(settings.schedule).map((when) => `${paused ? "# " : ""}${when} ${command}`),
    "",
  ].join("\n");
}
