/**
 * The `download_concurrency` limit as slots held for the transfer only: a file takes a slot for
 * its request and body, and gives it back once the body is written, before its fdatasync and
 * placement. The next transfer then overlaps the previous file's flush to disk instead of
 * waiting for it, while no more than `download_concurrency` bodies stream at any time.
 * @module
 */
import { AbortedError } from "../errors.ts";

/** Gives a slot back; calling it again does nothing. */
export type Release = () => void;

/** A counting semaphore with first-come, first-served waiters. */
export class TransferSlots {
  #free: number;
  #waiting: (() => void)[] = [];

  constructor(count: number) {
    this.#free = Math.max(1, count);
  }

  /** Slots not taken now. */
  get free(): number {
    return this.#free;
  }

  /**
   * Resolves with the release function of a slot once one is free.
   * @throws {AbortedError} when `signal` aborts while waiting (no slot is then held).
   */
  acquire(signal?: AbortSignal): Promise<Release> {
    if (signal?.aborted) {
      return Promise.reject(
        new AbortedError("Cannot start a download: the run was aborted", { cause: signal.reason }),
      );
    }
    if (this.#free > 0) {
      this.#free--;
      return Promise.resolve(this.#releaser());
    }
    return new Promise((resolve, reject) => {
      const grant = () => {
        signal?.removeEventListener("abort", onAbort);
        resolve(this.#releaser());
      };
      const onAbort = () => {
        this.#waiting = this.#waiting.filter((w) => w !== grant);
        reject(
          new AbortedError("Cannot start a download: the run was aborted", {
            cause: signal?.reason,
          }),
        );
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#waiting.push(grant);
    });
  }

  #releaser(): Release {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.#waiting.shift();
      if (next) next();
      else this.#free++;
    };
  }
}
