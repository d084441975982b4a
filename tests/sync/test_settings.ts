/**
 * A complete `Settings` object for tests: every key at its schema default, required keys filled
 * with harmless values, paths under `dir`.
 * @module
 */
import { join } from "node:path";
import { DEFAULT_REWRITTEN_EXTENSIONS } from "../../src/config/schema.ts";
import type { Settings } from "../../src/config/settings.ts";

/** Settings rooted in `dir` (ingestion_dir = dir/incoming, staging_dir = dir/staging), with overrides. */
export function testSettings(dir: string, overrides: Partial<Settings> = {}): Settings {
  return {
    enabled: true,
    log_level: "INFO",
    max_retries: 3,
    retry_delay_seconds: 0.001,
    sharepoint_site_url: "https://contoso.sharepoint.com/sites/Finance",
    sharepoint_folder: "/Shared Documents/Reports",
    ingestion_dir: join(dir, "incoming"),
    client_id: "00000000-0000-0000-0000-000000000001",
    client_secret: "test-secret",
    tenant_id: "contoso.onmicrosoft.com",
    interval_minutes: 60,
    quad_daily_times: [],
    timezone: "UTC",
    allow_overlap: false,
    overlap_policy: "skip",
    shutdown_timeout_seconds: 30,
    jitter_seconds: 0,
    db_service_url: "http://127.0.0.1:9/ingested",
    db_service_token: undefined,
    db_timeout_seconds: 30,
    graph_base_url: "https://graph.microsoft.com/v1.0",
    authority_host: "https://login.microsoftonline.com",
    client_certificate_path: undefined,
    client_secret_file: undefined,
    request_timeout_seconds: 60,
    max_throttle_wait_seconds: 600,
    download_concurrency: 4,
    lookback_minutes: undefined,
    min_age_seconds: 0,
    include: ["*"],
    exclude: [],
    verify_hash: true,
    staging_dir: join(dir, "staging"),
    lock_file: join(dir, "ingest.lock"),
    log_file: undefined,
    log_format: "auto",
    log_max_bytes: 10 * 1024 * 1024,
    log_max_files: 5,
    metrics_file: undefined,
    cron: undefined,
    max_catch_up_hours: 168,
    initial_lookback_hours: undefined,
    listing: "delta",
    rewritten_extensions: [...DEFAULT_REWRITTEN_EXTENSIONS],
    max_parallel_jobs: 2,
    include_subfolders: false,
    subfolder_layout: "mirror",
    flatten_separator: "__",
    // Not the default (10): most tests seed 0-byte files; grace tests set it.
    empty_file_grace_minutes: 0,
    schedule: { kind: "interval", minutes: 60 },
    config_path: undefined,
    job: "default",
    state_file: join(dir, "staging", "ingest.state.json"),
    ...overrides,
  };
}
