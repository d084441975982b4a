/**
 * Tokens of an Azure managed identity, with plain `fetch` calls (no Azure SDK: its Deno support
 * is unofficial; research/secretless-auth.md §2 "@azure/identity"):
 *
 * - App Service / Container Apps / Functions: `GET {IDENTITY_ENDPOINT}?api-version=2019-08-01
 *   &resource=…` with `X-IDENTITY-HEADER: {IDENTITY_HEADER}`.
 * - Azure Arc-enabled servers (HIMDS): `GET {IDENTITY_ENDPOINT}?api-version=2019-11-01&resource=…`
 *   with `Metadata: true` answers 401 with `WWW-Authenticate: Basic realm=<key file>`; the key
 *   file is read (only a `.key` file of at most 4096 bytes in the agent's Tokens folder, as
 *   msal-node's AzureArc.ts insists) and the request repeated with `Authorization: Basic <key>`.
 * - Azure VM IMDS: `GET http://169.254.169.254/metadata/identity/oauth2/token?api-version=
 *   2018-02-01&resource=…` with `Metadata: true`, never through a proxy, retried on 404, 410, 429
 *   and 5xx with exponential backoff (§2 "Azure VMs (IMDS)").
 *
 * The identity header, the Arc key and the tokens are never logged.
 * @module
 */
import { posix, win32 } from "node:path";
import type { Clock } from "../clock.ts";
import type { ManagedIdentitySource } from "../config/auth_settings.ts";
import { AbortedError, AuthError } from "../errors.ts";
import { parseJson } from "../parse_json.ts";
import { USER_AGENT } from "../version.ts";
import type { TokenSource, TokenValue } from "./auth.ts";
import { identityAnswerSchema } from "./wire_types.ts";

/** Largest Arc key file accepted (msal-node AzureArc.ts). */
export const ARC_KEY_MAX_BYTES = 4096;

/** Waits between IMDS attempts: 5 tries at about 0, 2, 6, 14 and 30 s (Microsoft's guidance). */
export const IMDS_RETRY_DELAYS_MS = [2_000, 4_000, 8_000, 16_000];
/** IMDS answers 410 while it starts: "available within 70 seconds". */
export const IMDS_GONE_BUDGET_MS = 70_000;

/** Options of {@link ManagedIdentityCredential}. */
export interface ManagedIdentityOptions {
  source: ManagedIdentitySource;
  /** `managed_identity_client_id`: a user-assigned identity; else the system-assigned one. */
  clientId?: string;
  /** The resource (App ID URI) whose token is requested, e.g. "https://graph.microsoft.com". */
  resource: string;
  /** A fetch that never uses the settings proxy. */
  fetch: typeof fetch;
  clock: Clock;
  timeoutMs: number;
  /** Reads the Arc key file (default `Deno.readTextFile`). */
  readTextFile?: (path: string) => Promise<string>;
  /** Size of the Arc key file (default `Deno.stat`). */
  fileSize?: (path: string) => Promise<number>;
  /** `Deno.build.os`, for path comparison and the group to name. */
  os?: string;
}

const DESCRIPTIONS: Record<ManagedIdentitySource["kind"], string> = {
  app_service: "App Service managed identity",
  arc: "Azure Arc managed identity",
  imds: "Azure VM managed identity (IMDS)",
};

interface Answer {
  status: number;
  headers: Headers;
  text: string;
}

/** Requests managed identity tokens; see the module doc. */
export class ManagedIdentityCredential implements TokenSource {
  #options: ManagedIdentityOptions;

  constructor(options: ManagedIdentityOptions) {
    this.#options = options;
  }

  /** E.g. "Azure VM managed identity (IMDS)". */
  get description(): string {
    return DESCRIPTIONS[this.#options.source.kind];
  }

  request(signal?: AbortSignal): Promise<TokenValue> {
    switch (this.#options.source.kind) {
      case "app_service":
        return this.#appService(this.#options.source, signal);
      case "arc":
        return this.#arc(this.#options.source, signal);
      case "imds":
        return this.#imds(this.#options.source, signal);
    }
  }

  #url(endpoint: string, apiVersion: string): string {
    const url = new URL(endpoint);
    url.searchParams.set("api-version", apiVersion);
    url.searchParams.set("resource", this.#options.resource);
    if (this.#options.clientId !== undefined) {
      url.searchParams.set("client_id", this.#options.clientId);
    }
    return url.href;
  }

  async #appService(
    source: Extract<ManagedIdentitySource, { kind: "app_service" }>,
    signal?: AbortSignal,
  ): Promise<TokenValue> {
    const answer = await this.#get(this.#url(source.endpoint, "2019-08-01"), {
      "x-identity-header": source.secret,
    }, signal);
    return this.#token(answer);
  }

  async #arc(
    source: Extract<ManagedIdentitySource, { kind: "arc" }>,
    signal?: AbortSignal,
  ): Promise<TokenValue> {
    const url = this.#url(source.endpoint, "2019-11-01");
    const challenge = await this.#get(url, { metadata: "true" }, signal);
    if (challenge.status !== 401) return this.#token(challenge);
    const realm = /Basic\s+realm="?([^"]+)"?/i.exec(challenge.headers.get("www-authenticate") ?? "")
      ?.[1]?.trim();
    if (!realm) {
      throw new AuthError(
        "Cannot get token from the Azure Arc agent: its 401 answer names no key file " +
          "(WWW-Authenticate: Basic realm=…)",
        { status: 401 },
      );
    }
    const key = await this.#readArcKey(realm, source.tokensDir);
    const answer = await this.#get(
      url,
      { metadata: "true", authorization: `Basic ${key}` },
      signal,
    );
    return this.#token(answer);
  }

  /** The key file's content, if it is a `.key` file of ≤ 4096 bytes in `tokensDir`. */
  async #readArcKey(path: string, tokensDir: string): Promise<string> {
    const windows = (this.#options.os ?? Deno.build.os) === "windows";
    const fold = (p: string) => (windows ? p.toLowerCase() : p);
    const { basename, dirname, resolve } = windows ? win32 : posix;
    const what = `the Azure Arc key file ${path}`;
    if (!fold(basename(path)).endsWith(".key")) {
      throw new AuthError(`Cannot use ${what}: it is not a .key file`);
    }
    if (fold(resolve(dirname(path))) !== fold(resolve(tokensDir))) {
      throw new AuthError(
        `Cannot use ${what}: it is not in the agent's Tokens folder ${tokensDir}`,
      );
    }
    const size = this.#options.fileSize ?? (async (p: string) => (await Deno.stat(p)).size);
    const read = this.#options.readTextFile ?? ((p: string) => Deno.readTextFile(p));
    try {
      if (await size(path) > ARC_KEY_MAX_BYTES) {
        throw new AuthError(`Cannot use ${what}: it is larger than ${ARC_KEY_MAX_BYTES} bytes`);
      }
      return (await read(path)).trim();
    } catch (error) {
      if (error instanceof AuthError) throw error;
      if (error instanceof Deno.errors.PermissionDenied) {
        const group = windows
          ? 'the local "Administrators" or "Hybrid Agent Extension Applications" group'
          : 'the "himds" group (sudo usermod -aG himds <account>, then log in again)';
        throw new AuthError(
          `Cannot read ${what}: permission denied; the account running ingest must be a member of ${group}`,
          { cause: error },
        );
      }
      throw new AuthError(`Cannot read ${what}: ${(error as Error).message}`, { cause: error });
    }
  }

  async #imds(
    source: Extract<ManagedIdentitySource, { kind: "imds" }>,
    signal?: AbortSignal,
  ): Promise<TokenValue> {
    const url = this.#url(source.endpoint, "2018-02-01");
    const started = this.#options.clock.now();
    for (let attempt = 0;; attempt++) {
      const answer = await this.#get(url, { metadata: "true" }, signal);
      const retriable = [404, 410, 429].includes(answer.status) || answer.status >= 500;
      if (!retriable) return this.#token(answer);
      const elapsed = this.#options.clock.now() - started;
      const delay = IMDS_RETRY_DELAYS_MS[Math.min(attempt, IMDS_RETRY_DELAYS_MS.length - 1)]!;
      const more = attempt < IMDS_RETRY_DELAYS_MS.length ||
        (answer.status === 410 && elapsed + delay <= IMDS_GONE_BUDGET_MS);
      if (!more) return this.#token(answer);
      await this.#options.clock.sleep(delay, signal);
    }
  }

  async #get(url: string, headers: Record<string, string>, signal?: AbortSignal): Promise<Answer> {
    const host = new URL(url).host;
    const timeout = AbortSignal.timeout(this.#options.timeoutMs);
    const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
    try {
      const response = await this.#options.fetch(url, {
        headers: { ...headers, "user-agent": USER_AGENT },
        signal: combined,
      });
      return { status: response.status, headers: response.headers, text: await response.text() };
    } catch (error) {
      if (signal?.aborted) {
        throw new AbortedError("Cannot get token: the run was aborted", { cause: signal.reason });
      }
      const reason = timeout.aborted
        ? `no answer within ${Math.round(this.#options.timeoutMs / 1000)} s`
        : (error as Error).message;
      const advice = this.#options.source.kind === "imds"
        ? ": is this an Azure VM with a managed identity? (on-premises hosts use Azure Arc)"
        : "";
      throw new AuthError(
        `Cannot get token from the ${this.description} at ${host}: ${reason}${advice}`,
        { cause: error },
      );
    }
  }

  #token(answer: Answer): TokenValue {
    const parsed = parseJson(answer.text, identityAnswerSchema);
    const json = parsed.ok ? parsed.value : undefined;
    if (answer.status >= 400 || json === undefined) {
      throw new AuthError(
        `Cannot get token from the ${this.description}: ${answer.status} ${errorText(json)}`.trim(),
        { status: answer.status },
      );
    }
    const accessToken = json.access_token;
    const expiresIn = Number(json.expires_in);
    const expiresOn = Number(json.expires_on);
    const nowSeconds = this.#options.clock.now() / 1000;
    const lifetime = Number.isFinite(expiresIn) && expiresIn > 0
      ? expiresIn
      : Number.isFinite(expiresOn)
      ? expiresOn - nowSeconds
      : NaN;
    if (typeof accessToken !== "string" || accessToken === "" || !(lifetime > 0)) {
      throw new AuthError(
        `Cannot get token from the ${this.description}: the answer has no access_token or expiry`,
        { status: answer.status },
      );
    }
    return { accessToken, expiresInSeconds: lifetime };
  }
}

/** The first line of an identity endpoint's error answer (no tokens in error bodies). */
function errorText(json: Record<string, unknown> | undefined): string {
  if (json === undefined) return "the answer is not JSON";
  const parts = [json.error, json.error_description ?? json.message ?? json.Message]
    .filter((part): part is string => typeof part === "string" && part !== "");
  return parts.join(" ").split(/\r?\n/)[0]!.slice(0, 300);
}
