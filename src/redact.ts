/**
 * Scrubbing of secrets from anything that is printed or logged: credential-like keys,
 * bearer tokens, JWTs and the signed query parameters of pre-authenticated download URLs.
 * @module
 */

/** Shown instead of a secret value. */
export const REDACTED = "***";

const SECRET_KEY =
  /secret|token|password|passphrase|authorization|assertion|credential|tempauth|^sig$|cookie/i;
const URL_SECRET_PARAMS =
  /([?&](?:tempauth|sig|signature|access_token|token|client_secret|client_assertion|code|key)=)[^&#\s"']+/gi;
const BEARER = /\b(Bearer\s+)[A-Za-z0-9\-._~+/]+=*/gi;
const JWT = /\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g;
const FORM_SECRET = /\b(client_secret|client_assertion)=[^&\s"']+/gi;

/** True when a property or settings key names a secret. */
export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key);
}

/** Removes tokens and signed URL parameters from free text. */
export function redactText(text: string): string {
  return text
    .replace(URL_SECRET_PARAMS, `$1${REDACTED}`)
    .replace(BEARER, `$1${REDACTED}`)
    .replace(JWT, REDACTED)
    .replace(FORM_SECRET, `$1=${REDACTED}`);
}

/** Deep copy of `value` with secret keys masked and secrets in strings scrubbed. */
export function redactValue(value: unknown, depth = 0): unknown {
  if (typeof value === "string") return redactText(value);
  if (depth > 6 || value === null || typeof value !== "object") return value;
  if (value instanceof Error) {
    return { name: value.name, message: redactText(value.message) };
  }
  if (Array.isArray(value)) return value.map((item) => redactValue(item, depth + 1));
  if (value instanceof Date) return value;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    out[key] = isSecretKey(key) && item !== undefined && item !== null
      ? REDACTED
      : redactValue(item, depth + 1);
  }
  return out;
}

/** Options of {@link redactUrl}. */
export interface RedactUrlOptions {
  /**
   * `"mask"` (default): every query value becomes "***" except OData options (`$top`,
   * `$skiptoken`, ...). `"drop"`: no query at all (an endpoint the operator configured, whose
   * query may carry a key and is never shown).
   */
  query?: "mask" | "drop";
}

/**
 * `url` without secrets, for every message and log line: no user info, no fragment, and the query
 * masked or dropped ({@link RedactUrlOptions}). Pre-authenticated download URLs carry a
 * `tempauth` token in the query. Text that is no URL loses everything from its first `?`.
 */
export function redactUrl(url: string | URL, options: RedactUrlOptions = {}): string {
  const drop = options.query === "drop";
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return redactText(String(url).replace(/[?#].*$/s, drop ? "" : "?***"));
  }
  const parts = drop ? [] : parsed.search.slice(1).split("&").filter((p) => p !== "").map(
    (part) => {
      const name = part.split("=")[0] ?? "";
      return /^(\$|%24)/i.test(name) ? part : `${name}=${REDACTED}`;
    },
  );
  parsed.search = "";
  parsed.hash = "";
  parsed.username = "";
  parsed.password = "";
  return parts.length > 0 ? `${parsed.href}?${parts.join("&")}` : parsed.href;
}
