/**
 * The identity an access token names, for `ingest check`: read from the token's claims without
 * verifying it, and never printed as a token.
 * @module
 */

/**
 * What a token says about the identity (claims `appid`/`azp`, `oid`, `tid`), never the token.
 * Undefined fields were not in the token or the token is not a readable JWT.
 */
export interface TokenIdentity {
  appId?: string;
  objectId?: string;
  tenantId?: string;
}

/** Decodes the identity claims of an access token without verifying it (display only). */
export function tokenIdentity(token: string): TokenIdentity {
  const payload = token.split(".")[1];
  if (payload === undefined) return {};
  try {
    const text = atob(
      payload.replace(/-/g, "+").replace(/_/g, "/").padEnd(
        Math.ceil(payload.length / 4) * 4,
        "=",
      ),
    );
    const claims = JSON.parse(text) as Record<string, unknown>;
    const str = (value: unknown) => (typeof value === "string" ? value : undefined);
    const identity: TokenIdentity = {};
    const appId = str(claims.appid) ?? str(claims.azp);
    if (appId) identity.appId = appId;
    if (str(claims.oid)) identity.objectId = str(claims.oid)!;
    if (str(claims.tid)) identity.tenantId = str(claims.tid)!;
    return identity;
  } catch {
    return {};
  }
}
