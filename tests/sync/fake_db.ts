/**
 * An in-memory `DBServiceClient`: answers with `names`, or throws `error`; records each window.
 * @module
 */
import type { DBServiceClient, TimeWindow } from "../../src/db/db_service_client.ts";

export class FakeDb implements DBServiceClient {
  names: string[];
  error: Error | undefined;
  readonly windows: TimeWindow[] = [];

  constructor(names: string[] = []) {
    this.names = names;
  }

  listIngested(window: TimeWindow, _signal?: AbortSignal): Promise<string[]> {
    this.windows.push(window);
    return this.error ? Promise.reject(this.error) : Promise.resolve([...this.names]);
  }
}
