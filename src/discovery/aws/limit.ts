import { ConcurrencyLimiter } from '../../concurrency.js';

/**
 * A concurrency limit shared by every call of one refresh: at most `n` requests in flight,
 * the others queued in call order.
 */
export type Limiter = <T>(task: () => Promise<T>) => Promise<T>;

export function limiter(n: number): Limiter {
  const limit = new ConcurrencyLimiter(n);
  return (task) => limit.run(task);
}

/** `items` in slices of at most `size`. */
export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
