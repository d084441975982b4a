import assert from "node:assert/strict";
import { join } from "node:path";
import { type LoadOptions, loadSettings } from "../../src/config/load.ts";
import { ConfigError } from "../../src/errors.ts";

const SEED = `[scheduler]
enabled = true
log_level = "INFO"
max_retries = 3
retry_delay_seconds = 60
sharepoint_site_url = "https://yourtenant.sharepoint.com/sites/YourSite"
sharepoint_folder = "/Shared Documents/Reports"
ingestion_dir = "data/incoming"
client_id = "your-app-client-id"
client_secret = "your-app-client-secret"
tenant_id = "your-tenant-id"
interval_minutes = 60               # Fixed interval mode (default)
quad_daily_times = ["09:05","12:05","15:05","18:05"]  # Optional explicit schedule
timezone = "local"                  # or IANA tz (e.g., "America/Chicago")
allow_overlap = false               # Prevent concurrent runs for the same job key
overlap_policy = "skip"            # "skip" (default) or "queue" (run immediately after current finishes)
shutdown_timeout_seconds = 30       # Max wait for in-flight jobs on shutdown
jitter_seconds = 0                  # Random jitter added to interval to avoid thundering herd
db_service_url = "https://db.example.com/ingested"
`;

const MINIMAL = `[scheduler]
sharepoint_site_url = "https://contoso.sharepoint.com/sites/Finance"
sharepoint_folder = "/Shared Documents/Reports"
ingestion_dir = "in"
client_id = "app"
client_secret = "s3cret-value"
tenant_id = "tenant"
db_service_url = "http://127.0.0.1:9/db"
`;

/** A temp folder with `settings.toml` holding `text`; returns load options rooted there. */
async function withFile(
  text: string,
  extra: Partial<LoadOptions> = {},
): Promise<LoadOptions & { dir: string }> {
  const dir = await Deno.makeTempDir({ prefix: "ingest-config-" });
  await Deno.writeTextFile(join(dir, "settings.toml"), text);
  return { dir, env: {}, cwd: dir, execPath: "/nonexistent/bin/ingest", ...extra };
}

async function loadError(text: string, extra: Partial<LoadOptions> = {}): Promise<string> {
  const options = await withFile(text, extra);
  try {
    await loadSettings(options);
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected ConfigError, got ${error}`);
    assert.equal(error.exitCode, 2);
    return error.message;
  } finally {
    await Deno.remove(options.dir, { recursive: true });
  }
  assert.fail("settings loaded but an error was expected");
}

Deno.test("loadSettings() loads the seed example with a DB URL and picks the daily times", async () => {
  const options = await withFile(SEED);
  const { settings, sources } = await loadSettings(options);
  assert.deepEqual(settings.schedule, {
    kind: "daily",
    times: ["09:05", "12:05", "15:05", "18:05"],
  });
  assert.equal(settings.log_level, "INFO");
  assert.equal(settings.ingestion_dir, join(options.dir, "data/incoming"));
  assert.equal(settings.staging_dir, join(options.dir, "data/.incoming.ingest-staging"));
  assert.equal(settings.lock_file, join(options.dir, "data/.incoming.ingest-staging/ingest.lock"));
  assert.equal(settings.download_concurrency, 4);
  assert.deepEqual(settings.include, ["*"]);
  assert.equal(sources.max_retries?.kind, "file");
  assert.equal(sources.download_concurrency?.kind, "default");
  await Deno.remove(options.dir, { recursive: true });
});

Deno.test("loadSettings() loads the top-level settings.toml example", async () => {
  const text = await Deno.readTextFile(new URL("../../settings.toml", import.meta.url));
  const options = await withFile(text);
  const { settings } = await loadSettings(options);
  assert.equal(settings.schedule.kind, "daily");
  await Deno.remove(options.dir, { recursive: true });
});

Deno.test("loadSettings() applies defaults < file < env < flags", async () => {
  const options = await withFile(MINIMAL + "interval_minutes = 15\nmax_retries = 5\n", {
    env: {
      INGEST_INTERVAL_MINUTES: "30",
      INGEST_VERIFY_HASH: "false",
      INGEST_INCLUDE: "*.csv, *.xlsx",
    },
    flags: { log_level: "debug" },
  });
  const { settings, sources } = await loadSettings(options);
  assert.equal(settings.interval_minutes, 30);
  assert.deepEqual(sources.interval_minutes, { kind: "env", name: "INGEST_INTERVAL_MINUTES" });
  assert.equal(settings.max_retries, 5);
  assert.equal(settings.verify_hash, false);
  assert.deepEqual(settings.include, ["*.csv", "*.xlsx"]);
  assert.equal(settings.log_level, "DEBUG");
  assert.deepEqual(sources.log_level, { kind: "flag", name: "--log-level" });
  assert.equal(settings.jitter_seconds, 0);
  assert.deepEqual(settings.schedule, { kind: "interval", minutes: 30 });
  await Deno.remove(options.dir, { recursive: true });
});

Deno.test("loadSettings() resolves relative paths against the settings file's folder, not the cwd", async () => {
  const options = await withFile(MINIMAL + 'log_file = "logs/ingest.jsonl"\n');
  const elsewhere = await Deno.makeTempDir();
  const { settings } = await loadSettings({
    ...options,
    cwd: elsewhere,
    configPath: join(options.dir, "settings.toml"),
  });
  assert.equal(settings.ingestion_dir, join(options.dir, "in"));
  assert.equal(settings.log_file, join(options.dir, "logs/ingest.jsonl"));
  assert.equal(settings.config_path, join(options.dir, "settings.toml"));
  await Deno.remove(options.dir, { recursive: true });
  await Deno.remove(elsewhere, { recursive: true });
});

Deno.test("findSettingsFile order: --config, INGEST_CONFIG, ./settings.toml, beside the executable", async () => {
  const options = await withFile(MINIMAL);
  const other = await Deno.makeTempDir();
  await Deno.writeTextFile(join(other, "custom.toml"), MINIMAL.replace('"in"', '"from-env"'));
  const binDir = await Deno.makeTempDir();
  await Deno.writeTextFile(join(binDir, "settings.toml"), MINIMAL.replace('"in"', '"from-bin"'));
  const viaEnv = await loadSettings({
    ...options,
    env: { INGEST_CONFIG: join(other, "custom.toml") },
  });
  assert.equal(viaEnv.settings.ingestion_dir, join(other, "from-env"));
  const viaCwd = await loadSettings(options);
  assert.equal(viaCwd.settings.ingestion_dir, join(options.dir, "in"));
  const viaBin = await loadSettings({
    ...options,
    cwd: other,
    execPath: join(binDir, "ingest.exe"),
  });
  assert.equal(viaBin.settings.ingestion_dir, join(binDir, "from-bin"));
  for (const dir of [options.dir, other, binDir]) await Deno.remove(dir, { recursive: true });
});

Deno.test("loadSettings() reads the secret from client_secret_file", async () => {
  const options = await withFile(
    MINIMAL.replace('client_secret = "s3cret-value"', 'client_secret_file = "secret.txt"'),
  );
  await Deno.writeTextFile(join(options.dir, "secret.txt"), "from-file\n");
  const { settings } = await loadSettings(options);
  assert.equal(settings.client_secret, "from-file");
  await Deno.remove(options.dir, { recursive: true });
});

const BAD_SETTINGS: [string, string, RegExp][] = [
  [
    "unknown key with suggestion",
    MINIMAL + "intervall_minutes = 5\n",
    /"intervall_minutes".*did you mean "interval_minutes"/,
  ],
  [
    "wrong type",
    MINIMAL + 'max_retries = "three"\n',
    /"max_retries".*settings\.toml.*must be a number, not a string/,
  ],
  [
    "bad daily time",
    MINIMAL + 'quad_daily_times = ["09:00", "25:00"]\n',
    /"quad_daily_times".*item 2.*HH:MM/,
  ],
  ["unknown zone", MINIMAL + 'timezone = "Mars/Olympus"\n', /"timezone".*IANA/],
  ["bad overlap policy", MINIMAL + 'overlap_policy = "wait"\n', /"overlap_policy"/],
  [
    "non-https URL",
    MINIMAL.replace("https://contoso", "http://contoso"),
    /"sharepoint_site_url".*https/,
  ],
  [
    "non-https DB URL",
    MINIMAL.replace("http://127.0.0.1:9/db", "http://db.internal/x"),
    /"db_service_url".*https/,
  ],
  [
    "missing required key",
    MINIMAL.replace(/ingestion_dir = "in"\n/, ""),
    /"ingestion_dir".*is required/,
  ],
  [
    "neither secret nor certificate",
    MINIMAL.replace(/client_secret = .*\n/, ""),
    /client_secret.*client_certificate_path/,
  ],
  [
    "both secret and certificate",
    MINIMAL + 'client_certificate_path = "c.pem"\n',
    /both a client secret/,
  ],
  ["negative concurrency", MINIMAL + "download_concurrency = 0\n", /"download_concurrency"/],
  [
    "folder without slash",
    MINIMAL.replace('"/Shared Documents/Reports"', '"Shared Documents"'),
    /"sharepoint_folder".*"\/"/,
  ],
  ["common tenant", MINIMAL.replace('tenant_id = "tenant"', 'tenant_id = "common"'), /"tenant_id"/],
  ["bad log level", MINIMAL + 'log_level = "LOUD"\n', /"log_level"/],
  ["bad log format", MINIMAL + 'log_format = "xml"\n', /"log_format"/],
  [
    "TOML syntax error with position",
    MINIMAL + "jitter_seconds = 5min\n",
    /settings\.toml at line 9, column/,
  ],
  [
    "keys outside [scheduler]",
    "max_retries = 3\n" + MINIMAL,
    /unknown top-level key "max_retries".*\[scheduler\]/,
  ],
  ["no [scheduler] section", "[other]\nx = 1\n", /unknown top-level key "other"/],
  [
    "daily times and cron together",
    MINIMAL + 'quad_daily_times = ["09:00"]\ncron = "0 * * * *"\n',
    /quad_daily_times.*cron|cron.*quad_daily_times/,
  ],
  ["bad cron", MINIMAL + 'cron = "61 * * * *"\n', /cron/],
  ["empty include pattern", MINIMAL + 'include = [""]\n', /"include"/],
  [
    "a glob in rewritten_extensions",
    MINIMAL + 'rewritten_extensions = ["*.xlsx"]\n',
    /"rewritten_extensions".*item 1.*file extension like "xlsx"/,
  ],
];

Deno.test("loadSettings() reads rewritten_extensions from the file and the environment, [] included", async () => {
  const defaults = await withFile(MINIMAL);
  assert.ok((await loadSettings(defaults)).settings.rewritten_extensions.includes("xlsx"));
  const file = await withFile(MINIMAL + 'rewritten_extensions = [".XLSX", "pdf"]\n');
  assert.deepEqual((await loadSettings(file)).settings.rewritten_extensions, [".XLSX", "pdf"]);
  const none = await withFile(MINIMAL, { env: { INGEST_REWRITTEN_EXTENSIONS: "[]" } });
  assert.deepEqual((await loadSettings(none)).settings.rewritten_extensions, []);
  for (const options of [defaults, file, none]) await Deno.remove(options.dir, { recursive: true });
});

for (const [name, text, pattern] of BAD_SETTINGS) {
  Deno.test(`loadSettings() rejects ${name} with exit code 2`, async () => {
    const message = await loadError(text);
    assert.match(message, pattern);
    assert.doesNotMatch(message, /s3cret-value/);
    assert.doesNotMatch(message, /\n\s+at /, "no stack trace");
  });
}

Deno.test("loadSettings() rejects a bad environment value naming the variable", async () => {
  assert.match(
    await loadError(MINIMAL, { env: { INGEST_MAX_RETRIES: "many" } }),
    /INGEST_MAX_RETRIES.*number/,
  );
  assert.match(
    await loadError(MINIMAL, { env: { INGEST_ALLOW_OVERLAP: "perhaps" } }),
    /INGEST_ALLOW_OVERLAP/,
  );
  assert.match(
    await loadError(MINIMAL, { env: { INGEST_INTERVALL: "5" } }),
    /INGEST_INTERVALL.*no such setting/,
  );
  assert.match(
    await loadError(MINIMAL, { env: { INGEST_TIMEZONE: "Nowhere/Town" } }),
    /INGEST_TIMEZONE.*IANA/,
  );
});

Deno.test("loadSettings() explains where it looked when no settings file exists", async () => {
  const dir = await Deno.makeTempDir();
  await assert.rejects(
    loadSettings({ env: {}, cwd: dir, execPath: "/nonexistent/ingest" }),
    (error: Error) =>
      error instanceof ConfigError && /no settings file found.*--config/.test(error.message),
  );
  await assert.rejects(
    loadSettings({ env: {}, cwd: dir, execPath: "/x/ingest", configPath: "missing.toml" }),
    /missing\.toml \(from --config\): file not found/,
  );
  await Deno.remove(dir, { recursive: true });
});
