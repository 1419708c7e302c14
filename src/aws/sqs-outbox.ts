/**
 * {@link Outbox} on Amazon SQS: remote writes that could not be delivered yet are parked on the
 * "outbox" queue and replayed with backoff until accepted or expired to its dead-letter queue
 * (docs/design.md decision 5, "Nothing lost silently").
 *
 * Message body: the outbox message of `src/pipeline/outbox-message.ts` (one JSON object, the
 * snappy-compressed WriteRequest in base64), with the characters SQS refuses escaped.
 *
 * Contracts:
 * - `park` validates before sending: DelaySeconds a whole number 0–900 (`SQS_OUTBOX_INVALID_DELAY`;
 *   fauxqs would accept more, docs/testing.md), the write's fields (`SQS_OUTBOX_INVALID_WRITE`), and
 *   the body against `maxMessageBytes` (`SQS_OUTBOX_TOO_LARGE`: a snappy body cannot be split
 *   here; the remote-write sender's batching, max_samples_per_send §11, keeps requests far
 *   smaller). One SendMessage per park; a failed request (after the SDK's own retries) is
 *   `SQS_OUTBOX_SEND_FAILED` with the SDK error as `cause` — the caller still holds the write.
 * - Decoding a body (`decodeParkedWrite`, re-exported from the outbox message module) treats
 *   it as untrusted: a {@link ParkedWrite} byte-equal to the one parked, or
 *   `OUTBOX_MESSAGE_MALFORMED`, never another exception.
 * - When to replay and when to give up is not decided here: the backoff and expiry policy is
 *   `src/pipeline/outbox-policy.ts`.
 *
 * {@link SqsDeadLetterQueue} is the {@link DeadLetterQueue} of the replayer
 * (`src/pipeline/outbox-replayer.ts`), normally the outbox queue's own redrive target. A letter's
 * body is an outbox body as above (the raw text for `malformed`), so SQS's DLQ redrive can move
 * letters back to the outbox once their cause is fixed; why it is there travels in two String
 * message attributes: `reason` (a {@link DeadLetterReason}) and `detail` (one line, cut to fit
 * the message size; characters SQS refuses become U+FFFD). A message in that queue without
 * `reason` came through the redrive policy: the replayer failed on it `maxReceiveCount` times.
 * `send` throws `SQS_OUTBOX_INVALID_WRITE`, `SQS_OUTBOX_TOO_LARGE` (the body alone is too big)
 * or `SQS_OUTBOX_DEAD_LETTER_FAILED` (the SDK error as `cause`).
 */

import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
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
  delaySecondsProblem,
  escapeJsonForSqs,
  SQS_DEFAULT_MAX_MESSAGE_BYTES,
} from './sqs-limits.js';

export { decodeParkedWrite } from '../pipeline/outbox-message.js';

export const SQS_OUTBOX_ERROR_CODES = {
  invalidDelay: 'SQS_OUTBOX_INVALID_DELAY',
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
}

export interface SqsOutboxCounters {
  /** SendMessage requests made. */
  readonly requests: number;
  /** Writes parked (accepted by the queue). */
  readonly parked: number;
}

export class SqsOutbox implements Outbox {
  readonly #client: SQSClient;
  readonly #queueUrl: string;
  readonly #maxMessageBytes: number;
  #counters = { requests: 0, parked: 0 };

  constructor(client: SQSClient, queueUrl: string, options: SqsOutboxOptions = {}) {
    this.#client = client;
    this.#queueUrl = queueUrl;
    this.#maxMessageBytes = options.maxMessageBytes ?? SQS_DEFAULT_MAX_MESSAGE_BYTES;
  }

  get counters(): SqsOutboxCounters {
    return { ...this.#counters };
  }

  async park(write: ParkedWrite, delaySeconds: number): Promise<void> {
    const delayProblem = delaySecondsProblem(delaySeconds);
    if (delayProblem !== undefined)
      throw new SqsOutboxError('SQS_OUTBOX_INVALID_DELAY', delayProblem);
    const body = encodeParkedWrite(write);
    const bytes = bodyBytes(body);
    if (bytes > this.#maxMessageBytes) {
      throw new SqsOutboxError(
        'SQS_OUTBOX_TOO_LARGE',
        `parked write for ${write.remoteWrite} is ${bytes} bytes, more than ${this.#maxMessageBytes}`,
      );
    }
    this.#counters.requests++;
    try {
      await this.#client.send(
        new SendMessageCommand({
          QueueUrl: this.#queueUrl,
          MessageBody: body,
          DelaySeconds: delaySeconds,
        }),
      );
    } catch (err) {
      throw new SqsOutboxError(
        'SQS_OUTBOX_SEND_FAILED',
        `parking a write for ${write.remoteWrite} failed: ${err instanceof Error ? err.message : String(err)}`,
        { cause: err },
      );
    }
    this.#counters.parked++;
  }
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
