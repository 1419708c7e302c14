/**
 * The outbox function: a consumer of the FIFO outbox queue that replays parked remote writes
 * in order (`OutboxReplayer`), with the same partial-batch contract as the scraper. Logs one
 * `outbox write done` line per record.
 */
import { SqsDeadLetterQueue } from '../aws/sqs-outbox.js';
import {
  type OutboxRecord,
  OutboxReplayer,
  type OutboxReplayerOptions,
} from '../pipeline/outbox-replayer.js';
import { type DeliveryAdapters, deliveryAdapters } from './delivery.js';
import type { ServerlessEnv } from './env.js';
import { observeEgress, observeSqsSent } from './observe.js';
import { createRuntimeBase, type RuntimeBase, type RuntimeOptions, withParts } from './runtime.js';
import {
  type InvocationContext,
  invocationDeadline,
  type SqsBatchEvent,
  type SqsBatchResponse,
  type SqsRecord,
} from './sqs-batch.js';

export interface OutboxParts extends DeliveryAdapters {
  /** Where the replayer moves the writes it gives up on. */
  readonly deadLetters: SqsDeadLetterQueue;
  /** Replays the outbox; shares the writers with the self-metrics (and, in simulate, the worker). */
  readonly replayer: OutboxReplayer;
}

export type OutboxRuntime = RuntimeBase & OutboxParts;

/** Throws `OutboxReplayError` for invalid `replayerOptions`. */
export function outboxParts(
  base: RuntimeBase,
  replayerOptions: OutboxReplayerOptions = {},
  delivery: DeliveryAdapters = deliveryAdapters(base),
): OutboxParts {
  const deadLetters = new SqsDeadLetterQueue(base.sqs, base.env.outboxDlqUrl);
  const replayer = new OutboxReplayer({
    writers: base.writers,
    deadLetters,
    backlog: delivery.backlog,
    logger: base.logger,
    options: { maxAgeMs: base.env.outboxMaxAgeMs, ...replayerOptions },
  });
  return { ...delivery, deadLetters, replayer };
}

/**
 * The outbox function's runtime; throws as `createRuntimeBase` does, and `OutboxReplayError`
 * for invalid `replayerOptions` (`maxAgeMs` defaults to the env's OUTBOX_MAX_AGE).
 */
export async function createOutboxRuntime(
  env: ServerlessEnv,
  options: RuntimeOptions = {},
): Promise<OutboxRuntime> {
  return withParts(await createRuntimeBase(env, options), (base) =>
    outboxParts(base, options.replayerOptions),
  );
}

/**
 * What the outbox handler uses of the runtime. Without `monitoring` (tests of the replay
 * alone) it feeds and flushes no self-metrics.
 */
export type OutboxReplayRuntime = Pick<OutboxRuntime, 'replayer' | 'logger'> &
  Partial<Pick<OutboxRuntime, 'monitoring' | 'outbox' | 'deadLetters'>>;

/**
 * Replays one batch of the FIFO outbox queue (`OutboxReplayer.replayBatch`: each group in order,
 * a failing group waits behind its first failure). Reports as batch item failures exactly the
 * records to deliver again, after making each invisible for its backoff (ChangeMessageVisibility;
 * if that fails they come back after the queue's visibility timeout, later but in order). A
 * write is never dropped here: delivered and dead-lettered records are the only ones SQS deletes.
 * Logs one JSON line per record (`outbox write done`, with its outcome; no labels or secrets).
 */
export async function handleOutboxBatch(
  runtime: OutboxReplayRuntime,
  event: SqsBatchEvent,
  context: InvocationContext,
): Promise<SqsBatchResponse> {
  const startMs = Date.now();
  const deadlineMs = invocationDeadline(startMs, context);
  try {
    const outcomes = await runtime.replayer.replayBatch(event.Records.map(outboxRecord), {
      deadlineMs,
    });
    const retries: { record: SqsRecord; delaySeconds: number }[] = [];
    event.Records.forEach((record, i) => {
      const outcome = outcomes[i]!;
      const level = outcome.kind === 'retry' && outcome.tried ? 'warn' : 'info';
      runtime.logger[level]('outbox write done', {
        messageId: record.messageId,
        ...outcome,
        durationMs: Date.now() - startMs,
      });
      if (outcome.kind === 'retry') retries.push({ record, delaySeconds: outcome.delaySeconds });
    });
    await delayRetries(runtime, retries);
    return { batchItemFailures: retries.map((r) => ({ itemIdentifier: r.record.messageId })) };
  } finally {
    await observeOutboxInvocation(runtime, deadlineMs);
  }
}

/** The replayer's view of a record; a record without a group is a group of its own. */
function outboxRecord(record: SqsRecord): OutboxRecord {
  const count = Number(record.attributes?.ApproximateReceiveCount ?? '1');
  return {
    messageId: record.messageId,
    body: record.body,
    groupId: record.attributes?.MessageGroupId ?? `message:${record.messageId}`,
    receiveCount: Number.isFinite(count) && count >= 1 ? count : 1,
  };
}

/** Makes the records to retry invisible for their delays. Never rejects. */
async function delayRetries(
  runtime: OutboxReplayRuntime,
  retries: readonly { record: SqsRecord; delaySeconds: number }[],
): Promise<void> {
  const entries = retries.flatMap(({ record, delaySeconds }) =>
    record.receiptHandle === undefined
      ? []
      : [{ receiptHandle: record.receiptHandle, delaySeconds }],
  );
  if (runtime.outbox === undefined || entries.length === 0) return;
  try {
    await runtime.outbox.retryLater(entries);
  } catch (err) {
    runtime.logger.warn(
      'outbox backoff not set: the writes come back after the visibility timeout',
      {
        messages: entries.length,
        err,
      },
    );
  }
}

/** The outbox function's self-metrics of one invocation, then the flush. Never rejects. */
async function observeOutboxInvocation(
  runtime: OutboxReplayRuntime,
  deadlineMs: number,
): Promise<void> {
  const m = runtime.monitoring;
  if (m === undefined) return;
  const metrics = m.metrics('outbox');
  const c = runtime.replayer.counters;
  const deadLettered = c.expired + c.rejected + c.unknownRemoteWrite + c.malformed;
  metrics.observeOutboxReplay({
    replayed: m.increase('replayer:delivered', c.delivered),
    retried: m.increase('replayer:retried', c.retried),
    deadLettered: m.increase('replayer:dead-lettered', deadLettered),
  });
  if (runtime.outbox !== undefined) {
    observeSqsSent(m, metrics, 'outbox', runtime.outbox.counters.parked);
  }
  if (runtime.deadLetters !== undefined) {
    observeSqsSent(m, metrics, 'dead_letter', runtime.deadLetters.counters.sent);
  }
  observeEgress(m, metrics);
  await m.flush('outbox', { deadlineMs });
}
