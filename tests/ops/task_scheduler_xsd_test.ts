/**
 * The Task Scheduler output against Microsoft's published task schema (tests/fixtures/windows/
 * task.xsd, a verbatim copy) with a real XSD validator (libxml2 compiled to WebAssembly). The one
 * change, made here in memory: `fixed="1.3"` is dropped from the task's `version` attribute,
 * which Windows itself does not enforce (MS-TSCH declares it without "fixed").
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { validateXML } from "xmllint-wasm";
import type { ScheduleMode } from "../../src/config/settings.ts";
import {
  executionTimeLimitMinutes,
  type SchedulePrintInput,
  taskSchedulerXml,
  utf16leWithBom,
} from "../../src/ops/schedule_print.ts";
import { runMain } from "../helpers/cli_harness.ts";
import { simWorkspace } from "../helpers/sim_workspace.ts";

const PUBLISHED = await Deno.readTextFile(
  new URL("../fixtures/windows/task.xsd", import.meta.url),
);
const FIXED_VERSION =
  '<xs:attribute name="version" use="optional" fixed="1.3" type="versionType" />';
const SCHEMA = PUBLISHED.replace(FIXED_VERSION, FIXED_VERSION.replace(' fixed="1.3"', ""));

async function schemaErrors(xml: string | Uint8Array, schema = SCHEMA): Promise<string[]> {
  const result = await validateXML({
    xml: { fileName: "task.xml", contents: xml },
    schema: { fileName: "task.xsd", contents: schema },
  });
  return result.valid ? [] : result.errors.map((e) => e.message);
}

function input(schedule: ScheduleMode, jitter = 0): SchedulePrintInput {
  return {
    settings: { schedule, timezone: "local", jitter_seconds: jitter, shutdown_timeout_seconds: 30 },
    binaryPath: "C:\\Program Files\\ingest\\ingest.exe",
    configPath: "C:\\ProgramData\\ingest\\Übersicht & settings.toml",
    workingDir: "C:\\Program Files\\ingest",
    os: "windows",
    runAs: "CORP\\svc-ingest",
  };
}

const OUTPUTS: [string, SchedulePrintInput][] = [
  ["one daily time", input({ kind: "daily", times: ["06:30"] })],
  ["an interval with jitter", input({ kind: "interval", minutes: 15 }, 40)],
  [
    "four daily times (four triggers)",
    input({ kind: "daily", times: ["09:05", "12:05", "15:05", "18:30"] }),
  ],
  ["an uneven cron (two triggers)", input({ kind: "cron", expression: "0 7,19 * * *" })],
  ["an even cron (one repeating trigger)", input({ kind: "cron", expression: "*/20 * * * *" })],
];

Deno.test("the schema check fails on what Windows would refuse, and the relaxation is only @version", async () => {
  const xml = taskSchedulerXml(OUTPUTS[0]![1]);
  assert.notEqual(SCHEMA, PUBLISHED);
  assert.match((await schemaErrors(xml, PUBLISHED)).join("\n"), /version/);
  const broken = [
    xml.replace("<Priority>5</Priority>", "<Priority>11</Priority>"),
    xml.replace("<LogonType>S4U</LogonType>", "<LogonType>ServiceAccount</LogonType>"),
    xml.replace("</Exec>", "<Bogus/></Exec>"),
    xml.replace(/<ExecutionTimeLimit>[^<]*</, "<ExecutionTimeLimit>2 hours<"),
  ];
  for (const bad of broken) assert.notDeepEqual(await schemaErrors(bad), [], bad);
});

for (const [name, task] of OUTPUTS) {
  Deno.test(`taskSchedulerXml() for ${name} is valid against task.xsd, as text and as the UTF-16 file`, async () => {
    assert.deepEqual(await schemaErrors(taskSchedulerXml(task)), []);
    const file = utf16leWithBom(taskSchedulerXml(task, { utf16: true }));
    assert.deepEqual(await schemaErrors(file), []);
  });
}

Deno.test("executionTimeLimitMinutes() stops a hung run before the next start", () => {
  const cases: [ScheduleMode, number, number][] = [
    [{ kind: "daily", times: ["06:30"] }, 0, 1439],
    [{ kind: "daily", times: ["09:05", "12:05", "15:05", "18:30"] }, 0, 179],
    [{ kind: "daily", times: ["23:30", "00:10"] }, 0, 39],
    [{ kind: "interval", minutes: 15 }, 0, 14],
    [{ kind: "interval", minutes: 15 }, 40, 13],
    [{ kind: "interval", minutes: 1 }, 0, 1],
    [{ kind: "cron", expression: "0 7,19 * * *" }, 0, 719],
  ];
  for (const [schedule, jitter, minutes] of cases) {
    assert.equal(
      executionTimeLimitMinutes(input(schedule, jitter)),
      minutes,
      JSON.stringify(schedule),
    );
  }
  assert.equal(executionTimeLimitMinutes({ ...input(cases[0]![0]), timeLimitMinutes: 90 }), 90);
  const xml = taskSchedulerXml(
    input({ kind: "daily", times: ["09:05", "12:05", "15:05", "18:30"] }),
  );
  assert.match(xml, /<ExecutionTimeLimit>PT2H59M<\/ExecutionTimeLimit>/);
  assert.match(
    taskSchedulerXml(input({ kind: "interval", minutes: 15 })),
    /<ExecutionTimeLimit>PT14M</,
  );
  assert.match(taskSchedulerXml(input({ kind: "daily", times: ["06:00", "18:00"] })), /PT11H59M</);
});

Deno.test("taskSchedulerXml() runs at Priority 5 and says why", () => {
  const xml = taskSchedulerXml(OUTPUTS[0]![1]);
  assert.match(xml, /<Priority>5<\/Priority>/);
  assert.match(xml, /<!-- 5: normal CPU and I\/O priority\. The default 7 also means low I\/O/);
});

Deno.test("utf16leWithBom() writes FF FE then UTF-16LE code units, surrogates included", () => {
  assert.deepEqual([...utf16leWithBom("Aé€😀")], [
    0xff,
    0xfe,
    0x41,
    0,
    0xe9,
    0,
    0xac,
    0x20,
    0x3d,
    0xd8,
    0x00,
    0xde,
  ]);
});

Deno.test("ingest schedule print --task-scheduler --output writes a UTF-16LE task file that validates", async () => {
  await using ws = await simWorkspace();
  await ws.writeSettings('quad_daily_times = ["09:05", "15:05"]');
  const output = join(ws.dir, "ingest-task.xml");
  const run = await runMain([
    "schedule",
    "print",
    "--task-scheduler",
    "--binary",
    "C:\\Program Files\\ingest\\ingest.exe",
    "--output",
    "ingest-task.xml",
  ], { cwd: ws.dir });
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.stdout, "");
  const bytes = await Deno.readFile(output);
  assert.deepEqual([...bytes.subarray(0, 2)], [0xff, 0xfe]);
  const text = new TextDecoder("utf-16le").decode(bytes.subarray(2));
  assert.ok(text.startsWith('<?xml version="1.0" encoding="UTF-16"?>\r\n<Task version="1.2"'));
  assert.doesNotMatch(text, /[^\r]\n/, "every line ends with CRLF");
  assert.match(text, /T09:05:00.*T15:05:00/s);
  assert.deepEqual(await schemaErrors(bytes), []);
  assert.deepEqual(
    (await Array.fromAsync(Deno.readDir(ws.dir))).map((e) => e.name).filter((n) =>
      n.endsWith(".tmp")
    ),
    [],
  );
});

Deno.test("ingest schedule print --output into a missing folder fails with one line, exit 1", async () => {
  await using ws = await simWorkspace();
  const target = join(ws.dir, "missing", "task.xml");
  const run = await runMain([
    "schedule",
    "print",
    "--cron",
    "--binary",
    "/opt/ingest/ingest",
    "--output",
    target,
  ], {
    cwd: ws.dir,
  });
  assert.equal(run.code, 1, run.stderr);
  assert.ok(run.stderr.includes(`Cannot write ${target}: `), run.stderr);
  assert.doesNotMatch(run.stderr, /^\s+at /m);
});
