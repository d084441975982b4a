/**
 * An operator's first week (issue #27): folders and output files that fail fast in one line
 * naming the key, a read-only `check`, and the exit codes of each case.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { runMain } from "../helpers/cli_harness.ts";
import { simWorkspace } from "../helpers/sim_workspace.ts";

const POSIX_USER = Deno.build.os !== "windows" && Deno.uid?.() !== 0;

/** Every path under `dir`, relative, sorted. */
function tree(dir: string, prefix = ""): string[] {
  const names: string[] = [];
  for (const entry of Deno.readDirSync(dir)) {
    const relative = `${prefix}${entry.name}`;
    names.push(relative);
    if (entry.isDirectory) names.push(...tree(join(dir, entry.name), `${relative}/`));
  }
  return names.sort();
}

/** The last non-empty line of `text`. */
function lastLine(text: string): string {
  return text.trimEnd().split("\n").at(-1) ?? "";
}

Deno.test("a log_file in a missing folder: the run creates the folder; check and config never touch it", async () => {
  await using ws = await simWorkspace();
  await ws.writeSettings('log_file = "logs/ingest.jsonl"');
  const before = tree(ws.dir);
  const check = await runMain(["check"], { cwd: ws.dir });
  assert.match(check.stdout, /output files: log_file: its folder would be created/);
  const config = await runMain(["config"], { cwd: ws.dir });
  assert.equal(config.code, 0, config.stderr);
  assert.deepEqual(tree(ws.dir), before, "check and config write nothing");
  const run = await runMain(["trigger"], { cwd: ws.dir });
  assert.equal(run.code, 0, run.stderr);
  assert.ok((await Deno.stat(join(ws.dir, "logs", "ingest.jsonl"))).isFile);
});

Deno.test("a log_file whose folder's parent is missing: one settings error naming log_file, exit 2", async () => {
  await using ws = await simWorkspace();
  await ws.writeSettings('log_file = "nowhere/logs/ingest.jsonl"');
  const run = await runMain(["run-once"], { cwd: ws.dir });
  assert.equal(run.code, 2);
  assert.match(
    run.stderr,
    /^ingest: Cannot use log_file .*logs: its parent folder .*nowhere does not exist/m,
  );
  assert.equal(run.stderr.trim().split("\n").length, 1, run.stderr);
  const check = await runMain(["check"], { cwd: ws.dir });
  assert.match(check.stdout, /✗ output files: Cannot use log_file .*nowhere does not exist/);
});

Deno.test("a metrics_file whose folder's parent is missing: exit 2 naming metrics_file, before any download", async () => {
  await using ws = await simWorkspace();
  await ws.writeSettings('metrics_file = "nowhere/metrics/ingest.prom"');
  const run = await runMain(["trigger"], { cwd: ws.dir });
  assert.equal(run.code, 2);
  assert.match(run.stderr, /^ingest: Cannot use metrics_file .*nowhere does not exist/m);
  assert.equal(ws.sim.requestLog.length, 0);
});

Deno.test("check is read-only: a missing ingestion_dir is reported as would-be-created, nothing is written", async () => {
  await using ws = await simWorkspace();
  const before = tree(ws.dir);
  const check = await runMain(["check"], { cwd: ws.dir });
  assert.equal(check.code, 0, check.stdout);
  assert.match(check.stdout, /✓ folders: ingestion_dir .*incoming would be created/);
  assert.match(check.stdout, /lock: .* does not exist yet; the first run creates it/);
  assert.deepEqual(tree(ws.dir), before);
});

Deno.test("a run creates ingestion_dir only when its parent exists: else one error naming the key, exit 2", async () => {
  await using ws = await simWorkspace();
  await ws.writeSettings(
    "",
    (s) => s.replace('ingestion_dir = "incoming"', 'ingestion_dir = "unmounted/share/incoming"'),
  );
  const run = await runMain(["trigger"], { cwd: ws.dir });
  assert.equal(run.code, 2);
  assert.match(
    lastLine(run.stderr),
    /^ingest: Cannot use staging_dir .*share.\.incoming\.ingest-staging: its parent folder .*share does not exist/,
  );
  assert.ok(!tree(ws.dir).some((p) => p.startsWith("unmounted")), "no folder chain created");
  const check = await runMain(["check"], { cwd: ws.dir });
  assert.match(check.stdout, /✗ folders: Cannot use ingestion_dir .*its parent folder/);
});

Deno.test("a file where a folder should be: one line naming the key, never a bare OS error", async () => {
  await using ws = await simWorkspace();
  await Deno.writeTextFile(join(ws.dir, "blocker"), "a file where a folder should be");
  await ws.writeSettings(
    "",
    (s) => s.replace('ingestion_dir = "incoming"', 'ingestion_dir = "blocker/incoming"'),
  );
  const run = await runMain(["trigger"], { cwd: ws.dir });
  assert.notEqual(run.code, 0);
  assert.match(lastLine(run.stderr), /^ingest: Cannot use staging_dir .*blocker/);
  assert.doesNotMatch(run.stderr, /os error/);
});

Deno.test({
  name: "an unwritable parent of staging_dir: the last line names the key, no bare OS error",
  ignore: !POSIX_USER,
  fn: async () => {
    await using ws = await simWorkspace();
    const parent = join(ws.dir, "ro");
    await Deno.mkdir(parent);
    await Deno.chmod(parent, 0o500);
    try {
      await ws.writeSettings(
        "",
        (s) => s.replace('ingestion_dir = "incoming"', 'ingestion_dir = "ro/incoming"'),
      );
      const run = await runMain(["trigger"], { cwd: ws.dir });
      assert.equal(run.code, 1);
      assert.match(
        lastLine(run.stderr),
        /^ingest: Cannot create staging_dir .*ro.\.incoming\.ingest-staging: permission denied/,
      );
      assert.doesNotMatch(run.stderr, /os error/);
    } finally {
      await Deno.chmod(parent, 0o700);
    }
  },
});

Deno.test({
  name: "an unwritable ingestion_dir fails the run within seconds, downloading nothing, exit 1",
  ignore: !POSIX_USER,
  fn: async () => {
    await using ws = await simWorkspace();
    await ws.writeSettings("max_retries = 3");
    const text = await Deno.readTextFile(ws.settingsPath);
    await Deno.writeTextFile(
      ws.settingsPath,
      text.replace("retry_delay_seconds = 0.01", "retry_delay_seconds = 60"),
    );
    await Deno.mkdir(ws.incoming);
    await Deno.chmod(ws.incoming, 0o500);
    try {
      const started = Date.now();
      const run = await runMain(["trigger"], { cwd: ws.dir });
      const seconds = (Date.now() - started) / 1000;
      assert.equal(run.code, 1, run.stderr);
      assert.ok(seconds < 20, `failed after ${seconds} s`);
      assert.match(
        lastLine(run.stderr),
        /^ingest: Cannot write to ingestion_dir .*incoming: permission denied/,
      );
      assert.equal(ws.sim.requestLog.filter((r) => r.server === "download").length, 0);
    } finally {
      await Deno.chmod(ws.incoming, 0o700);
    }
  },
});

Deno.test("a path under /proc names the key and why, never Deno's permission text", {
  ignore: Deno.build.os !== "linux",
}, async () => {
  await using ws = await simWorkspace();
  await ws.writeSettings('staging_dir = "/proc/self/ingest-staging"');
  const run = await runMain(["trigger"], { cwd: ws.dir });
  assert.equal(run.code, 2, run.stderr);
  assert.match(
    lastLine(run.stderr),
    /^ingest: Cannot use staging_dir \/proc\/self\/ingest-staging: it is a special system location/,
  );
  assert.doesNotMatch(run.stderr, /allow-all/);
});

Deno.test("enabled = false: run-once logs disabled and exits 0 without syncing; trigger needs --force", async () => {
  await using ws = await simWorkspace();
  await ws.writeSettings("enabled = false");
  const once = await runMain(["run-once"], { cwd: ws.dir });
  assert.equal(once.code, 0, once.stderr);
  assert.match(once.stderr, /Skipped run-once: job "default" is disabled \(enabled = false\)/);
  const trigger = await runMain(["trigger"], { cwd: ws.dir });
  assert.equal(trigger.code, 0);
  assert.match(trigger.stderr, /is disabled .*pass --force to run it anyway/);
  assert.equal(ws.sim.requestLog.length, 0, "nothing synced");
  assert.deepEqual(ws.incomingNames(), []);
  const forced = await runMain(["trigger", "--force"], { cwd: ws.dir });
  assert.equal(forced.code, 0, forced.stderr);
  assert.equal(ws.incomingNames().length, 6);
});

Deno.test("enabled = false: every schedule recipe is a paused entry", async () => {
  await using ws = await simWorkspace();
  await ws.writeSettings("enabled = false");
  const bin = ["--binary", "/opt/ingest/ingest"];
  const xml = await runMain(["schedule", "print", "--task-scheduler", ...bin], { cwd: ws.dir });
  assert.match(
    xml.stdout,
    /<AllowStartOnDemand>true<\/AllowStartOnDemand>\n.*\n\s*<Enabled>false<\/Enabled>/,
  );
  const cron = await runMain(["schedule", "print", "--cron", ...bin], { cwd: ws.dir });
  assert.match(cron.stdout, /^# \S+ \S+ \S+ \S+ \S+ \/opt\/ingest\/ingest run-once/m);
  assert.doesNotMatch(cron.stdout, /^[0-9*]/m, "no active crontab line");
  const systemd = await runMain(["schedule", "print", "--systemd", ...bin], { cwd: ws.dir });
  assert.match(systemd.stdout, /^#WantedBy=timers\.target$/m);
  assert.doesNotMatch(systemd.stdout, /^WantedBy=timers\.target$/m);
  const k8s = await runMain(["schedule", "print", "--kubernetes", "--image", "r/ingest:1"], {
    cwd: ws.dir,
  });
  assert.match(k8s.stdout, /suspend: true/);
});

Deno.test("trigger --force runs alongside another process's run with a warning; without it, exit 4", async () => {
  await using ws = await simWorkspace();
  const config = await runMain(["--json", "config"], { cwd: ws.dir });
  const lockFile = JSON.parse(config.stdout).lock_file.value;
  await Deno.mkdir(join(lockFile, ".."), { recursive: true });
  const { acquireRunLock } = await import("../../src/schedule/run_lock.ts");
  const lock = await acquireRunLock({ path: lockFile, command: "run", wait: false, pid: 4242 });
  try {
    const plain = await runMain(["trigger"], { cwd: ws.dir });
    assert.equal(plain.code, 4);
    const forced = await runMain(["--log-format", "json", "trigger", "--force"], { cwd: ws.dir });
    assert.equal(forced.code, 0, forced.stderr);
    assert.match(forced.stderr, /Forced trigger overlaps another run: .*pid 4242/);
    assert.equal(ws.incomingNames().length, 6);
  } finally {
    await lock.release();
  }
});

Deno.test("schedule print reads no secret file; --kubernetes without --image warns", async () => {
  await using ws = await simWorkspace();
  await ws.writeSettings(
    'client_secret_file = "/nonexistent/secret.txt"',
    (s) => s.replace(/^client_secret = .*$/m, ""),
  );
  const cron = await runMain(["schedule", "print", "--cron", "--binary", "/opt/ingest"], {
    cwd: ws.dir,
  });
  assert.equal(cron.code, 0, cron.stderr);
  const k8s = await runMain(["schedule", "print", "--kubernetes"], { cwd: ws.dir });
  assert.equal(k8s.code, 0, k8s.stderr);
  assert.match(k8s.stderr, /warning: no --image given: the CronJobs use ingest:latest/);
});

Deno.test("schedule print --systemd --output NAME.service writes the service and the timer beside it", async () => {
  await using ws = await simWorkspace();
  const args = ["schedule", "print", "--systemd", "--binary", "/opt/ingest/ingest"];
  const run = await runMain([...args, "--output", "ingest.service"], { cwd: ws.dir });
  assert.equal(run.code, 0, run.stderr);
  assert.match(await Deno.readTextFile(join(ws.dir, "ingest.service")), /^ExecStart=/m);
  assert.match(await Deno.readTextFile(join(ws.dir, "ingest.timer")), /^\[Timer\]$/m);
  const bad = await runMain([...args, "--output", "units.txt"], { cwd: ws.dir });
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /name the \.service file/);
});

Deno.test("metrics: counters stay cumulative across two run-once processes; last run and success timestamps", async () => {
  await using ws = await simWorkspace();
  await ws.writeSettings('metrics_file = "metrics/ingest.prom"');
  const first = await runMain(["run-once"], { cwd: ws.dir });
  assert.equal(first.code, 0, first.stderr);
  const path = join(ws.dir, "metrics", "ingest.prom");
  const value = (text: string, series: string) =>
    Number(new RegExp(`^${series} (\\d+)$`, "m").exec(text)?.[1]);
  const one = await Deno.readTextFile(path);
  assert.equal(value(one, 'ingest_syncjob_run_total\\{job="default"\\}'), 1);
  assert.equal(value(one, 'ingest_syncjob_download_success_total\\{job="default"\\}'), 6);
  assert.equal(value(one, 'ingest_scheduler_tick_total\\{job="default"\\}'), 1);
  // Not empty: a 0-byte file would be held for empty_file_grace_minutes.
  ws.sim.addFile({ path: "Reports/later.csv", lastModified: new Date(), size: 10 });
  const second = await runMain(["run-once"], { cwd: ws.dir });
  assert.equal(second.code, 0, second.stderr);
  const two = await Deno.readTextFile(path);
  assert.equal(value(two, 'ingest_syncjob_run_total\\{job="default"\\}'), 2);
  assert.equal(value(two, 'ingest_syncjob_download_success_total\\{job="default"\\}'), 7);
  assert.equal(value(two, 'ingest_scheduler_tick_total\\{job="default"\\}'), 2);
  assert.match(two, /^# TYPE ingest_last_success_timestamp_seconds gauge$/m);
  const now = Date.now() / 1000;
  for (const gauge of ["last_run", "last_success"]) {
    const at = value(two, `ingest_${gauge}_timestamp_seconds\\{job="default"\\}`);
    assert.ok(Math.abs(now - at) < 120, `${gauge} = ${at}`);
  }
  assert.equal(two.match(/Cannot write metrics_file/g), null);
});

Deno.test(
  "a log_file or client_secret_file under /proc: one line naming the key, no --allow-all advice",
  {
    ignore: Deno.build.os !== "linux",
  },
  async () => {
    await using ws = await simWorkspace();
    await ws.writeSettings('log_file = "/proc/self/ingest/ingest.jsonl"');
    const run = await runMain(["run-once"], { cwd: ws.dir });
    assert.equal(run.code, 2);
    assert.match(
      run.stderr,
      /^ingest: Cannot use log_file \/proc\/self\/ingest: it is a special system location/,
    );
    await ws.writeSettings(
      'client_secret_file = "/proc/self/secret"',
      (s) => s.replace(/^client_secret = .*$/m, ""),
    );
    const secret = await runMain(["run-once"], { cwd: ws.dir });
    assert.equal(secret.code, 2);
    assert.match(
      secret.stderr,
      /Cannot read client_secret_file \/proc\/self\/secret: .*special system location/,
    );
    assert.doesNotMatch(run.stderr + secret.stderr, /allow-all/);
  },
);

Deno.test("small slips: help for an unknown command is exit 2; --log-level takes what log_level takes; sim refuses ports fetch refuses", async () => {
  const help = await runMain(["help", "nope"]);
  assert.equal(help.code, 2);
  assert.match(help.stderr, /^ingest: Cannot show help for "nope": unknown command/);
  await using ws = await simWorkspace();
  for (const level of ["INFO", "warn", "critical", "Debug"]) {
    const run = await runMain(["--log-level", level, "config"], { cwd: ws.dir });
    assert.equal(run.code, 0, `${level}: ${run.stderr}`);
  }
  const bad = await runMain(["--log-level", "loud", "config"], { cwd: ws.dir });
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /^ingest: Cannot use --log-level "loud": expected one of debug, info/);
  for (const port of ["1", "5999", "80"]) {
    const sim = await runMain(["sim", "--port", port]);
    assert.equal(sim.code, 2, port);
    assert.match(sim.stderr, /^ingest: Cannot use --port/);
    assert.equal(sim.stdout, "", "no snippet printed");
  }
});

Deno.test("settings errors name the file, the line and what is wrong in plain words", async () => {
  await using ws = await simWorkspace();
  await ws.writeSettings("", (s) => s.replace(/^db_service_url = .*$/m, ""));
  const missing = await runMain(["config"], { cwd: ws.dir });
  assert.equal(missing.code, 2);
  assert.match(
    missing.stderr,
    /^ingest: Cannot use key "db_service_url" in .*settings\.toml: is required/m,
  );
  const cases: [string, RegExp][] = [
    ['x = "abc', /at line 2, column \d+: a quoted value is not closed.*the line reads: x = "abc/],
    [
      "enabled = True",
      /at line 2, column \d+: the value is not valid: .*true and false are lower case/,
    ],
    ['ingestion_dir = "C:\\data\\in"', /a backslash in a "double-quoted" value starts an escape/],
  ];
  for (const [line, expected] of cases) {
    await Deno.writeTextFile(ws.settingsPath, `[scheduler]\n${line}\n`);
    const run = await runMain(["config"], { cwd: ws.dir });
    assert.equal(run.code, 2, line);
    assert.match(run.stderr, /^ingest: Cannot parse settings file .*settings\.toml at line 2/);
    assert.match(run.stderr, expected);
    assert.doesNotMatch(run.stderr, /Invalid TOML document|control characters/);
    assert.equal(run.stderr.trim().split("\n").length, 1);
  }
});

Deno.test("a dry run says would download, with the listed bytes, in text and JSON", async () => {
  await using ws = await simWorkspace();
  const text = await runMain(["trigger", "--dry-run"], { cwd: ws.dir });
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /^Would download 6 file\(s\), [1-9][\d.]* (B|KB|MB) \(listed sizes\)/m);
  assert.doesNotMatch(text.stdout, /download request\(s\)/, "no /content count at 0");
  assert.doesNotMatch(text.stderr, /\d+ downloaded/);
  const json = JSON.parse(
    (await runMain(["--json", "trigger", "--dry-run"], { cwd: ws.dir })).stdout,
  );
  assert.equal(json.would_download.length, 6);
  assert.ok(json.would_download_bytes > 0);
  assert.equal(json.downloaded, undefined);
});

Deno.test("the DB service down: one cause, no query string", async () => {
  await using ws = await simWorkspace();
  await ws.writeSettings(
    "",
    (s) => s.replace(/^db_service_url = .*$/m, 'db_service_url = "http://127.0.0.1:9/ingested"'),
  );
  const run = await runMain(["trigger"], { cwd: ws.dir });
  assert.equal(run.code, 1);
  const last = lastLine(run.stderr);
  assert.match(last, /^ingest: Cannot query DB service http:\/\/127\.0\.0\.1:9\/ingested: /);
  assert.doesNotMatch(last, /since=|until=|error sending request/);
  assert.equal(last.match(/os error/g)?.length ?? 0, last.includes("os error") ? 1 : 0);
});

Deno.test("a nested cause that restates its parent is said once", async () => {
  await using ws = await simWorkspace();
  await ws.writeSettings("interval_minutes = 45");
  const run = await runMain(["schedule", "print", "--kubernetes", "--image", "r/i:1"], {
    cwd: ws.dir,
  });
  assert.equal(run.code, 2);
  assert.equal(run.stderr.match(/Cannot express interval_minutes = 45/g)?.length, 1, run.stderr);
  assert.doesNotMatch(run.stderr, /in crontab/);
});

Deno.test("a deleted state file: check and the run log say the catch-up point is unknown", async () => {
  await using ws = await simWorkspace();
  await Deno.mkdir(ws.incoming);
  const first = await runMain(["trigger"], { cwd: ws.dir });
  assert.equal(first.code, 0, first.stderr);
  const config = JSON.parse((await runMain(["--json", "config"], { cwd: ws.dir })).stdout);
  await Deno.remove(config.state_file.value);
  const check = await runMain(["check"], { cwd: ws.dir });
  assert.match(
    check.stdout,
    /^⚠ window: the catch-up point is unknown: .*was the state file deleted/m,
  );
  assert.match(check.stdout, /run `ingest --config .* trigger --since \d{4}-/);
  const run = await runMain(["--log-format", "json", "run-once"], { cwd: ws.dir });
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stderr, /"level":"WARN","message":"Window: .*the catch-up point is unknown/);
});

Deno.test("check with the example's placeholder IDs says they must be GUIDs, before any network call", async () => {
  await using ws = await simWorkspace();
  await ws.writeSettings(
    "",
    (s) =>
      s.replace(/^client_id = .*$/m, 'client_id = "your-app-client-id"')
        .replace(/^tenant_id = .*$/m, 'tenant_id = "your-tenant-id"'),
  );
  const check = await runMain(["check"], { cwd: ws.dir });
  assert.equal(check.code, 1);
  assert.match(
    check.stdout,
    /✗ settings: client_id "your-app-client-id" is not an application \(client\) ID/,
  );
  assert.match(
    check.stdout,
    /✗ settings: tenant_id "your-tenant-id" is neither a tenant ID nor a tenant domain/,
  );
  assert.equal(ws.sim.requestLog.length, 0, "no network call");
});

Deno.test("config shows the derived lookback and where it comes from", async () => {
  await using ws = await simWorkspace();
  await ws.writeSettings("interval_minutes = 30");
  const run = await runMain(["config"], { cwd: ws.dir });
  assert.match(run.stdout, /^lookback_minutes += {1,2}60 {2}# derived: twice the longest gap/m);
  assert.doesNotMatch(run.stdout, /^lookback_minutes += \(not set\)/m);
});

Deno.test("the demo's story adds up: ingested files leave the folder, run 2 explains what it listed", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ingest-demo-" });
  try {
    const run = await runMain(["demo", "--dir", join(dir, "incoming")], { cwd: dir });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /the file watcher ingested 3 of the 6 files .*the other 3 still wait/);
    assert.match(run.stdout, /Run 2 listed only what changed since run 1/);
    const names = [...Deno.readDirSync(join(dir, "incoming"))].map((e) => e.name);
    assert.equal(
      names.filter((n) => !n.startsWith(".")).length,
      5,
      "3 waiting + late_arrival.csv + the back-dated synced_from_laptop.csv",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("Ctrl+C on trigger: the first press says what a second does, in seconds; the second is said once as the operator's stop", async () => {
  await using ws = await simWorkspace();
  ws.sim.addFault({
    match: { server: "download" },
    fault: { kind: "delay", ms: 5_000 },
    times: Infinity,
  });
  const { ManualSignals } = await import("../helpers/cli_harness.ts");
  const signals = new ManualSignals();
  const running = runMain(["--log-format", "json", "trigger"], { cwd: ws.dir, signals });
  const deadline = Date.now() + 10_000;
  while (
    ws.sim.requestLog.filter((r) => r.server === "download").length === 0 && Date.now() < deadline
  ) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  assert.equal(signals.send("SIGINT"), 1);
  await new Promise((resolve) => setTimeout(resolve, 300));
  signals.send("SIGINT");
  const run = await running;
  assert.equal(run.code, 130, run.stderr);
  assert.match(
    run.stderr,
    /Stopping: waiting up to 30 s for 1 run\(s\) to finish; press Ctrl\+C again/,
  );
  assert.match(run.stderr, /"Sync stopped .*stopped by the operator \(second SIGINT\)/);
  assert.doesNotMatch(run.stderr, /"level":"ERROR"/);
  assert.doesNotMatch(run.stderr, /Cannot finish run: aborted|the run was aborted: /);
});

Deno.test("run-once over several jobs: a disabled job is one plain line, exit 0", async () => {
  await using ws = await simWorkspace();
  await ws.writeSettings(
    '[jobs.a]\ningestion_dir = "in-a"\n\n[jobs.b]\ningestion_dir = "in-b"\nenabled = false',
    (s) => s.replace(/^ingestion_dir = .*$/m, ""),
  );
  const run = await runMain(["run-once"], { cwd: ws.dir });
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /^a: downloaded 6 file\(s\)/m);
  assert.match(run.stdout, /^b: disabled \(enabled = false\), nothing ran$/m);
});

Deno.test("check hints that fit: a held lock names its holder; a Graph error without a code gets no code hint", async () => {
  const { graphHint } = await import("../../src/commands/check/check_hints.ts");
  const { GraphError } = await import("../../src/errors.ts");
  assert.doesNotMatch(
    graphHint(new GraphError("Cannot list: HTTP 500", { status: 500 })),
    /error code/,
  );
  assert.match(
    graphHint(new GraphError("Cannot list", { status: 500, code: "generalException" })),
    /Graph error code "generalException"/,
  );
  await using ws = await simWorkspace();
  await Deno.mkdir(ws.incoming);
  const config = JSON.parse((await runMain(["--json", "config"], { cwd: ws.dir })).stdout);
  const lockFile = config.lock_file.value;
  await Deno.mkdir(join(lockFile, ".."), { recursive: true });
  const { acquireRunLock } = await import("../../src/schedule/run_lock.ts");
  const lock = await acquireRunLock({ path: lockFile, command: "run-once", wait: false, pid: 777 });
  try {
    const check = await runMain(["check"], { cwd: ws.dir });
    assert.match(check.stdout, /^⚠ lock: a run holds .*\(pid 777 since .*, run-once\)$/m);
    assert.match(check.stdout, /→ a run started now would be skipped \(exit 4\)/);
    assert.doesNotMatch(check.stdout, /lock: held: Cannot start run/);
  } finally {
    await lock.release();
  }
});

Deno.test("schedule print --systemd over two jobs says to run the command once per job", async () => {
  await using ws = await simWorkspace();
  await ws.writeSettings(
    '[jobs.a]\ningestion_dir = "in-a"\n\n[jobs.b]\ningestion_dir = "in-b"',
    (s) => s.replace(/^ingestion_dir = .*$/m, ""),
  );
  const run = await runMain(["schedule", "print", "--systemd", "--binary", "/opt/ingest"], {
    cwd: ws.dir,
  });
  assert.equal(run.code, 2);
  assert.match(run.stderr, /run this command once per job, each time with --job NAME/);
});

Deno.test("metrics: jobs sharing one metrics file each show their kept totals, even in a run where one does not sync", async () => {
  await using ws = await simWorkspace();
  await ws.writeSettings(
    'metrics_file = "m.prom"\n[jobs.a]\ningestion_dir = "in-a"\n\n[jobs.b]\ningestion_dir = "in-b"',
    (s) => s.replace(/^ingestion_dir = .*$/m, ""),
  );
  const first = await runMain(["run-once"], { cwd: ws.dir });
  assert.equal(first.code, 0, first.stderr);
  const runs = (text: string, job: string) =>
    Number(new RegExp(`^ingest_syncjob_run_total\\{job="${job}"\\} (\\d+)$`, "m").exec(text)?.[1]);
  const one = await Deno.readTextFile(join(ws.dir, "m.prom"));
  assert.deepEqual([runs(one, "a"), runs(one, "b")], [1, 1]);
  const second = await runMain(["run-once"], {
    cwd: ws.dir,
    env: { INGEST_JOBS__B__ENABLED: "false" },
  });
  assert.equal(second.code, 0, second.stderr);
  const two = await Deno.readTextFile(join(ws.dir, "m.prom"));
  assert.deepEqual([runs(two, "a"), runs(two, "b")], [2, 1], "b keeps its total, never drops");
});
