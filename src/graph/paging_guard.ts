/**
 * Ends a paged listing that the service keeps looping (real-sharepoint-quirks.md §11): service
 * regressions have answered the same page again and again, behind the same `@odata.nextLink`, a
 * fresh one, or circular ones (OneDrive/onedrive-api-docs#1424, #1431, #1620;
 * microsoftgraph/microsoft-graph-docs#2749). Without a guard such a listing never ends, costs a
 * resource unit per page and holds the job's lock, so every later run is refused as overlapping.
 *
 * Two signs stop it: a nextLink already followed in this listing, and a run of
 * {@link MAX_STALE_PAGES} consecutive pages that bring no item id not already seen. Memory stays
 * bounded whatever the folder's size (a full listing of a million items must not hold a million
 * ids): "already seen" means seen in the last {@link MAX_STALE_PAGES} pages, or on a page with
 * the very same ids earlier in the listing (one 52-bit fingerprint per page). So a loop over a
 * cycle of up to that many pages, or of identical pages of any length, is caught; a hash
 * collision can only make one page look stale, and it takes that many stale pages in a row to
 * stop a listing.
 * @module
 */
import { GraphError } from "../errors.ts";
import { redactUrl } from "../redact.ts";

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
  /** Id hash → index of the last page (within the window) that carried it. */
  #recent = new Map<number, number>();
  /** The id hashes of the last pages, oldest first. */
  #window: number[][] = [];
  /** Fingerprints of every page so far. */
  #prints = new Set<number>();
  #pages = 0;
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
    const index = this.#pages++;
    const hashes = Array.from(ids, idHash);
    let fresh = false;
    for (const hash of hashes) {
      if (!this.#recent.has(hash)) fresh = true;
      this.#recent.set(hash, index);
    }
    this.#window.push(hashes);
    if (this.#window.length > this.#maxStale) {
      const leaving = index - this.#maxStale;
      for (const hash of this.#window.shift()!) {
        if (this.#recent.get(hash) === leaving) this.#recent.delete(hash);
      }
    }
    const print = fingerprint(hashes);
    if (this.#prints.has(print)) fresh = false;
    this.#prints.add(print);
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
    this.#recent.clear();
    this.#window = [];
    this.#prints.clear();
    this.#pages = 0;
    this.#stale = 0;
  }

  #loop(url: string, detail: string): PagingLoopError {
    return new PagingLoopError(
      `Cannot list ${this.#what}: the server keeps returning the same page (${detail})`,
      { method: "GET", url: redactUrl(url) },
    );
  }
}

/** An order-independent 52-bit fingerprint of a page's id hashes. */
function fingerprint(hashes: readonly number[]): number {
  let sum = hashes.length;
  let mixed = 0;
  for (const hash of hashes) {
    sum = (sum + hash) % 0x10000000000000;
    mixed = (mixed + Math.imul(hash % 0x100000000 | 0, 0x9e3779b1)) >>> 0;
  }
  return (sum + mixed * 0x100000) % 0x10000000000000;
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
