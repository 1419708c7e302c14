/**
 * The wall clock and one-shot timers, as the scheduler and the local runner see them. Tests
 * pass a manual clock; everything else uses {@link systemClock}.
 */

/** An opaque timer handle; only the clock that made it can cancel it. */
export type TimerHandle = unknown;

export interface Clock {
  /** Milliseconds since the Unix epoch (slot times, §9, are wall-clock instants). */
  now(): number;
  /** Calls `fn` once after about `delayMs` (never before). */
  setTimer(fn: () => void, delayMs: number): TimerHandle;
  clearTimer(handle: TimerHandle): void;
}

/** Largest delay `setTimeout` accepts (ms); longer waits are re-armed in steps. */
export const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer: (fn, delayMs) => setTimeout(fn, Math.min(Math.max(delayMs, 0), MAX_TIMER_DELAY_MS)),
  clearTimer: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/**
 * Waits for `promise` at most `timeoutMs` on `clock`: `true` when it settled in time, `false`
 * on timeout. The timer is cleared either way, so a finished wait keeps no process alive.
 * Rejections count as settled.
 */
export async function settlesWithin(
  promise: Promise<unknown>,
  clock: Clock,
  timeoutMs: number,
): Promise<boolean> {
  let handle: TimerHandle | undefined;
  const timeout = new Promise<false>((resolve) => {
    handle = clock.setTimer(() => resolve(false), timeoutMs);
  });
  try {
    return await Promise.race([
      promise.then(
        () => true as const,
        () => true as const,
      ),
      timeout,
    ]);
  } finally {
    clock.clearTimer(handle);
  }
}
