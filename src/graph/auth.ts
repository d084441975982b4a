/**
 * App-only tokens from the Microsoft identity platform (OAuth2 client credentials), with a
 * client secret or a certificate (signed JWT client assertion).
 *
 * There is no refresh token in this grant: a new token is requested shortly before the old one
 * expires, or when Graph rejects it (`invalidate()`).
 * @module
 */
import type { Clock } from "../clock.ts";
import { AbortedError, AuthError, ConfigError, IngestError } from "../errors.ts";
import type { AuthProvider, Transport } from "../http/transport.ts";
import {
  type ClientCertificate,
  createClientAssertion,
  loadClientCertificate,
} from "./client_assertion.ts";
import { tokenErrorSchema, tokenSuccessSchema } from "./wire_types.ts";
import { inSpan } from "../telemetry/span_scope.ts";

/** Renew this long before expiry (at most half the token's lifetime). */
export const REFRESH_MARGIN_MS = 5 * 60 * 1000;

/** The public-cloud Graph scope, also used against a loopback simulator. */
export const DEFAULT_SCOPE = "https://graph.microsoft.com/.default";

/** Options of {@link TokenProvider}. */
export interface TokenProviderOptions {
  transport: Transport;
  clock: Clock;
  /** `authority_host`, e.g. "https://login.microsoftonline.com". */
  authorityHost: string;
  /** `tenant_id`: GUID or domain ("common"/"consumers" do not work app-only). */
  tenantId: string;
  clientId: string;
  /** `graph_base_url`; its origin gives the scope (national clouds differ). */
  graphBaseUrl: string;
  clientSecret?: string;
  /** PEM with CERTIFICATE and PRIVATE KEY; wins over `clientSecret` when both are set. */
  clientCertificatePath?: string;
  /** An already loaded certificate (instead of `clientCertificatePath`). */
  certificate?: ClientCertificate;
  /** Unique assertion ids. Default `crypto.randomUUID`. */
  uuid?: () => string;
}

/** `{authority_host}/{tenant}/oauth2/v2.0/token`. */
export function tokenUrl(authorityHost: string, tenantId: string): string {
  return `${authorityHost.replace(/\/+$/, "")}/${encodeURIComponent(tenantId)}/oauth2/v2.0/token`;
}

/** `{graph origin}/.default`; a loopback Graph (simulator) gets the public-cloud scope. */
export function scopeFor(graphBaseUrl: string): string {
  const url = new URL(graphBaseUrl);
  const host = url.hostname.replace(/^\[|\]$/g, "");
  const loopback = host === "localhost" || host === "::1" || /^127\./.test(host);
  return loopback ? DEFAULT_SCOPE : `${url.origin}/.default`;
}

/**
 * The `AuthError` of a token endpoint error answer: "Cannot get token: AADSTS7000215 Invalid client
 * secret provided..." (first line of `error_description` only: no trace or correlation ids).
 */
export function authErrorFromBody(status: number, statusText: string, body: string): AuthError {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    json = undefined;
  }
  const parsed = tokenErrorSchema.safeParse(json);
  if (!parsed.success) {
    return new AuthError(`Cannot get token: ${status} ${statusText}`.trim(), { status });
  }
  const { error, error_description: description = "", error_codes: codes } = parsed.data;
  const firstLine = description.split(/\r?\n/)[0]?.trim() ?? "";
  const match = /^AADSTS(\d+):\s*(.*)$/s.exec(firstLine);
  const aadsts = match ? Number(match[1]) : codes?.[0];
  const text = match ? `AADSTS${match[1]} ${match[2]}` : (firstLine || error);
  return new AuthError(`Cannot get token: ${text.replace(/\.+$/, "")}`, {
    status,
    code: error,
    aadsts,
  });
}

/** 4xx statuses of the token endpoint that are answers to decode, not transient failures. */
const TOKEN_ERROR_STATUSES = Array.from({ length: 100 }, (_, i) => 400 + i)
  .filter((s) => s !== 408 && s !== 429);

/** Caches one app-only token and renews it before expiry or on demand. */
export class TokenProvider implements AuthProvider {
  #options: TokenProviderOptions;
  #url: string;
  #scope: string;
  #token: { value: string; refreshAt: number } | undefined;
  #pending: Promise<string> | undefined;
  #certificate: ClientCertificate | undefined;

  constructor(options: TokenProviderOptions) {
    if (!options.clientSecret && !options.clientCertificatePath && !options.certificate) {
      throw new ConfigError(
        "Cannot get token: set client_secret, client_secret_file or client_certificate_path",
      );
    }
    this.#options = options;
    this.#url = tokenUrl(options.authorityHost, options.tenantId);
    this.#scope = scopeFor(options.graphBaseUrl);
    this.#certificate = options.certificate;
  }

  /** The token endpoint URL. */
  get tokenUrl(): string {
    return this.#url;
  }

  /** "Bearer <token>". */
  async authorization(signal?: AbortSignal): Promise<string> {
    return `Bearer ${await this.getToken(signal)}`;
  }

  /** A valid access token: the cached one, or a new one. Throws `AuthError` or `AbortedError`. */
  getToken(signal?: AbortSignal): Promise<string> {
    if (this.#token && this.#options.clock.now() < this.#token.refreshAt) {
      return Promise.resolve(this.#token.value);
    }
    this.#pending ??= inSpan(
      "ingest.token",
      { "server.address": new URL(this.#url).host },
      () => this.#request(signal),
    ).finally(() => {
      this.#pending = undefined;
    });
    return this.#pending;
  }

  /**
   * Forgets the cached token so the next call requests a new one. With `rejected` (the
   * `Authorization` value Graph refused) it does so only when that is still the cached token:
   * a request that was in flight with an old token must not discard the renewed one.
   */
  invalidate(rejected?: string): void {
    if (rejected !== undefined && this.#token && rejected !== `Bearer ${this.#token.value}`) return;
    this.#token = undefined;
  }

  async #request(signal: AbortSignal | undefined): Promise<string> {
    const requestedAt = this.#options.clock.now();
    let answer;
    try {
      answer = await this.#options.transport.text({
        action: "get token",
        method: "POST",
        url: this.#url,
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: await this.#form(requestedAt),
        signal,
        passStatuses: TOKEN_ERROR_STATUSES,
      });
    } catch (error) {
      if (error instanceof AbortedError || error instanceof ConfigError) throw error;
      const message = error instanceof IngestError ? error.message : `Cannot get token: ${error}`;
      throw new AuthError(message, { cause: error });
    }
    if (answer.status >= 400) {
      throw authErrorFromBody(answer.status, answer.statusText, answer.text);
    }
    let json: unknown;
    try {
      json = JSON.parse(answer.text);
    } catch {
      json = undefined;
    }
    const parsed = tokenSuccessSchema.safeParse(json);
    if (!parsed.success) {
      throw new AuthError(`Cannot get token: unexpected answer from ${this.#url}`, {
        status: answer.status,
        cause: parsed.error,
      });
    }
    const lifetimeMs = parsed.data.expires_in * 1000;
    const margin = Math.min(REFRESH_MARGIN_MS, lifetimeMs / 2);
    this.#token = { value: parsed.data.access_token, refreshAt: requestedAt + lifetimeMs - margin };
    return parsed.data.access_token;
  }

  async #form(nowMs: number): Promise<URLSearchParams> {
    const form = new URLSearchParams({
      client_id: this.#options.clientId,
      scope: this.#scope,
      grant_type: "client_credentials",
    });
    if (this.#options.clientCertificatePath || this.#certificate) {
      this.#certificate ??= await loadClientCertificate(this.#options.clientCertificatePath!);
      form.set("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer");
      form.set(
        "client_assertion",
        await createClientAssertion({
          certificate: this.#certificate,
          clientId: this.#options.clientId,
          audience: this.#url,
          nowSeconds: Math.floor(nowMs / 1000),
          jti: (this.#options.uuid ?? (() => crypto.randomUUID()))(),
        }),
      );
    } else {
      form.set("client_secret", this.#options.clientSecret!);
    }
    return form;
  }
}
