/**
 * The content-identity ledger: for each file this job placed, a hash of its item id, hashes of
 * its content identity (cTag; QuickXorHash and size) and when it was placed.
 *
 * A column (metadata) edit gives an item a new eTag and Modified time but keeps its cTag and
 * content (real-sharepoint-quirks.md §9); a delta page reports it again, and once the DB service's
 * window has moved past the first ingestion nothing else says it was ingested. The ledger makes
 * such a version `unchanged_content`: not downloaded. A different content identity is new content.
 * The DB service stays the authority on what was ingested: the ledger only stops this job from
 * downloading again what it placed itself (so delta and children modes place the same files).
 *
 * An entry is keyed by the item id together with the name the file was placed under (its relative
 * path or flattened name with `include_subfolders`): a renamed file, or a file below a renamed
 * folder, reaches the watcher under a name it has never seen, so it counts as new (docs/configuration.md,
 * "What counts as new" and "Subfolders").
 *
 * Business delta omits `cTag` on created and modified items (graph-delta.md §2) while children
 * lists carry it, so both identities are kept and a file matches when every identity known on both
 * sides is equal and at least one is. A file with neither (no cTag, no hash) never matches.
 *
 * Compact: 20 bytes per entry in memory (one `Uint32Array`) and 27 base64 characters in the state
 * file, so 100k entries cost about 2 MB in memory and 2.7 MB on disk.
 * @module
 */
import type { RemoteFile } from "../graph/sharepoint_client.ts";
import type { LedgerState } from "../state/state_wire.ts";
import { idHash } from "./id_hash_set.ts";

/** 32-bit words per entry: id hash (2), cTag hash, QuickXorHash+size hash, placed at (s). */
const WORDS = 5;

/** Entries are kept at least this long, whatever `max_catch_up_hours` says. */
export const LEDGER_MIN_RETENTION_MS = 30 * 86_400_000;

/** How long the ledger keeps an entry: the longer of 30 days and `max_catch_up_hours`. */
export function ledgerRetentionMs(maxCatchUpHours: number): number {
  return Math.max(LEDGER_MIN_RETENTION_MS, maxCatchUpHours * 3_600_000);
}

/** The ledger key of `file`: a hash of its item id and the name it is placed under. */
export function ledgerKey(file: Pick<RemoteFile, "id" | "name">): [number, number] {
  return idHash(`${file.id}\u0000${file.name}`);
}

/** The content identity of `file`: hashes of its cTag and of QuickXorHash + size (0 = none). */
export function contentIdentity(
  file: Pick<RemoteFile, "cTag" | "quickXorHash" | "size">,
): [number, number] {
  const ctag = file.cTag ? nonZero(idHash(`c ${file.cTag}`)[1]) : 0;
  const content = file.quickXorHash ? nonZero(idHash(`q ${file.quickXorHash} ${file.size}`)[1]) : 0;
  return [ctag, content];
}

function nonZero(word: number): number {
  return word === 0 ? 1 : word;
}

/** Size and age of a ledger, for `ingest check`. */
export interface LedgerSummary {
  entries: number;
  /** Placed time of the oldest entry (ms since epoch), when there is one. */
  oldest?: number;
  /** Bytes of the base64 section in the state file. */
  stateBytes: number;
}

/** The ledger of one job, read from and written to the state's `ledger` section. */
export class PlacedLedger {
  /** Entries sorted by id hash (high word, then low word). */
  #words: Uint32Array;

  private constructor(words: Uint32Array) {
    this.#words = words;
  }

  /** The ledger of a state section (empty when absent or unusable). */
  static from(section: LedgerState | undefined): PlacedLedger {
    if (section === undefined || section.entries === "") return new PlacedLedger(new Uint32Array());
    let bytes: Uint8Array;
    try {
      bytes = Uint8Array.fromBase64(section.entries);
    } catch {
      return new PlacedLedger(new Uint32Array());
    }
    if (bytes.length % (WORDS * 4) !== 0) return new PlacedLedger(new Uint32Array());
    const words = new Uint32Array(bytes.length / 4);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let i = 0; i < words.length; i++) words[i] = view.getUint32(4 * i, true);
    return new PlacedLedger(words);
  }

  get size(): number {
    return this.#words.length / WORDS;
  }

  /** True when this job placed `file`'s item under the same name with the same content identity. */
  matches(file: Pick<RemoteFile, "id" | "name" | "cTag" | "quickXorHash" | "size">): boolean {
    const index = this.#find(ledgerKey(file));
    if (index < 0) return false;
    const [ctag, content] = contentIdentity(file);
    const savedCtag = this.#words[index * WORDS + 2]!;
    const savedContent = this.#words[index * WORDS + 3]!;
    let equal = 0;
    for (const [now, saved] of [[ctag, savedCtag], [content, savedContent]] as const) {
      if (now === 0 || saved === 0) continue;
      if (now !== saved) return false;
      equal++;
    }
    return equal > 0;
  }

  /**
   * A ledger with `placed` added (replacing older entries of the same items and names) and entries placed
   * before `cutoff` (ms since epoch) left out.
   */
  with(placed: readonly { file: RemoteFile; at: number }[], cutoff: number): PlacedLedger {
    const fresh = new Map<string, Uint32Array>();
    for (const { file, at } of placed) {
      const [high, low] = ledgerKey(file);
      const [ctag, content] = contentIdentity(file);
      fresh.set(`${high}:${low}`, Uint32Array.of(high, low, ctag, content, Math.floor(at / 1000)));
    }
    const rows: Uint32Array[] = [...fresh.values()];
    for (let i = 0; i < this.size; i++) {
      const row = this.#words.subarray(i * WORDS, (i + 1) * WORDS);
      if (row[4]! * 1000 < cutoff || fresh.has(`${row[0]}:${row[1]}`)) continue;
      rows.push(row);
    }
    rows.sort((a, b) => a[0]! - b[0]! || a[1]! - b[1]!);
    const words = new Uint32Array(rows.length * WORDS);
    rows.forEach((row, i) => words.set(row, i * WORDS));
    return new PlacedLedger(words);
  }

  /** The state section (little-endian words, base64). */
  toState(): LedgerState {
    const bytes = new Uint8Array(this.#words.length * 4);
    const view = new DataView(bytes.buffer);
    for (let i = 0; i < this.#words.length; i++) view.setUint32(4 * i, this.#words[i]!, true);
    return { entries: bytes.toBase64() };
  }

  summary(): LedgerSummary {
    let oldest: number | undefined;
    for (let i = 0; i < this.size; i++) {
      const at = this.#words[i * WORDS + 4]! * 1000;
      if (oldest === undefined || at < oldest) oldest = at;
    }
    return {
      entries: this.size,
      ...(oldest === undefined ? {} : { oldest }),
      stateBytes: Math.ceil((this.#words.length * 4) / 3) * 4,
    };
  }

  /** The entry index of an id hash, or -1 (binary search). */
  #find([high, low]: [number, number]): number {
    let lo = 0;
    let hi = this.size - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const h = this.#words[mid * WORDS]!;
      const l = this.#words[mid * WORDS + 1]!;
      if (h === high && l === low) return mid;
      if (h < high || (h === high && l < low)) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }
}
