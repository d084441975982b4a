/**
 * A set of item ids that keeps 8 bytes per id instead of the id string: a 64-bit hash of each id
 * in an open-addressed table (linear probing, at most half full). Two distinct ids share a hash
 * with a probability of about n²/2⁶⁵ (3·10⁻⁸ for a million ids); such a pair counts as one id.
 * @module
 */

const EMPTY = 0;
const MIN_SLOTS = 1024;

/** Ids of a listing that need no more than "seen or not" (see `DeltaFeed` in listing.ts). */
export class IdHashSet {
  /** Two 32-bit words per slot; the pair (0, 0) marks an empty slot. */
  #slots = new Uint32Array(2 * MIN_SLOTS);
  #size = 0;

  get size(): number {
    return this.#size;
  }

  has(id: string): boolean {
    const [high, low] = hash(id);
    return this.#find(high, low) >= 0;
  }

  add(id: string): void {
    const [high, low] = hash(id);
    if (this.#find(high, low) >= 0) return;
    if (2 * (this.#size + 1) > this.#capacity()) this.#grow();
    this.#insert(high, low);
    this.#size++;
  }

  delete(id: string): boolean {
    const [high, low] = hash(id);
    let slot = this.#find(high, low);
    if (slot < 0) return false;
    const mask = this.#capacity() - 1;
    // Backward-shift deletion: move later entries of the probe run into the hole.
    for (let next = (slot + 1) & mask;; next = (next + 1) & mask) {
      if (this.#isEmpty(next)) break;
      const home = this.#slots[2 * next + 1]! & mask;
      const inRun = slot <= next ? home <= slot || home > next : home <= slot && home > next;
      if (inRun) {
        this.#slots[2 * slot] = this.#slots[2 * next]!;
        this.#slots[2 * slot + 1] = this.#slots[2 * next + 1]!;
        slot = next;
      }
    }
    this.#slots[2 * slot] = EMPTY;
    this.#slots[2 * slot + 1] = EMPTY;
    this.#size--;
    return true;
  }

  clear(): void {
    this.#slots = new Uint32Array(2 * MIN_SLOTS);
    this.#size = 0;
  }

  #capacity(): number {
    return this.#slots.length / 2;
  }

  #isEmpty(slot: number): boolean {
    return this.#slots[2 * slot] === EMPTY && this.#slots[2 * slot + 1] === EMPTY;
  }

  /** The slot holding the hash, or -1. */
  #find(high: number, low: number): number {
    const mask = this.#capacity() - 1;
    for (let slot = low & mask;; slot = (slot + 1) & mask) {
      if (this.#isEmpty(slot)) return -1;
      if (this.#slots[2 * slot] === high && this.#slots[2 * slot + 1] === low) return slot;
    }
  }

  #insert(high: number, low: number): void {
    const mask = this.#capacity() - 1;
    let slot = low & mask;
    while (!this.#isEmpty(slot)) slot = (slot + 1) & mask;
    this.#slots[2 * slot] = high;
    this.#slots[2 * slot + 1] = low;
  }

  #grow(): void {
    const old = this.#slots;
    this.#slots = new Uint32Array(old.length * 2);
    for (let i = 0; i < old.length; i += 2) {
      if (old[i] !== EMPTY || old[i + 1] !== EMPTY) this.#insert(old[i]!, old[i + 1]!);
    }
  }
}

/** Two differently seeded FNV-1a-style 32-bit hashes of the UTF-16 code units; never (0, 0). */
function hash(id: string): [number, number] {
  let high = 0x811c9dc5;
  let low = 0x050c5d1f;
  for (let i = 0; i < id.length; i++) {
    const unit = id.charCodeAt(i);
    high = Math.imul(high ^ unit, 0x01000193);
    low = Math.imul(low ^ unit, 0x01000193) ^ (low >>> 15);
  }
  low = Math.imul(low ^ (low >>> 16), 0x85ebca6b) >>> 0;
  high >>>= 0;
  return high === EMPTY && low === EMPTY ? [0, 1] : [high, low];
}

/** The 64-bit hash {@link IdHashSet} keeps of `id`, as two unsigned 32-bit words; never (0, 0). */
export function idHash(id: string): [number, number] {
  return hash(id);
}
