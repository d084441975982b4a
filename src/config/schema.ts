/**
 * The `[scheduler]` settings: one zod schema, the single source of keys, types and defaults.
 *
 * The seed spec's keys come first and keep their meaning; the keys after them extend it.
 * Values here are the raw, merged values (file < env < CLI); {@link resolveSettings} in
 * `load.ts` turns them into a {@link Settings} object with absolute paths.
 * @module
 */
import { z } from "zod";
import { OOXML_EXTENSIONS } from "../file_types.ts";
import { normaliseLogLevel } from "./log_level.ts";

/** Matches "HH:MM" with a 24-hour clock. */
export const DAILY_TIME = /^([01]\d|2[0-3]):[0-5]\d$/;

const MIB = 1024 * 1024;

function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, "");
  return host === "localhost" || host === "::1" || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** True when `value` is an https URL, or an http URL to a loopback host (simulator, tests). */
export function isAllowedUrl(value: string): boolean {
  try {
    const url = new URL(value);
    if (url.protocol === "https:") return true;
    return url.protocol === "http:" && isLoopbackHost(url.hostname);
  } catch {
    return false;
  }
}

/** True when `zone` is "local" or an IANA time zone this runtime knows. */
export function isKnownTimeZone(zone: string): boolean {
  if (zone === "local") return true;
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

const url = () =>
  z.string().refine(isAllowedUrl, {
    error: "must be an https URL (http is allowed only for localhost/127.0.0.1)",
  });
const positiveInt = () => z.number().int().positive();
const nonNegativeInt = () => z.number().int().nonnegative();
const nonNegative = () => z.number().nonnegative();
const nonEmpty = () => z.string().trim().min(1, { error: "must not be empty" });
const globList = () => z.array(nonEmpty());

/**
 * `proxy_url`: an http(s) URL of a proxy, optionally with a user name. A password in the URL is
 * refused (it would show in `ingest config`, logs and process listings): it belongs in
 * `proxy_password_file`.
 */
function checkProxyUrl(value: string, ctx: z.RefinementCtx): void {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    ctx.addIssue({ code: "custom", message: 'must be a URL like "http://proxy.corp:8080"' });
    return;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    ctx.addIssue({ code: "custom", message: "must start with http:// or https://" });
  } else if (url.password !== "") {
    ctx.addIssue({
      code: "custom",
      message: "must not contain a password: put it in the file named by proxy_password_file",
    });
  } else if ((url.pathname !== "/" && url.pathname !== "") || url.search || url.hash) {
    ctx.addIssue({ code: "custom", message: "must be scheme, host and port only, with no path" });
  }
}

/** A `no_proxy` entry: "host", ".suffix", "*.suffix", "*", an IP address or a CIDR range. */
function checkNoProxyEntry(value: string, ctx: z.RefinementCtx): void {
  if (value === "") ctx.addIssue({ code: "custom", message: "must not be empty" });
  else if (value.includes("://") || value.includes("/") && !/^[\d.:a-f]+\/\d+$/.test(value)) {
    ctx.addIssue({
      code: "custom",
      message:
        `"${value}" must be a host name, ".suffix", an IP address or a CIDR range, not a URL`,
    });
  } else if (/^[^\[\]:]+:\d+$/.test(value)) {
    ctx.addIssue({
      code: "custom",
      message: `"${value}" must not name a port: list the host only`,
    });
  }
}

/**
 * Extensions of files SharePoint is known to rewrite after upload (Office documents, PDF, HTML,
 * JPEG), so the bytes served differ from the listed size and hash; see docs/troubleshooting.md.
 */
export const DEFAULT_REWRITTEN_EXTENSIONS = [
  ...OOXML_EXTENSIONS,
  "pdf",
  "html",
  "htm",
  "jpg",
  "jpeg",
] as const;

/** Log levels accepted in settings (case-insensitive in the file, normalised here). */
export const LOG_LEVELS = ["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] as const;

/**
 * `flatten_separator`: joins the folders and the file name of a flattened path into one name,
 * so it must be non-empty and hold nothing a file name cannot (windows-facts.md §3).
 */
function checkFlattenSeparator(value: string, ctx: z.RefinementCtx): void {
  const problem = flattenSeparatorProblem(value);
  if (problem !== undefined) ctx.addIssue({ code: "custom", message: problem });
}

/** Why `value` cannot be a `flatten_separator`, or undefined. */
export function flattenSeparatorProblem(value: string): string | undefined {
  if (value.length === 0) return 'must not be empty, like "__"';
  if (/[/\\]/.test(value)) return 'must not contain a path separator (/ or \\), like "__"';
  // deno-lint-ignore no-control-regex
  const bad = /[<>:"|?*\u0000-\u001f\u007f]/.exec(value);
  if (bad) {
    // deno-lint-ignore no-control-regex
    const shown = /[\u0000-\u001f\u007f]/.test(bad[0])
      ? `the control character U+${bad[0].charCodeAt(0).toString(16).padStart(4, "0")}`
      : `"${bad[0]}"`;
    return `must not contain ${shown}, which Windows does not allow in file names`;
  }
  return undefined;
}
/** Values of `auth`: how the app obtains its Graph token. */
export const AUTH_METHODS = [
  "client_secret",
  "certificate",
  "workload_identity",
  "managed_identity",
] as const;

/** Schema of the merged `[scheduler]` section. Unknown keys are errors. */
export const settingsSchema = z.strictObject({
  // --- seed spec keys ---
  enabled: z.boolean().default(true),
  log_level: z.preprocess(
    (v) => (typeof v === "string" ? normaliseLogLevel(v) ?? v : v),
    z.enum(LOG_LEVELS),
  ).default("INFO"),
  max_retries: nonNegativeInt().max(100).default(3),
  retry_delay_seconds: nonNegative().max(86_400).default(60),
  sharepoint_site_url: url(),
  sharepoint_folder: z.string().trim().startsWith("/", { error: 'must start with "/"' }),
  ingestion_dir: nonEmpty(),
  client_id: nonEmpty().optional(),
  client_secret: nonEmpty().optional(),
  tenant_id: nonEmpty().refine((t) => !["common", "consumers"].includes(t.toLowerCase()), {
    error: 'must be your tenant id or domain: "common" and "consumers" do not work for app-only',
  }).optional(),
  interval_minutes: positiveInt().max(10_080).default(60),
  quad_daily_times: z.array(
    z.string().regex(DAILY_TIME, { error: 'must be "HH:MM" on a 24-hour clock, like "09:05"' }),
  ).default([]),
  timezone: z.string().refine(isKnownTimeZone, {
    error: 'must be "local" or an IANA time zone like "America/Chicago"',
  }).default("local"),
  allow_overlap: z.boolean().default(false),
  overlap_policy: z.enum(["skip", "queue"]).default("skip"),
  shutdown_timeout_seconds: nonNegative().max(3_600).default(30),
  jitter_seconds: nonNegative().max(3_600).default(0),
  // --- extensions ---
  db_service_url: url(),
  db_service_token: nonEmpty().optional(),
  db_timeout_seconds: z.number().positive().max(600).default(30),
  graph_base_url: url().default("https://graph.microsoft.com/v1.0"),
  authority_host: url().default("https://login.microsoftonline.com"),
  client_certificate_path: nonEmpty().optional(),
  client_secret_file: nonEmpty().optional(),
  request_timeout_seconds: z.number().positive().max(3_600).default(60),
  max_throttle_wait_seconds: nonNegative().max(86_400).default(600),
  download_concurrency: positiveInt().max(32).default(4),
  lookback_minutes: positiveInt().optional(),
  min_age_seconds: nonNegative().default(0),
  include: globList().default(["*"]),
  exclude: globList().default([]),
  verify_hash: z.boolean().default(true),
  staging_dir: nonEmpty().optional(),
  lock_file: nonEmpty().optional(),
  log_file: nonEmpty().optional(),
  log_format: z.enum(["auto", "pretty", "json"]).default("auto"),
  log_max_bytes: positiveInt().min(4096).default(10 * MIB),
  log_max_files: positiveInt().max(100).default(5),
  metrics_file: nonEmpty().optional(),
  cron: nonEmpty().optional(),
  proxy_url: z.string().trim().superRefine(checkProxyUrl).optional(),
  proxy_password_file: nonEmpty().optional(),
  no_proxy: z.array(z.string().trim().toLowerCase().superRefine(checkNoProxyEntry)).optional(),
  ca_file: nonEmpty().optional(),
  max_catch_up_hours: z.number().positive().max(87_600).default(168),
  initial_lookback_hours: z.number().positive().max(87_600).optional(),
  listing: z.enum(["delta", "children"]).default("delta"),
  rewritten_extensions: z.array(
    z.string().trim().regex(/^\.?[A-Za-z0-9_+-]+$/, {
      error: 'must be a file extension like "xlsx" (letters and digits, no path or wildcard)',
    }),
  ).default([...DEFAULT_REWRITTEN_EXTENSIONS]),
  max_parallel_jobs: positiveInt().max(32).default(2),
  // --- folder hierarchies (issue #24; see docs/configuration.md "Subfolders") ---
  include_subfolders: z.boolean().default(false),
  subfolder_layout: z.enum(["mirror", "flatten"]).default("mirror"),
  flatten_separator: z.string().superRefine(checkFlattenSeparator).default("__"),
  // --- credentials without a long-lived secret (see src/config/auth_settings.ts) ---
  auth: z.enum(AUTH_METHODS).optional(),
  federated_token_file: nonEmpty().optional(),
  managed_identity_client_id: nonEmpty().optional(),
  client_certificate_password_file: nonEmpty().optional(),
  // --- OpenTelemetry (issue #25; see src/telemetry/otel_config.ts) ---
  /** OTLP/HTTP base URL; `OTEL_EXPORTER_OTLP_ENDPOINT` and the per-signal variables win. */
  otel_endpoint: z.string().trim().refine(
    (v) => URL.canParse(v) && /^https?:$/.test(new URL(v).protocol),
    {
      error: 'must be an http(s) URL like "http://otel-collector:4318"',
    },
  ).optional(),
  // --- what counts as new (#21) ---
  /** A 0-byte file waits this long after its arrival for its content before it is placed empty. */
  empty_file_grace_minutes: nonNegative().max(10_080).default(10),
});

/** Settings as validated, before paths are resolved. */
export type RawSettings = z.infer<typeof settingsSchema>;

/** Every key the `[scheduler]` section accepts, in documentation order. */
export const SETTINGS_KEYS = Object.keys(settingsSchema.shape) as (keyof RawSettings)[];

/** Keys whose values are secrets: never printed or logged. */
export const SECRET_KEYS: ReadonlySet<string> = new Set(["client_secret", "db_service_token"]);

/** Keys holding file-system paths, resolved against the settings file's folder. */
export const PATH_KEYS = [
  "ingestion_dir",
  "staging_dir",
  "lock_file",
  "log_file",
  "metrics_file",
  "client_certificate_path",
  "client_secret_file",
  "proxy_password_file",
  "ca_file",
  "federated_token_file",
  "client_certificate_password_file",
] as const satisfies readonly (keyof RawSettings)[];

/** How a string from the environment is turned into a typed value, per key. */
export type KeyKind = "string" | "number" | "boolean" | "list";

/** The value kind of each key, used to parse `INGEST_<KEY>` environment variables. */
export function keyKind(key: keyof RawSettings): KeyKind {
  const listKeys = ["quad_daily_times", "include", "exclude", "no_proxy", "rewritten_extensions"];
  const boolKeys = ["enabled", "allow_overlap", "verify_hash", "include_subfolders"];
  const numberKeys = [
    "max_retries",
    "retry_delay_seconds",
    "interval_minutes",
    "shutdown_timeout_seconds",
    "jitter_seconds",
    "db_timeout_seconds",
    "request_timeout_seconds",
    "max_throttle_wait_seconds",
    "download_concurrency",
    "lookback_minutes",
    "min_age_seconds",
    "log_max_bytes",
    "log_max_files",
    "max_catch_up_hours",
    "initial_lookback_hours",
    "max_parallel_jobs",
    "empty_file_grace_minutes",
  ];
  if (listKeys.includes(key)) return "list";
  if (boolKeys.includes(key)) return "boolean";
  if (numberKeys.includes(key)) return "number";
  return "string";
}
