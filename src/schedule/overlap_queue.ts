/**
 * The overlap queue of `overlap_policy = "queue"`: at most one request that arrived while a run
 * was in progress, started when the process has no run left, or dropped when the scheduler stops.
 * @module
 */
import { getLogger } from "@logtape/logtape";
import { type RunOutcome, skipped } from "./run_outcome.ts";

const log = getLogger(["ingest", "scheduler"]);

interface Queued {
  start(): void;
  cancel(): void;
}

/** Holds at most one queued request. */
export class OverlapQueue {
  #queued: Queued | undefined;

  /** True while a request waits (a further one is skipped). */
  get full(): boolean {
    return this.#queued !== undefined;
  }

  /**
   * Queues `run` for the request `kind` ("tick", "manual", …); resolves with its outcome once it
   * ran, or skipped ("stopped") when dropped first. The caller checks {@link full} before.
   */
  enqueue(kind: string, run: () => Promise<RunOutcome>): Promise<RunOutcome> {
    log.info("Queued {kind}: it runs when the current run ends", { kind });
    return new Promise((resolve) => {
      this.#queued = {
        start: () => {
          this.#queued = undefined;
          resolve(run());
        },
        cancel: () => {
          this.#queued = undefined;
          log.info("Dropped the queued {kind}: the scheduler is stopping", { kind });
          resolve(skipped("stopped"));
        },
      };
    });
  }

  /** Starts the queued request; false when none waits. */
  startNext(): boolean {
    const queued = this.#queued;
    queued?.start();
    return queued !== undefined;
  }

  /** Drops the queued request, if any: it resolves skipped ("stopped"). */
  cancel(): void {
    this.#queued?.cancel();
  }
}
