/**
 * App-only tokens from the Microsoft identity platform (OAuth2 client credentials), with a
 * client secret, a certificate (signed JWT client assertion), a federated assertion (workload
 * identity: the Kubernetes service account token), or from a {@link TokenSource} such as a
 * managed identity endpoint.
 *
 * There is no refresh token in this grant: a new token is requested shortly before the old one
 * expires, or when Graph rejects it (`invalidate()`).
 * @module
 */
import type { Logger } from "@logtape/logtape";
import { getLogger } from "@logtape/logtape";
import type { Clock } from "../clock.ts";
import { AbortedError, AuthError, ConfigError, IngestError } from "../errors.ts";
import type { AuthProvider, Transport } from "../http/transport.ts";
import {
  type ClientCertificate,
  createClientAssertion,
  loadClientCertificate,
} from "./client_assertion.ts";
import { type TokenIdentity, tokenIdentity } from "./token_identity.ts";
import { tokenErrorSchema, tokenSuccessSchema } from "./wire_types.ts";
import { parseJson } from "../parse_json.ts";
import { inSpan } from "../telemetry/span_scope.ts";

/** Renew this long before expiry (at most half the token's lifetime). */
export const REFRESH_MARGIN_MS = 5 * 60 * 1000;

/** The public-cloud Graph scope, also used against a loopback simulator. */
export const DEFAULT_SCOPE = "https://graph.microsoft.com/.default";

/** A token and how long it lives. */
export interface TokenValue {
  accessToken: string;
  expiresInSeconds: number;
}

/** Where tokens come from when not from the token endpoint (managed identity). */
export interface TokenSource {
  /** What `ingest check` calls it, e.g. "Azure VM managed identity (IMDS)". */
  readonly description: string;
  /** A new token. Throws `AuthError` or `AbortedError`. */
  request(signal?: AbortSignal): Promise<TokenValue>;
}

/** Warn when the client certificate expires within this many days. */
export const CERTIFICATE_WARNING_DAYS = 30;
const DAY_MS = 86_400_000;

/**
 * One line explaining federated-credential failures (research/secretless-auth.md §2 "Kubernetes
 * — Entra Workload ID": exact issuer/subject/audience match, minutes to propagate).
 */
export const FEDERATED_HINTS: Record<number, string> = {
  70021:
    "no federated credential on the app registration matches this token's issuer, subject and audience (api://AzureADTokenExchange); a new or changed one takes a few minutes to apply",
  700024:
    "the federated token is expired or not yet valid: check that the kubelet refreshes federated_token_file and the host clock",
};

/** Options of {@link TokenProvider}. */
export interface TokenProviderOptions {
  transport: Transport;
  clock: Clock;
  /** `authority_host`, e.g. "https://login.microsoftonline.com". */
  authorityHost: string;
  /** `tenant_id`: GUID or domain ("common"/"consumers" do not work app-only). */
  tenantId: string;
  clientId: string;
  /** Workload identity: returns the federated assertion, read afresh for every token request. */
  clientAssertion?: () => Promise<string>;
  /** Tokens come from here instead of the token endpoint (managed identity). */
  source?: TokenSource;
  /** The password of a PKCS#12 file or an encrypted PEM key; never logged. */
  certificatePassword?: string;
  logger?: Logger;
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
  const parsed = parseJson(body, tokenErrorSchema);
  if (!parsed.ok) {
    return new AuthError(`Cannot get token: ${status} ${statusText}`.trim(), { status });
  }
  const { error, error_description: description = "", error_codes: codes } = parsed.value;
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
  #log: Logger;
  #lastExpiryWarning: number | undefined;

  constructor(options: TokenProviderOptions) {
    this.#log = options.logger ?? getLogger(["ingest", "auth"]);
    if (
      !options.clientSecret && !options.clientCertificatePath && !options.certificate &&
      !options.clientAssertion && !options.source
    ) {
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

  /** What issues the tokens when not the token endpoint, e.g. "Azure VM managed identity (IMDS)". */
  get sourceDescription(): string | undefined {
    return this.#options.source?.description;
  }

  /** The client certificate, once loaded by a token request (or given). */
  get certificate(): ClientCertificate | undefined {
    return this.#certificate;
  }

  /** The identity claims of the cached token (empty before the first token). */
  identity(): TokenIdentity {
    return this.#token ? tokenIdentity(this.#token.value) : {};
  }

  /** Loads the client certificate now (for `ingest check`); undefined without one. */
  async loadCertificate(): Promise<ClientCertificate | undefined> {
    if (!this.#certificate && this.#options.clientCertificatePath) {
      try {
        this.#certificate = await loadClientCertificate(
          this.#options.clientCertificatePath,
          this.#options.certificatePassword,
        );
      } catch (error) {
        // Found while authenticating: a failed run (exit 1), like any other token failure.
        if (!(error instanceof ConfigError)) throw error;
        throw new AuthError(error.message, { cause: error });
      }
    }
    return this.#certificate;
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
    if (this.#options.source) {
      const value = await this.#options.source.request(signal);
      return this.#keep(value.accessToken, value.expiresInSeconds, requestedAt);
    }
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
      if (
        error instanceof AbortedError || error instanceof ConfigError || error instanceof AuthError
      ) throw error;
      const message = error instanceof IngestError ? error.message : `Cannot get token: ${error}`;
      throw new AuthError(message, { cause: error });
    }
    if (answer.status >= 400) {
      const error = authErrorFromBody(answer.status, answer.statusText, answer.text);
      const hint = this.#options.clientAssertion && error.aadsts !== undefined
        ? FEDERATED_HINTS[error.aadsts]
        : undefined;
      if (!hint) throw error;
      throw new AuthError(`${error.message}: ${hint}`, {
        status: error.status,
        ...(error.code !== undefined ? { code: error.code } : {}),
        aadsts: error.aadsts,
      });
    }
    const parsed = parseJson(answer.text, tokenSuccessSchema);
    if (!parsed.ok) {
      throw new AuthError(`Cannot get token: unexpected answer from ${this.#url}`, {
        status: answer.status,
        cause: parsed.cause,
      });
    }
    return this.#keep(parsed.value.access_token, parsed.value.expires_in, requestedAt);
  }

  #keep(token: string, expiresInSeconds: number, requestedAt: number): string {
    this.#log.debug("Got an access token from {source}, valid for {seconds} s", {
      source: this.#options.source?.description ?? this.#url,
      seconds: Math.round(expiresInSeconds),
    });
    const lifetimeMs = expiresInSeconds * 1000;
    const margin = Math.min(REFRESH_MARGIN_MS, lifetimeMs / 2);
    this.#token = { value: token, refreshAt: requestedAt + lifetimeMs - margin };
    return token;
  }

  /** Logs a warning at most once a day while the certificate expires within 30 days. */
  #warnExpiry(certificate: ClientCertificate, nowMs: number): void {
    const notAfter = certificate.notAfter?.getTime();
    if (notAfter === undefined || notAfter - nowMs > CERTIFICATE_WARNING_DAYS * DAY_MS) return;
    if (this.#lastExpiryWarning !== undefined && nowMs - this.#lastExpiryWarning < DAY_MS) return;
    this.#lastExpiryWarning = nowMs;
    const days = Math.floor((notAfter - nowMs) / DAY_MS);
    this.#log.warn(
      "The client certificate {subject} (thumbprint {thumbprint}) {state} on {expiry}: upload a " +
        "new certificate to the app registration and point client_certificate_path at it",
      {
        subject: certificate.subject ?? "(unknown subject)",
        thumbprint: certificate.thumbprintSha1 ?? certificate.thumbprintS256,
        state: days < 0 ? "expired" : `expires in ${days} day(s)`,
        expiry: new Date(notAfter).toISOString(),
      },
    );
  }

  async #form(nowMs: number): Promise<URLSearchParams> {
    const form = new URLSearchParams({
      client_id: this.#options.clientId,
      scope: this.#scope,
      grant_type: "client_credentials",
    });
    if (this.#options.clientAssertion) {
      form.set("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer");
      form.set("client_assertion", await this.#options.clientAssertion());
    } else if (this.#options.clientCertificatePath || this.#certificate) {
      const certificate = (await this.loadCertificate())!;
      this.#warnExpiry(certificate, nowMs);
      form.set("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer");
      form.set(
        "client_assertion",
        await createClientAssertion({
          certificate,
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
