/**
 * A concurrency limit: at most `limit` tasks run at once; the others start in call order as
 * slots free up. A finished task hands its slot straight to the next waiting one, so no
 * newcomer slips ahead of the queue. Shared by the scrape worker, the outbox replayer, the
 * remote writers and AWS discovery.
 */
export class ConcurrencyLimiter {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  /** `limit`: a whole number ≥ 1, or `Infinity` for no limit. Throws `RangeError` otherwise. */
  constructor(readonly limit: number) {
    if (!(limit === Number.POSITIVE_INFINITY || (Number.isSafeInteger(limit) && limit >= 1))) {
      throw new RangeError(`concurrency must be a positive integer, got ${limit}`);
    }
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) await new Promise<void>((r) => this.waiting.push(r));
    else this.active++;
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      if (next !== undefined) next();
      else this.active--;
    }
  }
}
