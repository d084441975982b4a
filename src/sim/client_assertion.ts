/**
 * Verifies certificate client assertions the way Entra ID documents them: a JWT signed PS256
 * with `x5t#S256` (current docs) or RS256 with `x5t` (older docs), `aud` = the token URL,
 * `iss` = `sub` = the client id, a short `exp`, `nbf` not in the future, a unique `jti`.
 * @module
 */
import { type CertificateInfo, decodeJwtPart, fromBase64 } from "./certificate.ts";

/** Why an assertion was refused, as an AADSTS code and description. */
export interface AssertionFailure {
  aadsts: number;
  description: string;
}

/** Options of {@link AssertionVerifier}. */
export interface AssertionVerifierOptions {
  certificate: CertificateInfo | undefined;
  now: () => number;
  /** Allowed clock skew for `nbf`/`exp`, seconds. */
  skewSeconds?: number;
}

const SIGNATURE = 700027;
const TIME_RANGE = 700024;

function fail(aadsts: number, description: string): AssertionFailure {
  return { aadsts, description };
}

/** Checks client assertions; remembers `jti` values to refuse replays. */
export class AssertionVerifier {
  #certificate: CertificateInfo | undefined;
  #now: () => number;
  #skew: number;
  #usedJti = new Set<string>();

  constructor(options: AssertionVerifierOptions) {
    this.#certificate = options.certificate;
    this.#now = options.now;
    this.#skew = options.skewSeconds ?? 300;
  }

  /**
   * Verifies `jwt` for `clientId`; `audiences` are the accepted `aud` values.
   * Returns undefined when valid, else the failure.
   */
  async verify(
    jwt: string,
    request: { clientId: string; audiences: readonly string[] },
  ): Promise<AssertionFailure | undefined> {
    const parts = jwt.split(".");
    const header = parts.length === 3 ? decodeJwtPart(parts[0]!) : undefined;
    const claims = parts.length === 3 ? decodeJwtPart(parts[1]!) : undefined;
    if (header === undefined || claims === undefined) {
      return fail(SIGNATURE, "Client assertion is not a valid JWT (header.payload.signature).");
    }
    if (this.#certificate === undefined) {
      return fail(
        SIGNATURE,
        "Client assertion failed signature validation: no certificate is registered for the app.",
      );
    }
    const keyProblem = await this.#checkSignature(header, parts as [string, string, string]);
    if (keyProblem) return keyProblem;
    return this.#checkClaims(claims, request);
  }

  async #checkSignature(
    header: Record<string, unknown>,
    [head, body, signature]: [string, string, string],
  ): Promise<AssertionFailure | undefined> {
    const certificate = this.#certificate!;
    const alg = header.alg;
    if (alg !== "PS256" && alg !== "RS256") {
      return fail(
        SIGNATURE,
        `Client assertion uses unsupported alg '${String(alg)}': use PS256 (or RS256).`,
      );
    }
    // PS256 goes with the SHA-256 thumbprint; RS256 with SHA-1 `x5t` (or, leniently, `x5t#S256`).
    const sha256 = alg === "PS256" || (header.x5t === undefined && "x5t#S256" in header);
    const thumbprintHeader = sha256 ? "x5t#S256" : "x5t";
    const presented = header[thumbprintHeader];
    const expected = sha256 ? certificate.x5tS256 : certificate.x5t;
    if (typeof presented !== "string") {
      return fail(SIGNATURE, `Client assertion header must contain '${thumbprintHeader}'.`);
    }
    if (expected !== undefined && presented !== expected) {
      return fail(
        SIGNATURE,
        `Client assertion contains an invalid signature. [Reason - The key was not found., Thumbprint of key used by client: '${presented}']`,
      );
    }
    const algorithm = alg === "PS256"
      ? { name: "RSA-PSS", saltLength: 32 }
      : { name: "RSASSA-PKCS1-v1_5" };
    try {
      const key = await crypto.subtle.importKey(
        "spki",
        certificate.spki as BufferSource,
        { name: algorithm.name, hash: "SHA-256" },
        false,
        ["verify"],
      );
      const ok = await crypto.subtle.verify(
        algorithm,
        key,
        fromBase64(signature) as BufferSource,
        new TextEncoder().encode(`${head}.${body}`),
      );
      return ok ? undefined : fail(SIGNATURE, "Client assertion failed signature validation.");
    } catch (error) {
      return fail(SIGNATURE, `Client assertion failed signature validation: ${String(error)}`);
    }
  }

  #checkClaims(
    claims: Record<string, unknown>,
    request: { clientId: string; audiences: readonly string[] },
  ): AssertionFailure | undefined {
    const now = this.#now() / 1000;
    if (typeof claims.aud !== "string" || !request.audiences.includes(claims.aud)) {
      return fail(
        SIGNATURE,
        `Client assertion audience claim does not match Realm issuer. Review the documentation at https://aka.ms/certCreds . Audience: '${
          String(claims.aud)
        }'.`,
      );
    }
    if (claims.iss !== request.clientId || claims.sub !== request.clientId) {
      return fail(
        SIGNATURE,
        `Client assertion 'iss' and 'sub' must both be the client id '${request.clientId}'.`,
      );
    }
    if (typeof claims.exp !== "number" || claims.exp + this.#skew <= now) {
      return fail(
        TIME_RANGE,
        `Client assertion is not within its valid time range. Current time: ${
          new Date(now * 1000).toISOString()
        }, expiry time of assertion ${String(claims.exp)}.`,
      );
    }
    if (typeof claims.nbf === "number" && claims.nbf - this.#skew > now) {
      return fail(
        TIME_RANGE,
        `Client assertion is not within its valid time range: nbf ${claims.nbf} is in the future.`,
      );
    }
    if (typeof claims.jti !== "string" || claims.jti === "") {
      return fail(SIGNATURE, "Client assertion must contain a 'jti' claim.");
    }
    if (this.#usedJti.has(claims.jti)) {
      return fail(
        SIGNATURE,
        `Client assertion with jti '${claims.jti}' was already used: jti must be unique.`,
      );
    }
    this.#usedJti.add(claims.jti);
    return undefined;
  }
}
