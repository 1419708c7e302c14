/**
 * The logic behind the four Lambda functions, against a {@link ServerlessRuntime}; the files
 * in `functions/` only fetch the container's runtime and call these.
 *
 * - {@link handleDiscovery}: one `DiscoveryRun.run()` per scheduled event; a failure throws
 *   (the run is recomputed from the stored state next minute, `discovery.ts` contracts).
 * - {@link handleDispatch}: one `dispatchWindow` per scheduled event; idempotent per window.
 * - {@link handleScrapeBatch}: one SQS batch; returns the partial-batch response naming
 *   exactly the records SQS should deliver again (the event source mapping must enable
 *   `ReportBatchItemFailures`).
 * - {@link handleOutboxBatch}: one batch of the outbox queue, same response contract.
 */
import { decodeTask, TaskCodecError } from '../aws/task-codec.js';
import type { DiscoverySummary } from '../pipeline/discovery.js';
import { type DispatchResult, dispatchWindow } from '../pipeline/dispatcher.js';
import { OutboxReplayError } from '../pipeline/outbox-replayer.js';
import { ScraperError } from '../pipeline/scraper.js';
import { ConcurrencyLimiter } from '../pipeline/scraper-limiter.js';
import type { ServerlessRuntime } from './runtime.js';

/** The fields of an SQS record this handler reads (no @types/aws-lambda). */
export interface SqsRecord {
  readonly messageId: string;
  readonly body: string;
}

export interface SqsBatchEvent {
  readonly Records: readonly SqsRecord[];
}

/** The part of the Lambda context the scraper uses. */
export interface InvocationContext {
  getRemainingTimeInMillis(): number;
}

/** SQS partial batch response: the records to deliver again. */
export interface SqsBatchResponse {
  batchItemFailures: { itemIdentifier: string }[];
}

/**
 * Kept back from the invocation's remaining time when computing a task's deadline: the worker
 * keeps its own margin for parking and the state write; this one covers returning the batch
 * response before Lambda's timeout.
 */
export const HANDLER_MARGIN_MS = 500;

/**
 * Outbox records replayed at once by one invocation: bounds the connections to the backends
 * (each replay may itself retry) and the bodies held in memory (≤ 256 KiB each).
 */
export const OUTBOX_REPLAY_CONCURRENCY = 10;

/** One discovery pass. Throws `DiscoveryRunError` (logged first). */
export async function handleDiscovery(runtime: ServerlessRuntime): Promise<DiscoverySummary> {
  try {
    return await runtime.discovery.run();
  } catch (err) {
    runtime.logger.error('discovery failed', { err });
    throw err;
  }
}

/** Plans the next window. Throws `DispatchError` (logged first). */
export async function handleDispatch(runtime: ServerlessRuntime): Promise<DispatchResult> {
  try {
    const result = await dispatchWindow({
      targets: runtime.targets,
      queue: runtime.queue,
      ledger: runtime.ledger,
      windowMs: runtime.env.windowMs,
      maxTargetsPerTask: runtime.env.maxTargetsPerTask,
    });
    runtime.logger.info('dispatch done', { ...result, window: result.window.startMs });
    return result;
  } catch (err) {
    runtime.logger.error('dispatch failed', { err });
    throw err;
  }
}

/**
 * Runs every record's task concurrently (each waits for its own slot, so running them one
 * after the other would make later ones late) and reports as batch item failures exactly:
 * - records whose task threw a retryable `ScraperError` (state read failed, retire not done).
 * Not reported, so SQS deletes them:
 * - malformed bodies (`TaskCodecError`): decoding the same bytes again can never succeed, and
 *   a redelivery would only cycle them to the dead-letter queue; logged as errors with the
 *   message id instead;
 * - non-retryable `ScraperError`s and any other error (logged): a retry would come after the
 *   task's slots and be dropped as late anyway.
 * Logs one JSON line per task (`task done`, with the worker's counters; no labels or secrets).
 */
export async function handleScrapeBatch(
  runtime: ServerlessRuntime,
  event: SqsBatchEvent,
  context: InvocationContext,
): Promise<SqsBatchResponse> {
  const startMs = Date.now();
  const deadlineMs = startMs + context.getRemainingTimeInMillis() - HANDLER_MARGIN_MS;
  const failed = await Promise.all(
    event.Records.map((record) => runRecord(runtime, record, deadlineMs)),
  );
  return {
    batchItemFailures: event.Records.filter((_, i) => failed[i]).map((r) => ({
      itemIdentifier: r.messageId,
    })),
  };
}

/** Runs one record; true when SQS should deliver it again. Never throws. */
async function runRecord(
  runtime: ServerlessRuntime,
  record: SqsRecord,
  deadlineMs: number,
): Promise<boolean> {
  const log = runtime.logger;
  const startMs = Date.now();
  try {
    const task = decodeTask(record.body);
    const outcome = await runtime.worker.handleTask(task, { deadlineMs });
    log.info('task done', {
      messageId: record.messageId,
      kind: outcome.kind,
      targets: outcome.targets.length,
      durationMs: Date.now() - startMs,
      ...outcome.counters,
    });
    return false;
  } catch (err) {
    if (err instanceof TaskCodecError) {
      log.error('malformed task dropped: it can never succeed, so it is not retried', {
        messageId: record.messageId,
        err,
        path: err.path,
      });
      return false;
    }
    if (err instanceof ScraperError && err.retryable) {
      log.warn('task failed: SQS will deliver it again', { messageId: record.messageId, err });
      return true;
    }
    log.error('task failed: not retried', { messageId: record.messageId, err });
    return false;
  }
}

/**
 * Replays the outbox records, at most {@link OUTBOX_REPLAY_CONCURRENCY} at once, each within
 * the invocation's remaining time (and the replayer's own per-replay bound). Reports as batch
 * item failures exactly the records that must stay on the queue: those whose replay threw —
 * a failed re-park or dead-letter send, no time left, or anything unexpected. A write is never
 * dropped here: delivered, re-parked and dead-lettered records (malformed ones included, which
 * go to the dead-letter queue as they are) are the only ones SQS deletes; a record that keeps
 * failing is moved to the dead-letter queue by the outbox queue's redrive policy.
 * Logs one JSON line per record (`outbox write done`, with its outcome; no labels or secrets).
 */
export async function handleOutboxBatch(
  runtime: Pick<ServerlessRuntime, 'replayer' | 'logger'>,
  event: SqsBatchEvent,
  context: InvocationContext,
): Promise<SqsBatchResponse> {
  const deadlineMs = Date.now() + context.getRemainingTimeInMillis() - HANDLER_MARGIN_MS;
  const limiter = new ConcurrencyLimiter(OUTBOX_REPLAY_CONCURRENCY);
  const failed = await Promise.all(
    event.Records.map((record) => limiter.run(() => replayRecord(runtime, record, deadlineMs))),
  );
  return {
    batchItemFailures: event.Records.filter((_, i) => failed[i]).map((r) => ({
      itemIdentifier: r.messageId,
    })),
  };
}

/** Replays one outbox record; true when SQS should deliver it again. Never throws. */
async function replayRecord(
  runtime: Pick<ServerlessRuntime, 'replayer' | 'logger'>,
  record: SqsRecord,
  deadlineMs: number,
): Promise<boolean> {
  const log = runtime.logger;
  const startMs = Date.now();
  try {
    const outcome = await runtime.replayer.handleMessage(record.body, { deadlineMs });
    log.info('outbox write done', {
      messageId: record.messageId,
      ...outcome,
      durationMs: Date.now() - startMs,
    });
    return false;
  } catch (err) {
    if (err instanceof OutboxReplayError && err.retryable) {
      log.warn('outbox write not settled: SQS will deliver it again', {
        messageId: record.messageId,
        err,
      });
    } else {
      log.error('outbox write failed unexpectedly: SQS will deliver it again', {
        messageId: record.messageId,
        err,
      });
    }
    return true;
  }
}
