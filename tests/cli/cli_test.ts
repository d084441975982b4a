import assert from "node:assert/strict";
import { join } from "node:path";
import { VERSION } from "../../src/version.ts";
import { runMain } from "../helpers/cli_harness.ts";
import { ManualClock } from "../helpers/clocks.ts";

const SETTINGS = `[scheduler]
sharepoint_site_url = "https://contoso.sharepoint.com/sites/Finance"
sharepoint_folder = "/Shared Documents/Reports"
ingestion_dir = "in"
client_id = "app"
client_secret = "super-secret-value"
tenant_id = "tenant"
db_service_url = "https://db.example.com/x"
db_service_token = "db-token-value"
`;

async function settingsDir(text = SETTINGS): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "ingest-cli-" });
  await Deno.writeTextFile(join(dir, "settings.toml"), text);
  return dir;
}

Deno.test("ingest --help lists the commands, examples and exit codes, exit 0", async () => {
  const { code, stdout } = await runMain(["--help"]);
  assert.equal(code, 0);
  for (
    const word of [
      "run",
      "run-once",
      "trigger",
      "check",
      "config",
      "sim",
      "demo",
      "next",
      "schedule",
    ]
  ) {
    assert.match(stdout, new RegExp(`\\n  ${word}\\b`), `help lists ${word}`);
  }
  assert.match(stdout, /Exit codes:[\s\S]*4 +skipped: another run holds the lock/);
  assert.match(stdout, /Examples:/);
});

Deno.test("ingest --version prints the version, exit 0", async () => {
  const { code, stdout } = await runMain(["--version"]);
  assert.equal(code, 0);
  assert.equal(stdout.trim(), VERSION);
});

Deno.test("ingest with no command prints help on stderr, exit 2", async () => {
  const { code, stderr } = await runMain([]);
  assert.equal(code, 2);
  assert.match(stderr, /Usage: ingest/);
});

Deno.test("an unknown command is a usage error with a suggestion, exit 2", async () => {
  const { code, stderr } = await runMain(["trigerr"]);
  assert.equal(code, 2);
  assert.equal(
    stderr,
    'ingest: Cannot run command "trigerr": unknown command (did you mean trigger?)\n',
  );
});

const COMMANDER_ERRORS: [string[], string][] = [
  [
    ["trigger", "--sinse", "x"],
    "ingest: Cannot use option --sinse: unknown option (did you mean --since?)\n",
  ],
  [
    ["trigger", "extra"],
    "ingest: Cannot run trigger: unexpected argument(s) extra (it takes 0, got 1)\n",
  ],
  [
    ["--log-level", "loud", "config"],
    'ingest: Cannot use --log-level "loud": expected one of debug, info, warning (or warn), ' +
    "error, critical (any case)\n",
  ],
  [["next", "--count"], "ingest: Cannot use --count: it needs a value\n"],
  [["trigger", "--job"], "ingest: Cannot use --job: it needs a value\n"],
];

for (const [args, expected] of COMMANDER_ERRORS) {
  Deno.test(`command-line errors read "ingest: Cannot …": ${args.join(" ")}`, async () => {
    const { code, stderr } = await runMain(args);
    assert.equal(code, 2);
    assert.equal(stderr, expected);
    assert.doesNotMatch(stderr, /^error:/m);
  });
}

Deno.test("an invalid flag value is a usage error, exit 2", async () => {
  const { code, stderr } = await runMain(["--log-level", "loud", "config"]);
  assert.equal(code, 2);
  assert.match(stderr, /--log-level/);
});

Deno.test("ingest config prints values with sources and redacts secrets", async () => {
  const dir = await settingsDir();
  const { code, stdout, stderr } = await runMain(["config"], {
    cwd: dir,
    env: { INGEST_MAX_RETRIES: "7" },
  });
  assert.equal(code, 0, stderr);
  assert.match(stdout, /client_secret\s+= "\*\*\*"/);
  assert.match(stdout, /db_service_token\s+= "\*\*\*"/);
  assert.match(stdout, /max_retries\s+= 7 +# env INGEST_MAX_RETRIES/);
  assert.match(stdout, /download_concurrency\s+= 4 +# default/);
  assert.match(stdout, /client_id\s+= "app" +# file /);
  assert.doesNotMatch(stdout + stderr, /super-secret-value|db-token-value/);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("ingest config --json is machine-readable and redacted", async () => {
  const dir = await settingsDir();
  const { code, stdout } = await runMain([
    "--json",
    "config",
    "--config",
    join(dir, "settings.toml"),
  ]);
  assert.equal(code, 0);
  const parsed = JSON.parse(stdout);
  assert.equal(parsed.client_secret.value, "***");
  assert.equal(parsed.ingestion_dir.value, join(dir, "in"));
  assert.equal(parsed.schedule.value.kind, "interval");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a bad setting is one line naming the key and the file, exit 2, no stack", async () => {
  const dir = await settingsDir(SETTINGS + "interval_minutes = -5\n");
  const { code, stdout, stderr } = await runMain(["config"], { cwd: dir });
  assert.equal(code, 2);
  assert.equal(stdout, "");
  const lines = stderr.trim().split("\n");
  assert.equal(lines.length, 1, stderr);
  assert.match(lines[0]!, /^ingest: Cannot use key "interval_minutes" in .*settings\.toml: /);
  assert.doesNotMatch(stderr, /super-secret-value|\bat .*\.ts:\d+/);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("ingest next prints daily times across a DST change in the configured zone", async () => {
  const dir = await settingsDir(
    SETTINGS + 'quad_daily_times = ["09:05", "18:05"]\ntimezone = "America/Chicago"\n',
  );
  const { code, stdout } = await runMain(["next", "--count", "4"], {
    cwd: dir,
    clock: new ManualClock("2026-03-07T12:00:00Z"),
  });
  assert.equal(code, 0);
  assert.match(stdout, /2026-03-07T18:05:00-06:00/);
  assert.match(stdout, /2026-03-08T09:05:00-05:00/);
  assert.match(stdout, /2026-03-08T18:05:00-05:00/);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("ingest next rejects a bad --count, exit 2", async () => {
  const { code, stderr } = await runMain(["next", "--count", "zero"]);
  assert.equal(code, 2);
  assert.match(stderr, /--count "zero"/);
});
