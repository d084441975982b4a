import assert from "node:assert/strict";
import { join } from "node:path";
import { loadJobs, type LoadOptions, loadSettings } from "../../src/config/load.ts";
import { selectJobs } from "../../src/config/jobs.ts";
import { ConfigError } from "../../src/errors.ts";

const TWO_JOBS = `[scheduler]
sharepoint_site_url = "https://contoso.sharepoint.com/sites/Finance"
client_id = "app"
client_secret = "s3cret-value"
tenant_id = "tenant"
db_service_url = "http://127.0.0.1:9/db"
interval_minutes = 60
log_level = "DEBUG"

[jobs.reports]
sharepoint_folder = "/Shared Documents/Reports"
ingestion_dir = "in/reports"

[jobs.archive]
sharepoint_folder = "/Shared Documents/Archive"
ingestion_dir = "in/archive"
quad_daily_times = ["06:00"]
`;

async function withFile(
  text: string,
  extra: Partial<LoadOptions> = {},
): Promise<LoadOptions & { dir: string }> {
  const dir = await Deno.makeTempDir({ prefix: "ingest-jobs-" });
  await Deno.writeTextFile(join(dir, "settings.toml"), text);
  return { dir, env: {}, cwd: dir, execPath: "/nonexistent/bin/ingest", ...extra };
}

async function loadError(text: string, extra: Partial<LoadOptions> = {}): Promise<string> {
  const options = await withFile(text, extra);
  try {
    await loadJobs(options);
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected ConfigError, got ${error}`);
    assert.equal(error.exitCode, 2);
    return error.message;
  } finally {
    await Deno.remove(options.dir, { recursive: true });
  }
  assert.fail("settings loaded but an error was expected");
}

Deno.test("loadJobs() resolves each [jobs.<name>] over the [scheduler] defaults, in file order", async () => {
  const options = await withFile(TWO_JOBS);
  const { jobs, names, configPath } = await loadJobs(options);
  assert.deepEqual(names, ["reports", "archive"]);
  assert.equal(configPath, join(options.dir, "settings.toml"));
  const [reports, archive] = jobs.map((j) => j.settings);
  assert.ok(reports && archive);
  assert.equal(reports.job, "reports");
  assert.equal(reports.sharepoint_folder, "/Shared Documents/Reports");
  assert.equal(reports.ingestion_dir, join(options.dir, "in/reports"));
  assert.deepEqual(reports.schedule, { kind: "interval", minutes: 60 });
  assert.deepEqual(archive.schedule, { kind: "daily", times: ["06:00"] });
  assert.equal(archive.client_secret, "s3cret-value");
  assert.equal(reports.log_level, "DEBUG");
  assert.equal(
    reports.lock_file,
    join(options.dir, "in/.reports.ingest-staging/ingest-reports.lock"),
  );
  assert.equal(
    archive.lock_file,
    join(options.dir, "in/.archive.ingest-staging/ingest-archive.lock"),
  );
  assert.equal(
    archive.state_file,
    join(options.dir, "in/.archive.ingest-staging/ingest-archive.state.json"),
  );
  const sources = jobs[1]!.sources;
  assert.deepEqual(sources.quad_daily_times, {
    kind: "file",
    path: configPath,
    table: "[jobs.archive]",
  });
  assert.deepEqual(sources.client_id, { kind: "file", path: configPath, table: "[scheduler]" });
  assert.equal(sources.download_concurrency?.kind, "default");
  await Deno.remove(options.dir, { recursive: true });
});

Deno.test("loadJobs() without [jobs.*] tables is the single job `default` with the old file names", async () => {
  const options = await withFile(
    TWO_JOBS.replace(/\[jobs\.reports\]\n/, "").replace(/\n\[jobs\.archive\][^]*$/, "\n"),
  );
  const { jobs, names } = await loadJobs(options);
  assert.deepEqual(names, ["default"]);
  assert.equal(jobs[0]!.settings.job, "default");
  assert.match(jobs[0]!.settings.lock_file, /[\\/]ingest\.lock$/);
  assert.match(jobs[0]!.settings.state_file, /[\\/]ingest\.state\.json$/);
  assert.equal(jobs[0]!.sources.client_id?.kind, "file");
  assert.equal((jobs[0]!.sources.client_id as { table?: string }).table, undefined);
  await Deno.remove(options.dir, { recursive: true });
});

Deno.test("loadJobs() selects jobs with --job, keeping file order; loadSettings() needs exactly one", async () => {
  const options = await withFile(TWO_JOBS);
  const picked = await loadJobs({ ...options, jobs: ["archive"] });
  assert.deepEqual(picked.jobs.map((j) => j.settings.job), ["archive"]);
  const both = await loadJobs({ ...options, jobs: ["archive", "reports"] });
  assert.deepEqual(both.jobs.map((j) => j.settings.job), ["reports", "archive"]);
  assert.equal((await loadSettings({ ...options, jobs: ["reports"] })).settings.job, "reports");
  await assert.rejects(loadSettings(options), /define 2 jobs \(reports, archive\); pass --job/);
  await assert.rejects(
    loadJobs({ ...options, jobs: ["archiv"] }),
    /Cannot select job "archiv".*did you mean "archive"/,
  );
  await Deno.remove(options.dir, { recursive: true });
});

Deno.test("selectJobs() keeps every job without a selection", () => {
  assert.deepEqual(selectJobs(["a", "b"]), ["a", "b"]);
  assert.deepEqual(selectJobs(["a", "b"], []), ["a", "b"]);
  assert.deepEqual(selectJobs(["a", "b"], ["b"]), ["b"]);
});

Deno.test("environment: INGEST_<KEY> sets [scheduler], INGEST_JOBS__<NAME>__<KEY> one job", async () => {
  const options = await withFile(TWO_JOBS, {
    env: {
      INGEST_INTERVAL_MINUTES: "30",
      INGEST_JOBS__ARCHIVE__QUAD_DAILY_TIMES: "",
      INGEST_JOBS__ARCHIVE__INTERVAL_MINUTES: "15",
      INGEST_JOBS__REPORTS__INCLUDE: "*.csv,*.xlsx",
    },
  });
  const { jobs } = await loadJobs(options);
  const [reports, archive] = jobs;
  assert.deepEqual(reports!.settings.schedule, { kind: "interval", minutes: 30 });
  assert.deepEqual(reports!.settings.include, ["*.csv", "*.xlsx"]);
  assert.deepEqual(reports!.sources.interval_minutes, {
    kind: "env",
    name: "INGEST_INTERVAL_MINUTES",
  });
  assert.deepEqual(archive!.settings.schedule, { kind: "interval", minutes: 15 });
  assert.deepEqual(archive!.settings.include, ["*"]);
  assert.deepEqual(archive!.sources.interval_minutes, {
    kind: "env",
    name: "INGEST_JOBS__ARCHIVE__INTERVAL_MINUTES",
  });
  await Deno.remove(options.dir, { recursive: true });
});

Deno.test("a job table's value wins over INGEST_<KEY>, which sets only the [scheduler] default", async () => {
  const options = await withFile(TWO_JOBS, { env: { INGEST_QUAD_DAILY_TIMES: "07:00" } });
  const { jobs } = await loadJobs(options);
  assert.deepEqual(jobs[0]!.settings.schedule, { kind: "daily", times: ["07:00"] });
  assert.deepEqual(jobs[1]!.settings.schedule, { kind: "daily", times: ["06:00"] });
  await Deno.remove(options.dir, { recursive: true });
});

const BAD_JOBS: [string, string, Partial<LoadOptions>, RegExp][] = [
  [
    "a bad value in a job table, naming the table",
    TWO_JOBS + "interval_minutes = 0\n",
    {},
    /^Cannot use key "interval_minutes" in \[jobs\.archive\] of .*settings\.toml: must be a whole number ≥ 1$/,
  ],
  [
    "an unknown key in a job table, with a suggestion",
    TWO_JOBS + "intervall_minutes = 5\n",
    {},
    /Cannot use key "intervall_minutes" in \[jobs\.archive\] of .*: unknown setting \(did you mean "interval_minutes"\?\)/,
  ],
  [
    "a process-wide key in a job table",
    TWO_JOBS + 'log_level = "INFO"\n',
    {},
    /Cannot use key "log_level" in \[jobs\.archive\] of .*: it applies to the whole process; set it in \[scheduler\]/,
  ],
  [
    "a process-wide key in a job's variable",
    TWO_JOBS,
    { env: { INGEST_JOBS__REPORTS__LOG_FILE: "x.log" } },
    /Cannot use INGEST_JOBS__REPORTS__LOG_FILE: it applies to the whole process/,
  ],
  [
    "a required key missing from one job",
    TWO_JOBS.replace('ingestion_dir = "in/archive"\n', ""),
    {},
    /Cannot use key "ingestion_dir" in \[jobs\.archive\] of .*: is required/,
  ],
  [
    "a bad job name",
    TWO_JOBS + "[jobs.Big.Name]\nx = 1\n",
    {},
    /\[jobs\.Big\] .*job name is 1 to 32 lowercase/,
  ],
  [
    "a key directly in [jobs]",
    TWO_JOBS + "[jobs]\ninterval_minutes = 5\n",
    {},
    /Cannot use key "interval_minutes" in \[jobs\] .*one table per job/,
  ],
  [
    "a variable for a job that does not exist",
    TWO_JOBS,
    { env: { INGEST_JOBS__ARCHIV__INTERVAL_MINUTES: "5" } },
    /INGEST_JOBS__ARCHIV__INTERVAL_MINUTES: no job "archiv".*did you mean INGEST_JOBS__ARCHIVE__INTERVAL_MINUTES/,
  ],
  [
    "a variable for an unknown key of a job",
    TWO_JOBS,
    { env: { INGEST_JOBS__ARCHIVE__INTERVALL: "5" } },
    /INGEST_JOBS__ARCHIVE__INTERVALL: no such setting/,
  ],
  [
    "a bad value in a job's variable",
    TWO_JOBS,
    { env: { INGEST_JOBS__ARCHIVE__MAX_RETRIES: "many" } },
    /Cannot read INGEST_JOBS__ARCHIVE__MAX_RETRIES: expected a number/,
  ],
  [
    "one lock file for two jobs",
    TWO_JOBS.replace("[jobs.reports]", 'lock_file = "ingest.lock"\n[jobs.reports]'),
    {},
    /Cannot use key "lock_file" in \[scheduler\] .* for job "archive": job "reports" uses the same lock file/,
  ],
  [
    "missing credentials, naming the job",
    TWO_JOBS.replace('client_secret = "s3cret-value"\n', ""),
    {},
    /Cannot authenticate: .* \(job \[jobs\.reports\]\)/,
  ],
];

for (const [name, text, extra, pattern] of BAD_JOBS) {
  Deno.test(`loadJobs() rejects ${name}`, async () => {
    const message = await loadError(text, extra);
    assert.ok(
      message.split("\n").some((line) => pattern.test(line)),
      `no line matches ${pattern}:\n${message}`,
    );
    assert.doesNotMatch(message, /s3cret-value/);
  });
}

Deno.test("loadJobs() lists the problems of every job at once", async () => {
  const message = await loadError(
    TWO_JOBS.replace(
      'ingestion_dir = "in/reports"',
      'ingestion_dir = "in/reports"\nmax_retries = -1',
    ) +
      "interval_minutes = 0\n",
  );
  assert.match(message, /"max_retries" in \[jobs\.reports\]/);
  assert.match(message, /"interval_minutes" in \[jobs\.archive\]/);
});
