/**
 * Runs `work` on every item with at most `limit` calls in flight, and waits for all of them. Why:
 * the log's commits group (one WAL flush for several transactions) only when appends overlap, so
 * independent appends go faster side by side; the bound keeps a request from taking the whole
 * connection pool. If any call fails, no new call starts, the ones in flight finish, and the
 * first error is thrown.
 */
export async function forEachBounded<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`limit must be a positive integer, got ${limit}`);
  let next = 0;
  let failure: { error: unknown } | null = null;
  const worker = async () => {
    while (failure === null && next < items.length) {
      const item = items[next];
      next += 1;
      try {
        await work(item);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure !== null) throw (failure as { error: unknown }).error;
}
