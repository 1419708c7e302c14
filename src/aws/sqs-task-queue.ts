/**
 * {@link TaskQueue} on Amazon SQS: the dispatcher's SendMessageBatch with DelaySeconds (docs/design.md
 * "The flow", decisions 3 and 6).
 *
 * Contracts:
 * - Every delay is checked before anything is sent: a whole number 0–900, else
 *   `SQS_INVALID_DELAY` and nothing is sent (SQS rejects other values; fauxqs does not, see
 *   docs/testing.md, so the check is ours).
 * - Bodies come from `task-codec.ts`. A scrape task whose body exceeds `maxMessageBytes` is split
 *   into several tasks of the same slot and delay (`splitScrapeTask`, counted in `tasksSplit`);
 *   a retire task, or a single target, that cannot fit is `SQS_MESSAGE_TOO_LARGE` (nothing sent).
 * - Requests: entries are packed in input order into SendMessageBatch requests of at most 10
 *   entries and at most `maxBatchBytes` of bodies (SQS API reference, SendMessageBatch).
 * - Entries the queue reports as `Failed` with `SenderFault: false` are re-sent, only those, up
 *   to `maxAttempts` attempts in all with exponential backoff; sender faults are final (the same
 *   entry would fail again). A request that throws has already been retried by the SDK's own
 *   retry strategy and is not retried here. All batches are attempted; if anything was not
 *   enqueued, `send` throws `SQS_SEND_FAILED` listing each failed task (input index, code,
 *   message), after the rest were sent — never a silent drop (decision 5). Delivery is at least
 *   once: a re-sent entry may arrive twice, which the scraper tolerates (conditional state
 *   writes, ports.ts).
 * - {@link SqsTaskQueue.counters} counts requests and messages for the project's own metrics
 *   (SQS bills per request, a batch of 10 being one request).
 */

import {
  SendMessageBatchCommand,
  type SendMessageBatchCommandOutput,
  type SendMessageBatchRequestEntry,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { ScrapeTask, TaskQueue } from '../ports.js';
import {
  delaySecondsProblem,
  SQS_DEFAULT_MAX_BATCH_BYTES,
  SQS_DEFAULT_MAX_MESSAGE_BYTES,
  SQS_MAX_BATCH_ENTRIES,
} from './sqs-limits.js';
import { encodeTaskSized, splitScrapeTask, TaskCodecError } from './task-codec.js';

export const SQS_TASK_QUEUE_ERROR_CODES = {
  /** A delay is not a whole number within 0–900. Nothing was sent. */
  invalidDelay: 'SQS_INVALID_DELAY',
  /** A task could not be encoded (breaks a contract of task-codec.ts). Nothing was sent. */
  invalidTask: 'SQS_INVALID_TASK',
  /** A task cannot fit in one message even split per target. Nothing was sent. */
  messageTooLarge: 'SQS_MESSAGE_TOO_LARGE',
  /** Some tasks were not enqueued after retries; see `failures`. The others were sent. */
  sendFailed: 'SQS_SEND_FAILED',
} as const;
export type SqsTaskQueueErrorCode =
  (typeof SQS_TASK_QUEUE_ERROR_CODES)[keyof typeof SQS_TASK_QUEUE_ERROR_CODES];

/** One task (or part of a split task) that was not enqueued. */
export interface SqsSendFailure {
  /** Index of the task in the array given to `send`. */
  readonly index: number;
  /** Part of the task when it was split (0 otherwise). */
  readonly part: number;
  /** SQS error code (e.g. `InternalError`), or the thrown error's name for a failed request. */
  readonly code: string;
  readonly message: string;
  readonly senderFault: boolean;
}

/** The one error class of this module. */
export class SqsTaskQueueError extends Error {
  override readonly name = 'SqsTaskQueueError';
  constructor(
    readonly code: SqsTaskQueueErrorCode,
    message: string,
    /** For `SQS_SEND_FAILED`: what was not enqueued. */
    readonly failures: readonly SqsSendFailure[] = [],
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface SqsTaskQueueOptions {
  /** Largest message body (UTF-8 bytes). @default 262144 */
  readonly maxMessageBytes?: number;
  /** Largest sum of bodies per SendMessageBatch request. @default 262144 */
  readonly maxBatchBytes?: number;
  /** Attempts per entry refused with a server fault, first included. @default 4 */
  readonly maxAttempts?: number;
  /** Backoff before the n-th re-send: base · 2^(n−1), with full jitter. @default 100 */
  readonly backoffBaseMs?: number;
  /** Batch requests in flight at once. @default 4 */
  readonly concurrency?: number;
  /** For tests. @default setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** Monotonic counters since construction. */
export interface SqsTaskQueueCounters {
  /** SendMessageBatch requests made (including re-sends and requests that threw). */
  readonly requests: number;
  /** Messages the queue accepted. */
  readonly messagesSent: number;
  /** Entries re-sent after a server-fault `Failed` entry. */
  readonly entriesRetried: number;
  /** Messages finally not enqueued (reported in an `SQS_SEND_FAILED`). */
  readonly messagesFailed: number;
  /** Tasks split into several messages because their body was too large. */
  readonly tasksSplit: number;
}

interface Entry {
  readonly index: number;
  readonly part: number;
  readonly body: string;
  readonly bytes: number;
  readonly delaySeconds: number;
}

export class SqsTaskQueue implements TaskQueue {
  readonly #client: SQSClient;
  readonly #queueUrl: string;
  readonly #maxMessageBytes: number;
  readonly #maxBatchBytes: number;
  readonly #maxAttempts: number;
  readonly #backoffBaseMs: number;
  readonly #concurrency: number;
  readonly #sleep: (ms: number) => Promise<void>;
  #counters = { requests: 0, messagesSent: 0, entriesRetried: 0, messagesFailed: 0, tasksSplit: 0 };

  constructor(client: SQSClient, queueUrl: string, options: SqsTaskQueueOptions = {}) {
    this.#client = client;
    this.#queueUrl = queueUrl;
    this.#maxMessageBytes = options.maxMessageBytes ?? SQS_DEFAULT_MAX_MESSAGE_BYTES;
    this.#maxBatchBytes = Math.max(
      options.maxBatchBytes ?? SQS_DEFAULT_MAX_BATCH_BYTES,
      this.#maxMessageBytes,
    );
    this.#maxAttempts = Math.max(1, options.maxAttempts ?? 4);
    this.#backoffBaseMs = options.backoffBaseMs ?? 100;
    this.#concurrency = Math.max(1, options.concurrency ?? 4);
    this.#sleep = options.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  }

  get counters(): SqsTaskQueueCounters {
    return { ...this.#counters };
  }

  async send(
    tasks: readonly { readonly task: ScrapeTask; readonly delaySeconds: number }[],
  ): Promise<void> {
    const entries = this.#encodeAll(tasks);
    const batches = packBatches(entries, this.#maxBatchBytes);
    const failures: SqsSendFailure[] = [];
    let firstThrown: unknown;
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < batches.length) {
        const batch = batches[next++]!;
        const result = await this.#sendBatch(batch);
        failures.push(...result.failures);
        firstThrown ??= result.thrown;
      }
    };
    await Promise.all(
      Array.from({ length: Math.min(this.#concurrency, batches.length) }, () => worker()),
    );
    if (failures.length > 0) {
      failures.sort((a, b) => a.index - b.index || a.part - b.part);
      this.#counters.messagesFailed += failures.length;
      const listed = failures
        .slice(0, 5)
        .map((f) => `task ${f.index}${f.part > 0 ? ` part ${f.part}` : ''}: ${f.code} ${f.message}`)
        .join('; ');
      throw new SqsTaskQueueError(
        'SQS_SEND_FAILED',
        `${failures.length} of ${entries.length} messages not enqueued: ${listed}` +
          (failures.length > 5 ? '; …' : ''),
        failures,
        { cause: firstThrown },
      );
    }
  }

  /** Validates every delay and encodes every task before anything is sent. */
  #encodeAll(
    tasks: readonly { readonly task: ScrapeTask; readonly delaySeconds: number }[],
  ): Entry[] {
    tasks.forEach(({ delaySeconds }, index) => {
      const problem = delaySecondsProblem(delaySeconds);
      if (problem !== undefined) {
        throw new SqsTaskQueueError('SQS_INVALID_DELAY', `task ${index}: ${problem}`);
      }
    });
    const entries: Entry[] = [];
    tasks.forEach(({ task, delaySeconds }, index) => {
      try {
        const encoded = encodeTaskSized(task);
        if (encoded.bytes <= this.#maxMessageBytes) {
          entries.push({ index, part: 0, ...encoded, delaySeconds });
          return;
        }
        if (task.kind !== 'scrape') {
          throw new SqsTaskQueueError(
            'SQS_MESSAGE_TOO_LARGE',
            `task ${index}: retire task of ${encoded.bytes} bytes exceeds ${this.#maxMessageBytes}`,
          );
        }
        const parts = splitScrapeTask(task, this.#maxMessageBytes);
        this.#counters.tasksSplit++;
        parts.forEach((p, part) => {
          entries.push({ index, part, ...encodeTaskSized(p), delaySeconds });
        });
      } catch (err) {
        if (err instanceof SqsTaskQueueError) throw err;
        if (err instanceof TaskCodecError && err.code === 'TASK_TOO_LARGE') {
          throw new SqsTaskQueueError(
            'SQS_MESSAGE_TOO_LARGE',
            `task ${index}: ${err.message}`,
            [],
            {
              cause: err,
            },
          );
        }
        throw new SqsTaskQueueError(
          'SQS_INVALID_TASK',
          `task ${index}: ${err instanceof Error ? err.message : String(err)}`,
          [],
          { cause: err },
        );
      }
    });
    return entries;
  }

  async #sendBatch(
    batch: readonly Entry[],
  ): Promise<{ failures: SqsSendFailure[]; thrown: unknown }> {
    let pending = batch;
    const failures: SqsSendFailure[] = [];
    for (let attempt = 1; pending.length > 0; attempt++) {
      const byId = new Map(pending.map((e) => [entryId(e), e]));
      const Entries: SendMessageBatchRequestEntry[] = pending.map((e) => ({
        Id: entryId(e),
        MessageBody: e.body,
        DelaySeconds: e.delaySeconds,
      }));
      this.#counters.requests++;
      let out: SendMessageBatchCommandOutput;
      try {
        out = await this.#client.send(
          new SendMessageBatchCommand({ QueueUrl: this.#queueUrl, Entries }),
        );
      } catch (err) {
        const name = err instanceof Error ? err.name : 'Error';
        const message = err instanceof Error ? err.message : String(err);
        for (const e of pending) {
          failures.push({ index: e.index, part: e.part, code: name, message, senderFault: false });
        }
        return { failures, thrown: err };
      }
      const retry: Entry[] = [];
      const answered = new Set<string>();
      for (const s of out.Successful ?? []) {
        if (s.Id !== undefined && byId.has(s.Id)) {
          answered.add(s.Id);
          this.#counters.messagesSent++;
        }
      }
      for (const f of out.Failed ?? []) {
        const e = f.Id === undefined ? undefined : byId.get(f.Id);
        if (e === undefined || answered.has(f.Id!)) continue;
        answered.add(f.Id!);
        const senderFault = f.SenderFault === true;
        if (!senderFault && attempt < this.#maxAttempts) {
          retry.push(e);
        } else {
          failures.push({
            index: e.index,
            part: e.part,
            code: f.Code ?? 'Unknown',
            message: f.Message ?? '',
            senderFault,
          });
        }
      }
      // An entry in neither list is not known to be enqueued: treat it as a server fault.
      for (const [id, e] of byId) {
        if (answered.has(id)) continue;
        if (attempt < this.#maxAttempts) retry.push(e);
        else {
          failures.push({
            index: e.index,
            part: e.part,
            code: 'NoResult',
            message: 'entry missing from the SendMessageBatch response',
            senderFault: false,
          });
        }
      }
      if (retry.length > 0) {
        this.#counters.entriesRetried += retry.length;
        await this.#sleep(Math.random() * this.#backoffBaseMs * 2 ** (attempt - 1));
      }
      pending = retry;
    }
    return { failures, thrown: undefined };
  }
}

/** Entry ids: unique within a request, `[A-Za-z0-9_-]{1,80}` (SQS API reference). */
function entryId(e: Entry): string {
  return `${e.index}_${e.part}`;
}

/** Packs entries in order into requests of ≤ 10 entries and ≤ `maxBatchBytes` of bodies. */
function packBatches(entries: readonly Entry[], maxBatchBytes: number): Entry[][] {
  const batches: Entry[][] = [];
  let current: Entry[] = [];
  let bytes = 0;
  for (const e of entries) {
    if (
      current.length > 0 &&
      (current.length === SQS_MAX_BATCH_ENTRIES || bytes + e.bytes > maxBatchBytes)
    ) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(e);
    bytes += e.bytes;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}
