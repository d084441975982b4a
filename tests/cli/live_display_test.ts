// deno-lint-ignore-file no-control-regex
import assert from "node:assert/strict";
import { generatedFiles } from "../../src/sim/sim_cli.ts";
import { ManualSignals, runMain } from "../helpers/cli_harness.ts";
import { simWorkspace } from "../helpers/sim_workspace.ts";
import { VtScreen } from "../helpers/vt_screen.ts";

const RECORD = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} \[?(DBG|INF|WRN|ERR)\]? ingest\./;
const BLOCK =
  /^(Starting|Authenticating|Asking the DB service|Listing|Downloading|Placing)\b|^ {2}\S/;
const SUMMARY = /^(Downloaded|Listed|Failed|Window:|Not covered:|Graph:|Selection:) /;

/**
 * Runs the CLI with stderr and stdout on one emulated terminal, checking after every write that
 * each line on screen is whole: a log record, a line of the block or of the summary, never two
 * glued together.
 */
async function runOnTerminal(args: string[], cwd: string, env: Record<string, string> = {}) {
  const screen = new VtScreen();
  let raw = "";
  const torn: string[] = [];
  const write = (text: string) => {
    raw += text;
    screen.write(text);
    for (const line of screen.text()) {
      const whole = RECORD.test(line) || BLOCK.test(line) || SUMMARY.test(line);
      if (!whole || /\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} /.test(line.slice(1))) torn.push(line);
    }
  };
  const run = await runMain(args, {
    cwd,
    isTty: true,
    env: { NO_COLOR: "1", ...env },
    columns: () => 100,
    stderr: write,
    stdout: write,
  });
  assert.deepEqual(torn, [], "every line on screen stays whole after every write");
  return { code: run.code, screen: screen.text(), raw };
}

Deno.test("trigger on a terminal: 3,000 files, run-level records only, the block replaced by the summary", async () => {
  await using ws = await simWorkspace({
    // At least 88 bytes each: empty files would be held for empty_file_grace_minutes.
    files: generatedFiles(3000, { now: new Date(), size: 600 }),
  }, "download_concurrency = 8");
  const run = await runOnTerminal(["trigger"], ws.dir);
  assert.equal(run.code, 0, run.screen.join("\n"));
  assert.equal(ws.incomingNames().length, 3000);
  assert.doesNotMatch(run.raw, /Placed /, "no per-file line on the console at INFO");
  assert.doesNotMatch(run.raw, /\x1b\[[0-9;]*m/, "NO_COLOR: no colour sequence");
  assert.match(run.raw, /\x1b\[\d+A\r\x1b\[J/, "the block was drawn and erased");
  const summary = run.screen.findIndex((line) => line.startsWith("Downloaded 3000 file(s)"));
  assert.ok(summary > 0, run.screen.join("\n"));
  assert.ok(run.screen.slice(0, summary).every((line) => RECORD.test(line)), run.screen.join("\n"));
  assert.ok(run.screen.some((line) => /\[INF\] ingest\.sync: Sync finished/.test(line)));
  assert.ok(run.screen.length < 40, `${run.screen.length} lines on screen`);
});

Deno.test("trigger on a terminal with a failing file: warnings and the error above the block, failure in the summary", async () => {
  await using ws = await simWorkspace({}, "max_retries = 1");
  ws.sim.addFault({
    match: { server: "download", file: "Q4 forecast.xlsx" },
    fault: { kind: "truncate", afterBytes: 10 },
    times: 10,
  });
  const run = await runOnTerminal(["trigger"], ws.dir);
  assert.equal(run.code, 3, run.screen.join("\n"));
  const warn = run.screen.findIndex((l) =>
    /\[WRN\] .*Cannot download Q4 forecast\.xlsx.*retrying/.test(l)
  );
  const error = run.screen.findIndex((l) => /\[ERR\] .*Cannot download Q4 forecast\.xlsx/.test(l));
  const summary = run.screen.findIndex((line) => line.startsWith("Downloaded "));
  assert.ok(warn >= 0 && warn < error && error < summary, run.screen.join("\n"));
  assert.ok(run.screen.some((line) => line === "Failed 1 file(s):"));
});

Deno.test("--log-level debug on a terminal keeps the per-file records on the console", async () => {
  await using ws = await simWorkspace();
  const run = await runOnTerminal(["--log-level", "debug", "trigger"], ws.dir);
  assert.equal(run.code, 0);
  assert.equal(run.screen.filter((line) => / \[INF\] ingest\.sync: Placed /.test(line)).length, 6);
});

Deno.test("colours on a terminal unless NO_COLOR", async () => {
  await using ws = await simWorkspace();
  const run = await runMain(["trigger"], {
    cwd: ws.dir,
    isTty: true,
    env: {},
    columns: () => 100,
  });
  assert.equal(run.code, 0);
  assert.match(run.stderr, /\x1b\[[0-9;]*m/);
});

Deno.test("off a terminal nothing changes: JSON records with every per-file line, no display", async () => {
  await using ws = await simWorkspace();
  const plain = await runMain(["trigger"], { cwd: ws.dir, isTty: false });
  assert.equal(plain.code, 0, plain.stderr);
  assert.doesNotMatch(plain.stderr, /[\r\x1b]/);
  const records = plain.stderr.trim().split("\n").map((line) => JSON.parse(line));
  assert.equal(records.filter((r) => String(r.message).startsWith("Placed ")).length, 6);
  assert.doesNotMatch(plain.stdout, /[\r\x1b]/);
});

Deno.test("--no-progress on a terminal draws nothing; --progress off a terminal draws and keeps JSON complete", async () => {
  await using ws = await simWorkspace();
  const off = await runMain(["--no-progress", "trigger"], {
    cwd: ws.dir,
    isTty: true,
    env: { NO_COLOR: "1" },
  });
  assert.equal(off.code, 0);
  assert.doesNotMatch(off.stderr, /[\r\x1b]/);
  assert.equal((off.stderr.match(/ \[INF\] ingest\.sync: Placed /g) ?? []).length, 6);
  await using ws2 = await simWorkspace();
  const on = await runMain(["--progress", "trigger"], { cwd: ws2.dir, isTty: false });
  assert.equal(on.code, 0);
  assert.match(on.stderr, /\x1b\[\d+A\r\x1b\[J/);
  assert.equal((on.stderr.match(/"message":"Placed /g) ?? []).length, 6);
});

Deno.test("--json on a terminal prints the result only, no display", async () => {
  await using ws = await simWorkspace();
  const run = await runMain(["--json", "trigger"], { cwd: ws.dir, isTty: true });
  assert.equal(run.code, 0);
  assert.equal(JSON.parse(run.stdout).status, "completed");
  assert.doesNotMatch(run.stderr, /\x1b\[\d+A/);
});

Deno.test("check on a terminal: a live line while each check runs, the report lines whole", async () => {
  await using ws = await simWorkspace();
  const screen = new VtScreen();
  let raw = "";
  const write = (text: string) => (raw += text, screen.write(text));
  const run = await runMain(["check"], {
    cwd: ws.dir,
    isTty: true,
    env: { NO_COLOR: "1" },
    columns: () => 100,
    stderr: write,
    stdout: write,
  });
  assert.equal(run.code, 0, screen.text().join("\n"));
  const lines = screen.text();
  assert.equal(lines.at(-1), "Verdict: ready");
  assert.deepEqual(
    lines.filter((line) => line.startsWith("✓ ")).map((line) => line.split(":")[0]),
    [
      "✓ settings",
      "✓ trust",
      "✓ route token",
      "✓ route Graph",
      "✓ route downloads",
      "✓ route DB service",
      "✓ telemetry",
      "✓ auth",
      "✓ token",
      "✓ folder",
      "✓ paths",
      "✓ state",
      "✓ DB service",
      "✓ folders",
      "✓ output files",
      "✓ lock",
      "✓ clock",
      "✓ window",
    ],
  );
  assert.ok(!lines.some((line) => line.includes("…")), "no live line left on screen");
  assert.match(raw, /Authenticating… 0:00\n/);
});

Deno.test("run on a terminal: one status line with the countdown and the last run, removed at shutdown", async () => {
  await using ws = await simWorkspace();
  const screen = new VtScreen();
  let raw = "";
  const write = (text: string) => (raw += text, screen.write(text));
  const signals = new ManualSignals();
  const running = runMain(["run"], {
    cwd: ws.dir,
    isTty: true,
    env: { NO_COLOR: "1" },
    columns: () => 120,
    stderr: write,
    stdout: write,
    signals,
  });
  for (let i = 0; i < 500 && !/last run .*6 downloaded/.test(screen.text().join("\n")); i++) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const status = screen.text().at(-1)!;
  assert.match(
    status,
    /^Next run \d\d:\d\d:\d\d \(in (59:\d\d|1:00:00)\) · last run .*: 6 downloaded, 0 failed$/,
  );
  signals.send("SIGINT");
  assert.equal((await running).code, 0);
  assert.ok(!screen.text().some((line) => line.startsWith("Next run")), screen.text().join("\n"));
  assert.doesNotMatch(raw, /Placed /);
  assert.ok(screen.text().some((line) => /Shutdown complete/.test(line)));
});
