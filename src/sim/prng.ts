/**
 * Seeded pseudo-random numbers for the simulator: ids, GUIDs, fault probabilities and file
 * content are reproducible from `SimOptions.seed`.
 * @module
 */

/** A 32-bit hash of `text` (FNV-1a), used to derive per-file seeds from names. */
export function hashString(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** Mixes two 32-bit values into a well-spread 32-bit seed (murmur3 finalizer). */
export function mixSeed(a: number, b: number): number {
  let h = (a ^ Math.imul(b + 0x9e3779b9, 0x85ebca6b)) >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0 || 0x6d2b79f5;
}

const BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const BASE64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/** A seeded generator (mulberry32) with helpers for the id formats SharePoint uses. */
export class SeededRandom {
  #state: number;

  constructor(seed: number) {
    this.#state = seed >>> 0;
  }

  /** Next unsigned 32-bit value. */
  nextUint32(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.nextUint32() / 0x1_0000_0000;
  }

  /** A lower-case version-4 GUID, e.g. "0e8182ec-5ee9-41e6-96ba-372340f873cb". */
  guid(): string {
    const a = this.nextUint32();
    const b = this.nextUint32();
    const c = this.nextUint32();
    const d = this.nextUint32();
    const hex = (value: number, digits: number) => value.toString(16).padStart(digits, "0");
    return `${hex(a, 8)}-${hex(b >>> 16, 4)}-${hex(0x4000 | (b & 0x0fff), 4)}-${
      hex(0x8000 | (c >>> 18), 4)
    }-${hex(c & 0xffff, 4)}${hex(d, 8)}`;
  }

  /** `length` characters of `alphabet` (32 or 64 characters: 5 or 6 bits per character). */
  chars(alphabet: string, length: number): string {
    const bits = alphabet.length === 64 ? 6 : 5;
    const mask = (1 << bits) - 1;
    const codes = new Array<number>(length);
    let pool = 0;
    let available = 0;
    for (let i = 0; i < length; i++) {
      if (available < bits) {
        pool = this.nextUint32();
        available = 32;
      }
      codes[i] = alphabet.charCodeAt(pool & mask);
      pool >>>= bits;
      available -= bits;
    }
    return String.fromCharCode(...codes);
  }

  /** A SharePoint-style item id: 34 characters like "01J7TAN47MQKAQ52K64ZAZNORXENAPQ46L". */
  itemId(): string {
    return `01${this.chars(BASE32, 32)}`;
  }

  /** A SharePoint drive id: "b!" and 64 base64url characters. */
  driveId(): string {
    return `b!${this.chars(BASE64URL, 64)}`;
  }

  /** Opaque base64url text of `length` characters (tokens, signatures). */
  opaque(length: number): string {
    return this.chars(BASE64URL, length);
  }
}
