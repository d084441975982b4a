/**
 * `DeltaFeed`: the files of one delta listing, held in memory in proportion to the window.
 * @module
 */
import type { RemoteFile, RemoteFolder } from "../graph/sharepoint_client.ts";
import type { TimeWindow } from "../db/db_service_client.ts";
import type { RetryEntry } from "../state/state_wire.ts";
import { arrivalTime, latestTime, type Reported } from "./arrival.ts";
import { IdHashSet } from "./id_hash_set.ts";
import { fileFromEntry } from "./listing_state.ts";
import type { ListingCounts } from "./select.ts";

/** What a delta feed remembers of an id it will not hand over. */
type Marker = "gone" | "ingested";

/**
 * The files of one delta feed, deduplicated by id (the last entry wins). Whole entries are held
 * only for the files that can still be candidates: a file the `ingested` rule matches leaves a
 * marker under its id, a file whose created and modified times both lie before the window only an
 * 8-byte hash of its id, so a full enumeration holds memory in proportion to the window, not the
 * folder. An incremental feed (read from a saved link) keeps every file it reports: each is an
 * arrival, whatever its dates (a back-dated upload, a native move or copy; quirks §1).
 */
export class DeltaFeed {
  #window: TimeWindow;
  #ingested: (file: RemoteFile) => boolean;
  #entries = new Map<string, RemoteFile | Marker>();
  #before = new IdHashSet();
  /** Files the retry list offers again, by id, with their saved arrival time. */
  #offered = new Map<string, number | undefined>();
  #restarted = false;
  #incremental = false;

  constructor(window: TimeWindow, ingested: (file: RemoteFile) => boolean = () => false) {
    this.#window = window;
    this.#ingested = ingested;
  }

  /** True once a dead link made the feed start again from scratch (see {@link restart}). */
  get restarted(): boolean {
    return this.#restarted;
  }

  /** True while the pages come from a saved link: every file reported is an arrival. */
  get incremental(): boolean {
    return this.#incremental;
  }

  /** Starts (or starts again) reading pages, from a saved link or from scratch. */
  begin(fromLink: boolean): void {
    this.#clear();
    this.#incremental = fromLink;
  }

  /** The saved link was dead: what came so far is void, the rest is a full enumeration. */
  restart(): void {
    this.#clear();
    this.#restarted = true;
    this.#incremental = false;
  }

  #clear(): void {
    this.#entries.clear();
    this.#before.clear();
    this.#offered.clear();
  }

  add(change: { kind: "file"; file: RemoteFile } | { kind: "gone"; id: string }): void {
    const id = change.kind === "gone" ? change.id : change.file.id;
    this.#entries.delete(id);
    if (change.kind === "gone") {
      this.#before.delete(id);
      this.#entries.set(id, "gone");
    } else if (this.#incremental) {
      this.#before.delete(id);
      this.#entries.set(id, change.file);
    } else if (latestTime(change.file) < this.#window.since.getTime()) {
      this.#before.add(id);
    } else {
      this.#before.delete(id);
      this.#entries.set(id, this.#ingested(change.file) ? "ingested" : change.file);
    }
  }

  /** False for a file {@link add} would keep only as a hash of its id (see `FeedTarget.keeps`). */
  keeps(file: RemoteFile): boolean {
    return this.#incremental || latestTime(file) >= this.#window.since.getTime();
  }

  /**
   * Set when `file` came from an incremental feed (see {@link Listing.reported}). A file only the
   * retry list offers again is offered until its arrival time leaves the window.
   */
  reported(file: RemoteFile): Reported | undefined {
    if (!this.#incremental) return undefined;
    if (!this.#offered.has(file.id)) return {};
    const reported = { firstSeen: this.#offered.get(file.id) };
    const arrival = arrivalTime(file, this.#window, reported.firstSeen ?? 0, reported);
    return arrival >= this.#window.since.getTime() ? reported : undefined;
  }

  /** Adds the saved files to offer again that this feed did not mention. */
  offer(entries: readonly RetryEntry[], folder: RemoteFolder): void {
    for (const entry of entries) {
      if (this.#entries.has(entry.id) || this.#before.has(entry.id)) continue;
      const arrived = entry.arrived_at === undefined ? undefined : Date.parse(entry.arrived_at);
      this.#offered.set(entry.id, arrived);
      this.add({ kind: "file", file: fileFromEntry(entry, folder) });
    }
  }

  /** True when the feed holds an entry (or a marker) for `id`. */
  mentions(id: string): boolean {
    return this.#entries.has(id) || this.#before.has(id);
  }

  counted(): ListingCounts {
    let ingested = 0;
    for (const value of this.#entries.values()) if (value === "ingested") ingested++;
    return { before: this.#before.size, ingested };
  }

  async *files(): AsyncIterable<RemoteFile> {
    for (const value of this.#entries.values()) {
      if (typeof value !== "string") yield value;
    }
  }
}
