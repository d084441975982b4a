import assert from "node:assert/strict";
import {
  crontabLine,
  type SchedulePrintInput,
  type SchedulePrintSettings,
  systemdDaemonService,
  systemdUnits,
  taskSchedulerXml,
  windowsQuoteArg,
} from "../../src/ops/schedule_print.ts";
import { UsageError } from "../../src/errors.ts";
import type { ScheduleMode } from "../../src/config/settings.ts";

// ---------- tiny parsers used to read the outputs back ----------

interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  text: string;
}

const ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };

function decodeEntities(text: string): string {
  if (/&(?!(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);)/.test(text)) {
    throw new SyntaxError(`bare & in "${text}"`);
  }
  return text.replace(/&(\w+);/g, (_, name: string) => ENTITIES[name] ?? "");
}

/** A minimal XML well-formedness check: declaration, comments, balanced tags, one root. */
function parseXml(xml: string): XmlElement {
  let rest = xml.replace(/^<\?xml[^?]*\?>/, "");
  const root: XmlElement = { name: "#root", attrs: {}, children: [], text: "" };
  const stack = [root];
  while (rest.length > 0) {
    const top = stack.at(-1)!;
    if (rest.startsWith("<!--")) {
      const end = rest.indexOf("-->");
      if (end < 0) throw new SyntaxError("unterminated comment");
      if (rest.slice(4, end).includes("--")) throw new SyntaxError("-- inside a comment");
      rest = rest.slice(end + 3);
    } else if (rest.startsWith("</")) {
      const match = /^<\/([\w:.-]+)\s*>/.exec(rest);
      if (!match || match[1] !== top.name) throw new SyntaxError(`unbalanced </${match?.[1]}>`);
      stack.pop();
      rest = rest.slice(match[0].length);
    } else if (rest.startsWith("<")) {
      const match = /^<([\w:.-]+)((?:\s+[\w:.-]+\s*=\s*"[^"<]*")*)\s*(\/?)>/.exec(rest);
      if (!match) throw new SyntaxError(`bad tag at "${rest.slice(0, 40)}"`);
      const attrs: Record<string, string> = {};
      for (const a of (match[2] ?? "").matchAll(/([\w:.-]+)\s*=\s*"([^"]*)"/g)) {
        attrs[a[1]!] = decodeEntities(a[2]!);
      }
      const element: XmlElement = { name: match[1]!, attrs, children: [], text: "" };
      top.children.push(element);
      if (match[3] !== "/") stack.push(element);
      rest = rest.slice(match[0].length);
    } else {
      const end = rest.indexOf("<");
      const raw = end < 0 ? rest : rest.slice(0, end);
      if (raw.includes(">")) throw new SyntaxError(`raw > in text "${raw}"`);
      if (stack.length === 1 && raw.trim() !== "") throw new SyntaxError("text outside the root");
      top.text += decodeEntities(raw);
      rest = end < 0 ? "" : rest.slice(end);
    }
  }
  if (stack.length !== 1) throw new SyntaxError(`unclosed <${stack.at(-1)?.name}>`);
  if (root.children.length !== 1) throw new SyntaxError("not exactly one root element");
  return root.children[0]!;
}

function all(element: XmlElement, name: string): XmlElement[] {
  return element.children.flatMap((c) => [...(c.name === name ? [c] : []), ...all(c, name)]);
}

function textOf(element: XmlElement, name: string): string | undefined {
  return all(element, name)[0]?.text.trim();
}

/** `CommandLineToArgvW` rules: backslashes are literal unless they precede a quote. */
function windowsArgv(line: string): string[] {
  const args: string[] = [];
  let current = "";
  let inQuotes = false;
  let started = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (ch === "\\") {
      let n = 0;
      while (line[i] === "\\") n++, i++;
      if (line[i] === '"') {
        current += "\\".repeat(Math.floor(n / 2));
        if (n % 2 === 1) current += '"';
        else inQuotes = !inQuotes;
      } else {
        current += "\\".repeat(n);
        i--;
      }
      started = true;
    } else if (ch === '"') {
      inQuotes = !inQuotes;
      started = true;
    } else if (/\s/.test(ch) && !inQuotes) {
      if (started) args.push(current);
      current = "";
      started = false;
    } else {
      current += ch;
      started = true;
    }
  }
  if (started) args.push(current);
  return args;
}

/** Unit file → section → key → values (repeated keys keep every value). */
function parseUnit(text: string): Map<string, Map<string, string[]>> {
  const sections = new Map<string, Map<string, string[]>>();
  let current: Map<string, string[]> | undefined;
  for (const line of text.split("\n")) {
    if (line.trim() === "" || line.startsWith("#")) continue;
    const header = /^\[(\w+)\]$/.exec(line);
    if (header) {
      current = new Map();
      sections.set(header[1]!, current);
      continue;
    }
    const pair = /^([A-Za-z]+)=(.*)$/.exec(line);
    if (!pair || !current) throw new SyntaxError(`not a unit line: "${line}"`);
    current.set(pair[1]!, [...(current.get(pair[1]!) ?? []), pair[2]!]);
  }
  return sections;
}

function unitValue(unit: Map<string, Map<string, string[]>>, section: string, key: string) {
  return unit.get(section)?.get(key) ?? [];
}

/** systemd command-line splitting: quotes, C escapes, then `%%` and `$$`. */
function systemdArgv(line: string): string[] {
  const args: string[] = [];
  for (const m of line.matchAll(/"((?:[^"\\]|\\.)*)"|(\S+)/g)) {
    const raw = m[1] !== undefined ? m[1].replace(/\\(.)/g, "$1") : m[2]!;
    args.push(raw.replaceAll("%%", "%").replaceAll("$$", "$"));
  }
  return args;
}

/** POSIX sh words: single quotes, `'\''`; cron's `\%` first becomes `%`. */
function shellArgv(command: string): string[] {
  const unescaped = command.replaceAll("\\%", "%");
  const args: string[] = [];
  let current = "";
  let started = false;
  for (let i = 0; i < unescaped.length; i++) {
    const ch = unescaped[i]!;
    if (ch === "'") {
      const end = unescaped.indexOf("'", i + 1);
      current += unescaped.slice(i + 1, end);
      i = end;
      started = true;
    } else if (ch === "\\") {
      current += unescaped[++i] ?? "";
      started = true;
    } else if (ch === " ") {
      if (started) args.push(current);
      current = "";
      started = false;
    } else {
      current += ch;
      started = true;
    }
  }
  if (started) args.push(current);
  return args;
}

// ---------- fixtures ----------

function settings(schedule: ScheduleMode, extra: Partial<SchedulePrintSettings> = {}) {
  return {
    schedule,
    timezone: "local",
    jitter_seconds: 0,
    shutdown_timeout_seconds: 30,
    ...extra,
  } satisfies SchedulePrintSettings;
}

const DAILY: ScheduleMode = { kind: "daily", times: ["09:05", "12:05", "15:05", "18:30"] };
const WIN_BIN = "C:\\Program Files\\R&D ingest\\ingest.exe";
const WIN_CONFIG = "C:\\Data & Co\\ingest settings.toml";

function windowsInput(extra: Partial<SchedulePrintInput> = {}): SchedulePrintInput {
  return {
    settings: settings(DAILY),
    binaryPath: WIN_BIN,
    configPath: WIN_CONFIG,
    workingDir: "C:\\Program Files\\R&D ingest",
    os: "windows",
    ...extra,
  };
}

const LINUX_BIN = "/opt/R&D ingest/ingest";
const LINUX_CONFIG = "/etc/ingest/it's 100% settings.toml";

function linuxInput(extra: Partial<SchedulePrintInput> = {}): SchedulePrintInput {
  return {
    settings: settings(DAILY),
    binaryPath: LINUX_BIN,
    configPath: LINUX_CONFIG,
    workingDir: "/opt/R&D ingest",
    os: "linux",
    ...extra,
  };
}

// ---------- Task Scheduler ----------

Deno.test("the XML checker used below rejects malformed XML", () => {
  const bad = [
    "<a><b></a></b>",
    "<a>x & y</a>",
    "<a><!-- x -- y --></a>",
    "<a></a><b></b>",
    "<a>",
    '<a x="1>',
  ];
  for (const xml of bad) assert.throws(() => parseXml(xml), SyntaxError, xml);
  assert.equal(parseXml('<?xml version="1.0"?>\n<a x="&amp;">t&lt;</a>').text, "t<");
});

Deno.test("taskSchedulerXml() is well-formed with one daily CalendarTrigger per time", () => {
  const task = parseXml(taskSchedulerXml(windowsInput()));
  assert.equal(task.name, "Task");
  assert.equal(task.attrs.xmlns, "http://schemas.microsoft.com/windows/2004/02/mit/task");
  const triggers = all(task, "CalendarTrigger");
  assert.deepEqual(
    triggers.map((t) => textOf(t, "StartBoundary")?.slice(11)),
    ["09:05:00", "12:05:00", "15:05:00", "18:30:00"],
  );
  for (const t of triggers) assert.equal(textOf(t, "DaysInterval"), "1");
  assert.equal(all(task, "TimeTrigger").length, 0);
  assert.equal(all(task, "RandomDelay").length, 0);
});

Deno.test("taskSchedulerXml() sets IgnoreNew, S4U, StartWhenAvailable and a time limit", () => {
  const task = parseXml(taskSchedulerXml(windowsInput({ timeLimitMinutes: 90 })));
  assert.equal(textOf(task, "MultipleInstancesPolicy"), "IgnoreNew");
  assert.equal(textOf(task, "LogonType"), "S4U");
  assert.equal(textOf(task, "StartWhenAvailable"), "true");
  assert.equal(textOf(task, "ExecutionTimeLimit"), "PT1H30M");
  assert.equal(textOf(task, "UserId"), undefined);
  assert.equal(all(task, "Actions")[0]?.attrs.Context, all(task, "Principal")[0]?.attrs.id);
});

Deno.test("taskSchedulerXml() runs run-once with paths holding spaces and & intact", () => {
  const task = parseXml(taskSchedulerXml(windowsInput()));
  assert.deepEqual(windowsArgv(textOf(task, "Command") ?? ""), [WIN_BIN]);
  assert.deepEqual(windowsArgv(textOf(task, "Arguments") ?? ""), [
    "run-once",
    "--config",
    WIN_CONFIG,
  ]);
  assert.equal(textOf(task, "WorkingDirectory"), "C:\\Program Files\\R&D ingest");
});

Deno.test("taskSchedulerXml() turns an interval into a repeating TimeTrigger", () => {
  const input = windowsInput({
    settings: settings({ kind: "interval", minutes: 15 }, { jitter_seconds: 12.5 }),
  });
  const task = parseXml(taskSchedulerXml(input));
  const trigger = all(task, "TimeTrigger");
  assert.equal(trigger.length, 1);
  assert.equal(textOf(trigger[0]!, "Interval"), "PT15M");
  assert.equal(textOf(trigger[0]!, "RandomDelay"), "PT13S");
  assert.equal(all(task, "CalendarTrigger").length, 0);
});

Deno.test("taskSchedulerXml() accepts crons that fire the same every day", () => {
  const every20 = parseXml(taskSchedulerXml(windowsInput({
    settings: settings({ kind: "cron", expression: "*/20 * * * *" }),
  })));
  assert.equal(textOf(every20, "Interval"), "PT20M");
  const twice = parseXml(taskSchedulerXml(windowsInput({
    settings: settings({ kind: "cron", expression: "5 9,17 * * *" }),
  })));
  assert.deepEqual(
    all(twice, "StartBoundary").map((e) => e.text.slice(11)),
    ["09:05:00", "17:05:00"],
  );
});

Deno.test("taskSchedulerXml() refuses a weekday cron with a hint", () => {
  const input = windowsInput({ settings: settings({ kind: "cron", expression: "0 9 * * 1-5" }) });
  assert.throws(
    () => taskSchedulerXml(input),
    (e) => e instanceof UsageError && e.message.includes("quad_daily_times"),
  );
});

Deno.test("taskSchedulerXml() refuses an IANA zone the host does not use", () => {
  const chicago = settings(DAILY, { timezone: "America/Chicago" });
  assert.throws(
    () => taskSchedulerXml(windowsInput({ settings: chicago, hostTimeZone: "Europe/Berlin" })),
    /differs from this host's zone "Europe\/Berlin"/,
  );
  const same = taskSchedulerXml(
    windowsInput({ settings: chicago, hostTimeZone: "America/Chicago" }),
  );
  assert.equal(all(parseXml(same), "CalendarTrigger").length, 4);
});

Deno.test("taskSchedulerXml() names the run-as account and escapes it", () => {
  const task = parseXml(taskSchedulerXml(windowsInput({ runAs: "CORP\\svc<ingest>" })));
  assert.equal(textOf(task, "UserId"), "CORP\\svc<ingest>");
});

Deno.test("taskSchedulerXml() requires absolute Windows paths", () => {
  assert.throws(() => taskSchedulerXml(windowsInput({ configPath: "settings.toml" })), UsageError);
  assert.throws(() => taskSchedulerXml(windowsInput({ binaryPath: "/opt/ingest" })), /absolute/);
  const unc = windowsInput({ configPath: "\\\\server\\share\\settings.toml" });
  assert.ok(parseXml(taskSchedulerXml(unc)));
});

Deno.test("windowsQuoteArg() round-trips quotes and trailing backslashes", () => {
  const cases = ["plain", "", "two words", 'say "hi"', "C:\\dir with space\\", "a\\\\b", 'x\\"y'];
  for (const arg of cases) assert.deepEqual(windowsArgv(windowsQuoteArg(arg)), [arg], arg);
});

// ---------- systemd ----------

Deno.test("systemdUnits() gives a oneshot run-once service with escaped paths", () => {
  const { service } = systemdUnits(linuxInput({ runAs: "ingest" }));
  const unit = parseUnit(service);
  assert.deepEqual(unitValue(unit, "Service", "Type"), ["oneshot"]);
  assert.deepEqual(unitValue(unit, "Service", "User"), ["ingest"]);
  assert.deepEqual(unitValue(unit, "Service", "SuccessExitStatus"), ["4"]);
  assert.deepEqual(unitValue(unit, "Service", "TimeoutStopSec"), ["40s"]);
  assert.deepEqual(unitValue(unit, "Unit", "After"), ["network-online.target"]);
  const exec = unitValue(unit, "Service", "ExecStart")[0] ?? "";
  assert.deepEqual(systemdArgv(exec), [LINUX_BIN, "run-once", "--config", LINUX_CONFIG]);
  assert.deepEqual(unitValue(unit, "Service", "WorkingDirectory"), ["/opt/R&D ingest"]);
});

Deno.test("systemdUnits() timer has one OnCalendar per daily time with the zone", () => {
  const input = linuxInput({
    settings: settings(DAILY, { timezone: "America/Chicago", jitter_seconds: 30 }),
  });
  const timer = parseUnit(systemdUnits(input).timer);
  assert.deepEqual(unitValue(timer, "Timer", "OnCalendar"), [
    "*-*-* 09:05:00 America/Chicago",
    "*-*-* 12:05:00 America/Chicago",
    "*-*-* 15:05:00 America/Chicago",
    "*-*-* 18:30:00 America/Chicago",
  ]);
  assert.deepEqual(unitValue(timer, "Timer", "Persistent"), ["true"]);
  assert.deepEqual(unitValue(timer, "Timer", "RandomizedDelaySec"), ["30s"]);
  assert.deepEqual(unitValue(timer, "Timer", "Unit"), ["ingest.service"]);
  assert.deepEqual(unitValue(timer, "Install", "WantedBy"), ["timers.target"]);
});

Deno.test("systemdUnits() timer for an interval uses boot/activation-relative timers", () => {
  const input = linuxInput({ settings: settings({ kind: "interval", minutes: 45 }) });
  const timer = parseUnit(systemdUnits(input).timer);
  assert.deepEqual(unitValue(timer, "Timer", "OnUnitActiveSec"), ["45min"]);
  assert.equal(unitValue(timer, "Timer", "OnBootSec").length, 1);
  assert.equal(unitValue(timer, "Timer", "OnActiveSec").length, 1);
  assert.equal(unitValue(timer, "Timer", "OnCalendar").length, 0);
  assert.equal(unitValue(timer, "Timer", "Persistent").length, 0);
});

Deno.test("systemdUnits() translates a weekday cron to OnCalendar", () => {
  const input = linuxInput({
    settings: settings({ kind: "cron", expression: "30 9 * * MON-FRI" }, { timezone: "UTC" }),
  });
  const timer = parseUnit(systemdUnits(input).timer);
  assert.deepEqual(unitValue(timer, "Timer", "OnCalendar"), [
    "Mon,Tue,Wed,Thu,Fri *-*-* 09:30:00 UTC",
  ]);
});

Deno.test("systemdUnits() without runAs leaves a commented User= hint", () => {
  const { service } = systemdUnits(linuxInput());
  assert.ok(service.includes("# User="));
  assert.equal(unitValue(parseUnit(service), "Service", "User").length, 0);
  assert.throws(() => systemdUnits(linuxInput({ runAs: "bad user" })), UsageError);
});

Deno.test("systemdDaemonService() runs `ingest run` with restart and stop rules", () => {
  const input = linuxInput({ settings: settings(DAILY, { shutdown_timeout_seconds: 50 }) });
  const unit = parseUnit(systemdDaemonService(input));
  assert.deepEqual(unitValue(unit, "Service", "Restart"), ["on-failure"]);
  assert.deepEqual(unitValue(unit, "Service", "RestartPreventExitStatus"), ["2"]);
  assert.deepEqual(unitValue(unit, "Service", "KillSignal"), ["SIGTERM"]);
  assert.deepEqual(unitValue(unit, "Service", "TimeoutStopSec"), ["60s"]);
  assert.deepEqual(unitValue(unit, "Install", "WantedBy"), ["multi-user.target"]);
  const exec = systemdArgv(unitValue(unit, "Service", "ExecStart")[0] ?? "");
  assert.deepEqual(exec, [LINUX_BIN, "run", "--config", LINUX_CONFIG]);
});

Deno.test("systemd ExecStart escapes $ and % so systemd does not expand them", () => {
  const config = "/srv/$HOME/%h/x.toml";
  const { service } = systemdUnits(linuxInput({ configPath: config }));
  const exec = unitValue(parseUnit(service), "Service", "ExecStart")[0] ?? "";
  assert.ok(exec.includes("$$HOME") && exec.includes("%%h"));
  assert.deepEqual(systemdArgv(exec).at(-1), config);
});

Deno.test("schedule printers pass launcher arguments before the subcommand", () => {
  const input = linuxInput({
    binaryPath: "/usr/bin/deno",
    launcherArgs: ["run", "--allow-net", "/srv/ingest/main.ts"],
  });
  const exec = unitValue(parseUnit(systemdUnits(input).service), "Service", "ExecStart")[0];
  assert.deepEqual(systemdArgv(exec ?? "").slice(0, 5), [
    "/usr/bin/deno",
    "run",
    "--allow-net",
    "/srv/ingest/main.ts",
    "run-once",
  ]);
});

// ---------- cron ----------

function cronEntries(text: string): { fields: string[]; argv: string[] }[] {
  return text.split("\n")
    .filter((line) => line.trim() !== "" && !line.startsWith("#") && !line.includes("="))
    .map((line) => {
      const parts = line.split(" ");
      return { fields: parts.slice(0, 5), argv: shellArgv(parts.slice(5).join(" ")) };
    });
}

function firedTimes(entries: { fields: string[] }[]): string[] {
  return entries.flatMap(({ fields }) =>
    (fields[1] ?? "").split(",").map((h) => `${h.padStart(2, "0")}:${fields[0]!.padStart(2, "0")}`)
  ).sort();
}

Deno.test("crontabLine() fires at exactly the daily times, five fields per line", () => {
  const text = crontabLine(linuxInput());
  const entries = cronEntries(text);
  for (const e of entries) {
    assert.equal(e.fields.length, 5);
    assert.deepEqual(e.fields.slice(2), ["*", "*", "*"]);
  }
  assert.deepEqual(firedTimes(entries), ["09:05", "12:05", "15:05", "18:30"]);
  assert.ok(!text.includes("CRON_TZ"));
});

Deno.test("crontabLine() quotes paths with spaces, quotes, & and % for sh and cron", () => {
  const [entry] = cronEntries(crontabLine(linuxInput()));
  assert.deepEqual(entry?.argv, [LINUX_BIN, "run-once", "--config", LINUX_CONFIG]);
  const raw = crontabLine(linuxInput()).split("\n").find((l) => l.includes("run-once")) ?? "";
  assert.ok(!/[^\\]%/.test(raw), "an unescaped % would end the cron command");
});

Deno.test("crontabLine() adds CRON_TZ for an IANA zone and notes ignored jitter", () => {
  const text = crontabLine(linuxInput({
    settings: settings(DAILY, { timezone: "America/Chicago", jitter_seconds: 5 }),
  }));
  const lines = text.split("\n");
  const zoneLine = lines.indexOf("CRON_TZ=America/Chicago");
  assert.ok(zoneLine >= 0);
  assert.ok(zoneLine < lines.findIndex((l) => l.includes("run-once")));
  assert.ok(text.includes("jitter_seconds"));
});

Deno.test("crontabLine() expresses intervals that divide an hour or a day", () => {
  const when = (minutes: number) =>
    cronEntries(crontabLine(linuxInput({ settings: settings({ kind: "interval", minutes }) })))[0]
      ?.fields.join(" ");
  assert.equal(when(15), "*/15 * * * *");
  assert.equal(when(1), "* * * * *");
  assert.equal(when(60), "0 * * * *");
  assert.equal(when(120), "0 */2 * * *");
  assert.equal(when(1440), "0 0 * * *");
  assert.throws(
    () => crontabLine(linuxInput({ settings: settings({ kind: "interval", minutes: 45 }) })),
    (e) => e instanceof UsageError && e.message.includes("divisor of 60"),
  );
});

Deno.test("crontabLine() passes a 5-field cron through and refuses seconds", () => {
  const cron = (expression: string) =>
    crontabLine(linuxInput({ settings: settings({ kind: "cron", expression }) }));
  assert.deepEqual(cronEntries(cron("5 9 * * MON-FRI"))[0]?.fields, [
    "5",
    "9",
    "*",
    "*",
    "MON-FRI",
  ]);
  assert.deepEqual(cronEntries(cron("0 5 9 * * *"))[0]?.fields, ["5", "9", "*", "*", "*"]);
  assert.throws(() => cron("*/10 * * * * *"), /no seconds field/);
});

Deno.test("crontabLine() requires absolute paths", () => {
  assert.throws(() => crontabLine(linuxInput({ binaryPath: "ingest" })), UsageError);
  assert.throws(() => crontabLine(linuxInput({ workingDir: "C:\\x" })), /absolute/);
});
