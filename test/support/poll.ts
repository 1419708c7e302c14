/**
 * Polling with a deadline, for end-to-end tests that wait on other processes: no fixed sleeps
 * where a condition can be checked.
 */

export interface PollOptions {
  /** Give up after this long. @default 30_000 */
  readonly timeoutMs?: number;
  /** Pause between attempts. @default 250 */
  readonly intervalMs?: number;
  /** Prefix of the error thrown at the deadline. */
  readonly what?: string;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * Calls `attempt` until it returns a value other than `undefined` and returns that value. An
 * attempt that throws counts as "not yet"; at the deadline the last error (or the last
 * `describe()` of the state) is reported.
 */
export async function pollUntil<T>(
  attempt: () => Promise<T | undefined>,
  options: PollOptions & { readonly describe?: () => string } = {},
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await attempt();
      if (value !== undefined) return value;
      lastError = undefined;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) {
      const why =
        lastError instanceof Error
          ? lastError.message
          : lastError !== undefined
            ? String(lastError)
            : (options.describe?.() ?? 'condition never held');
      throw new Error(`${options.what ?? 'poll'}: not met within ${timeoutMs} ms: ${why}`, {
        cause: lastError,
      });
    }
    await sleep(options.intervalMs ?? 250);
  }
}
