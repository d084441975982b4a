/**
 * The bad-input table of `bad_inputs_test.ts`: malformed settings, command lines, Graph answers
 * and DB service answers, each with its documented exit code and the message an operator reads.
 * @module
 */
import type { Simulator } from "../../src/sim/types.ts";
import { listSimFolder } from "../../bench/sim_listing.ts";
import { FOLDER, LISTING_PATH } from "./harness.ts";

/** Settings lines as `key → TOML value`; a case edits a copy. */
export type SettingsLines = Map<string, string>;

/** One malformed input. */
export interface BadInput {
  name: string;
  /** Edits the settings (`[scheduler]` keys → TOML values); default: unchanged. */
  settings?: (lines: SettingsLines) => void;
  /** Replaces the whole settings file. */
  settingsText?: string;
  /** Command line after `ingest`; `--config <file>` is appended unless `noConfig`. */
  args?: string[];
  noConfig?: boolean;
  env?: Record<string, string>;
  /** Scripted faults or state changes before the run. */
  setup?: (sim: Simulator) => Promise<void> | void;
  /** Extra strings that must never be printed (e.g. a wrong secret the case configures). */
  secrets?: string[];
  code: 1 | 2 | 3;
  /** What the operator reads: the `ingest:`/`error:` line (exit 1, 2) or the summary (exit 3). */
  message: RegExp;
}

const DEFAULT_ARGS = ["trigger", "--lookback", "1h"];

/** The arguments a case runs with. */
export function argsOf(c: BadInput, settings: string): string[] {
  return [...(c.args ?? DEFAULT_ARGS), ...(c.noConfig ? [] : ["--config", settings])];
}

const set = (key: string, value: string) => (lines: SettingsLines) => void lines.set(key, value);
const drop = (key: string) => (lines: SettingsLines) => void lines.delete(key);

/** A Graph answer replacing every listing page (children or delta). */
function children(body: string, contentType = "application/json", status = 200) {
  return (sim: Simulator) =>
    sim.addFault({
      match: { server: "graph", path: LISTING_PATH },
      fault: { kind: "status", status, body, contentType },
      times: Infinity,
    });
}

/** A DB service answer replacing every real one. */
function db(body: string, contentType = "application/json", status = 200) {
  return (sim: Simulator) =>
    sim.addFault({
      match: { server: "db" },
      fault: { kind: "status", status, body, contentType },
      times: Infinity,
    });
}

const HTML_PAGE = "<!DOCTYPE html><html><head><title>Sorry, something went wrong</title></head>" +
  "<body><h1>Sorry, something went wrong</h1><p>An unexpected error has occurred.</p></body></html>";
const HUGE = 24 * 1024 * 1024;

/**
 * The real first children page with `good.csv` kept and copies of it under hostile names.
 * The copies point at the same download URL, so writing any of them would be observable.
 */
async function hostileNames(sim: Simulator): Promise<void> {
  const listing = await listSimFolder(sim, FOLDER);
  const response = await fetch(listing.pageUrls[0]!, {
    headers: { authorization: listing.authorization },
  });
  const page = await response.json() as { value: Record<string, unknown>[] };
  const good = page.value.find((item) => item.name === "good.csv")!;
  const names = [
    "../evil.csv",
    "..",
    "sub/dir.csv",
    "back\\slash.csv",
    "CON.txt",
    "nul .csv",
    "a\u0000b.csv",
    "trailing.",
    "x".repeat(300),
  ];
  // Ends a delta feed too (listing = "delta"); children paging ignores it.
  (page as Record<string, unknown>)["@odata.deltaLink"] =
    `${sim.graphBaseUrl}/drives/x/delta?token=t`;
  page.value = [
    good,
    ...names.map((name, i) => ({ ...good, name, id: `01HOSTILE${String(i).padStart(3, "0")}` })),
  ];
  children(JSON.stringify(page))(sim);
}

/** At least 30 cases. */
export const BAD_INPUTS: BadInput[] = [
  // --- settings (exit 2) ---
  {
    name: "TOML syntax error",
    settingsText: '[scheduler]\ningestion_dir = "unterminated\n',
    code: 2,
    message: /Cannot parse settings file .* at line 2/,
  },
  {
    name: "TOML duplicate key",
    settings: (l) => l.set("download_concurrency", "4\ndownload_concurrency = 5"),
    code: 2,
    message: /Cannot parse settings file/,
  },
  {
    name: "number given as a string",
    settings: set("download_concurrency", '"four"'),
    code: 2,
    message: /download_concurrency/,
  },
  {
    name: "unknown key with a suggestion",
    settings: set("downlaod_concurrency", "4"),
    code: 2,
    message: /downlaod_concurrency.*download_concurrency/,
  },
  {
    name: "missing required key",
    settings: drop("client_id"),
    code: 2,
    message: /client_id/,
  },
  {
    name: "negative retries",
    settings: set("max_retries", "-1"),
    code: 2,
    message: /max_retries/,
  },
  {
    name: "plain http to a remote host",
    settings: set("graph_base_url", '"http://graph.example.com/v1.0"'),
    code: 2,
    message: /graph_base_url.*https/,
  },
  {
    name: "unknown time zone",
    settings: set("timezone", '"Mars/Olympus_Mons"'),
    code: 2,
    message: /timezone/,
  },
  {
    name: "impossible daily time",
    settings: set("quad_daily_times", '["25:00"]'),
    code: 2,
    message: /quad_daily_times/,
  },
  {
    name: "invalid cron expression",
    settings: set("cron", '"every tuesday"'),
    code: 2,
    message: /cron/,
  },
  {
    name: "two credentials",
    settings: set("client_secret_file", '"secret.txt"'),
    code: 2,
    message: /client_secret/,
  },
  {
    name: 'tenant "common"',
    settings: set("tenant_id", '"common"'),
    code: 2,
    message: /tenant_id/,
  },
  {
    name: "settings file without [scheduler]",
    settingsText: "# nothing here\n",
    code: 2,
    message: /scheduler|required|sharepoint_site_url/,
  },
  {
    name: "settings file that does not exist",
    args: ["trigger", "--config", "/nonexistent/settings.toml"],
    noConfig: true,
    code: 2,
    message: /Cannot (load|read) settings file/,
  },
  {
    name: "unknown INGEST_ variable",
    env: { INGEST_DOWNLOAD_CONCURENCY: "4" },
    code: 2,
    message: /INGEST_DOWNLOAD_CONCURENCY/,
  },
  {
    name: "INGEST_ variable of the wrong type",
    env: { INGEST_MAX_RETRIES: "many" },
    code: 2,
    message: /INGEST_MAX_RETRIES|max_retries/,
  },
  {
    name: "staging_dir equal to ingestion_dir",
    settings: (l) => l.set("staging_dir", l.get("ingestion_dir")!),
    code: 2,
    message: /staging_dir.*it is the ingestion_dir/,
  },
  {
    name: "lock_file inside ingestion_dir",
    settings: (l) =>
      l.set("lock_file", JSON.stringify(`${JSON.parse(l.get("ingestion_dir")!)}/run.lock`)),
    code: 2,
    message: /lock_file.*inside ingestion_dir/,
  },
  // --- command line (exit 2) ---
  {
    name: "--since that is not a date",
    args: ["trigger", "--since", "yesterday"],
    code: 2,
    message: /--since/,
  },
  {
    name: "--since without an offset",
    args: ["trigger", "--since", "2026-01-01T00:00:00"],
    code: 2,
    message: /--since/,
  },
  {
    name: "--since in the future",
    args: ["trigger", "--since", "2999-01-01T00:00:00Z"],
    code: 2,
    message: /since/,
  },
  {
    name: "--lookback with an unknown unit",
    args: ["trigger", "--lookback", "5 parsecs"],
    code: 2,
    message: /--lookback|duration/,
  },
  {
    name: "--lookback of zero",
    args: ["run-once", "--lookback", "0m"],
    code: 2,
    message: /lookback|duration/,
  },
  {
    name: "--since and --lookback together",
    args: ["trigger", "--since", "2026-01-01T00:00:00Z", "--lookback", "1h"],
    code: 2,
    message: /--since and --lookback/,
  },
  {
    name: "unknown flag",
    args: ["trigger", "--frobnicate"],
    code: 2,
    message: /^ingest: Cannot use option --frobnicate: unknown option$/,
  },
  {
    name: "unknown command",
    args: ["trigerr"],
    code: 2,
    message: /^ingest: Cannot run command "trigerr": unknown command \(did you mean trigger\?\)$/,
  },
  {
    name: "a process-wide key in a job table",
    settings: set("max_parallel_jobs", '2\n\n[jobs.a]\nlog_level = "DEBUG"'),
    code: 2,
    message:
      /^ingest: Cannot use key "log_level" in \[jobs\.a\] of \S+: it applies to the whole process; set it in \[scheduler\]$/,
  },
  {
    name: "a job name with capitals",
    settings: set("max_parallel_jobs", "2\n\n[jobs.Reports]\nmin_age_seconds = 5"),
    code: 2,
    message: /^ingest: Cannot use table \[jobs\.Reports\] of \S+: a job name is 1 to 32 lowercase/,
  },
  {
    name: "--job naming no job",
    args: ["trigger", "--job", "defualt"],
    code: 2,
    message: /^ingest: Cannot select job "defualt": .*\(did you mean "default"\?\)$/,
  },
  {
    name: "INGEST_JOBS__ naming no job",
    env: { INGEST_JOBS__NOPE__MIN_AGE_SECONDS: "5" },
    code: 2,
    message:
      /^ingest: Cannot read environment variable INGEST_JOBS__NOPE__MIN_AGE_SECONDS: no job "nope"/,
  },
  {
    name: "--force with run-once",
    args: ["run-once", "--force"],
    code: 2,
    message: /--force/,
  },
  {
    name: "unknown log level",
    args: ["trigger", "--log-level", "chatty"],
    code: 2,
    message: /chatty/,
  },
  // --- Graph answers (exit 1, or 3 for names that cannot be written) ---
  {
    name: "children page is an HTML error page with 200",
    setup: children(HTML_PAGE, "text/html"),
    code: 1,
    message: /^ingest: Cannot list .*(not JSON|HTML|unexpected)/,
  },
  {
    name: "children page with the wrong JSON shape",
    setup: children('{"value": "not a list"}'),
    code: 1,
    message: /^ingest: Cannot list .*unexpected answer/,
  },
  {
    name: "children items missing their fields",
    setup: children('{"value": [{"size": 10}, {"name": 42}]}'),
    code: 1,
    message: /^ingest: Cannot list .*unexpected answer/,
  },
  {
    name: "site answer that is not JSON",
    setup: (sim) =>
      sim.addFault({
        match: { server: "graph", path: "/sites/" },
        fault: { kind: "status", status: 200, body: "{truncated", contentType: "application/json" },
        times: Infinity,
      }),
    code: 1,
    message: /^ingest: Cannot .*not JSON/,
  },
  {
    name: "huge children body (24 MiB of garbage)",
    setup: children("x".repeat(HUGE)),
    code: 1,
    message: /^ingest: Cannot list .*not JSON/,
  },
  {
    name: "huge HTML error page with 400",
    setup: children(`<html>${"<p>error</p>".repeat(HUGE / 12)}</html>`, "text/html", 400),
    code: 1,
    message: /^ingest: Cannot list .*400/,
  },
  {
    name: "token endpoint answers HTML",
    setup: (sim) =>
      sim.addFault({
        match: { server: "login" },
        fault: { kind: "status", status: 200, body: HTML_PAGE, contentType: "text/html" },
        times: Infinity,
      }),
    code: 1,
    message: /^ingest: Cannot .*token/i,
  },
  {
    name: "wrong client secret",
    settings: set("client_secret", '"wrong~secret-Qx7-never-print"'),
    secrets: ["wrong~secret-Qx7-never-print"],
    code: 1,
    message: /^ingest: .*AADSTS7000215|^ingest: .*secret/i,
  },
  {
    name: "hostile file names from Graph",
    setup: hostileNames,
    code: 3,
    message: /Failed 9 file\(s\)/,
  },
  // --- DB service answers (exit 1, nothing downloaded) ---
  {
    name: "DB service answers an HTML page with 200",
    setup: db(HTML_PAGE, "text/html"),
    code: 1,
    message: /^ingest: Cannot query DB service .*not JSON/,
  },
  {
    name: "DB service answers the wrong shape",
    setup: db('{"names": ["a.csv"]}'),
    code: 1,
    message: /^ingest: Cannot query DB service .*neither/,
  },
  {
    name: "DB service answers a list of numbers",
    setup: db("[1, 2, 3]"),
    code: 1,
    message: /^ingest: Cannot query DB service /,
  },
  {
    name: "DB service answers 500",
    setup: db('{"error": "database is locked"}', "application/json", 500),
    code: 1,
    message: /^ingest: Cannot query DB service .*500/,
  },
  {
    name: "DB service answers a huge garbage body",
    setup: db("y".repeat(HUGE)),
    code: 1,
    message: /^ingest: Cannot query DB service .*not JSON/,
  },
  {
    name: "DB service rejects the token",
    settings: set("db_service_token", '"wrong-db-token-never-print"'),
    secrets: ["wrong-db-token-never-print"],
    code: 1,
    message: /^ingest: Cannot query DB service .*401/,
  },
];
