/**
 * Pre-authenticated download URLs in SharePoint's shape:
 * `{origin}{sitePath}/_layouts/15/download.aspx?UniqueId={guid}&Translate=false&tempauth={token}&ApiVersion=2.0`.
 *
 * The `tempauth` token is self-contained (JWT-like, with a keyed checksum), so minting a URL for
 * every item of a 100,000-item listing costs no memory.
 * @module
 */
import { fromBase64 } from "./certificate.ts";
import { hashString } from "./prng.ts";
import type { SimItem } from "./state.ts";

/** What a valid tempauth token grants. */
export interface TempAuthGrant {
  driveId: string;
  itemId: string;
  uniqueId: string;
}

/** Why a download URL is refused. */
export type TempAuthProblem = "invalid" | "expired";

/** Options of {@link DownloadUrls}. */
export interface DownloadUrlOptions {
  /** e.g. "http://localhost:PORT" (read when minting: known once the server listens). */
  origin: () => string;
  sitePath: string;
  lifetimeSeconds: number;
  now: () => number;
  /** Key of the checksum; tokens of another simulator are invalid here. */
  secret: string;
}

/** The path every download URL uses under the site. */
export const DOWNLOAD_PATH = "/_layouts/15/download.aspx";

/** Mints and checks download URLs. */
export class DownloadUrls {
  #options: DownloadUrlOptions;

  constructor(options: DownloadUrlOptions) {
    this.#options = options;
  }

  /** A fresh URL for `item`, valid for the configured lifetime. */
  mint(item: SimItem): string {
    const o = this.#options;
    const origin = o.origin();
    const nbf = Math.floor(o.now() / 1000);
    // Every claim is ASCII (ids, GUIDs, numbers, a host), so btoa needs no UTF-8 step.
    const payload = btoa(JSON.stringify({
      aud: `00000003-0000-0ff1-ce00-000000000000/${origin.replace(/^\w+:\/\//, "")}`,
      nbf,
      exp: nbf + o.lifetimeSeconds,
      did: item.driveId,
      iid: item.id,
      uid: item.uniqueId,
    })).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
    const header = "eyJ0eXAiOiJKV1QiLCJhbGciOiJub25lIn0";
    const token = `v1.${header}.${payload}.${this.#checksum(payload)}`;
    return `${origin}${o.sitePath}${DOWNLOAD_PATH}?UniqueId=${item.uniqueId}&Translate=false&tempauth=${token}&ApiVersion=2.0`;
  }

  /**
   * Checks a download request's raw query string. The parameters must come in the minted order,
   * untouched: SharePoint answers 401 when clients reorder them.
   */
  check(rawQuery: string): TempAuthGrant | TempAuthProblem {
    const match =
      /^\?UniqueId=([0-9a-f-]{36})&Translate=false&tempauth=v1\.[\w-]+\.([\w-]+)\.([\w-]+)&ApiVersion=2\.0$/
        .exec(rawQuery);
    if (match === null) return "invalid";
    const [, uniqueId, payload, checksum] = match as unknown as [string, string, string, string];
    if (checksum !== this.#checksum(payload)) return "invalid";
    let claims: { exp?: unknown; did?: unknown; iid?: unknown; uid?: unknown };
    try {
      claims = JSON.parse(new TextDecoder().decode(fromBase64(payload)));
    } catch {
      return "invalid";
    }
    if (
      claims.uid !== uniqueId || typeof claims.did !== "string" || typeof claims.iid !== "string"
    ) {
      return "invalid";
    }
    if (typeof claims.exp !== "number" || this.#options.now() >= claims.exp * 1000) {
      return "expired";
    }
    return { driveId: claims.did, itemId: claims.iid, uniqueId };
  }

  #checksum(payload: string): string {
    return hashString(`${this.#options.secret}.${payload}`).toString(36);
  }
}
