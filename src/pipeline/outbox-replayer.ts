/**
 * The outbox replayer behind `functions/outbox` (docs/design.md decision 5, "Nothing lost silently"):
 * one instance per Lambda container, one {@link OutboxReplayer.handleMessage} per outbox message.
 *
 * The scrape worker parks a remote-write request it could not deliver within its budget
 * (`scraper.ts`, ports.ts `ParkedWrite`). Here the parked body is sent again as is — it already
 * carries external labels and write relabeling (§11.1) — by the writer of its remote_write, with
 * the sender's retry rules (§11.3) until the replay's budget. Then exactly one of:
 * - delivered → done;
 * - still failing with a recoverable error → re-parked with `attempts + 1` after
 *   `delaySeconds(attempts + 1)` (default {@link nextOutboxDelaySeconds}: 30 s doubling to
 *   900 s), unless older than `maxAgeMs` → dead-lettered `expired`;
 * - rejected for good (4xx, 429 without retry_on_http_429, §11.3) → logged at error with the
 *   backend's message (truncated to 1024 bytes by the client) and dead-lettered `rejected`;
 * - its remote_write is not in the config (the config changed) → dead-lettered
 *   `unknown-remote-write`;
 * - the message does not decode → its raw text dead-lettered `malformed`.
 * In each of these cases the method resolves and the caller deletes the original message. When
 * the re-park or the dead-letter send itself fails, or no time is left to try, it throws a
 * retryable {@link OutboxReplayError} instead: the caller leaves the message on the queue (SQS
 * batch item failure), it comes back after the visibility timeout, and the outbox queue's
 * redrive policy moves one that keeps failing to the dead-letter queue. Nothing is dropped.
 *
 * Duplicates: SQS delivers at least once, and a re-park whose original is not deleted leaves two
 * copies, so a body may reach the backend twice. Prometheus-compatible receivers accept the same
 * sample (series, timestamp, value) again (docs/testing.md), so a duplicate is harmless.
 *
 * Order: a replayed write is older than what the scraper sent since. A receiver that refuses
 * out-of-order samples (a Prometheus TSDB without an out-of-order window) answers 400, and the
 * write is dead-lettered `rejected`: kept and visible, not lost silently.
 *
 * Time: `budget.deadlineMs` is on the Date.now clock (the invocation's wall time, as the
 * sender's `retryUntil`); the injected clock only judges a write's age, because
 * `firstParkedMs` was stamped on the scrape worker's clock.
 */
import { type Logger, silentLogger } from '../log/logger.js';
import type {
  DeadLetter,
  DeadLetterQueue,
  DeadLetterReason,
  Outbox,
  ParkedWrite,
} from '../ports.js';
import type { SendOptions } from '../remotewrite/send.js';
import type { PreparedRequest, WriteResult } from '../remotewrite/writer.js';
import { type Clock, systemClock } from '../schedule/clock.js';
import { decodeParkedWrite, OutboxMessageError } from './outbox-message.js';
import {
  DEFAULT_OUTBOX_MAX_AGE_MS,
  isParkedWriteExpired,
  nextOutboxDelaySeconds,
} from './outbox-policy.js';

/**
 * Default longest time one replay keeps retrying. A backend that is down would otherwise hold
 * (and bill) the invocation until its timeout for every record; re-parking with backoff is
 * cheaper. Each attempt is cut at what is left, like any attempt near a deadline (§11.3).
 */
export const DEFAULT_MAX_REPLAY_MS = 20_000;

/** Default time kept back from the deadline for the re-park or dead-letter send. */
export const DEFAULT_REPLAY_SAFETY_MARGIN_MS = 1_000;

export const OUTBOX_REPLAY_ERROR_CODES = {
  /** The write is still undelivered and could not be re-parked. Retryable. */
  reparkFailed: 'OUTBOX_REPLAY_REPARK_FAILED',
  /** The write was given up but the dead-letter queue did not take it. Retryable. */
  deadLetterFailed: 'OUTBOX_REPLAY_DEAD_LETTER_FAILED',
  /** No time was left in the budget to try it. Retryable; nothing was sent. */
  noTime: 'OUTBOX_REPLAY_NO_TIME',
  /** The replayer's options or writers are invalid (thrown by the constructor). */
  invalidOptions: 'OUTBOX_REPLAY_INVALID_OPTIONS',
} as const;
export type OutboxReplayErrorCode =
  (typeof OUTBOX_REPLAY_ERROR_CODES)[keyof typeof OUTBOX_REPLAY_ERROR_CODES];

/**
 * The one error class of this module. `retryable` true: leave the message on the outbox queue
 * (batch item failure) so SQS delivers it again.
 */
export class OutboxReplayError extends Error {
  override readonly name = 'OutboxReplayError';
  readonly code: OutboxReplayErrorCode;
  readonly retryable: boolean;
  constructor(
    code: OutboxReplayErrorCode,
    message: string,
    options: { readonly retryable: boolean; readonly cause?: unknown },
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.retryable = options.retryable;
  }
}

/** One remote_write destination as the replayer uses it; `RemoteWriter` fits. */
export interface ReplayWriter {
  /** The remote_write's name (`ParkedWrite.remoteWrite`). */
  readonly name: string;
  /** Sends a prepared body as is; never rejects, failures are in the result. */
  replay(request: PreparedRequest, options: SendOptions): Promise<WriteResult>;
}

export interface OutboxReplayerOptions {
  /** Age (ms after `firstParkedMs`) past which a still-failing write expires. @default 2 h */
  readonly maxAgeMs?: number;
  /** Longest one replay keeps retrying, ms, within the budget. @default 20_000 */
  readonly maxReplayMs?: number;
  /** Kept back from `budget.deadlineMs` for the re-park or dead-letter send. @default 1_000 */
  readonly safetyMarginMs?: number;
  /**
   * DelaySeconds of a re-park, given the write's new attempt count; a whole number 0–900 (SQS
   * delays, else the park fails and the message is retried). @default nextOutboxDelaySeconds
   */
  readonly delaySeconds?: (attempts: number) => number;
}

export interface OutboxReplayerDeps {
  /** One per remote_write of the current config, by their unique names. */
  readonly writers: readonly ReplayWriter[];
  readonly outbox: Outbox;
  readonly deadLetters: DeadLetterQueue;
  /** Judges write ages (the scrape worker's clock). @default systemClock */
  readonly clock?: Clock;
  /** @default silentLogger */
  readonly logger?: Logger;
  readonly options?: OutboxReplayerOptions;
}

/** What one replay may spend. */
export interface ReplayBudget {
  /** When the invocation ends, ms since epoch on Date.now (Lambda: now + remaining time). */
  readonly deadlineMs: number;
}

export type ReplayOutcome =
  | {
      readonly kind: 'delivered';
      readonly remoteWrite: string;
      readonly samples: number;
      /** Replays before this one. */
      readonly attempts: number;
    }
  | {
      readonly kind: 'reparked';
      readonly remoteWrite: string;
      readonly samples: number;
      /** The re-parked write's attempt count (one more than received). */
      readonly attempts: number;
      readonly delaySeconds: number;
    }
  | {
      readonly kind: 'dead-lettered';
      readonly reason: DeadLetterReason;
      /** Undefined when the message was malformed. */
      readonly remoteWrite: string | undefined;
      /** 0 when the message was malformed. */
      readonly samples: number;
    };

/** Monotonic counters of this replayer (per container). Samples count ParkedWrite.samples. */
export interface OutboxReplayCounters {
  /** Writes sent again. */
  replays: number;
  delivered: number;
  samplesDelivered: number;
  reparked: number;
  samplesReparked: number;
  /** Dead letters by reason, and their samples in total. */
  expired: number;
  rejected: number;
  unknownRemoteWrite: number;
  malformed: number;
  samplesDeadLettered: number;
  /** Re-parks and dead-letter sends that failed: the message stays on the outbox queue. */
  failures: number;
}

export class OutboxReplayer {
  private readonly writers: ReadonlyMap<string, ReplayWriter>;
  private readonly outbox: Outbox;
  private readonly deadLetters: DeadLetterQueue;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly maxAgeMs: number;
  private readonly maxReplayMs: number;
  private readonly safetyMarginMs: number;
  private readonly delaySeconds: (attempts: number) => number;
  private readonly c: OutboxReplayCounters = {
    replays: 0,
    delivered: 0,
    samplesDelivered: 0,
    reparked: 0,
    samplesReparked: 0,
    expired: 0,
    rejected: 0,
    unknownRemoteWrite: 0,
    malformed: 0,
    samplesDeadLettered: 0,
    failures: 0,
  };

  /** Throws {@link OutboxReplayError} `OUTBOX_REPLAY_INVALID_OPTIONS`. */
  constructor(deps: OutboxReplayerDeps) {
    const o = deps.options ?? {};
    const writers = new Map<string, ReplayWriter>();
    for (const w of deps.writers) {
      if (writers.has(w.name))
        throw invalidOption(`two writers are named ${JSON.stringify(w.name)}`);
      writers.set(w.name, w);
    }
    this.writers = writers;
    this.outbox = deps.outbox;
    this.deadLetters = deps.deadLetters;
    this.clock = deps.clock ?? systemClock;
    this.logger = deps.logger ?? silentLogger;
    this.maxAgeMs = positive('maxAgeMs', o.maxAgeMs, DEFAULT_OUTBOX_MAX_AGE_MS);
    this.maxReplayMs = positive('maxReplayMs', o.maxReplayMs, DEFAULT_MAX_REPLAY_MS);
    this.safetyMarginMs = o.safetyMarginMs ?? DEFAULT_REPLAY_SAFETY_MARGIN_MS;
    if (!(Number.isFinite(this.safetyMarginMs) && this.safetyMarginMs >= 0)) {
      throw invalidOption('safetyMarginMs must be a finite number ≥ 0');
    }
    this.delaySeconds = o.delaySeconds ?? nextOutboxDelaySeconds;
  }

  get counters(): Readonly<OutboxReplayCounters> {
    return { ...this.c };
  }

  /**
   * Decodes one outbox message body and {@link replay}s it; a body that does not decode is
   * dead-lettered `malformed` as it is. Resolves when the message may be deleted; throws a
   * retryable {@link OutboxReplayError} when it must stay on the queue.
   */
  async handleMessage(body: string, budget: ReplayBudget): Promise<ReplayOutcome> {
    let write: ParkedWrite;
    try {
      write = decodeParkedWrite(body);
    } catch (err) {
      // decodeParkedWrite throws OUTBOX_MESSAGE_MALFORMED only; anything else is a bug: retried.
      if (!(err instanceof OutboxMessageError)) throw err;
      this.logger.error('outbox message malformed: moved to the dead-letter queue', {
        err,
        bytes: body.length,
      });
      await this.deadLetter({ reason: 'malformed', detail: err.message, write: body }, 0);
      this.c.malformed++;
      return { kind: 'dead-lettered', reason: 'malformed', remoteWrite: undefined, samples: 0 };
    }
    return this.replay(write, budget);
  }

  /** Replays one decoded write; the contract of {@link handleMessage} (see the file comment). */
  async replay(write: ParkedWrite, budget: ReplayBudget): Promise<ReplayOutcome> {
    const log = {
      remote: write.remoteWrite,
      samples: write.samples,
      attempts: write.attempts,
      firstParkedMs: write.firstParkedMs,
    };
    const writer = this.writers.get(write.remoteWrite);
    if (writer === undefined) {
      this.logger.error('parked write for a remote_write not in the config: dead-lettered', log);
      await this.deadLetter(
        {
          reason: 'unknown-remote-write',
          detail: `remote_write ${JSON.stringify(write.remoteWrite)} is not in the config`,
          write,
        },
        write.samples,
      );
      this.c.unknownRemoteWrite++;
      return this.deadLettered('unknown-remote-write', write);
    }

    const remainingMs = Math.min(
      budget.deadlineMs - this.safetyMarginMs - Date.now(),
      this.maxReplayMs,
    );
    if (!(remainingMs > 0)) {
      throw new OutboxReplayError(
        OUTBOX_REPLAY_ERROR_CODES.noTime,
        `no time left to replay a write for ${write.remoteWrite}`,
        { retryable: true },
      );
    }
    this.c.replays++;
    const result = await writer.replay(
      { body: write.body, samples: write.samples, exemplars: 0, metadata: 0 },
      { retryUntil: Date.now() + remainingMs },
    );

    const rejection = result.errors[0];
    if (rejection !== undefined) {
      this.logger.error('parked write rejected by the backend: dead-lettered', {
        ...log,
        status: rejection.status,
        err: rejection,
      });
      await this.deadLetter(
        { reason: 'rejected', detail: rejection.message, write },
        write.samples,
      );
      this.c.rejected++;
      return this.deadLettered('rejected', write);
    }

    const pending = result.parked[0];
    if (pending === undefined) {
      this.c.delivered++;
      this.c.samplesDelivered += write.samples;
      return {
        kind: 'delivered',
        remoteWrite: write.remoteWrite,
        samples: write.samples,
        attempts: write.attempts,
      };
    }

    if (isParkedWriteExpired(write, this.clock.now(), this.maxAgeMs)) {
      this.logger.error('parked write still undelivered at its maximum age: dead-lettered', {
        ...log,
        maxAgeMs: this.maxAgeMs,
        err: pending.error,
      });
      await this.deadLetter(
        { reason: 'expired', detail: pending.error.message, write },
        write.samples,
      );
      this.c.expired++;
      return this.deadLettered('expired', write);
    }

    const attempts = write.attempts + 1;
    let delaySeconds = 0;
    try {
      delaySeconds = this.delaySeconds(attempts);
      await this.outbox.park({ ...write, attempts }, delaySeconds);
    } catch (err) {
      this.c.failures++;
      throw new OutboxReplayError(
        OUTBOX_REPLAY_ERROR_CODES.reparkFailed,
        `re-parking an undelivered write for ${write.remoteWrite} failed: ${message(err)}`,
        { retryable: true, cause: err },
      );
    }
    this.c.reparked++;
    this.c.samplesReparked += write.samples;
    this.logger.warn('parked write still undelivered: re-parked', {
      ...log,
      attempts,
      delaySeconds,
      err: pending.error,
    });
    return {
      kind: 'reparked',
      remoteWrite: write.remoteWrite,
      samples: write.samples,
      attempts,
      delaySeconds,
    };
  }

  private async deadLetter(letter: DeadLetter, samples: number): Promise<void> {
    try {
      await this.deadLetters.send(letter);
    } catch (err) {
      this.c.failures++;
      throw new OutboxReplayError(
        OUTBOX_REPLAY_ERROR_CODES.deadLetterFailed,
        `moving a write (${letter.reason}) to the dead-letter queue failed: ${message(err)}`,
        { retryable: true, cause: err },
      );
    }
    this.c.samplesDeadLettered += samples;
  }

  private deadLettered(reason: DeadLetterReason, write: ParkedWrite): ReplayOutcome {
    return {
      kind: 'dead-lettered',
      reason,
      remoteWrite: write.remoteWrite,
      samples: write.samples,
    };
  }
}

function positive(name: string, value: number | undefined, fallback: number): number {
  const v = value ?? fallback;
  if (!(Number.isFinite(v) && v > 0)) throw invalidOption(`${name} must be a finite number > 0`);
  return v;
}

function invalidOption(text: string): OutboxReplayError {
  return new OutboxReplayError(OUTBOX_REPLAY_ERROR_CODES.invalidOptions, text, {
    retryable: false,
  });
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
