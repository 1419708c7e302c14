/**
 * When a parked remote write is tried again and when it is given up on: the outbox's backoff
 * and expiry (docs/design.md decisions 5 and 13). Pure functions of the write, its receive count
 * and the clock, used by the replayer and its tests; the adapters only send and receive.
 *
 * - Backoff: a write that still fails stays on the FIFO queue and becomes visible again after
 *   {@link outboxRetryDelaySeconds} — 10 s doubling per receive, capped at
 *   {@link OUTBOX_MAX_RETRY_DELAY_SECONDS} (2 min, so a recovered backend sees every group again
 *   within two minutes), or the backend's `Retry-After` when that is longer. Its group waits
 *   behind it meanwhile: that is what keeps the order.
 * - Expiry: a write still failing {@link DEFAULT_OUTBOX_MAX_AGE_MS} (2 h) after its first park is
 *   dead-lettered `expired` ({@link isParkedWriteExpired}).
 */
import type { ParkedWrite } from '../ports.js';

/** Delay after the first failed replay. */
export const OUTBOX_BASE_RETRY_DELAY_SECONDS = 10;

/** Longest backoff between two replays of a write. */
export const OUTBOX_MAX_RETRY_DELAY_SECONDS = 120;

/** Longest visibility timeout SQS accepts (12 h): the bound of a `Retry-After`. */
export const SQS_MAX_VISIBILITY_SECONDS = 43_200;

/**
 * Default age after which a write that still fails is dead-lettered: 2 h. Older samples are of
 * little use to the backend: a Prometheus-style TSDB accepts in-order samples only within its
 * head block's window, roughly the last 2 h, and rejects older ones as out of bounds
 * (docs/testing.md); Prometheus itself keeps about 2 h of WAL to resend after an outage, so a
 * receiver that was down longer than that loses data with Prometheus as well.
 */
export const DEFAULT_OUTBOX_MAX_AGE_MS = 2 * 60 * 60 * 1000;

/**
 * Seconds a write that failed on its `receiveCount`-th delivery stays invisible:
 * 10 · 2^(receiveCount − 1), capped at 120 (1 → 10, 2 → 20, 3 → 40, 4 → 80, ≥ 5 → 120), or
 * `retryAfterMs` rounded up when longer (at most 12 h). A count below 1 or NaN counts as 1.
 */
export function outboxRetryDelaySeconds(receiveCount: number, retryAfterMs?: number): number {
  const n = Number.isNaN(receiveCount) ? 1 : Math.max(1, Math.floor(receiveCount));
  const backoff =
    n >= 5
      ? OUTBOX_MAX_RETRY_DELAY_SECONDS
      : Math.min(OUTBOX_MAX_RETRY_DELAY_SECONDS, OUTBOX_BASE_RETRY_DELAY_SECONDS * 2 ** (n - 1));
  const asked =
    retryAfterMs !== undefined && Number.isFinite(retryAfterMs) && retryAfterMs > 0
      ? Math.ceil(retryAfterMs / 1000)
      : 0;
  return Math.min(SQS_MAX_VISIBILITY_SECONDS, Math.max(backoff, asked));
}

/**
 * Receives of one outbox message before the queue's redrive policy moves it to the dead-letter
 * queue (SQS's maximum). The replayer expires writes itself at the horizon, with their reason;
 * the redrive only catches a message the function keeps failing on without an answer (a crash,
 * a timeout), and at a 2-minute backoff 1,000 receives outlast the horizon.
 */
export const OUTBOX_MAX_RECEIVE_COUNT = 1_000;

/** True when a parked write is older than `maxAgeMs` and goes to the dead-letter queue. */
export function isParkedWriteExpired(write: ParkedWrite, nowMs: number, maxAgeMs: number): boolean {
  return nowMs - write.firstParkedMs > maxAgeMs;
}
