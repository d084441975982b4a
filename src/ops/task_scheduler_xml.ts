/**
 * The Windows Task Scheduler flavour of `schedule print`: a Task Scheduler 1.2 task
 * definition running `ingest run-once`.
 * @module
 */
import {
  checkInput,
  commandArgs,
  dailyMinutes,
  DAY_MINUTES,
  evenGap,
  hhmm,
  scheduleError,
  type SchedulePrintInput,
} from "./schedule_input.ts";

/** Date part of every StartBoundary; any past date works, the time part is what matters. */
const ANCHOR_DATE = "2025-01-01";
/** Task Scheduler accepts at most 48 triggers per task. */
const MAX_TASK_TRIGGERS = 48;

const XML_ENTITIES: Record<string, string> = {
  "&": "amp",
  "<": "lt",
  ">": "gt",
  '"': "quot",
  "'": "apos",
};

/** Escapes text for XML character data and attribute values. */
export function xmlEscape(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&${XML_ENTITIES[c]};`);
}

/** Quotes one argument the way `CommandLineToArgvW` (and the C runtime) reads it back. */
export function windowsQuoteArg(arg: string): string {
  if (arg !== "" && !/[\s"]/.test(arg)) return arg;
  let out = '"';
  let backslashes = 0;
  for (const ch of arg) {
    if (ch === "\\") {
      backslashes++;
      continue;
    }
    out += "\\".repeat(ch === '"' ? backslashes * 2 + 1 : backslashes) + ch;
    backslashes = 0;
  }
  return `${out}${"\\".repeat(backslashes * 2)}"`;
}

function taskTriggers(input: SchedulePrintInput): string[] {
  const { schedule, jitter_seconds: jitter } = input.settings;
  const delay = jitter > 0 ? [`      <RandomDelay>PT${Math.ceil(jitter)}S</RandomDelay>`] : [];
  const repeating = (start: number, every: number) => [
    "    <TimeTrigger>",
    "      <Enabled>true</Enabled>",
    `      <StartBoundary>${ANCHOR_DATE}T${hhmm(start)}:00</StartBoundary>`,
    `      <Repetition><Interval>PT${every}M</Interval></Repetition>`,
    ...delay,
    "    </TimeTrigger>",
  ];
  if (schedule.kind === "interval") return repeating(0, schedule.minutes);
  const minutes = dailyMinutes(schedule, "Task Scheduler triggers");
  const gap = schedule.kind === "cron" ? evenGap(minutes) : undefined;
  if (gap !== undefined) return repeating(minutes[0] ?? 0, gap);
  if (minutes.length > MAX_TASK_TRIGGERS) {
    scheduleError(
      "build Task Scheduler triggers",
      `${minutes.length} daily times exceed the ${MAX_TASK_TRIGGERS} triggers a task can hold`,
    );
  }
  return minutes.flatMap((m) => [
    "    <CalendarTrigger>",
    "      <Enabled>true</Enabled>",
    `      <StartBoundary>${ANCHOR_DATE}T${hhmm(m)}:00</StartBoundary>`,
    ...delay,
    "      <ScheduleByDay><DaysInterval>1</DaysInterval></ScheduleByDay>",
    "    </CalendarTrigger>",
  ]);
}

function checkTaskZone(input: SchedulePrintInput): void {
  const zone = input.settings.timezone;
  if (zone === "local" || input.hostTimeZone === undefined || input.hostTimeZone === zone) return;
  scheduleError(
    "build Task Scheduler triggers",
    `timezone "${zone}" differs from this host's zone "${input.hostTimeZone}" and Task Scheduler ` +
      'fires in the host\'s zone; set timezone = "local" with times in that zone',
  );
}

/** Smallest gap in minutes between two consecutive starts of the schedule (across midnight too). */
function smallestGap(input: SchedulePrintInput): number {
  const { schedule } = input.settings;
  if (schedule.kind === "interval") return schedule.minutes;
  const minutes = dailyMinutes(schedule, "Task Scheduler triggers");
  const gaps = minutes.map((m, i) => (minutes[i + 1] ?? (minutes[0] ?? 0) + DAY_MINUTES) - m);
  return Math.min(...gaps);
}

/**
 * The task's ExecutionTimeLimit in minutes: `timeLimitMinutes` when given, else the smallest gap
 * between two starts, less the jitter (RandomDelay) and one minute, at least 1. A hung run is
 * then stopped before the next trigger fires, so "Do not start a new instance" skips no tick
 * because of it. Task Scheduler stops a console program with TerminateProcess: no handler runs,
 * and the next run removes the `.part` files and downloads those files again.
 */
export function executionTimeLimitMinutes(input: SchedulePrintInput): number {
  if (input.timeLimitMinutes !== undefined) return input.timeLimitMinutes;
  const jitterMinutes = Math.ceil(input.settings.jitter_seconds / 60);
  return Math.max(1, smallestGap(input) - jitterMinutes - 1);
}

/** `PT…` duration of whole minutes, e.g. PT5H59M. */
function durationOfMinutes(minutes: number): string {
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  return `PT${hours > 0 ? `${hours}H` : ""}${rest > 0 || hours === 0 ? `${rest}M` : ""}`;
}

const TASK_SETTINGS = [
  "  <Settings>",
  "    <MultipleInstancesPolicy>IgnoreNew</MultipleInstancesPolicy>",
  "    <DisallowStartIfOnBatteries>false</DisallowStartIfOnBatteries>",
  "    <StopIfGoingOnBatteries>false</StopIfGoingOnBatteries>",
  "    <AllowHardTerminate>true</AllowHardTerminate>",
  "    <StartWhenAvailable>true</StartWhenAvailable>",
  "    <RunOnlyIfNetworkAvailable>false</RunOnlyIfNetworkAvailable>",
  "    <IdleSettings>",
  "      <StopOnIdleEnd>false</StopOnIdleEnd>",
  "      <RestartOnIdle>false</RestartOnIdle>",
  "    </IdleSettings>",
  "    <AllowStartOnDemand>true</AllowStartOnDemand>",
  "    <Enabled>true</Enabled>",
  "    <Hidden>false</Hidden>",
  "    <RunOnlyIfIdle>false</RunOnlyIfIdle>",
  "    <WakeToRun>false</WakeToRun>",
];

/** Options of {@link taskSchedulerXml}. */
export interface TaskXmlOptions {
  /**
   * Declare `encoding="UTF-16"`: for a file written with {@link utf16leWithBom}. Leave it out
   * for text that is not stored as UTF-16 (stdout).
   */
  utf16?: boolean;
}

/**
 * UTF-16LE bytes with a byte order mark: the only encoding `schtasks /Create /XML` reads whole.
 * It reads a file without that BOM through the ANSI code page, so a non-ASCII path breaks.
 */
export function utf16leWithBom(text: string): Uint8Array {
  const bytes = new Uint8Array(2 + text.length * 2);
  const view = new DataView(bytes.buffer);
  view.setUint16(0, 0xfeff, true);
  for (let i = 0; i < text.length; i++) view.setUint16(2 + i * 2, text.charCodeAt(i), true);
  return bytes;
}

/**
 * A Task Scheduler 1.2 task definition that runs `run-once` on the configured schedule.
 * Register it as an administrator: `schtasks /Create /TN ingest /XML ingest-task.xml`.
 *
 * Daily times become one CalendarTrigger each; an interval a repeating TimeTrigger; a cron is
 * accepted when it fires at the same minutes every day. Triggers fire in the host's time zone.
 * "Do not start a new instance" (IgnoreNew); "run whether user is logged on or not" without a
 * stored password (S4U); missed runs start when possible; hard stop after
 * {@link executionTimeLimitMinutes}; Priority 5 (see the comment in the output). A disabled job
 * (`enabled = false`) is registered as a disabled task.
 * @throws {UsageError} relative paths, an untranslatable cron, a zone the host does not use.
 */
export function taskSchedulerXml(input: SchedulePrintInput, options: TaskXmlOptions = {}): string {
  checkInput(input);
  checkTaskZone(input);
  const triggers = taskTriggers(input);
  const command = input.binaryPath.includes(" ") ? `"${input.binaryPath}"` : input.binaryPath;
  const args = commandArgs(input, "run-once").map(windowsQuoteArg).join(" ");
  const user = input.runAs ? [`      <UserId>${xmlEscape(input.runAs)}</UserId>`] : [];
  const description = xmlEscape(`ingest: pull new SharePoint files (${input.configPath})`);
  return [
    options.utf16 ? '<?xml version="1.0" encoding="UTF-16"?>' : '<?xml version="1.0"?>',
    '<Task version="1.2" xmlns="http://schemas.microsoft.com/windows/2004/02/mit/task">',
    "  <RegistrationInfo>",
    `    <Description>${description}</Description>`,
    "  </RegistrationInfo>",
    `  <!-- Triggers fire in this computer's time zone (timezone: ${input.settings.timezone}) -->`,
    "  <Triggers>",
    ...triggers,
    "  </Triggers>",
    "  <Principals>",
    '    <Principal id="Author">',
    ...user,
    "      <!-- S4U: run whether the user is logged on or not, no stored password; the run has",
    "           no network credentials (use LogonType Password for file shares or NTLM proxies) -->",
    "      <LogonType>S4U</LogonType>",
    "      <RunLevel>LeastPrivilege</RunLevel>",
    "    </Principal>",
    "  </Principals>",
    ...(input.settings.enabled === false
      ? TASK_SETTINGS.map((line) =>
        line === "    <Enabled>true</Enabled>"
          ? "    <!-- enabled = false: the task is registered disabled; enable it to resume -->\n" +
            "    <Enabled>false</Enabled>"
          : line
      )
      : TASK_SETTINGS),
    "    <!-- A hung run is stopped (TerminateProcess) before the next start; the next run cleans up -->",
    `    <ExecutionTimeLimit>${
      durationOfMinutes(executionTimeLimitMinutes(input))
    }</ExecutionTimeLimit>`,
    "    <!-- 5: normal CPU and I/O priority. The default 7 also means low I/O priority, which",
    "         lets any busy disk stall the downloads and the moves into the ingestion folder -->",
    "    <Priority>5</Priority>",
    "  </Settings>",
    '  <Actions Context="Author">',
    "    <Exec>",
    `      <Command>${xmlEscape(command)}</Command>`,
    `      <Arguments>${xmlEscape(args)}</Arguments>`,
    `      <WorkingDirectory>${xmlEscape(input.workingDir)}</WorkingDirectory>`,
    "    </Exec>",
    "  </Actions>",
    "</Task>",
    "",
  ].join("\n");
}
