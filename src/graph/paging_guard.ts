/**
 * Ends a paged listing that the service keeps looping (real-sharepoint-quirks.md §11): service
 * regressions have answered the same page again and again, behind the same `@odata.nextLink`, a
 * fresh one, or circular ones (OneDrive/onedrive-api-docs#1424, #1431, #1620;
 * microsoftgraph/microsoft-graph-docs#2749). Without a guard such a listing never ends, costs a
 * resource unit per page and holds the job's lock, so every later run is refused as overlapping.
 *
 * Two signs stop it: a nextLink already followed in this listing, and a run of
 * {@link MAX_STALE_PAGES} consecutive pages that bring no item id not already seen. Ids are kept
 * as 52-bit hashes (about 40 bytes per id in a `Set`), so a folder of a million items costs tens
 * of MB at most; a hash collision can only make a page look stale, and it takes
 * {@link MAX_STALE_PAGES} of them in a row to stop a listing.
 * @module
 */
import { GraphError } from "../errors.ts";
import { redactUrl } from "../http/http_error.ts";

/** Consecutive pages without a new item id after which a listing counts as looping. */
export const MAX_STALE_PAGES = 20;

/** The listing was stopped because the server kept returning the same page. */
export class PagingLoopError extends GraphError {
  override name = "PagingLoopError";
}

/** Watches the pages of one listing (one enumeration; {@link reset} after a restart). */
export class PagingGuard {
  #what: string;
  #links = new Set<string>();
  #ids = new Set<number>();
  #stale = 0;
  #maxStale: number;

  /** `what` completes "Cannot list …" in the error message. */
  constructor(what: string, options: { maxStalePages?: number } = {}) {
    this.#what = what;
    this.#maxStale = options.maxStalePages ?? MAX_STALE_PAGES;
  }

  /**
   * Records one page's item ids; throws {@link PagingLoopError} when this is the
   * {@link MAX_STALE_PAGES}th page in a row without a new id.
   */
  page(ids: Iterable<string>, url: string): void {
    let fresh = false;
    for (const id of ids) {
      const key = idHash(id);
      if (!this.#ids.has(key)) {
        this.#ids.add(key);
        fresh = true;
      }
    }
    this.#stale = fresh ? 0 : this.#stale + 1;
    if (this.#stale >= this.#maxStale) {
      throw this.#loop(url, `${this.#stale} pages in a row brought no item not already listed`);
    }
  }

  /** Records that `link` is about to be followed; throws {@link PagingLoopError} on a repeat. */
  follow(link: string): void {
    if (this.#links.has(link)) throw this.#loop(link, "a next page link came back a second time");
    this.#links.add(link);
  }

  /** Forgets everything: the enumeration starts again from scratch. */
  reset(): void {
    this.#links.clear();
    this.#ids.clear();
    this.#stale = 0;
  }

  #loop(url: string, detail: string): PagingLoopError {
    return new PagingLoopError(
      `Cannot list ${this.#what}: the server keeps returning the same page (${detail})`,
      { method: "GET", url: redactUrl(url) },
    );
  }
}

/** A 52-bit FNV-1a style hash of `id`, exact as a JavaScript number. */
function idHash(id: string): number {
  let low = 0x811c9dc5;
  let high = 0x050c5d1f;
  for (let i = 0; i < id.length; i++) {
    const c = id.charCodeAt(i);
    low = Math.imul(low ^ c, 0x01000193) >>> 0;
    high = Math.imul(high ^ c ^ (low >>> 7), 0x01000193) >>> 0;
  }
  return (high & 0xfffff) * 0x100000000 + low;
}
