/**
 * The `download_concurrency` limit as slots held for the transfer only: a file takes a slot for
 * its request and body, and gives it back once the body is written, before its fdatasync and
 * placement. The next transfer then overlaps the previous file's flush to disk instead of
 * waiting for it, while no more than `download_concurrency` bodies stream at any time.
 * @module
 */
import { AbortedError } from "../errors.ts";
import { Slots } from "../slots.ts";

/** The download slots; an aborted wait rejects with `AbortedError`. */
export class TransferSlots extends Slots {
  constructor(count: number) {
    super(count, {
      abortError: (reason) =>
        new AbortedError("Cannot start a download: the run was aborted", { cause: reason }),
    });
  }
}
