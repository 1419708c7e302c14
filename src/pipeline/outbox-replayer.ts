/**
 * The outbox replayer behind `functions/outbox` (docs/design.md decisions 5 and 13): one instance
 * per Lambda container, one {@link OutboxReplayer.replayBatch} per batch of the FIFO outbox queue.
 *
 * The scrape worker parks the requests it could not deliver, and those of streams queued behind
 * them, in message groups of (remote_write, stream) (`parking-delivery.ts`, ports.ts
 * `ParkedWrite`). A batch holds messages of one or more groups, each group's in its order.
 * Groups are replayed concurrently (at most `concurrency`), the messages of a group one after the
 * other, each body sent as is — it already carries external labels and write relabeling (§11.1)
 * — by the writer of its remote_write, retried for at most `maxReplayMs`. Each message ends as
 * exactly one of:
 * - `delivered`;
 * - `dead-lettered` — refused for good (4xx, 429 without retry_on_http_429, §11.3; logged at
 *   error with the backend's message) as `rejected`, still failing past `maxAgeMs` after its
 *   first park as `expired`, its remote_write not in the config as `unknown-remote-write`, or
 *   a body that does not decode, kept as it is, as `malformed`;
 * - `retry` — still failing with a recoverable error, or the dead-letter queue did not take
 *   it, or no time was left: SQS must deliver it again after `delaySeconds`
 *   (`outboxRetryDelaySeconds`: backoff by receive count, or `Retry-After`). Every later
 *   message of its group in the batch is `retry` too, untried: the group waits, in order.
 *   A remote_write that failed recoverably is left alone by this container for
 *   {@link WRITER_PAUSE_MS} (or its `Retry-After`): its messages in other groups are `retry`
 *   untried meanwhile (it is down; asking again per group would only cost billed time).
 * After `delivered` or `dead-lettered`, the message that carries its unit's `nextSlotMs` (the
 * unit's last parked request) releases the backlog hold of the stream's next scrape, so later
 * scrapes send directly again; a release that fails is logged and costs that one scrape a
 * queued delivery, nothing else.
 *
 * Never throws for a record: every record gets an outcome. Duplicates (a message delivered
 * twice, a unit parked twice past SQS's deduplication window) are harmless: a receiver keeps a
 * sample it already has.
 *
 * Time: `budget.deadlineMs` is on the Date.now clock (the invocation's wall time, as the
 * sender's `retryUntil`); the injected clock only judges a write's age, because `firstParkedMs`
 * was stamped on the scrape worker's clock.
 */

import { ConcurrencyLimiter } from '../concurrency.js';
import { type Logger, silentLogger } from '../log/logger.js';
import type {
  DeadLetter,
  DeadLetterQueue,
  DeadLetterReason,
  DeliveryBacklog,
  ParkedWrite,
} from '../ports.js';
import type { SendOptions } from '../remotewrite/send.js';
import type { PreparedRequest, WriteResult } from '../remotewrite/writer.js';
import { type Clock, systemClock } from '../schedule/clock.js';
import { decodeParkedWrite, OutboxMessageError } from './outbox-message.js';
import {
  DEFAULT_OUTBOX_MAX_AGE_MS,
  isParkedWriteExpired,
  outboxRetryDelaySeconds,
} from './outbox-policy.js';

/**
 * Default longest time one replay may take. A replay is one attempt (cut at `remote_timeout` and
 * at this): the queue's backoff does the waiting, which a replay that retried would be billed for.
 */
export const DEFAULT_MAX_REPLAY_MS = 10_000;

/** Default time kept back from the deadline for the dead-letter send and the backlog release. */
export const DEFAULT_REPLAY_SAFETY_MARGIN_MS = 1_000;

/**
 * Default groups replayed at once by one invocation: bounds the connections to the backends and
 * the bodies held in memory (≤ 256 KiB each).
 */
export const DEFAULT_REPLAY_CONCURRENCY = 10;

export const OUTBOX_REPLAY_ERROR_CODES = {
  /** The replayer's options or writers are invalid (thrown by the constructor). */
  invalidOptions: 'OUTBOX_REPLAY_INVALID_OPTIONS',
} as const;
export type OutboxReplayErrorCode =
  (typeof OUTBOX_REPLAY_ERROR_CODES)[keyof typeof OUTBOX_REPLAY_ERROR_CODES];

/** The one error class of this module (invalid construction only). */
export class OutboxReplayError extends Error {
  override readonly name = 'OutboxReplayError';
  readonly code: OutboxReplayErrorCode;
  constructor(code: OutboxReplayErrorCode, message: string) {
    super(message);
    this.code = code;
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
  /** Longest one replay (one attempt) may take, ms, within the budget. @default 10_000 */
  readonly maxReplayMs?: number;
  /** Kept back from `budget.deadlineMs`. @default 1_000 */
  readonly safetyMarginMs?: number;
  /** Groups replayed at once. @default 10 */
  readonly concurrency?: number;
  /**
   * Seconds a failed write stays invisible, given its receive count and the backend's
   * Retry-After (ms, when it gave one). @default outboxRetryDelaySeconds
   */
  readonly retryDelaySeconds?: (receiveCount: number, retryAfterMs?: number) => number;
}

export interface OutboxReplayerDeps {
  /** One per remote_write of the current config, by their unique names. */
  readonly writers: readonly ReplayWriter[];
  readonly deadLetters: DeadLetterQueue;
  /** Where the holds of queued streams are released. Absent: none is. */
  readonly backlog?: DeliveryBacklog;
  /** Judges write ages (the scrape worker's clock). @default systemClock */
  readonly clock?: Clock;
  /** @default silentLogger */
  readonly logger?: Logger;
  readonly options?: OutboxReplayerOptions;
}

/** One message of the outbox queue as the replayer needs it. */
export interface OutboxRecord {
  readonly messageId: string;
  readonly body: string;
  /** Its SQS message group: messages of one group are replayed in the batch's order. */
  readonly groupId: string;
  /** Deliveries of it so far, this one included (SQS ApproximateReceiveCount). */
  readonly receiveCount: number;
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
      readonly receiveCount: number;
    }
  | {
      readonly kind: 'dead-lettered';
      readonly reason: DeadLetterReason;
      /** Undefined when the message was malformed. */
      readonly remoteWrite: string | undefined;
      /** 0 when the message was malformed. */
      readonly samples: number;
    }
  | {
      readonly kind: 'retry';
      /** One line: the last send error, or what else kept it. */
      readonly reason: string;
      /** How long SQS should keep it invisible. */
      readonly delaySeconds: number;
      readonly remoteWrite: string | undefined;
      readonly samples: number;
      /** False when it was not sent (its group or its remote_write was already failing). */
      readonly tried: boolean;
    };

/** Monotonic counters of this replayer (per container). Samples count ParkedWrite.samples. */
export interface OutboxReplayCounters {
  /** Writes sent. */
  replays: number;
  delivered: number;
  samplesDelivered: number;
  /** Messages left for SQS to deliver again. */
  retried: number;
  samplesRetried: number;
  /** Dead letters by reason, and their samples in total. */
  expired: number;
  rejected: number;
  unknownRemoteWrite: number;
  malformed: number;
  samplesDeadLettered: number;
  /** Dead-letter sends that failed (the message was retried). */
  failures: number;
  /** Backlog releases that failed (one later scrape queued for nothing). */
  releaseFailures: number;
}

/** Why a remote_write is failing, until when this container leaves it alone. */
interface Down {
  readonly reason: string;
  readonly retryAfterMs: number | undefined;
  /** Date.now ms. */
  readonly untilMs: number;
}

/**
 * How long a container sends nothing to a remote_write after a recoverable failure (unless its
 * `Retry-After` asks for longer): the first backoff of a write.
 */
export const WRITER_PAUSE_MS = 10_000;

export class OutboxReplayer {
  private readonly writers: ReadonlyMap<string, ReplayWriter>;
  private readonly deadLetters: DeadLetterQueue;
  private readonly backlog: DeliveryBacklog | undefined;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly maxAgeMs: number;
  private readonly maxReplayMs: number;
  private readonly safetyMarginMs: number;
  private readonly concurrency: number;
  private readonly retryDelaySeconds: (receiveCount: number, retryAfterMs?: number) => number;
  /** Remote writes this container leaves alone for now (a recoverable failure). */
  private readonly down = new Map<string, Down>();
  private readonly c: OutboxReplayCounters = {
    replays: 0,
    delivered: 0,
    samplesDelivered: 0,
    retried: 0,
    samplesRetried: 0,
    expired: 0,
    rejected: 0,
    unknownRemoteWrite: 0,
    malformed: 0,
    samplesDeadLettered: 0,
    failures: 0,
    releaseFailures: 0,
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
    this.deadLetters = deps.deadLetters;
    this.backlog = deps.backlog;
    this.clock = deps.clock ?? systemClock;
    this.logger = deps.logger ?? silentLogger;
    this.maxAgeMs = positive('maxAgeMs', o.maxAgeMs, DEFAULT_OUTBOX_MAX_AGE_MS);
    this.maxReplayMs = positive('maxReplayMs', o.maxReplayMs, DEFAULT_MAX_REPLAY_MS);
    this.safetyMarginMs = o.safetyMarginMs ?? DEFAULT_REPLAY_SAFETY_MARGIN_MS;
    if (!(Number.isFinite(this.safetyMarginMs) && this.safetyMarginMs >= 0)) {
      throw invalidOption('safetyMarginMs must be a finite number ≥ 0');
    }
    this.retryDelaySeconds = o.retryDelaySeconds ?? outboxRetryDelaySeconds;
    this.concurrency = o.concurrency ?? DEFAULT_REPLAY_CONCURRENCY;
    if (!(Number.isSafeInteger(this.concurrency) && this.concurrency >= 1)) {
      throw invalidOption('concurrency must be a positive integer');
    }
  }

  get counters(): Readonly<OutboxReplayCounters> {
    return { ...this.c };
  }

  /**
   * Replays a batch (see the file comment): one outcome per record, in the records' order.
   * Never rejects.
   */
  async replayBatch(
    records: readonly OutboxRecord[],
    budget: ReplayBudget,
  ): Promise<ReplayOutcome[]> {
    const groups = new Map<string, number[]>();
    records.forEach((r, i) => {
      const group = groups.get(r.groupId);
      if (group === undefined) groups.set(r.groupId, [i]);
      else group.push(i);
    });
    const outcomes: ReplayOutcome[] = new Array(records.length);
    const limiter = new ConcurrencyLimiter(this.concurrency);
    await Promise.all(
      [...groups.values()].map((indexes) =>
        limiter.run(async () => {
          // Once a message of the group is retried, the rest wait as long, untried.
          let head: { readonly messageId: string; readonly delaySeconds: number } | undefined;
          for (const i of indexes) {
            const record = records[i]!;
            const outcome =
              head === undefined
                ? await this.replaySafely(record, budget)
                : this.retry(
                    undefined,
                    `queued behind message ${head.messageId}`,
                    head.delaySeconds,
                    false,
                  );
            outcomes[i] = outcome;
            if (outcome.kind === 'retry' && head === undefined) {
              head = { messageId: record.messageId, delaySeconds: outcome.delaySeconds };
            }
          }
        }),
      ),
    );
    return outcomes;
  }

  /** {@link replayRecord}, with anything unexpected (a bug) turned into a retry. */
  private async replaySafely(record: OutboxRecord, budget: ReplayBudget): Promise<ReplayOutcome> {
    try {
      return await this.replayRecord(record, budget);
    } catch (err) {
      this.logger.error('outbox write failed unexpectedly: SQS will deliver it again', {
        messageId: record.messageId,
        err,
      });
      return this.retry(undefined, `unexpected: ${message(err)}`, this.backoff(record), true);
    }
  }

  private async replayRecord(record: OutboxRecord, budget: ReplayBudget): Promise<ReplayOutcome> {
    let write: ParkedWrite;
    try {
      write = decodeParkedWrite(record.body);
    } catch (err) {
      // decodeParkedWrite throws OUTBOX_MESSAGE_MALFORMED only; anything else is a bug: retried.
      if (!(err instanceof OutboxMessageError)) {
        return this.retry(undefined, message(err), this.backoff(record), false);
      }
      this.logger.error('outbox message malformed: moved to the dead-letter queue', {
        err,
        bytes: record.body.length,
      });
      const failed = await this.deadLetter(
        { reason: 'malformed', detail: err.message, write: record.body },
        0,
      );
      if (failed !== undefined) {
        return this.retry(undefined, failed, this.backoff(record), false);
      }
      this.c.malformed++;
      return { kind: 'dead-lettered', reason: 'malformed', remoteWrite: undefined, samples: 0 };
    }
    const log = {
      remote: write.remoteWrite,
      samples: write.samples,
      receiveCount: record.receiveCount,
      firstParkedMs: write.firstParkedMs,
    };

    const writer = this.writers.get(write.remoteWrite);
    if (writer === undefined) {
      this.logger.error('parked write for a remote_write not in the config: dead-lettered', log);
      const detail = `remote_write ${JSON.stringify(write.remoteWrite)} is not in the config`;
      return this.giveUp(record, write, 'unknown-remote-write', detail);
    }
    const isDown = this.down.get(write.remoteWrite);
    if (isDown !== undefined && Date.now() < isDown.untilMs) {
      return this.retry(write, isDown.reason, this.backoff(record, isDown.retryAfterMs), false);
    }

    const remainingMs = Math.min(
      budget.deadlineMs - this.safetyMarginMs - Date.now(),
      this.maxReplayMs,
    );
    if (!(remainingMs > 0)) {
      // Nothing was tried: the next invocation may take it at once.
      return this.retry(write, 'no time left in the invocation', 0, false);
    }
    this.c.replays++;
    const result = await writer.replay(
      { body: write.body, samples: write.samples, exemplars: 0, metadata: 0 },
      { retryUntil: Date.now() + remainingMs, maxAttempts: 1 },
    );

    const rejection = result.errors[0];
    if (rejection !== undefined) {
      this.logger.error('parked write rejected by the backend: dead-lettered', {
        ...log,
        status: rejection.status,
        err: rejection,
      });
      return this.giveUp(record, write, 'rejected', rejection.message);
    }

    const pending = result.parked[0];
    if (pending === undefined) {
      // Delivered; the receiver may have written only part of it (not to be sent again).
      for (const warning of result.warnings ?? []) {
        this.logger.error('parked write delivered, but the receiver wrote only part of it', {
          ...log,
          err: warning,
        });
      }
      this.down.delete(write.remoteWrite);
      this.c.delivered++;
      this.c.samplesDelivered += result.delivered;
      await this.release(write);
      return {
        kind: 'delivered',
        remoteWrite: write.remoteWrite,
        samples: write.samples,
        receiveCount: record.receiveCount,
      };
    }

    if (isParkedWriteExpired(write, this.clock.now(), this.maxAgeMs)) {
      this.logger.error('parked write still undelivered at its maximum age: dead-lettered', {
        ...log,
        maxAgeMs: this.maxAgeMs,
        err: pending.error,
      });
      return this.giveUp(record, write, 'expired', pending.error.message);
    }
    const retryAfterMs = pending.error.retryAfterMs;
    this.down.set(write.remoteWrite, {
      reason: pending.error.message,
      retryAfterMs,
      untilMs: Date.now() + Math.max(WRITER_PAUSE_MS, retryAfterMs ?? 0),
    });
    this.logger.warn('parked write still undelivered: its group waits', {
      ...log,
      err: pending.error,
    });
    return this.retry(write, pending.error.message, this.backoff(record, retryAfterMs), true);
  }

  /** Dead-letters a write and releases its hold; a failed dead-letter send is a retry. */
  private async giveUp(
    record: OutboxRecord,
    write: ParkedWrite,
    reason: Exclude<DeadLetterReason, 'malformed'>,
    detail: string,
  ): Promise<ReplayOutcome> {
    const failed = await this.deadLetter({ reason, detail, write }, write.samples);
    if (failed !== undefined) return this.retry(write, failed, this.backoff(record), true);
    if (reason === 'expired') this.c.expired++;
    else if (reason === 'rejected') this.c.rejected++;
    else this.c.unknownRemoteWrite++;
    await this.release(write);
    return {
      kind: 'dead-lettered',
      reason,
      remoteWrite: write.remoteWrite,
      samples: write.samples,
    };
  }

  /** Sends a letter; why it was not stored, else undefined. */
  private async deadLetter(letter: DeadLetter, samples: number): Promise<string | undefined> {
    try {
      await this.deadLetters.send(letter);
    } catch (err) {
      this.c.failures++;
      this.logger.error('dead-letter queue refused a write: it stays on the outbox', {
        reason: letter.reason,
        err,
      });
      return `dead-letter send failed: ${message(err)}`;
    }
    this.c.samplesDeadLettered += samples;
    return undefined;
  }

  /** Releases the hold the write's unit left on the stream's next scrape, if it carries it. */
  private async release(write: ParkedWrite): Promise<void> {
    if (write.nextSlotMs === undefined || this.backlog === undefined) return;
    try {
      await this.backlog.release(write.stream, write.nextSlotMs, write.remoteWrite);
    } catch (err) {
      this.c.releaseFailures++;
      this.logger.warn('backlog hold not released: the next scrape of the stream queues', {
        remote: write.remoteWrite,
        err,
      });
    }
  }

  /** The record's backoff by its receive count, or the backend's Retry-After when longer. */
  private backoff(record: OutboxRecord, retryAfterMs?: number): number {
    return this.retryDelaySeconds(record.receiveCount, retryAfterMs);
  }

  private retry(
    write: ParkedWrite | undefined,
    reason: string,
    delaySeconds: number,
    tried: boolean,
  ): ReplayOutcome {
    this.c.retried++;
    this.c.samplesRetried += write?.samples ?? 0;
    return {
      kind: 'retry',
      reason,
      delaySeconds,
      remoteWrite: write?.remoteWrite,
      samples: write?.samples ?? 0,
      tried,
    };
  }
}

function positive(name: string, value: number | undefined, fallback: number): number {
  const v = value ?? fallback;
  if (!(Number.isFinite(v) && v > 0)) throw invalidOption(`${name} must be a finite number > 0`);
  return v;
}

function invalidOption(text: string): OutboxReplayError {
  return new OutboxReplayError(OUTBOX_REPLAY_ERROR_CODES.invalidOptions, text);
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
