/**
 * Many jobs in one settings file, against the simulator over real HTTP: each job places into its
 * own folder, `--job` selects, locks are per job key (in process and across processes), the exit
 * codes fold by the documented rule, and logs and metrics carry the job.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { startSimulator } from "../../src/sim/simulator.ts";
import type { Simulator } from "../../src/sim/types.ts";
import { acquireRunLock } from "../../src/schedule/run_lock.ts";
import { ManualSignals, runMain } from "../helpers/cli_harness.ts";
import { spawnIngest } from "../reliability/harness.ts";
import { simWorkspace } from "../helpers/sim_workspace.ts";

interface TwoJobs extends AsyncDisposable {
  sim: Simulator;
  dir: string;
  settingsPath: string;
  names(job: "reports" | "archive"): string[];
}

const FILES = [
  { path: "Reports/r1.csv", content: "r1" },
  { path: "Reports/r2.csv", content: "r2" },
  { path: "Archive/a1.csv", content: "a1" },
];

/** A simulator with two folders and a settings file with one job per folder. */
async function twoJobs(extra = ""): Promise<TwoJobs> {
  const recent = new Date(Date.now() - 10 * 60_000);
  const sim = await startSimulator({
    files: FILES.map((f) => ({
      path: f.path,
      content: new TextEncoder().encode(f.content),
      lastModified: recent,
    })),
  });
  const dir = await Deno.makeTempDir({ prefix: "ingest-jobs-cli-" });
  const settingsPath = join(dir, "settings.toml");
  // A run creates each ingestion_dir inside an existing folder only.
  await Deno.mkdir(join(dir, "in"));
  const scheduler = sim.settingsSnippet().split("\n")
    .filter((line) => !/^(sharepoint_folder|ingestion_dir) =/.test(line)).join("\n");
  await Deno.writeTextFile(
    settingsPath,
    `${scheduler.trimEnd()}
retry_delay_seconds = 0.01
metrics_file = "metrics.prom"
${extra}
[jobs.reports]
sharepoint_folder = "/Shared Documents/Reports"
ingestion_dir = "in/reports"

[jobs.archive]
sharepoint_folder = "/Shared Documents/Archive"
ingestion_dir = "in/archive"
`,
  );
  const names = (job: string) => {
    try {
      return [...Deno.readDirSync(join(dir, "in", job))].map((e) => e.name).sort();
    } catch {
      return [];
    }
  };
  return {
    sim,
    dir,
    settingsPath,
    names,
    async [Symbol.asyncDispose]() {
      await sim.close();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}

Deno.test("ingest trigger runs every job, each placing into its own folder, one line per job", async () => {
  await using ws = await twoJobs();
  const run = await runMain(["trigger"], { cwd: ws.dir });
  assert.equal(run.code, 0, run.stderr);
  assert.deepEqual(ws.names("reports"), ["r1.csv", "r2.csv"]);
  assert.deepEqual(ws.names("archive"), ["a1.csv"]);
  const lines = run.stdout.trimEnd().split("\n");
  assert.equal(lines.length, 2, run.stdout);
  assert.match(lines[0]!, /^reports: downloaded 2 file\(s\), 4 B, in [\d.]+ s into .*reports$/);
  assert.match(lines[1]!, /^archive: downloaded 1 file\(s\), 2 B, in [\d.]+ s into .*archive$/);
  const metrics = await Deno.readTextFile(join(ws.dir, "metrics.prom"));
  assert.match(metrics, /^ingest_syncjob_download_success_total\{job="reports"\} 2$/m);
  assert.match(metrics, /^ingest_syncjob_download_success_total\{job="archive"\} 1$/m);
  const staging = [...Deno.readDirSync(join(ws.dir, "in", ".reports.ingest-staging"))]
    .map((e) => e.name);
  assert.ok(staging.includes("ingest-reports.lock"), staging.join());
  assert.ok(staging.every((name) => !name.includes("archive")), staging.join());
});

Deno.test("ingest --json trigger prints one result object per job", async () => {
  await using ws = await twoJobs();
  const run = await runMain(["--json", "trigger"], { cwd: ws.dir });
  assert.equal(run.code, 0, run.stderr);
  const results = JSON.parse(run.stdout);
  assert.deepEqual(results.map((r: { job: string }) => r.job), ["reports", "archive"]);
  assert.deepEqual(results[0].downloaded.sort(), ["r1.csv", "r2.csv"]);
  assert.deepEqual(results[1].downloaded, ["a1.csv"]);
  assert.ok(results.every((r: { exit_code: number }) => r.exit_code === 0));
});

Deno.test("--job selects jobs: one job keeps the single-job output; an unknown job is exit 2", async () => {
  await using ws = await twoJobs();
  const one = await runMain(["run-once", "--job", "archive"], { cwd: ws.dir });
  assert.equal(one.code, 0, one.stderr);
  assert.match(one.stdout, /^Downloaded 1 file\(s\)/);
  assert.deepEqual(ws.names("archive"), ["a1.csv"]);
  assert.deepEqual(ws.names("reports"), []);
  const both = await runMain(["--json", "trigger", "--job", "reports", "--job", "archive"], {
    cwd: ws.dir,
  });
  assert.equal(JSON.parse(both.stdout).length, 2);
  const typo = await runMain(["trigger", "--job", "archiv"], { cwd: ws.dir });
  assert.equal(typo.code, 2);
  assert.equal(
    typo.stderr,
    'ingest: Cannot select job "archiv": the settings define "reports", "archive" ' +
      '(did you mean "archive"?)\n',
  );
});

Deno.test("a job whose lock another process holds is skipped; the others run; exit 4", async () => {
  await using ws = await twoJobs();
  const config = JSON.parse((await runMain(["--json", "config"], { cwd: ws.dir })).stdout);
  const archiveLock = config.jobs.archive.lock_file.value;
  assert.match(archiveLock, /ingest-archive\.lock$/);
  const lock = await acquireRunLock({ path: archiveLock, command: "run", wait: false, pid: 4242 });
  try {
    const run = await runMain(["run-once"], { cwd: ws.dir });
    assert.equal(run.code, 4, run.stderr);
    assert.match(run.stdout, /^reports: downloaded 2 file\(s\)/m);
    assert.match(run.stdout, /^archive: skipped: .*another run holds .*pid 4242/m);
    assert.deepEqual(ws.names("archive"), []);
    const other = await runMain(["run-once", "--job", "reports"], { cwd: ws.dir });
    assert.equal(other.code, 0, other.stderr);
  } finally {
    await lock.release();
  }
});

Deno.test("two processes: different jobs at once both exit 0; the same job twice, one exits 4", async () => {
  await using ws = await twoJobs();
  ws.sim.addFault({
    match: { server: "download", file: "r1.csv" },
    // Long enough for two more processes to start and end while it holds the lock, even under
    // deno.exe on a loaded machine, where each start takes seconds.
    fault: { kind: "delay", ms: 25_000 },
    times: 1,
  });
  const args = ["run-once", "--config", ws.settingsPath, "--log-format", "json"];
  const slow = spawnIngest([...args, "--job", "reports"], { cwd: ws.dir });
  let slowEnded = false;
  const slowDone = slow.status.then((status) => (slowEnded = true, status));
  await slow.waitForLine(/Run started/);
  const other = await spawnIngest([...args, "--job", "archive"], { cwd: ws.dir }).status;
  const twice = spawnIngest([...args, "--job", "reports"], { cwd: ws.dir });
  const twiceStatus = await twice.status;
  assert.equal(slowEnded, false, "the first reports run still held its lock meanwhile");
  const slowStatus = await slowDone;
  assert.equal(other.code, 0, "archive ran while reports held its own lock");
  assert.equal(twiceStatus.code, 4, twice.stderr);
  assert.match(twice.stderr, /another run holds/);
  assert.equal(slowStatus.code, 0, slow.stderr);
  assert.deepEqual(ws.names("reports"), ["r1.csv", "r2.csv"]);
  assert.deepEqual(ws.names("archive"), ["a1.csv"]);
});

Deno.test("a failing job makes the command exit 1 while the other job still places its files", async () => {
  await using ws = await twoJobs();
  ws.sim.addFault({
    match: { server: "graph", path: "Archive" },
    fault: { kind: "status", status: 404, code: "itemNotFound" },
    times: Infinity,
  });
  const run = await runMain(["trigger"], { cwd: ws.dir });
  assert.equal(run.code, 1, run.stdout + run.stderr);
  assert.match(run.stdout, /^archive: failed: Cannot /m);
  assert.deepEqual(ws.names("reports"), ["r1.csv", "r2.csv"]);
});

Deno.test("log records of a job's run carry the job key", async () => {
  await using ws = await twoJobs();
  const run = await runMain(["--log-format", "json", "trigger"], { cwd: ws.dir });
  assert.equal(run.code, 0, run.stderr);
  const records = run.stderr.trim().split("\n").map((line) => JSON.parse(line));
  const started = records.filter((r) => /^Run started/.test(r.message));
  assert.deepEqual(started.map((r) => r.properties.job).sort(), ["archive", "reports"]);
  const syncRecords = records.filter((r) => r.logger === "ingest.sync");
  assert.ok(syncRecords.length > 0);
  assert.ok(syncRecords.every((r) => ["archive", "reports"].includes(r.properties.job)));
});

Deno.test("ingest config shows each job's values and the table each came from", async () => {
  await using ws = await twoJobs();
  const text = await runMain(["config"], {
    cwd: ws.dir,
    env: { INGEST_JOBS__ARCHIVE__MIN_AGE_SECONDS: "30" },
  });
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /^\[jobs\.reports\]$/m);
  assert.match(text.stdout, /^\[jobs\.archive\]$/m);
  assert.match(
    text.stdout,
    /sharepoint_folder\s+= "\/Shared Documents\/Archive" {2}# file .* \[jobs\.archive\]/,
  );
  assert.match(text.stdout, /client_id\s+= ".*" {2}# file .* \[scheduler\]/);
  assert.match(
    text.stdout,
    /min_age_seconds\s+= 30 {2}# env INGEST_JOBS__ARCHIVE__MIN_AGE_SECONDS/,
  );
  assert.doesNotMatch(text.stdout, new RegExp(ws.sim.clientSecret));
  const one = await runMain(["--json", "config", "--job", "archive"], { cwd: ws.dir });
  const json = JSON.parse(one.stdout);
  assert.equal(json.job.value, "archive");
  assert.equal(json.sharepoint_folder.value, "/Shared Documents/Archive");
});

Deno.test("ingest next and check take --job; check lists every settings error", async () => {
  await using ws = await twoJobs();
  const next = await runMain(["next", "--count", "1"], { cwd: ws.dir });
  assert.equal(next.code, 0, next.stderr);
  assert.match(next.stdout, /\[jobs\.reports\]\nSchedule: every 60 minutes/);
  const check = await runMain(["check", "--job", "archive"], { cwd: ws.dir });
  assert.equal(check.code, 0, check.stdout);
  assert.doesNotMatch(check.stdout, /reports/);
  await Deno.writeTextFile(
    ws.settingsPath,
    (await Deno.readTextFile(ws.settingsPath)) + 'interval_minutes = 0\nlog_level = "DEBUG"\n',
  );
  const bad = await runMain(["check"], { cwd: ws.dir });
  assert.equal(bad.code, 2);
  const failures = bad.stdout.split("\n").filter((line) => line.startsWith("✗ settings"));
  assert.equal(failures.length, 2, bad.stdout);
  assert.match(bad.stdout, /"interval_minutes" in \[jobs\.archive\].*must be a whole number ≥ 1/);
  assert.match(bad.stdout, /"log_level" in \[jobs\.archive\].*whole process/);
});

Deno.test("ingest run schedules every enabled job in one daemon and stops on SIGINT", async () => {
  await using ws = await twoJobs();
  await Deno.writeTextFile(
    ws.settingsPath,
    (await Deno.readTextFile(ws.settingsPath)).replace(
      "[jobs.archive]\n",
      "[jobs.archive]\nenabled = false\n",
    ),
  );
  const signals = new ManualSignals();
  const daemon = runMain(["run"], { cwd: ws.dir, signals });
  const deadline = Date.now() + 10_000;
  while (ws.names("reports").length < 2 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  while (signals.count("SIGINT") === 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  signals.send("SIGINT");
  const run = await daemon;
  assert.equal(run.code, 0, run.stderr);
  assert.deepEqual(ws.names("reports"), ["r1.csv", "r2.csv"]);
  assert.deepEqual(ws.names("archive"), [], "a disabled job is not scheduled");
});

Deno.test("ingest schedule print: one entry per job with --job, and one Task Scheduler task per --job", async () => {
  await using ws = await twoJobs();
  const binary = ["--binary", "/opt/ingest/ingest"];
  const cron = await runMain(["schedule", "print", "--cron", ...binary], { cwd: ws.dir });
  assert.equal(cron.code, 0, cron.stderr);
  const lines = cron.stdout.split("\n").filter((line) => /^[\d*]/.test(line));
  assert.equal(lines.length, 2, cron.stdout);
  assert.match(
    lines[0]!,
    /^0 \* \* \* \* \/opt\/ingest\/ingest run-once --config .* --job reports$/,
  );
  assert.match(lines[1]!, /--job archive$/);
  const task = await runMain(["schedule", "print", "--task-scheduler", ...binary], { cwd: ws.dir });
  assert.equal(task.code, 2);
  assert.match(
    task.stderr,
    /^ingest: Cannot print one Task Scheduler task for 2 jobs .*--job NAME/,
  );
  const one = await runMain(
    ["schedule", "print", "--systemd", "--job", "archive", ...binary],
    { cwd: ws.dir },
  );
  assert.equal(one.code, 0, one.stderr);
  assert.match(one.stdout, /^# ingest-archive\.service$/m);
  assert.match(one.stdout, /^ExecStart=.* run-once --config .* --job archive$/m);
  assert.match(one.stdout, /^Unit=ingest-archive\.service$/m);
  const daemon = await runMain(["schedule", "print", "--systemd-daemon", ...binary], {
    cwd: ws.dir,
  });
  assert.match(daemon.stdout, /^ExecStart=\/opt\/ingest\/ingest run --config \S+$/m);
});

Deno.test("pretty log lines of a job start with its key", async () => {
  await using ws = await twoJobs();
  const run = await runMain(["--log-format", "pretty", "trigger", "--job", "archive"], {
    cwd: ws.dir,
  });
  assert.equal(run.code, 0, run.stderr);
  const started = run.stderr.split("\n").filter((line) => line.includes("Run started"));
  assert.equal(started.length, 1, run.stderr);
  assert.match(started[0]!, /\[archive\] Run started/);
});

Deno.test('a settings file without jobs labels its metrics {job="default"}', async () => {
  await using ws = await simWorkspace({}, 'metrics_file = "m.prom"');
  const run = await runMain(["run-once"], { cwd: ws.dir });
  assert.equal(run.code, 0, run.stderr);
  const metrics = await Deno.readTextFile(join(ws.dir, "m.prom"));
  assert.match(metrics, /^ingest_syncjob_download_success_total\{job="default"\} \d+$/m);
  assert.doesNotMatch(metrics, /^ingest_\w+ /m, "no unlabelled series");
});
