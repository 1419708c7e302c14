/**
 * When a parked remote write is replayed and when it is given up on: the outbox's backoff and
 * expiry (docs/design.md decision 5, "Nothing lost silently"). Pure functions of the write and the
 * clock, used by the scrape worker (first park), the replayer (re-park, expiry) and the outbox
 * adapter's tests; the adapter itself only encodes and sends.
 *
 * - Backoff: {@link nextOutboxDelaySeconds}, 30 s doubling per attempt, capped at
 *   {@link OUTBOX_MAX_DELAY_SECONDS} (900 s, the longest delay an SQS message can have).
 * - Expiry: a write still failing {@link DEFAULT_OUTBOX_MAX_AGE_MS} (2 h) after its first park is
 *   dead-lettered `expired` ({@link isParkedWriteExpired}).
 */
import type { ParkedWrite } from '../ports.js';

/** First replay delay (attempts = 0). */
export const OUTBOX_BASE_DELAY_SECONDS = 30;

/**
 * Longest replay delay: the largest DelaySeconds SQS accepts (`src/aws/sqs-limits.ts` checks
 * every park against it), so a backoff never asks the queue for more than it can do.
 */
export const OUTBOX_MAX_DELAY_SECONDS = 900;

/**
 * Default age after which a write that still fails is dead-lettered: 2 h. Older samples are of
 * little use to the backend: a Prometheus-style TSDB accepts in-order samples only within its
 * head block's window, roughly the last 2 h, and rejects older ones as out of bounds
 * (docs/testing.md); Prometheus itself keeps about 2 h of WAL to resend after an outage, so a
 * receiver that was down longer than that loses data with Prometheus as well.
 */
export const DEFAULT_OUTBOX_MAX_AGE_MS = 2 * 60 * 60 * 1000;

/**
 * Delay before the next replay of a write replayed `attempts` times so far: 30 s · 2^attempts,
 * capped at 900 s (0 → 30, 1 → 60, 2 → 120, 3 → 240, 4 → 480, ≥ 5 → 900). A negative or
 * fractional count is treated as its floor, at least 0 (NaN as 0).
 */
export function nextOutboxDelaySeconds(attempts: number): number {
  const n = Number.isNaN(attempts) ? 0 : Math.max(0, Math.floor(attempts));
  if (n >= 5) return OUTBOX_MAX_DELAY_SECONDS;
  return Math.min(OUTBOX_MAX_DELAY_SECONDS, OUTBOX_BASE_DELAY_SECONDS * 2 ** n);
}

/** True when a parked write is older than `maxAgeMs` and goes to the dead-letter queue. */
export function isParkedWriteExpired(write: ParkedWrite, nowMs: number, maxAgeMs: number): boolean {
  return nowMs - write.firstParkedMs > maxAgeMs;
}
