/**
 * Output that tells the operator to run a command names it the way this process was started:
 * `ingest …` from the compiled binary, `deno task ingest …` from a source checkout, and
 * `npx -y deno@V task ingest …` when npx fetched that Deno (the README's first commands).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { ingestCommand, ingestLauncher, runsUnderDeno } from "../../src/commands/invocation.ts";
import { runMain } from "../helpers/cli_harness.ts";

const NPX = "/home/op/.npm/_npx/4f1c5e2a/node_modules/deno/deno";
const WINDOWS_NPX =
  "C:\\Users\\op\\AppData\\Local\\npm-cache\\_npx\\4f1c\\node_modules\\deno\\deno.exe";
const DENO = "/usr/bin/deno";
const BINARY = "/opt/ingest/ingest";

Deno.test("runsUnderDeno tells the Deno runtime from a compiled binary", () => {
  const cases: [string, boolean][] = [
    [DENO, true],
    [NPX, true],
    [WINDOWS_NPX, true],
    ["C:\\Program Files\\Deno\\DENO.EXE", true],
    [BINARY, false],
    ["C:\\ingest\\ingest.exe", false],
    ["C:\\ingest\\ingest-x86_64-pc-windows-msvc.exe", false],
    ["/usr/local/bin/deno-ingest", false],
    ["/srv/deno/ingest", false],
  ];
  for (const [execPath, want] of cases) assert.equal(runsUnderDeno(execPath), want, execPath);
});

Deno.test("ingestLauncher names the binary, an installed Deno or npx with the running version", () => {
  const cases: [string, string][] = [
    [BINARY, "ingest"],
    ["C:\\ingest\\ingest.exe", "ingest"],
    [DENO, "deno task ingest"],
    ["C:\\Users\\op\\.deno\\bin\\deno.exe", "deno task ingest"],
    ["/usr/lib/node_modules/deno/deno", "deno task ingest"],
    [NPX, "npx -y deno@2.9.6 task ingest"],
    [WINDOWS_NPX, "npx -y deno@2.9.6 task ingest"],
    ["/home/op/_npx/ingest", "ingest"],
  ];
  for (const [execPath, want] of cases) {
    assert.equal(ingestLauncher({ execPath, denoVersion: "2.9.6" }), want, execPath);
  }
  assert.equal(
    ingestCommand({ execPath: NPX, denoVersion: "2.10.0" }, "check"),
    "npx -y deno@2.10.0 task ingest check",
  );
});

Deno.test("the demo's last line names the check command as it runs here", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ingest-demo-invocation-" });
  try {
    const run = await runMain(["demo", "--dir", "incoming"], {
      cwd: dir,
      execPath: NPX,
      denoVersion: "2.9.6",
    });
    assert.equal(run.code, 0, run.stderr);
    const last = run.stdout.trimEnd().split("\n").at(-1)!;
    assert.match(last, /settings\.toml, then `npx -y deno@2\.9\.6 task ingest check`\.$/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("check's settings hint names the config command as it runs here", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ingest-check-invocation-" });
  try {
    await Deno.writeTextFile(join(dir, "settings.toml"), "[scheduler]\ndownload_concurency = 2\n");
    const source = await runMain(["check"], { cwd: dir, execPath: DENO });
    assert.equal(source.code, 2);
    assert.match(source.stdout, /→ fix the keys named above; `deno task ingest config` shows/);
    const binary = await runMain(["check"], { cwd: dir, execPath: BINARY });
    assert.equal(binary.code, 2);
    assert.match(binary.stdout, /→ fix the keys named above; `ingest config` shows/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("next on disabled settings names the run command as it runs here", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ingest-next-invocation-" });
  try {
    await Deno.writeTextFile(
      join(dir, "settings.toml"),
      [
        "[scheduler]",
        "enabled = false",
        'sharepoint_site_url = "https://contoso.sharepoint.com/sites/Finance"',
        'sharepoint_folder = "/Shared Documents/Reports"',
        'ingestion_dir = "in"',
        'client_id = "app"',
        'client_secret = "secret"',
        'tenant_id = "tenant"',
        'db_service_url = "https://db.example.com/x"',
        "",
      ].join("\n"),
    );
    const run = await runMain(["next", "--count", "1"], { cwd: dir, execPath: DENO });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /disabled \(enabled = false\): `deno task ingest run` will not run/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("help examples are written the way this process runs", async () => {
  const source = await runMain(["--help"], { execPath: DENO });
  assert.match(
    source.stdout,
    /\n {2}deno task ingest demo {3,}try it against the built-in simulator/,
  );
  assert.doesNotMatch(source.stdout, /\n {2}ingest /);
  const binary = await runMain(["--help"], { execPath: BINARY });
  assert.match(binary.stdout, /\n {2}ingest demo {3,}try it against the built-in simulator/);
  assert.doesNotMatch(binary.stdout, /deno task/);
});
