import assert from "node:assert/strict";
import { join } from "node:path";
import { acquireRunLock } from "../../src/schedule/run_lock.ts";
import { ManualSignals, runMain } from "../helpers/cli_harness.ts";
import { simWorkspace } from "../helpers/sim_workspace.ts";

const DEMO_NAMES = [
  "Board deck #12.pdf",
  "Q4 forecast.xlsx",
  "customers (EU).csv",
  "inventory_snapshot.csv",
  "sales_",
  "Übersicht_Kosten.xlsx",
];

Deno.test("ingest trigger downloads the new files and a second trigger downloads nothing twice", async () => {
  await using ws = await simWorkspace();
  const first = await runMain(["--json", "trigger"], { cwd: ws.dir });
  assert.equal(first.code, 0, first.stderr);
  const result = JSON.parse(first.stdout);
  assert.equal(result.status, "completed");
  assert.equal(result.downloaded.length, 6);
  const names = ws.incomingNames();
  for (const name of DEMO_NAMES) assert.ok(names.some((n) => n.startsWith(name)), `${name} placed`);
  ws.sim.markIngested("Q4 forecast.xlsx");
  const second = await runMain(["--json", "trigger"], { cwd: ws.dir });
  const again = JSON.parse(second.stdout);
  assert.equal(second.code, 0);
  assert.deepEqual(again.downloaded, []);
  assert.equal(again.listed, 0, "delta: nothing changed since the first run");
  const full = JSON.parse((await runMain(["--json", "trigger", "--full"], { cwd: ws.dir })).stdout);
  assert.deepEqual(full.downloaded, []);
  assert.equal(full.skipped_ingested, 1);
  // This job placed those very versions: the ledger skips them before they count as pending.
  assert.equal(full.unchanged_content, 5);
});

Deno.test("ingest trigger --dry-run plans the download and writes nothing", async () => {
  await using ws = await simWorkspace();
  const run = await runMain(["trigger", "--dry-run"], { cwd: ws.dir });
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /Would download 6 file\(s\)/);
  assert.deepEqual(ws.incomingNames().filter((n) => !n.startsWith(".")), []);
  assert.equal(ws.sim.requestLog.filter((r) => r.server === "download").length, 0);
});

Deno.test("ingest trigger --lookback widens the window to old files", async () => {
  await using ws = await simWorkspace();
  const run = await runMain(["--json", "trigger", "--lookback", "7d"], { cwd: ws.dir });
  assert.equal(run.code, 0, run.stderr);
  assert.ok(JSON.parse(run.stdout).downloaded.includes("legacy_report_2019.csv"));
});

Deno.test("ingest trigger rejects --since with --lookback and a bad --since, exit 2", async () => {
  await using ws = await simWorkspace();
  const both = await runMain(["trigger", "--since", "2026-01-01T00:00:00Z", "--lookback", "1h"], {
    cwd: ws.dir,
  });
  assert.equal(both.code, 2);
  assert.match(both.stderr, /--since and --lookback/);
  const bad = await runMain(["trigger", "--since", "yesterday"], { cwd: ws.dir });
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /yesterday/);
});

Deno.test("ingest run-once exits 4 naming the holder while another run holds the lock", async () => {
  await using ws = await simWorkspace();
  const config = await runMain(["--json", "config"], { cwd: ws.dir });
  const lockFile = JSON.parse(config.stdout).lock_file.value;
  const lock = await acquireRunLock({ path: lockFile, command: "run", wait: false, pid: 4242 });
  try {
    const run = await runMain(["run-once"], { cwd: ws.dir });
    assert.equal(run.code, 4);
    assert.match(run.stderr, /another run holds .*pid 4242/);
    assert.deepEqual(ws.incomingNames().filter((n) => !n.startsWith(".")), []);
  } finally {
    await lock.release();
  }
});

Deno.test("ingest trigger fails fast with exit 1 when the DB service is down, downloading nothing", async () => {
  await using ws = await simWorkspace();
  ws.sim.addFault({
    match: { server: "db" },
    fault: { kind: "status", status: 500, body: "boom" },
    times: Infinity,
  });
  const run = await runMain(["trigger"], { cwd: ws.dir });
  assert.equal(run.code, 1);
  assert.match(run.stderr, /^ingest: Cannot query DB service .*HTTP 500/m);
  assert.equal(ws.sim.requestLog.filter((r) => r.server === "download").length, 0);
});

Deno.test("ingest trigger exits 3 when a file keeps failing and places the others", async () => {
  await using ws = await simWorkspace();
  ws.sim.addFault({
    match: { server: "download", file: "inventory_snapshot.csv" },
    fault: { kind: "corrupt" },
    times: Infinity,
  });
  const run = await runMain(["--json", "trigger"], { cwd: ws.dir });
  assert.equal(run.code, 3, run.stderr);
  const result = JSON.parse(run.stdout);
  assert.equal(result.downloaded.length, 5);
  assert.equal(result.failed[0].name, "inventory_snapshot.csv");
  assert.ok(!ws.incomingNames().includes("inventory_snapshot.csv"));
});

Deno.test("ingest check passes against the simulator", async () => {
  await using ws = await simWorkspace();
  await Deno.mkdir(ws.incoming);
  const run = await runMain(["check"], { cwd: ws.dir });
  assert.equal(run.code, 0, run.stdout + run.stderr);
  for (
    const name of ["settings", "token", "folder", "paths", "DB service", "folders", "lock", "clock"]
  ) {
    assert.match(run.stdout, new RegExp(`^✓ ${name}: `, "m"));
  }
  assert.match(run.stdout, /library "Documents" \(URL segment "Shared Documents"\)/);
  assert.match(run.stdout, /^✓ paths: longest placed path \d+ characters/m);
  assert.match(run.stdout, /Verdict: ready/);
});

Deno.test("ingest check warns when a listed file would be placed under a path over 259 characters", async () => {
  await using ws = await simWorkspace();
  const name = `${"long name ".repeat(24)}.csv`;
  ws.sim.addFile({ library: "Shared Documents", path: `Reports/${name}` });
  const run = await runMain(["check"], { cwd: ws.dir });
  assert.equal(run.code, 0, run.stdout + run.stderr);
  assert.match(
    run.stdout,
    /^⚠ paths: 1 listed file\(s\) would be placed under paths longer than 259 characters \(longest \d+\), e\.g\. .*long name/m,
  );
  assert.match(run.stdout, /→ ingest places them, but many Windows programs/);
  assert.match(run.stdout, /Verdict: ready/);
});

Deno.test("trigger reports Graph requests and units; check shows the saved delta state; --full", async () => {
  await using ws = await simWorkspace();
  const fresh = await runMain(["check"], { cwd: ws.dir });
  assert.match(
    fresh.stdout,
    /^✓ state: .* does not exist yet: the first run lists the folder in full/m,
  );
  const first = JSON.parse((await runMain(["--json", "trigger"], { cwd: ws.dir })).stdout);
  assert.equal(first.listing, "folder_delta");
  assert.ok(first.graph_requests >= 4, String(first.graph_requests));
  const idle = JSON.parse((await runMain(["--json", "trigger"], { cwd: ws.dir })).stdout);
  assert.equal(idle.graph_requests, 1);
  assert.equal(idle.graph_resource_units, 1);
  const full = JSON.parse((await runMain(["--json", "trigger", "--full"], { cwd: ws.dir })).stdout);
  assert.equal(full.graph_resource_units, 2);
  assert.equal(full.listed, first.listed);
  const human = await runMain(["run-once", "--full"], { cwd: ws.dir });
  assert.match(human.stdout, /^Graph: 1 request\(s\), 2 resource unit\(s\) \(folder_delta\)/m);
  const check = await runMain(["check"], { cwd: ws.dir });
  assert.match(check.stdout, /^✓ state: .*listing delta on the folder, link saved 0 min ago; /m);
  assert.match(check.stdout, /folder ids saved 0 min ago/);
});

Deno.test("ingest check reports a bad secret with its AADSTS code and what to do, exit 1", async () => {
  await using ws = await simWorkspace();
  await ws.writeSettings(
    "",
    (s) => s.replace(/client_secret = .*/, 'client_secret = "wrong-secret"'),
  );
  const run = await runMain(["check"], { cwd: ws.dir });
  assert.equal(run.code, 1);
  assert.match(run.stdout, /✗ token: Cannot get token: AADSTS7000215/);
  assert.match(run.stdout, /→ the client secret is wrong/);
  assert.doesNotMatch(run.stdout + run.stderr, /wrong-secret/);
});

Deno.test("ingest check reports a wrong folder listing what exists, exit 1", async () => {
  await using ws = await simWorkspace();
  await ws.writeSettings(
    "",
    (s) => s.replace("/Shared Documents/Reports", "/Shared Documents/Reprots"),
  );
  const run = await runMain(["check"], { cwd: ws.dir });
  assert.equal(run.code, 1);
  assert.match(run.stdout, /✗ folder: .*Reprots.*Reports/);
  assert.match(run.stdout, /→ check sharepoint_site_url and sharepoint_folder/);
});

Deno.test("ingest check reports a DB service that is down, exit 1", async () => {
  await using ws = await simWorkspace();
  ws.sim.addFault({
    match: { server: "db" },
    fault: { kind: "status", status: 503 },
    times: Infinity,
  });
  const run = await runMain(["check"], { cwd: ws.dir });
  assert.equal(run.code, 1);
  assert.match(run.stdout, /✗ DB service: Cannot query DB service/);
  assert.match(run.stdout, /✓ token/);
});

Deno.test({
  name: "ingest check reports an unwritable ingestion folder, exit 1",
  ignore: Deno.build.os === "windows" || Deno.uid?.() === 0,
  fn: async () => {
    await using ws = await simWorkspace();
    await Deno.mkdir(ws.incoming);
    await Deno.chmod(ws.incoming, 0o500);
    const run = await runMain(["check"], { cwd: ws.dir });
    await Deno.chmod(ws.incoming, 0o700);
    assert.equal(run.code, 1);
    assert.match(run.stdout, /✗ folders: Cannot use ingestion_dir .*cannot write to it/);
  },
});

Deno.test("ingest check reports an ingestion folder that a run could not create, exit 1", async () => {
  await using ws = await simWorkspace();
  await Deno.writeTextFile(join(ws.dir, "blocker"), "a file where a folder should be");
  await ws.writeSettings(
    "",
    (s) => s.replace('ingestion_dir = "incoming"', 'ingestion_dir = "blocker/incoming"'),
  );
  const run = await runMain(["check"], { cwd: ws.dir });
  assert.equal(run.code, 1);
  assert.match(run.stdout, /✗ folders: Cannot use ingestion_dir .*blocker/);
});

Deno.test("ingest check with invalid settings says which key, exit 2", async () => {
  await using ws = await simWorkspace();
  await ws.writeSettings("download_concurrency = 0");
  const run = await runMain(["check"], { cwd: ws.dir });
  assert.equal(run.code, 2);
  assert.match(run.stdout, /✗ settings: Cannot use key "download_concurrency"/);
});

Deno.test("ingest demo runs twice into a temp folder and never downloads a file twice", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ingest-demo-test-" });
  try {
    const run = await runMain(["demo", "--dir", "out/incoming"], { cwd: dir });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /Run 1: first sync\nDownloaded 6 file\(s\)/);
    const second = run.stdout.slice(run.stdout.indexOf("Run 2:"));
    assert.match(second, /^Run 2: nothing is downloaded twice\nDownloaded 2 file\(s\)/);
    assert.match(second, /\n {2}late_arrival\.csv\n/);
    assert.match(second, /\n {2}synced_from_laptop\.csv\n/, "the back-dated arrival is placed");
    assert.match(second, /\nSelection: 1 arrived with old dates/);
    assert.match(run.stdout, /then `ingest check`\.\n$/, "the compiled binary's own command");
    // Run 2 reads only the changes since run 1: one delta request with a token, 1 resource unit.
    assert.match(run.stdout, /Listed 2, in window 2 /);
    assert.match(run.stdout, /\nGraph: 1 request\(s\), 1 resource unit\(s\)/);
    const names = [...Deno.readDirSync(join(dir, "out/incoming"))].map((e) => e.name);
    // The pretend file watcher took its 3 ingested files out: 3 waiting + late_arrival.csv and
    // the back-dated synced_from_laptop.csv.
    assert.equal(names.filter((n) => !n.startsWith(".")).length, 5);
    const again = await runMain(["demo", "--dir", "out/incoming"], { cwd: dir });
    assert.equal(again.code, 0, "a second demo reuses its own folder");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("ingest demo refuses a folder holding someone else's files, exit 2", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(join(dir, "important.txt"), "keep me");
  const run = await runMain(["demo", "--dir", dir]);
  assert.equal(run.code, 2);
  assert.match(run.stderr, /holds files the demo did not create/);
  assert.equal(await Deno.readTextFile(join(dir, "important.txt")), "keep me");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("ingest schedule print --cron and --task-scheduler use the settings' times", async () => {
  await using ws = await simWorkspace();
  await ws.writeSettings('quad_daily_times = ["09:05", "15:05"]');
  const cron = await runMain(["schedule", "print", "--cron", "--binary", "/opt/ingest/ingest"], {
    cwd: ws.dir,
  });
  assert.equal(cron.code, 0, cron.stderr);
  assert.match(cron.stdout, /^5 9,15 \* \* \* .*\/opt\/ingest\/ingest.* run-once --config /m);
  const xml = await runMain([
    "schedule",
    "print",
    "--task-scheduler",
    "--binary",
    "C:\\ingest\\ingest.exe",
  ], {
    cwd: ws.dir,
  });
  assert.equal(xml.code, 0, xml.stderr);
  assert.match(xml.stdout, /<MultipleInstancesPolicy>IgnoreNew<\/MultipleInstancesPolicy>/);
  assert.match(xml.stdout, /T09:05:00/);
  const none = await runMain(["schedule", "print"], { cwd: ws.dir });
  assert.equal(none.code, 2);
});

Deno.test("ingest sim serves a working simulator until SIGINT and prints a settings snippet", async () => {
  const signals = new ManualSignals("linux");
  let out = "";
  const running = runMain(["sim", "--files", "3"], { signals, stdout: (text) => (out += text) });
  for (let i = 0; i < 400 && !out.includes("db_service_url ="); i++) {
    await new Promise((r) => setTimeout(r, 5));
  }
  const graph = out.match(/graph_base_url = "([^"]+)"/)?.[1];
  assert.ok(graph, out);
  const response = await fetch(`${graph}/sites/contoso.sharepoint.com:/sites/Finance`);
  assert.equal(response.status, 401, "Graph answers and wants a token");
  await response.body?.cancel();
  assert.match(out, /folder +\/Shared Documents\/Reports \(3 files seeded\)/);
  assert.equal(signals.send("SIGINT"), 1);
  const run = await running;
  assert.equal(run.code, 0);
  assert.match(run.stdout, /Simulator stopped/);
});

Deno.test("ingest sim --download-accepts-authorization serves downloads that carry a token", async () => {
  const signals = new ManualSignals("linux");
  let out = "";
  const running = runMain(["sim", "--files", "1", "--download-accepts-authorization"], {
    signals,
    stdout: (text) => (out += text),
  });
  for (let i = 0; i < 400 && !out.includes("db_service_url ="); i++) {
    await new Promise((r) => setTimeout(r, 5));
  }
  const value = (key: string) => out.match(new RegExp(`^${key} = "([^"]+)"`, "m"))?.[1] ?? "";
  const form = new URLSearchParams({
    client_id: value("client_id"),
    client_secret: value("client_secret"),
    scope: "https://graph.microsoft.com/.default",
    grant_type: "client_credentials",
  });
  const tokenResponse = await fetch(
    `${value("authority_host")}/${value("tenant_id")}/oauth2/v2.0/token`,
    { method: "POST", body: form },
  );
  const token = (await tokenResponse.json()).access_token as string;
  const authorization = { authorization: `Bearer ${token}` };
  const graph = value("graph_base_url");
  const site = await (await fetch(`${graph}/sites/contoso.sharepoint.com:/sites/Finance`, {
    headers: authorization,
  })).json();
  const children = await (await fetch(
    `${graph}/sites/${site.id}/drive/root:/Reports:/children`,
    { headers: authorization },
  )).json();
  const url = children.value[0]["@microsoft.graph.downloadUrl"] as string;
  assert.ok(url, JSON.stringify(children));
  const download = await fetch(url, { headers: authorization });
  assert.equal(download.status, 200, "the Graph token is ignored, as real SharePoint does");
  assert.equal((await download.arrayBuffer()).byteLength, children.value[0].size);
  assert.equal(signals.send("SIGINT"), 1);
  assert.equal((await running).code, 0);
});
