/**
 * One cross-process run lock shared by the runs of one process.
 *
 * OS file locks belong to an open file, so two runs of the same process cannot each hold their
 * own. The process takes the lock when its first run starts and keeps it until its last
 * concurrent run ends (`allow_overlap = true`, or a forced trigger). Runs that arrive while the
 * lock is being taken join that acquisition; it is cancelled only when every one of them gave up.
 * @module
 */
import { AbortedError } from "../errors.ts";
import type { LockFactory, RunLock } from "./run_lock.ts";

/** One run's share of the lock. */
export interface LockLease {
  /** Gives the share back; the lock is released with the last share. Safe to call twice. */
  release(): Promise<void>;
}

interface Pending {
  promise: Promise<RunLock>;
  controller: AbortController;
  waiters: number;
}

function abortedError(signal: AbortSignal): AbortedError {
  return new AbortedError("Cannot take the run lock: the run was aborted", {
    cause: signal.reason,
  });
}

/** Resolves like `promise`, or rejects with {@link AbortedError} when `signal` aborts first. */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(abortedError(signal));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortedError(signal));
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

/** Reference-counted holder of the process's run lock. */
export class SharedRunLock {
  #factory: LockFactory;
  #wait: boolean;
  #lock: RunLock | undefined;
  #pending: Pending | undefined;
  #releasing: Promise<void> | undefined;
  #users = 0;

  /** `wait`: whether an acquisition waits for another process (policy "queue") or fails. */
  constructor(factory: LockFactory, options: { wait: boolean }) {
    this.#factory = factory;
    this.#wait = options.wait;
  }

  /** Whether this process holds the lock now. */
  get held(): boolean {
    return this.#lock !== undefined;
  }

  /**
   * Takes a share of the lock, taking the lock itself when no run of this process holds it.
   * `options.wait` overrides the policy's wait for this call.
   * @throws {LockedError} when another process holds it and the policy does not wait
   * @throws {AbortedError} when `signal` aborts first
   */
  async acquire(signal?: AbortSignal, options: { wait?: boolean } = {}): Promise<LockLease> {
    for (;;) {
      while (this.#releasing) await this.#releasing;
      if (signal?.aborted) throw abortedError(signal);
      if (this.#lock) {
        this.#users++;
        return this.#lease();
      }
      const pending = this.#pending ?? this.#start(options.wait ?? this.#wait);
      pending.waiters++;
      try {
        await untilAborted(pending.promise, signal);
      } finally {
        pending.waiters--;
        if (pending.waiters === 0 && !this.#lock) pending.controller.abort();
      }
    }
  }

  #start(wait: boolean): Pending {
    const controller = new AbortController();
    const pending: Pending = { promise: Promise.resolve() as never, controller, waiters: 0 };
    pending.promise = this.#factory({ wait, signal: controller.signal }).then(
      async (lock) => {
        if (pending.waiters === 0) {
          await lock.release();
          throw abortedError(controller.signal);
        }
        this.#lock = lock;
        return lock;
      },
    ).finally(() => {
      if (this.#pending === pending) this.#pending = undefined;
    });
    pending.promise.catch(() => {});
    this.#pending = pending;
    return pending;
  }

  #lease(): LockLease {
    let released = false;
    return {
      release: async () => {
        if (released) return;
        released = true;
        this.#users--;
        if (this.#users > 0 || !this.#lock) return;
        const lock = this.#lock;
        this.#lock = undefined;
        const done = lock.release();
        this.#releasing = done.then(() => {}, () => {}).finally(() => {
          this.#releasing = undefined;
        });
        await done;
      },
    };
  }
}
