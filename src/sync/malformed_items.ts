/**
 * The file items one listing skipped because they lack a name, size or modification time
 * (real-sharepoint-quirks.md §12): one WARNING per item, a count for the run's result, and the
 * ids the state keeps so that a delta run looks at them again (a delta link would not report an
 * unchanged item a second time).
 * @module
 */
import { getLogger } from "@logtape/logtape";
import type { MalformedItem } from "../graph/sharepoint_client.ts";
import type { MalformedEntry } from "../state/state_wire.ts";

const log = getLogger(["ingest", "sync"]);

/** The malformed items of one listing, by id (a later well-formed entry of the id clears it). */
export class MalformedItems {
  #runId: string;
  #items = new Map<string, MalformedItem>();
  #warned = new Set<string>();

  constructor(runId: string) {
    this.#runId = runId;
  }

  /** Records a skipped item; the first time an id is seen, logs one WARNING naming it. */
  note(item: MalformedItem): void {
    this.#items.set(item.id, item);
    if (this.#warned.has(item.id)) return;
    this.#warned.add(item.id);
    const properties = { run_id: this.#runId, item_id: item.id, reason: item.reason };
    const rest = ": {reason}, so it cannot be downloaded; it is listed again next run";
    if (item.name === undefined) log.warn(`Skipped item {item_id}${rest}`, properties);
    else log.warn(`Skipped item {item_id} ({name})${rest}`, { ...properties, name: item.name });
  }

  /** The id came again as a usable file, or as gone. */
  forget(id: string): void {
    this.#items.delete(id);
  }

  /** The listing starts again from scratch. */
  clear(): void {
    this.#items.clear();
  }

  get count(): number {
    return this.#items.size;
  }

  has(id: string): boolean {
    return this.#items.has(id);
  }

  /** What the state keeps. */
  entries(): MalformedEntry[] {
    return [...this.#items.values()].map((item) =>
      item.name === undefined ? { id: item.id } : { id: item.id, name: item.name }
    );
  }
}
