/**
 * The settings of `include_subfolders` (issue #24): defaults, validation naming the key, the
 * environment, and independent values per `[jobs.<name>]`.
 */
import assert from "node:assert/strict";
import { loadJobs, loadSettings } from "../../src/config/load.ts";
import { loadError, MINIMAL, withFile } from "./settings_files.ts";

Deno.test("subfolder settings default to today's behaviour", async () => {
  const options = await withFile(MINIMAL);
  const { settings } = await loadSettings(options);
  assert.equal(settings.include_subfolders, false);
  assert.equal(settings.subfolder_layout, "mirror");
  assert.equal(settings.flatten_separator, "__");
  await Deno.remove(options.dir, { recursive: true });
});

Deno.test("flatten_separator: empty, a path separator or a Windows-forbidden character is a settings error naming the key", async () => {
  for (
    const [value, expected] of [
      ['""', /must not be empty/],
      ['"/"', /path separator/],
      ['"\\\\"', /path separator/],
      ['"a:b"', /":".*Windows/],
      ['"|"', /"\|"/],
      ['"*"', /"\*"/],
      ['"\\t"', /control character U\+0009/],
    ] as const
  ) {
    const message = await loadError(`${MINIMAL}flatten_separator = ${value}\n`, loadSettings);
    assert.match(message, /flatten_separator/, value);
    assert.match(message, expected, value);
  }
});

Deno.test("subfolder_layout accepts mirror and flatten only", async () => {
  const message = await loadError(`${MINIMAL}subfolder_layout = "tree"\n`, loadSettings);
  assert.match(message, /subfolder_layout/);
  assert.match(message, /mirror/);
});

Deno.test("include_subfolders from the environment", async () => {
  const options = await withFile(MINIMAL, {
    env: { INGEST_INCLUDE_SUBFOLDERS: "true", INGEST_SUBFOLDER_LAYOUT: "flatten" },
  });
  const { settings } = await loadSettings(options);
  assert.equal(settings.include_subfolders, true);
  assert.equal(settings.subfolder_layout, "flatten");
  await Deno.remove(options.dir, { recursive: true });
});

Deno.test("each [jobs.<name>] sets the subfolder keys independently", async () => {
  const options = await withFile(`[scheduler]
sharepoint_site_url = "https://contoso.sharepoint.com/sites/Finance"
client_id = "app"
client_secret = "s3cret-value"
tenant_id = "tenant"
db_service_url = "http://127.0.0.1:9/db"
flatten_separator = "--"

[jobs.reports]
sharepoint_folder = "/Shared Documents/Reports"
ingestion_dir = "in/reports"
include_subfolders = true

[jobs.scans]
sharepoint_folder = "/Shared Documents/Scans"
ingestion_dir = "in/scans"
include_subfolders = true
subfolder_layout = "flatten"

[jobs.flat]
sharepoint_folder = "/Shared Documents/Flat"
ingestion_dir = "in/flat"
`);
  const { jobs } = await loadJobs(options);
  const byName = Object.fromEntries(jobs.map((j) => [j.settings.job, j.settings]));
  assert.equal(byName.reports!.include_subfolders, true);
  assert.equal(byName.reports!.subfolder_layout, "mirror");
  assert.equal(byName.scans!.include_subfolders, true);
  assert.equal(byName.scans!.subfolder_layout, "flatten");
  assert.equal(byName.scans!.flatten_separator, "--");
  assert.equal(byName.flat!.include_subfolders, false);
  await Deno.remove(options.dir, { recursive: true });
});

Deno.test("a bad flatten_separator in one job names the job's table", async () => {
  const message = await loadError(
    `${MINIMAL.replace(/sharepoint_folder.*\n|ingestion_dir.*\n/g, "")}
[jobs.scans]
sharepoint_folder = "/Shared Documents/Scans"
ingestion_dir = "in/scans"
flatten_separator = "a/b"
`,
    loadJobs,
  );
  assert.match(message, /flatten_separator/);
  assert.match(message, /jobs\.scans/);
});
