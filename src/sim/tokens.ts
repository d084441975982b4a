/**
 * Access tokens issued by the simulated login server and checked by the simulated Graph.
 * Tokens look like Entra ID JWTs but are opaque to clients (as Microsoft asks); the simulator
 * only remembers when each one expires.
 * @module
 */
import { base64Url } from "./certificate.ts";
import type { SeededRandom } from "./prng.ts";

/** State of a presented token. */
export type TokenStatus = "valid" | "expired" | "unknown";

/** Issues and validates bearer tokens against the simulator clock. */
export class TokenStore {
  #expiry = new Map<string, number>();
  #now: () => number;
  #random: SeededRandom;

  constructor(now: () => number, random: SeededRandom) {
    this.#now = now;
    this.#random = random;
  }

  /** A new token for `clientId`, valid for `lifetimeSeconds`. */
  issue(
    options: { clientId: string; tenantId: string; lifetimeSeconds: number; objectId?: string },
  ): string {
    const iat = Math.floor(this.#now() / 1000);
    const encode = (value: unknown) => base64Url(new TextEncoder().encode(JSON.stringify(value)));
    const header = { typ: "JWT", alg: "RS256", x5t: this.#random.opaque(27) };
    const payload = {
      aud: "https://graph.microsoft.com",
      iss: `https://sts.windows.net/${options.tenantId}/`,
      iat,
      nbf: iat,
      exp: iat + options.lifetimeSeconds,
      appid: options.clientId,
      idtyp: "app",
      ...(options.objectId !== undefined ? { oid: options.objectId } : {}),
      roles: ["Sites.Read.All"],
      tid: options.tenantId,
      uti: this.#random.opaque(22),
      ver: "1.0",
    };
    const token = `${encode(header)}.${encode(payload)}.${this.#random.opaque(342)}`;
    this.#expiry.set(token, this.#now() + options.lifetimeSeconds * 1000);
    return token;
  }

  /** Whether `token` was issued here and has not expired. */
  check(token: string): TokenStatus {
    const expiry = this.#expiry.get(token);
    if (expiry === undefined) return "unknown";
    return this.#now() < expiry ? "valid" : "expired";
  }

  /** Makes `token` expired from now on (the "expire-token" fault). */
  expire(token: string): void {
    if (this.#expiry.has(token)) this.#expiry.set(token, Number.NEGATIVE_INFINITY);
  }

  /** Expires every token issued so far. */
  expireAll(): void {
    for (const token of this.#expiry.keys()) this.#expiry.set(token, Number.NEGATIVE_INFINITY);
  }
}

/** The bearer token of `request`, if it carries one. */
export function bearerToken(request: Request): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.get("authorization") ?? "");
  return match?.[1];
}
