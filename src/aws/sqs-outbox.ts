/**
 * {@link Outbox} on an Amazon SQS FIFO queue: remote writes that could not be delivered yet are
 * parked on the "outbox" queue and replayed in order per (remote_write, series stream) until
 * accepted or expired to its dead-letter queue (docs/design.md decisions 5 and 13).
 *
 * Message body: the outbox message of `src/pipeline/outbox-message.ts` (one JSON object, the
 * snappy-compressed WriteRequest in base64), with the characters SQS refuses escaped.
 * MessageGroupId {@link outboxGroupId}: the remote_write's name hashed (names may hold any
 * character, group ids may not) and the stream key. MessageDeduplicationId
 * {@link outboxDeduplicationId}: the group, the slot and the part, so a second park of the same
 * request within SQS's five-minute window (a task delivered twice) is dropped by the queue.
 *
 * Contracts:
 * - `park(writes)` validates every write first (`SQS_OUTBOX_INVALID_WRITE`; all one
 *   remote_write and stream, else the order would mean nothing) and each body against
 *   `maxMessageBytes` (`SQS_OUTBOX_TOO_LARGE`: a snappy body cannot be split here; the
 *   remote-write sender's batching, max_samples_per_send §11, keeps requests far smaller). Then
 *   SendMessageBatch requests of at most 10 entries and `maxBatchBytes`, one after the other in
 *   the writes' order. A one-message unit (the usual case) is group-committed: the parks asked
 *   for in the same turn of the event loop, of any streams, share batches (one request for
 *   several streams of a task instead of one each), sent in parallel. Entries SQS failed are sent again (the deduplication id makes that
 *   safe) up to `maxAttempts` times, then `SQS_OUTBOX_SEND_FAILED` names how many were not
 *   parked — the caller still holds them. SDK errors are `SQS_OUTBOX_SEND_FAILED` with `cause`.
 * - Decoding a body (`decodeParkedWrite`, re-exported from the outbox message module) treats
 *   it as untrusted: a {@link ParkedWrite} byte-equal to the one parked, or
 *   `OUTBOX_MESSAGE_MALFORMED`, never another exception.
 * - When to replay and when to give up is not decided here (`src/pipeline/outbox-replayer.ts`).
 *
 * {@link SqsDeadLetterQueue} is the {@link DeadLetterQueue} of the replayer, normally the
 * outbox queue's own redrive target (FIFO too: AWS requires it). A letter's body is an outbox
 * body as above (the raw text for `malformed`), so SQS's DLQ redrive can move letters back to
 * the outbox once their cause is fixed, in their groups; why it is there travels in two String
 * message attributes: `reason` (a {@link DeadLetterReason}) and `detail` (one line, cut to fit
 * the message size; characters SQS refuses become U+FFFD). A message in that queue without
 * `reason` came through the redrive policy: the replayer failed on it `maxReceiveCount` times.
 * `send` throws `SQS_OUTBOX_INVALID_WRITE`, `SQS_OUTBOX_TOO_LARGE` (the body alone is too big)
 * or `SQS_OUTBOX_DEAD_LETTER_FAILED` (the SDK error as `cause`).
 */

import { createHash } from 'node:crypto';
import {
  ChangeMessageVisibilityBatchCommand,
  SendMessageBatchCommand,
  type SendMessageBatchRequestEntry,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { fnv1a64 } from '../model/hash.js';
import { encodeOutboxMessage, OutboxMessageError } from '../pipeline/outbox-message.js';
import type {
  DeadLetter,
  DeadLetterQueue,
  DeadLetterReason,
  Outbox,
  ParkedWrite,
} from '../ports.js';
import {
  bodyBytes,
  escapeJsonForSqs,
  SQS_DEFAULT_MAX_BATCH_BYTES,
  SQS_DEFAULT_MAX_MESSAGE_BYTES,
  SQS_MAX_BATCH_ENTRIES,
} from './sqs-limits.js';

export { decodeParkedWrite } from '../pipeline/outbox-message.js';

export const SQS_OUTBOX_ERROR_CODES = {
  invalidWrite: 'SQS_OUTBOX_INVALID_WRITE',
  tooLarge: 'SQS_OUTBOX_TOO_LARGE',
  sendFailed: 'SQS_OUTBOX_SEND_FAILED',
  deadLetterFailed: 'SQS_OUTBOX_DEAD_LETTER_FAILED',
} as const;
export type SqsOutboxErrorCode =
  (typeof SQS_OUTBOX_ERROR_CODES)[keyof typeof SQS_OUTBOX_ERROR_CODES];

/** The one error class of this module. */
export class SqsOutboxError extends Error {
  override readonly name = 'SqsOutboxError';
  constructor(
    readonly code: SqsOutboxErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface SqsOutboxOptions {
  /** Largest message body (UTF-8 bytes). @default 262144 */
  readonly maxMessageBytes?: number;
  /** Largest sum of the bodies of one SendMessageBatch (UTF-8 bytes). @default 262144 */
  readonly maxBatchBytes?: number;
  /** Sends of an entry SQS failed, the first included. @default 3 */
  readonly maxAttempts?: number;
}

export interface SqsOutboxCounters {
  /** SendMessageBatch and ChangeMessageVisibilityBatch requests made. */
  readonly requests: number;
  /** Writes parked (accepted by the queue). */
  readonly parked: number;
}

/** The SQS message group of a write: its remote_write (hashed) and its stream. */
export function outboxGroupId(write: Pick<ParkedWrite, 'remoteWrite' | 'stream'>): string {
  return `${fnv1a64(write.remoteWrite).toString(16).padStart(16, '0')}.${write.stream}`;
}

/** The SQS deduplication id of a write: its group, slot and part. */
export function outboxDeduplicationId(
  write: Pick<ParkedWrite, 'remoteWrite' | 'stream' | 'slotMs' | 'part'>,
): string {
  return `${outboxGroupId(write)}.${write.slotMs}.${write.part}`;
}

export class SqsOutbox implements Outbox {
  readonly #client: SQSClient;
  readonly #queueUrl: string;
  readonly #maxMessageBytes: number;
  readonly #maxBatchBytes: number;
  readonly #maxAttempts: number;
  #counters = { requests: 0, parked: 0 };
  /** Single-message parks waiting for the next flush. */
  readonly #pending: {
    readonly entry: SendMessageBatchRequestEntry;
    readonly remoteWrite: string;
    resolve(): void;
    reject(err: unknown): void;
  }[] = [];
  #flushScheduled = false;

  constructor(client: SQSClient, queueUrl: string, options: SqsOutboxOptions = {}) {
    this.#client = client;
    this.#queueUrl = queueUrl;
    this.#maxMessageBytes = options.maxMessageBytes ?? SQS_DEFAULT_MAX_MESSAGE_BYTES;
    this.#maxBatchBytes = options.maxBatchBytes ?? SQS_DEFAULT_MAX_BATCH_BYTES;
    this.#maxAttempts = options.maxAttempts ?? 3;
  }

  get counters(): SqsOutboxCounters {
    return { ...this.#counters };
  }

  async park(writes: readonly ParkedWrite[]): Promise<void> {
    const first = writes[0];
    if (first === undefined) return;
    const group = outboxGroupId(first);
    const entries: SendMessageBatchRequestEntry[] = writes.map((write, i) => {
      if (outboxGroupId(write) !== group) {
        throw new SqsOutboxError(
          'SQS_OUTBOX_INVALID_WRITE',
          'writes parked together must share their remote_write and stream',
        );
      }
      const body = encodeParkedWrite(write);
      const bytes = bodyBytes(body);
      if (bytes > this.#maxMessageBytes) {
        throw new SqsOutboxError(
          'SQS_OUTBOX_TOO_LARGE',
          `parked write for ${write.remoteWrite} is ${bytes} bytes, more than ${this.#maxMessageBytes}`,
        );
      }
      return {
        Id: String(i),
        MessageBody: body,
        MessageGroupId: group,
        MessageDeduplicationId: outboxDeduplicationId(write),
      };
    });
    if (entries.length > 1) {
      // Several requests of one unit: their own batches, one after the other, in order.
      for (const batch of batches(entries, this.#maxBatchBytes, (e) =>
        bodyBytes(e.MessageBody ?? ''),
      )) {
        const unsent = await this.sendBatch(batch, first.remoteWrite);
        if (unsent !== undefined) throw unsent;
      }
      return;
    }
    // One message (the usual unit): group-committed with the parks of other streams.
    return new Promise<void>((resolve, reject) => {
      this.#pending.push({ entry: entries[0]!, remoteWrite: first.remoteWrite, resolve, reject });
      if (!this.#flushScheduled) {
        this.#flushScheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /** Sends the parks gathered in this turn of the event loop, batches in parallel. */
  private flush(): void {
    this.#flushScheduled = false;
    const parks = this.#pending.splice(0);
    const chunks = batches(parks, this.#maxBatchBytes, (p) => bodyBytes(p.entry.MessageBody ?? ''));
    for (const c of chunks) {
      const entries = c.map((p, i) => ({ ...p.entry, Id: String(i) }));
      this.sendBatch(entries, c[0]!.remoteWrite).then(
        (unsent) => {
          c.forEach((p, i) => {
            if (unsent?.ids.has(String(i))) p.reject(unsent);
            else p.resolve();
          });
        },
        (err: unknown) => {
          for (const p of c) p.reject(err);
        },
      );
    }
  }

  /**
   * Keeps received messages invisible for their delays (ChangeMessageVisibilityBatch, 10 per
   * request): the replayer's backoff of a write that failed. Throws `SQS_OUTBOX_SEND_FAILED`
   * when a request failed or SQS failed an entry (those come back after the visibility timeout).
   */
  async retryLater(
    entries: readonly { readonly receiptHandle: string; readonly delaySeconds: number }[],
  ): Promise<void> {
    let failed = 0;
    for (let from = 0; from < entries.length; from += SQS_MAX_BATCH_ENTRIES) {
      const batch = entries.slice(from, from + SQS_MAX_BATCH_ENTRIES);
      this.#counters.requests++;
      try {
        const r = await this.#client.send(
          new ChangeMessageVisibilityBatchCommand({
            QueueUrl: this.#queueUrl,
            Entries: batch.map((e, i) => ({
              Id: String(i),
              ReceiptHandle: e.receiptHandle,
              VisibilityTimeout: e.delaySeconds,
            })),
          }),
        );
        failed += r.Failed?.length ?? 0;
      } catch (err) {
        throw new SqsOutboxError(
          'SQS_OUTBOX_SEND_FAILED',
          `delaying ${batch.length} outbox messages failed: ${err instanceof Error ? err.message : String(err)}`,
          { cause: err },
        );
      }
    }
    if (failed > 0) {
      throw new SqsOutboxError('SQS_OUTBOX_SEND_FAILED', `${failed} outbox messages not delayed`);
    }
  }

  /** Sends one batch, again for the entries SQS failed; throws when some stay unsent. */
  /**
   * Sends one batch, again for the entries SQS failed. Resolves with the error naming the
   * entries still unsent after `maxAttempts`, or undefined; rejects when a request failed.
   */
  private async sendBatch(
    batch: SendMessageBatchRequestEntry[],
    remoteWrite: string,
  ): Promise<(SqsOutboxError & { readonly ids: ReadonlySet<string> }) | undefined> {
    let pending = batch;
    let lastReason = '';
    for (let attempt = 0; attempt < this.#maxAttempts && pending.length > 0; attempt++) {
      this.#counters.requests++;
      let failed: Set<string>;
      try {
        const r = await this.#client.send(
          new SendMessageBatchCommand({ QueueUrl: this.#queueUrl, Entries: pending }),
        );
        failed = new Set((r.Failed ?? []).map((f) => f.Id ?? ''));
        lastReason = (r.Failed ?? []).map((f) => f.Message ?? f.Code ?? '').join('; ');
      } catch (err) {
        throw new SqsOutboxError(
          'SQS_OUTBOX_SEND_FAILED',
          `parking ${pending.length} writes for ${remoteWrite} failed: ${err instanceof Error ? err.message : String(err)}`,
          { cause: err },
        );
      }
      this.#counters.parked += pending.length - failed.size;
      pending = pending.filter((e) => failed.has(e.Id ?? ''));
    }
    if (pending.length === 0) return undefined;
    return Object.assign(
      new SqsOutboxError(
        'SQS_OUTBOX_SEND_FAILED',
        `${pending.length} writes for ${remoteWrite} not parked after ${this.#maxAttempts} attempts: ${lastReason}`,
      ),
      { ids: new Set(pending.map((e) => e.Id ?? '')) },
    );
  }
}

/** Consecutive runs of at most 10 items and `maxBytes` of bodies (one item at least). */
function batches<T>(items: readonly T[], maxBytes: number, bytesOf: (item: T) => number): T[][] {
  const out: T[][] = [];
  let batch: T[] = [];
  let bytes = 0;
  for (const item of items) {
    const size = bytesOf(item);
    if (batch.length > 0 && (batch.length === SQS_MAX_BATCH_ENTRIES || bytes + size > maxBytes)) {
      out.push(batch);
      batch = [];
      bytes = 0;
    }
    batch.push(item);
    bytes += size;
  }
  if (batch.length > 0) out.push(batch);
  return out;
}

/** Message attribute names of a dead letter. */
export const DEAD_LETTER_ATTRIBUTES = { reason: 'reason', detail: 'detail' } as const;

/** Longest `detail` attribute (characters); the backend's message is 1024 bytes at most. */
export const DEAD_LETTER_MAX_DETAIL_CHARS = 2_048;

const DEAD_LETTER_REASONS: ReadonlySet<string> = new Set<DeadLetterReason>([
  'expired',
  'rejected',
  'unknown-remote-write',
  'malformed',
]);

/** Characters SQS refuses in a message (outside #x9 #xA #xD #x20–#xD7FF #xE000–#xFFFD). */
const SQS_INVALID_CHARS = /[^\t\n\r\u0020-\ud7ff\ue000-\ufffd]/g;

export interface SqsDeadLetterQueueCounters {
  /** SendMessage requests made. */
  readonly requests: number;
  /** Letters accepted by the queue. */
  readonly sent: number;
}

export class SqsDeadLetterQueue implements DeadLetterQueue {
  readonly #client: SQSClient;
  readonly #queueUrl: string;
  readonly #maxMessageBytes: number;
  #counters = { requests: 0, sent: 0 };

  constructor(client: SQSClient, queueUrl: string, options: SqsOutboxOptions = {}) {
    this.#client = client;
    this.#queueUrl = queueUrl;
    this.#maxMessageBytes = options.maxMessageBytes ?? SQS_DEFAULT_MAX_MESSAGE_BYTES;
  }

  get counters(): SqsDeadLetterQueueCounters {
    return { ...this.#counters };
  }

  async send(letter: DeadLetter): Promise<void> {
    if (!DEAD_LETTER_REASONS.has(letter.reason)) {
      throw new SqsOutboxError(
        'SQS_OUTBOX_INVALID_WRITE',
        `unknown dead-letter reason ${JSON.stringify(letter.reason)}`,
      );
    }
    const body = typeof letter.write === 'string' ? letter.write : encodeParkedWrite(letter.write);
    if (body === '') throw new SqsOutboxError('SQS_OUTBOX_INVALID_WRITE', 'dead letter is empty');
    // SQS counts a String attribute as its name + "String" + value, in UTF-8 bytes.
    const attributeBytes = (name: string, value: string): number =>
      bodyBytes(name) + bodyBytes('String') + bodyBytes(value);
    const fixed = bodyBytes(body) + attributeBytes(DEAD_LETTER_ATTRIBUTES.reason, letter.reason);
    if (fixed > this.#maxMessageBytes) {
      throw new SqsOutboxError(
        'SQS_OUTBOX_TOO_LARGE',
        `dead letter (${letter.reason}) is ${fixed} bytes, more than ${this.#maxMessageBytes}`,
      );
    }
    const detail = fitDetail(
      letter.detail,
      this.#maxMessageBytes - fixed - attributeBytes(DEAD_LETTER_ATTRIBUTES.detail, ''),
    );
    const attributes: Record<string, { DataType: 'String'; StringValue: string }> = {
      [DEAD_LETTER_ATTRIBUTES.reason]: { DataType: 'String', StringValue: letter.reason },
    };
    if (detail !== '') {
      attributes[DEAD_LETTER_ATTRIBUTES.detail] = { DataType: 'String', StringValue: detail };
    }
    this.#counters.requests++;
    try {
      await this.#client.send(
        new SendMessageCommand({
          QueueUrl: this.#queueUrl,
          MessageBody: body,
          MessageAttributes: attributes,
          ...deadLetterIds(letter, body),
        }),
      );
    } catch (err) {
      throw new SqsOutboxError(
        'SQS_OUTBOX_DEAD_LETTER_FAILED',
        `dead-lettering a write (${letter.reason}) failed: ${err instanceof Error ? err.message : String(err)}`,
        { cause: err },
      );
    }
    this.#counters.sent++;
  }
}

/**
 * The FIFO ids of a letter: its write's group (a redrive puts it back in its place), or
 * `malformed` for text that did not decode; deduplicated by reason and write (or text).
 */
function deadLetterIds(
  letter: DeadLetter,
  body: string,
): { MessageGroupId: string; MessageDeduplicationId: string } {
  if (typeof letter.write === 'string') {
    const digest = createHash('sha256').update(body).digest('hex');
    return { MessageGroupId: 'malformed', MessageDeduplicationId: `${letter.reason}.${digest}` };
  }
  return {
    MessageGroupId: outboxGroupId(letter.write),
    MessageDeduplicationId: `${letter.reason}.${outboxDeduplicationId(letter.write)}`,
  };
}

/**
 * `detail` as one attribute value: characters SQS refuses replaced, at most
 * {@link DEAD_LETTER_MAX_DETAIL_CHARS} characters and `maxBytes` UTF-8 bytes (cut with `…`);
 * '' when nothing fits.
 */
function fitDetail(detail: string, maxBytes: number): string {
  let text = detail.replace(SQS_INVALID_CHARS, '\ufffd');
  if (text.length > DEAD_LETTER_MAX_DETAIL_CHARS) {
    text = `${text.slice(0, DEAD_LETTER_MAX_DETAIL_CHARS - 1)}…`;
  }
  if (bodyBytes(text) <= maxBytes) return text;
  // No surrogates are left, so each UTF-16 unit is one character of 1–3 UTF-8 bytes; `…` is 3.
  const budget = maxBytes - 3;
  let bytes = 0;
  let end = 0;
  for (; end < text.length; end++) {
    const c = text.charCodeAt(end);
    const size = c < 0x80 ? 1 : c < 0x800 ? 2 : 3;
    if (bytes + size > budget) break;
    bytes += size;
  }
  return end === 0 ? '' : `${text.slice(0, end)}…`;
}

/**
 * The SQS message body of a parked write: the outbox message (`src/pipeline/outbox-message.ts`)
 * with the characters SQS refuses escaped. Throws `SQS_OUTBOX_INVALID_WRITE`.
 */
export function encodeParkedWrite(write: ParkedWrite): string {
  try {
    return escapeJsonForSqs(encodeOutboxMessage(write));
  } catch (err) {
    if (!(err instanceof OutboxMessageError)) throw err;
    throw new SqsOutboxError('SQS_OUTBOX_INVALID_WRITE', err.message);
  }
}
