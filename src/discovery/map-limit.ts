/**
 * `fn` over `items`, at most `limit` calls at a time, results in input order. The first call
 * that throws rejects the whole (the calls already started run on, their results unused); a
 * `limit` below 1 runs nothing, as no worker starts.
 */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
