/**
 * Sending one compressed WriteRequest with Prometheus's retry rules (§11.3), bounded in time.
 *
 * Prometheus retries a recoverable failure forever. A Lambda invocation has a budget, so this
 * sender stops at `retryUntil` (or when `signal` aborts) and answers `retryable`: the request was
 * not delivered and may be parked (outbox) and replayed later with the same body.
 */

import { setTimeout as sleep } from 'node:timers/promises';
import type { RemoteWriteClient, WrittenCounts } from './client.js';
import { REMOTE_WRITE_ERROR_CODES, RemoteWriteError } from './errors.js';
import type { ProtobufMessage } from './transcode.js';

export interface SendOptions {
  /**
   * Give up (→ `retryable`) rather than start an attempt or a backoff that would end after this
   * time, in ms since epoch (Date.now clock). Attempts are also cut short at it. Default: never.
   */
  readonly retryUntil?: number;
  /** Aborting stops at once (→ `retryable`). */
  readonly signal?: AbortSignal;
  /**
   * Attempts at most (→ `retryable` after the last recoverable failure, no backoff slept): the
   * outbox tries once per delivery and lets the queue's backoff do the waiting. Default: no bound.
   */
  readonly maxAttempts?: number;
  /** The message `body` holds, for its headers. @default 1.0 (`prometheus.WriteRequest`) */
  readonly protobufMessage?: ProtobufMessage;
  /** Called before each backoff sleep (for logs); `attempt` is the number of the failed one (0-based). */
  readonly onRetry?: (error: RemoteWriteError, attempt: number, sleepMs: number) => void;
}

export type SendResult =
  /** 2xx received; `written`: what the receiver said it wrote, when it said so (§11.4). */
  | {
      readonly outcome: 'delivered';
      readonly attempts: number;
      readonly status: number;
      readonly written?: WrittenCounts;
    }
  /** Non-recoverable (4xx, 429 without retry_on_http_429, …): do not send this body again. */
  | { readonly outcome: 'rejected'; readonly attempts: number; readonly error: RemoteWriteError }
  /** Recoverable failures until the deadline: not delivered, safe to send again later. */
  | { readonly outcome: 'retryable'; readonly attempts: number; readonly error: RemoteWriteError };

/**
 * Posts `body` (a snappy-compressed WriteRequest) until delivered, rejected or out of time.
 * Backoff (§11.3): start at `min_backoff`; after a recoverable failure sleep the backoff, or the
 * response's positive Retry-After instead; then backoff = min(2 × sleep, max_backoff). Each
 * attempt is limited to `remote_timeout` (and to what is left before `retryUntil`). Never throws.
 */
export async function sendWriteRequest(
  client: RemoteWriteClient,
  body: Uint8Array,
  options: SendOptions = {},
): Promise<SendResult> {
  const { minBackoff, maxBackoff } = client.config.queueConfig;
  const remoteTimeout = client.config.remoteTimeout;
  const until = options.retryUntil ?? Number.POSITIVE_INFINITY;
  const signal = options.signal;
  let backoff = minBackoff;
  let attempts = 0;
  let last: RemoteWriteError | undefined;

  for (;;) {
    const remaining = until - Date.now();
    if (signal?.aborted || remaining <= 0) {
      return { outcome: 'retryable', attempts, error: notDelivered(client, attempts, last) };
    }
    const outcome = await client.post(
      body,
      attempts,
      Math.min(remoteTimeout, remaining),
      signal,
      options.protobufMessage,
    );
    attempts++;
    if (outcome.ok) {
      const { status, written } = outcome;
      return written === undefined
        ? { outcome: 'delivered', attempts, status }
        : { outcome: 'delivered', attempts, status, written };
    }
    last = outcome.error;
    if (!last.recoverable) return { outcome: 'rejected', attempts, error: last };
    if (options.maxAttempts !== undefined && attempts >= options.maxAttempts) {
      return { outcome: 'retryable', attempts, error: notDelivered(client, attempts, last) };
    }
    if (last.code === REMOTE_WRITE_ERROR_CODES.deadline) {
      return { outcome: 'retryable', attempts, error: notDelivered(client, attempts, last) };
    }

    // At most MAX_RETRY_AFTER_MS (12 h: parseRetryAfter), so within Node's timer range.
    const retryAfter = last.retryAfterMs;
    const pause = retryAfter !== undefined && retryAfter > 0 ? retryAfter : backoff;
    // Sleeping past the deadline only to give up afterwards would waste the budget.
    if (Date.now() + pause >= until) {
      return { outcome: 'retryable', attempts, error: notDelivered(client, attempts, last) };
    }
    options.onRetry?.(last, attempts - 1, pause);
    try {
      await sleep(pause, undefined, signal === undefined ? undefined : { signal });
    } catch {
      return { outcome: 'retryable', attempts, error: notDelivered(client, attempts, last) };
    }
    backoff = Math.min(2 * pause, maxBackoff);
  }
}

function notDelivered(
  client: RemoteWriteClient,
  attempts: number,
  last: RemoteWriteError | undefined,
): RemoteWriteError {
  const why = last === undefined ? '' : `; last error: ${last.message}`;
  return new RemoteWriteError(
    REMOTE_WRITE_ERROR_CODES.deadline,
    `remote write to ${client.safeUrl} not delivered before the deadline after ${attempts} attempt(s)${why}`,
    {
      recoverable: true,
      status: last?.status,
      body: last?.body,
      // The backend's own wish for the next try travels on (the outbox's backoff reads it).
      ...(last?.retryAfterMs === undefined ? {} : { retryAfterMs: last.retryAfterMs }),
      cause: last,
    },
  );
}
