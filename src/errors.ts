/**
 * Error classes, typed by what the caller must do, and the process exit codes they map to.
 *
 * Messages follow one house style: "Cannot <action> <thing>: <state>", no final period.
 * @module
 */

/** Documented process exit codes. */
export const ExitCode = {
  /** Success, including "nothing new". */
  Ok: 0,
  /** The run failed: auth, Graph, DB service, fatal filesystem. */
  Failed: 1,
  /** Usage or settings error. */
  Usage: 2,
  /** Partial success: some files failed, the others were placed. */
  Partial: 3,
  /** Skipped: another run holds the lock. */
  Locked: 4,
  /** Interrupted by SIGINT/SIGBREAK after an abort. */
  Interrupted: 130,
  /** Terminated by SIGTERM after an abort. */
  Terminated: 143,
} as const;
export type ExitCode = typeof ExitCode[keyof typeof ExitCode];

/** Base class of every error this tool raises on purpose; carries the exit code it maps to. */
export class IngestError extends Error {
  override name = "IngestError";
  /** The process exit code this error maps to. */
  readonly exitCode: ExitCode;
  constructor(message: string, options?: { cause?: unknown; exitCode?: ExitCode }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.exitCode = options?.exitCode ?? ExitCode.Failed;
  }
}

/** A setting is missing, malformed or contradicts another; the operator must edit the settings. */
export class ConfigError extends IngestError {
  override name = "ConfigError";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, { ...options, exitCode: ExitCode.Usage });
  }
}

/** A command-line argument is wrong; the operator must change the command. */
export class UsageError extends IngestError {
  override name = "UsageError";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, { ...options, exitCode: ExitCode.Usage });
  }
}

/** The identity platform refused to issue a token (AADSTS code in `aadsts`). */
export class AuthError extends IngestError {
  override name = "AuthError";
  readonly status: number | undefined;
  readonly code: string | undefined;
  readonly aadsts: number | undefined;
  constructor(
    message: string,
    options?: { cause?: unknown; status?: number; code?: string; aadsts?: number },
  ) {
    super(message, options);
    this.status = options?.status;
    this.code = options?.code;
    this.aadsts = options?.aadsts;
  }
}

/** Details carried by an {@link HttpError}. */
export interface HttpErrorInfo {
  cause?: unknown;
  status?: number;
  /** The service's error code (Graph: `error.code`), filled by the caller's error hook. */
  code?: string;
  /** The most detailed inner code, filled by the caller's error hook. */
  innerCode?: string;
  method?: string;
  /** The request URL, redacted. */
  url?: string;
  requestId?: string;
}

/**
 * An HTTP exchange failed: an error answer, no answer (network), or an answer outside the
 * expected shape. Raised by the transport (src/http/); a caller's error hook may turn it into a
 * subclass that knows the service (e.g. {@link GraphError}).
 */
export class HttpError extends IngestError {
  override name = "HttpError";
  readonly status: number | undefined;
  readonly code: string | undefined;
  readonly innerCode: string | undefined;
  readonly method: string | undefined;
  readonly url: string | undefined;
  readonly requestId: string | undefined;
  constructor(message: string, info: HttpErrorInfo = {}) {
    super(message, info.cause === undefined ? undefined : { cause: info.cause });
    this.status = info.status;
    this.code = info.code;
    this.innerCode = info.innerCode;
    this.method = info.method;
    this.url = info.url;
    this.requestId = info.requestId;
  }
}

/** Details carried by a {@link GraphError}. */
export type GraphErrorInfo = HttpErrorInfo;

/** Microsoft Graph (or the download host) answered with an error, or could not be reached. */
export class GraphError extends HttpError {
  override name = "GraphError";
}

/** Throttling (429/503) lasted longer than the configured total wait. */
export class ThrottledError extends HttpError {
  override name = "ThrottledError";
  /** Total time spent waiting on Retry-After/backoff before giving up. */
  readonly waitedMs: number;
  constructor(message: string, info: HttpErrorInfo & { waitedMs: number }) {
    super(message, info);
    this.waitedMs = info.waitedMs;
  }
}

/**
 * A request got no (complete) answer within its timeout, or a streamed body stalled. Whatever
 * the service (Graph, the token endpoint, a download host): not a service's error answer.
 */
export class TimeoutError extends HttpError {
  override name = "TimeoutError";
}

/** The folder being listed appeared deleted in a root delta feed. */
export class FolderGone extends Error {
  override name = "FolderGone";
}

/** The downloaded bytes do not match the size or QuickXorHash Graph announced. */
export class IntegrityError extends IngestError {
  override name = "IntegrityError";
}

/** The DB service could not be reached or gave an answer outside its contract. */
export class DbServiceError extends IngestError {
  override name = "DbServiceError";
  readonly status: number | undefined;
  constructor(message: string, options?: { cause?: unknown; status?: number }) {
    super(message, options);
    this.status = options?.status;
  }
}

/** Another process holds the run lock. */
export class LockedError extends IngestError {
  override name = "LockedError";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, { ...options, exitCode: ExitCode.Locked });
  }
}

/** A file name from the server cannot be written safely on this or any supported platform. */
export class UnsafeNameError extends IngestError {
  override name = "UnsafeNameError";
}

/** The run was aborted (signal, shutdown timeout). */
export class AbortedError extends IngestError {
  override name = "AbortedError";
}

/** Exit code for any thrown value: our errors carry one, anything else is a failed run. */
export function exitCodeOf(error: unknown): ExitCode {
  return error instanceof IngestError ? error.exitCode : ExitCode.Failed;
}

/** One-line text of an error and its cause chain, for operators (no stack). */
export function describeError(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current !== undefined && current !== null && depth < 4; depth++) {
    const message = current instanceof Error ? current.message : String(current);
    // A cause's further lines (a parser's code frame, a validator's JSON dump) are no operator
    // text, nor is a first line without a letter or digit (the "[" that opens such a dump).
    const first = message.split("\n")[0]!;
    const text = depth === 0 ? message : /[\p{L}\p{N}]/u.test(first) ? first : "";
    // fetch's own "fetch failed" wraps the informative network error and adds nothing to it.
    const noise = text === "fetch failed" && depth > 0;
    // A cause that only re-says its parent's state under another action ("Cannot express X
    // in crontab: <state>" below "Cannot express X in a CronJob: <state>") adds nothing.
    const state = depth > 0 ? /^Cannot [^:]+: (.+)$/.exec(text)?.[1] : undefined;
    const restated = state !== undefined && parts.some((p) => p.includes(state));
    if (text && !noise && !restated && !parts.some((p) => p.includes(text))) {
      parts.push(plainRuntimeText(text.replace(/[ \t\r]+/g, " ").trim()));
    }
    current = current instanceof Error ? current.cause : undefined;
  }
  return parts.join(": ");
}

/**
 * SharePoint flagged the file as malware (403 `malwareDetected`, `X-Virus-Infected`, or the
 * item's `malware` facet): it is not downloaded, and retrying cannot help.
 */
export class MalwareError extends GraphError {
  override name = "MalwareError";
}

/** Deno's text when a path needs a permission the binary never has (`/proc`, `/dev`, `/sys`). */
const RUNTIME_REFUSAL = /Requires \w+ access to "([^"]+)", run again with the --allow-[\w-]+ flag/;

/** What to say of such a path instead: no flag can be added to the compiled binary. */
const SPECIAL_LOCATION = "a special system location (/proc, /dev, /sys) where ingest reads and " +
  "writes nothing; use an ordinary file or folder";

/**
 * "it is a special system location …" when `error` is Deno refusing a path for want of a
 * permission flag (see {@link RUNTIME_REFUSAL}); undefined for any other error.
 */
export function runtimeRefusal(error: unknown): string | undefined {
  const message = error instanceof Error ? error.message : "";
  return RUNTIME_REFUSAL.test(message) ? `it is ${SPECIAL_LOCATION}` : undefined;
}

/** Deno's permission text in words an operator of the compiled binary can act on. */
function plainRuntimeText(text: string): string {
  return text.replace(RUNTIME_REFUSAL, `"$1" is ${SPECIAL_LOCATION}`);
}
