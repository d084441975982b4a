/**
 * A counting semaphore with first-come, first-served waiters whose waits can be aborted: the
 * process-wide run slots (`max_parallel_jobs`) and the download transfer slots both use it.
 * @module
 */

/** Gives a slot back; calling it again does nothing. */
export type ReleaseSlot = () => void;

/** A counting semaphore whose waits can be aborted. */
export class Slots {
  #free: number;
  #waiting: { grant: (release: ReleaseSlot) => void }[] = [];
  #abortError: (reason: unknown) => unknown;

  /**
   * @param size how many holders a slot may have at once (at least 1)
   * @param options.abortError what an aborted wait rejects with, default `signal.reason`
   */
  constructor(size: number, options: { abortError?: (reason: unknown) => unknown } = {}) {
    this.#free = Math.max(1, Math.floor(size));
    this.#abortError = options.abortError ?? ((reason) => reason);
  }

  /** Slots not held right now. */
  get free(): number {
    return this.#free;
  }

  /** Callers waiting for a slot. */
  get waiting(): number {
    return this.#waiting.length;
  }

  /**
   * Resolves with a release function once a slot is free (waiters are served in order); rejects
   * with the abort error when `signal` aborts first (the slot is then never taken).
   */
  acquire(signal?: AbortSignal): Promise<ReleaseSlot> {
    if (signal?.aborted) return Promise.reject(this.#abortError(signal.reason));
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
        reject(this.#abortError(signal?.reason));
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
