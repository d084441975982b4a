/**
 * The Windows Task Scheduler flavour of `schedule print`: a Task Scheduler 1.2 task
 * definition running `ingest run-once`.
 * @module
 */
import {
  checkInput,
  commandArgs,
  dailyMinutes,
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

/**
 * A Task Scheduler 1.2 task definition that runs `run-once` on the configured schedule.
 * Register it as an administrator: `schtasks /Create /XML ingest-task.xml /TN ingest`.
 *
 * Daily times become one CalendarTrigger each; an interval a repeating TimeTrigger; a cron is
 * accepted when it fires at the same minutes every day. Triggers fire in the host's time zone.
 * "Do not start a new instance" (IgnoreNew); "run whether user is logged on or not" without a
 * stored password (S4U); missed runs start when possible; hard stop after `timeLimitMinutes`.
 * The declaration names no encoding, so a file saved as UTF-8 or as UTF-16 with a BOM (what
 * Windows PowerShell's `>` writes) both load.
 * @throws {UsageError} relative paths, an untranslatable cron, a zone the host does not use.
 */
export function taskSchedulerXml(input: SchedulePrintInput): string {
  checkInput(input);
  checkTaskZone(input);
  const triggers = taskTriggers(input);
  const command = input.binaryPath.includes(" ") ? `"${input.binaryPath}"` : input.binaryPath;
  const args = commandArgs(input, "run-once").map(windowsQuoteArg).join(" ");
  const user = input.runAs ? [`      <UserId>${xmlEscape(input.runAs)}</UserId>`] : [];
  const description = xmlEscape(`ingest: pull new SharePoint files (${input.configPath})`);
  return [
    '<?xml version="1.0"?>',
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
    ...TASK_SETTINGS,
    `    <ExecutionTimeLimit>PT${input.timeLimitMinutes ?? 120}M</ExecutionTimeLimit>`,
    "    <Priority>7</Priority>",
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
