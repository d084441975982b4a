/**
 * A process-wide limit on how many jobs run at once (`max_parallel_jobs`). A run takes a slot
 * before it takes its job's lock and gives it back when it ends; waiting runs start in the
 * order they asked.
 * @module
 */

/** Gives a slot back. */
export type ReleaseSlot = () => void;

/** A counting semaphore whose waits can be aborted. */
export class RunSlots {
  #free: number;
  #waiting: { grant: (release: ReleaseSlot) => void }[] = [];

  /** @param size how many runs may hold a slot at once (at least 1) */
  constructor(size: number) {
    this.#free = Math.max(1, Math.floor(size));
  }

  /** Slots not held right now. */
  get free(): number {
    return this.#free;
  }

  /** Runs waiting for a slot. */
  get waiting(): number {
    return this.#waiting.length;
  }

  /**
   * Resolves with a release function once a slot is free; rejects with `signal.reason` when
   * `signal` aborts first (the slot is then never taken).
   */
  acquire(signal?: AbortSignal): Promise<ReleaseSlot> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.#free > 0) {
      this.#free--;
      return Promise.resolve(this.#releaser());
    }
    return new Promise((resolve, reject) => {
      const entry = {
        grant: (release: ReleaseSlot) => {
          signal?.removeEventListener("abort", onAbort);
          resolve(release);
        },
      };
      const onAbort = () => {
        this.#waiting = this.#waiting.filter((w) => w !== entry);
        reject(signal?.reason);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#waiting.push(entry);
    });
  }

  #releaser(): ReleaseSlot {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.#waiting.shift();
      if (next) next.grant(this.#releaser());
      else this.#free++;
    };
  }
}
