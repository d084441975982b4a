/**
 * QuickXorHash, the content hash OneDrive for Business and SharePoint publish as
 * `file.hashes.quickXorHash` (Base64 of 20 bytes).
 *
 * Definition (the C# reference in OneDrive's docs): a 160-bit state where the byte at absolute
 * stream position `i` is XORed in rotated left by `(11 * i) mod 160` bits; the 20 state bytes are
 * serialized little-endian and the total length (uint64, little-endian) is XORed into the last
 * 8 bytes.
 *
 * Because the rotation depends only on `i mod 160`, hashing reduces to XORing the input into a
 * 160-byte accumulator (one cell per position class) and folding the 160 rotated cells once at
 * the end. The accumulator is read and written as 32-bit words, so the inner loop moves four
 * bytes per step. Four accumulators, one per `(position - address) mod 4`, keep the words aligned
 * with the input's memory whatever the caller's chunk boundaries are.
 * @module
 */

const WIDTH_BYTES = 20;
const CELLS = 160;
const WORDS = CELLS / 4;
const SHIFT = 11;
const TWO_POW_32 = 0x1_0000_0000;
/** Bit rotation of each position class: (11 * position) mod 160. */
const ROTATION = Uint8Array.from({ length: CELLS }, (_, position) => (SHIFT * position) % CELLS);

/**
 * Incremental QuickXorHash: feed any number of chunks with {@link QuickXorHash.update}, then read
 * {@link QuickXorHash.digest} or {@link QuickXorHash.digestBase64}. Splitting the input differently
 * never changes the result.
 *
 * @example
 * ```ts
 * const hash = new QuickXorHash();
 * hash.update(new TextEncoder().encode("hello ")).update(new TextEncoder().encode("world"));
 * hash.digestBase64(); // "aCgDG9jwBhDc4Q1yawMZAAAAAAA="
 * ```
 */
export class QuickXorHash {
  /**
   * Up to four accumulators of 160 cells, created on first use: accumulator `k` holds the bytes
   * whose stream position minus memory address is `k` (mod 4).
   */
  #cells: (Uint8Array | undefined)[] = [undefined, undefined, undefined, undefined];
  #words: (Uint32Array | undefined)[] = [undefined, undefined, undefined, undefined];
  #length = 0;

  /** Adds `bytes` to the hash; returns `this` for chaining. */
  update(bytes: Uint8Array): this {
    const n = bytes.length;
    if (n === 0) return this;
    const address = bytes.byteOffset;
    const phase = ((this.#length - address) % 4 + 4) % 4;
    const cells = this.#cells[phase] ??= new Uint8Array(CELLS);
    const words = this.#words[phase] ??= new Uint32Array(cells.buffer);
    // Input byte j lands in cell (position - phase) mod 160, which is ≡ its address (mod 4).
    const base = ((this.#length - phase) % CELLS + CELLS) % CELLS;
    const head = Math.min(n, (4 - (address % 4)) % 4);
    let cell = base;
    for (let j = 0; j < head; j++) {
      cells[cell]! ^= bytes[j]!;
      cell = cell === CELLS - 1 ? 0 : cell + 1;
    }
    const wordCount = (n - head) >>> 2;
    if (wordCount > 0) {
      const input = new Uint32Array(bytes.buffer, address + head, wordCount);
      const word = cell >>> 2;
      let w = 0;
      // Finish the current 40-word round, then whole rounds, then the remainder.
      const firstRun = Math.min(wordCount, WORDS - word);
      for (; w < firstRun; w++) words[word + w]! ^= input[w]!;
      const rounds = ((wordCount - w) / WORDS) | 0;
      for (let r = 0; r < rounds; r++) {
        const end = w + WORDS;
        for (let k = 0; w < end; w++, k++) words[k]! ^= input[w]!;
      }
      for (let k = 0; w < wordCount; w++, k++) words[k]! ^= input[w]!;
      cell = (base + head + wordCount * 4) % CELLS;
    }
    for (let j = head + wordCount * 4; j < n; j++) {
      cells[cell]! ^= bytes[j]!;
      cell = cell === CELLS - 1 ? 0 : cell + 1;
    }
    this.#length += n;
    return this;
  }

  /** The 20-byte digest of everything fed so far (the hash can keep receiving bytes). */
  digest(): Uint8Array {
    const out = new Uint8Array(WIDTH_BYTES);
    for (let phase = 0; phase < 4; phase++) {
      const cells = this.#cells[phase];
      if (cells === undefined) continue;
      for (let c = 0; c < CELLS; c++) {
        const value = cells[c]!;
        if (value === 0) continue;
        // Cell c of accumulator `phase` collects stream positions ≡ c + phase (mod 160).
        const position = c + phase;
        const shift = ROTATION[position < CELLS ? position : position - CELLS]!;
        const index = shift >>> 3;
        const shifted = value << (shift & 7);
        out[index]! ^= shifted & 0xff;
        out[(index + 1) % WIDTH_BYTES]! ^= shifted >>> 8;
      }
    }
    const low = this.#length % TWO_POW_32;
    const high = Math.floor(this.#length / TWO_POW_32);
    for (let t = 0; t < 4; t++) {
      out[12 + t]! ^= (low >>> (8 * t)) & 0xff;
      out[16 + t]! ^= (high >>> (8 * t)) & 0xff;
    }
    return out;
  }

  /** The digest as standard Base64 with padding (28 characters), as Graph shows it. */
  digestBase64(): string {
    return encodeBase64(this.digest());
  }
}

/**
 * One-shot QuickXorHash of `bytes`, Base64-encoded like `file.hashes.quickXorHash`.
 *
 * @example
 * ```ts
 * quickXorHash(new TextEncoder().encode("hello world")); // "aCgDG9jwBhDc4Q1yawMZAAAAAAA="
 * ```
 */
export function quickXorHash(bytes: Uint8Array): string {
  return new QuickXorHash().update(bytes).digestBase64();
}

function encodeBase64(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}
