/**
 * Federated credentials (Entra Workload ID) in the simulator: a stand-in Kubernetes service
 * account issuer that signs projected tokens (RS256), and the login server's check of a
 * federated `client_assertion` against the app's federated identity credentials: exact
 * `iss`/`sub` match, audience `api://AzureADTokenExchange`, signature by the issuer's key, and
 * a current `exp` (research/secretless-auth.md §2 "Kubernetes — Entra Workload ID").
 * @module
 */
import { base64Url, decodeJwtPart, fromBase64 } from "./certificate.ts";
import type { AssertionFailure } from "./client_assertion.ts";

/** The audience the workload identity webhook projects tokens for. */
export const FEDERATED_AUDIENCE = "api://AzureADTokenExchange";

/** One federated identity credential of the app registration. */
export interface FederatedCredential {
  issuer: string;
  /** e.g. "system:serviceaccount:ingest:ingest". */
  subject: string;
  /** Default `[FEDERATED_AUDIENCE]`. */
  audiences?: readonly string[];
}

/** Claims of a projected service account token the issuer signs. */
export interface ServiceAccountTokenOptions {
  subject?: string;
  audience?: string;
  /** Default 3600 (the webhook's default token expiration). */
  lifetimeSeconds?: number;
  /** Another issuer URL in the `iss` claim (signed with the same key). */
  issuer?: string;
}

/** The cluster's service account issuer and the app's federated credentials. */
export class FederatedIssuer {
  readonly issuer: string;
  readonly credentials: readonly FederatedCredential[];
  #keys: Promise<CryptoKeyPair> | undefined;
  #now: () => number;

  constructor(
    options: { issuer: string; credentials: readonly FederatedCredential[]; now: () => number },
  ) {
    this.issuer = options.issuer;
    this.credentials = options.credentials;
    this.#now = options.now;
  }

  #keyPair(): Promise<CryptoKeyPair> {
    this.#keys ??= crypto.subtle.generateKey(
      {
        name: "RSASSA-PKCS1-v1_5",
        modulusLength: 2048,
        publicExponent: Uint8Array.of(1, 0, 1),
        hash: "SHA-256",
      },
      false,
      ["sign", "verify"],
    ) as Promise<CryptoKeyPair>;
    return this.#keys;
  }

  /** A signed projected service account token, as the kubelet writes it to the token file. */
  async issue(options: ServiceAccountTokenOptions = {}): Promise<string> {
    const iat = Math.floor(this.#now() / 1000);
    const encode = (value: unknown) => base64Url(new TextEncoder().encode(JSON.stringify(value)));
    const subject = options.subject ?? this.credentials[0]?.subject ??
      "system:serviceaccount:default:default";
    const claims = {
      aud: [options.audience ?? FEDERATED_AUDIENCE],
      exp: iat + (options.lifetimeSeconds ?? 3600),
      iat,
      nbf: iat,
      iss: options.issuer ?? this.issuer,
      sub: subject,
      jti: crypto.randomUUID(),
    };
    const input = `${encode({ alg: "RS256", kid: "sim", typ: "JWT" })}.${encode(claims)}`;
    const { privateKey } = await this.#keyPair();
    const signature = await crypto.subtle.sign(
      "RSASSA-PKCS1-v1_5",
      privateKey,
      new TextEncoder().encode(input),
    );
    return `${input}.${base64Url(new Uint8Array(signature))}`;
  }

  /** True when `jwt` is not a certificate assertion of `clientId` (its `iss` is not the app). */
  isFederated(jwt: string, clientId: string): boolean {
    const claims = decodeJwtPart(jwt.split(".")[1] ?? "");
    return claims !== undefined && typeof claims.iss === "string" &&
      claims.iss.toLowerCase() !== clientId.toLowerCase();
  }

  /** Undefined when `jwt` matches a federated credential and is valid now, else the failure. */
  async verify(jwt: string): Promise<AssertionFailure | undefined> {
    const [head, body, signature] = jwt.split(".");
    const claims = body === undefined ? undefined : decodeJwtPart(body);
    if (head === undefined || signature === undefined || claims === undefined) {
      return { aadsts: 50027, description: "JWT token is invalid or malformed." };
    }
    const audiences = Array.isArray(claims.aud) ? claims.aud.map(String) : [String(claims.aud)];
    const match = this.credentials.find((c) =>
      c.issuer === claims.iss && c.subject === claims.sub &&
      audiences.some((a) => (c.audiences ?? [FEDERATED_AUDIENCE]).includes(a))
    );
    if (!match) {
      return {
        aadsts: 70021,
        description:
          `No matching federated identity record found for presented assertion. Assertion Issuer: '${
            String(claims.iss)
          }'. Assertion Subject: '${String(claims.sub)}'. Assertion Audience: '${
            audiences.join(",")
          }'.`,
      };
    }
    const now = this.#now() / 1000;
    if (typeof claims.exp !== "number" || claims.exp <= now) {
      return {
        aadsts: 700024,
        description: `Client assertion is not within its valid time range. Current time: ${
          new Date(now * 1000).toISOString()
        }, expiry time of assertion ${
          typeof claims.exp === "number" ? new Date(claims.exp * 1000).toISOString() : "(none)"
        }.`,
      };
    }
    const { publicKey } = await this.#keyPair();
    const ok = await crypto.subtle.verify(
      "RSASSA-PKCS1-v1_5",
      publicKey,
      fromBase64(signature) as BufferSource,
      new TextEncoder().encode(`${head}.${body}`),
    );
    return ok ? undefined : {
      aadsts: 700027,
      description: "Client assertion failed signature validation (key not in the issuer's JWKS).",
    };
  }
}
