import assert from "node:assert/strict";
import { join } from "node:path";
import { loadSettings } from "../../src/config/load.ts";

const MINIMAL = `[scheduler]
sharepoint_site_url = "https://contoso.sharepoint.com/sites/Finance"
sharepoint_folder = "/Shared Documents/Reports"
ingestion_dir = "in"
client_id = "app"
client_secret = "s3cret-value"
tenant_id = "tenant"
db_service_url = "http://127.0.0.1:9/db"
`;

/** Settings line → the house-style reason after "Cannot use key … in <file>: ". */
const CASES: [string, string][] = [
  ["download_concurrency = 0", "must be a whole number ≥ 1"],
  ["download_concurrency = 33", "must be a whole number ≤ 32"],
  ["download_concurrency = 1.5", "must be a whole number"],
  ["max_retries = -1", "must be a whole number ≥ 0"],
  ["retry_delay_seconds = -0.5", "must be a number ≥ 0"],
  ["db_timeout_seconds = 0", "must be a number > 0"],
  ["shutdown_timeout_seconds = 7200", "must be a number ≤ 3600"],
  ["log_max_bytes = 100", "must be a whole number ≥ 4096"],
  ['overlap_policy = "wait"', 'must be one of "skip", "queue"'],
  ['client_id = " "', "must not be empty"],
  ['max_retries = "three"', "must be a number, not a string"],
];

for (const [line, reason] of CASES) {
  Deno.test(`settings wording: ${line} → ${reason}`, async () => {
    const dir = await Deno.makeTempDir({ prefix: "ingest-wording-" });
    const path = join(dir, "settings.toml");
    const key = line.split(" ")[0]!;
    const text = MINIMAL.split("\n").filter((l) => !l.startsWith(`${key} `)).join("\n");
    await Deno.writeTextFile(path, `${text}\n${line}\n`);
    try {
      await assert.rejects(
        loadSettings({ env: {}, cwd: dir, execPath: "/nonexistent/ingest" }),
        (error: Error) => {
          assert.equal(error.message, `Cannot use key "${key}" in ${path}: ${reason}`);
          return true;
        },
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}
