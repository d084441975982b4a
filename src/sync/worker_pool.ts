/**
 * A small worker pool: at most `concurrency` items in flight, no new item once `signal` aborts.
 * @module
 */

/** Options of {@link runPool}. */
export interface PoolOptions {
  concurrency: number;
  /** Once aborted, no further item is started; items in flight run to their own end. */
  signal?: AbortSignal | undefined;
}

/**
 * Calls `work` for each item, at most `concurrency` at a time, in list order. Resolves when every
 * started item has settled; rejects with the first error any `work` call threw (after all settle).
 */
export async function runPool<T>(
  items: readonly T[],
  options: PoolOptions,
  work: (item: T, index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length && !options.signal?.aborted) {
      const index = next++;
      await work(items[index]!, index);
    }
  };
  const count = Math.max(1, Math.min(options.concurrency, items.length));
  const outcomes = await Promise.allSettled(Array.from({ length: count }, worker));
  const failure = outcomes.find((o): o is PromiseRejectedResult => o.status === "rejected");
  if (failure) throw failure.reason;
}
