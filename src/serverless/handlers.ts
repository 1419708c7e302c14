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
 *
 * Self-monitoring (`self-monitoring.ts`): each handler feeds its function's
 * registry with what the pipeline returned and with the increases of the adapters' counters it
 * used (SQS messages sent, DynamoDB capacity), then, at the end of every invocation, failed ones
 * included, flushes it when due (EMF line on stdout, remote-write unit to every writer).
 * Logs, JSON lines (no labels, no secrets):
 * - discovery: the run's own `discovery done` / `discovery error` lines; `discovery failed`.
 * - dispatcher: `dispatch done` (the result) or `dispatch failed`; `outbox depth not read` (warn)
 *   when GetQueueAttributes fails, which does not fail the invocation.
 * - scraper: a `scrape` line per target (`scrapeLogFields`: job, target id, redacted URL,
 *   outcome, slot, lateness, wait, up, samples, state write, delivery) — at info only when it
 *   is worth a look (not scraped, down, a state conflict or error, samples rejected or lost),
 *   else at debug, as a Prometheus server logs nothing for a good scrape; one `task
 *   done` line per task with the worker's counters, at debug. Log lines are billed by the byte.
 * - outbox: one `outbox write done` line per record.
 */

import { readQueueDepth } from '../aws/sqs-queue-depth.js';
import { decodeTask, TaskCodecError } from '../aws/task-codec.js';
import { EGRESS_REFUSAL_REASONS, egressRefusals } from '../http/egress-guard.js';
import type { DiscoverySummary } from '../pipeline/discovery.js';
import { type DispatchResult, dispatchWindow } from '../pipeline/dispatcher.js';
import type { OutboxRecord } from '../pipeline/outbox-replayer.js';
import { ScraperError } from '../pipeline/scraper.js';
import type { TargetOutcome, TaskOutcome } from '../pipeline/scraper-outcome.js';
import {
  type CapacityUnits,
  type SelfMetrics,
  type SqsQueue,
  scrapeLogFields,
} from '../pipeline/self-metrics.js';
import type { ScrapeTask } from '../ports.js';
import type { Target } from '../targets/types.js';
import type { ServerlessRuntime } from './runtime.js';
import type { SelfMonitoring } from './self-monitoring.js';

/** The fields of an SQS record this handler reads (no @types/aws-lambda). */
export interface SqsRecord {
  readonly messageId: string;
  readonly body: string;
  /** What a later visibility change of this delivery takes (Lambda's records have it). */
  readonly receiptHandle?: string;
  /** SQS system attributes, as Lambda passes them (FIFO: MessageGroupId). */
  readonly attributes?: {
    readonly ApproximateReceiveCount?: string;
    readonly MessageGroupId?: string;
  };
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

/** One discovery pass. Throws `DiscoveryRunError` (logged first). */
export async function handleDiscovery(runtime: ServerlessRuntime): Promise<DiscoverySummary> {
  const metrics = runtime.monitoring.metrics('discovery');
  try {
    const summary = await (await runtime.discovery()).run();
    metrics.observeDiscovery(summary);
    return summary;
  } catch (err) {
    runtime.logger.error('discovery failed', { err });
    throw err;
  } finally {
    // Retire tasks go to the scrape queue; the targets table is read and written.
    observeSqsSent(runtime.monitoring, metrics, 'scrape', runtime.queue.counters.messagesSent);
    observeCapacity(runtime.monitoring, metrics, 'targets', runtime.targets.consumedCapacity());
    observeCapacity(runtime.monitoring, metrics, 'dropped', runtime.dropped.consumedCapacity());
    observeEgress(runtime.monitoring, metrics);
    await runtime.monitoring.flush('discovery');
  }
}

/**
 * Plans the next window. Throws `DispatchError` (logged first). Reads the outbox depth
 * (GetQueueAttributes) once per invocation, concurrently with the planning; a failed read is
 * logged at warn and observed as nothing.
 */
export async function handleDispatch(runtime: ServerlessRuntime): Promise<DispatchResult> {
  const metrics = runtime.monitoring.metrics('dispatcher');
  const depth = observeOutboxDepth(runtime, metrics);
  try {
    const result = await dispatchWindow({
      targets: runtime.targets,
      queue: runtime.queue,
      ledger: runtime.ledger,
      windowMs: runtime.env.windowMs,
      maxTargetsPerTask: runtime.env.maxTargetsPerTask,
      leadMs: runtime.env.leadMs,
    });
    metrics.observeDispatch(result);
    runtime.logger.info('dispatch done', { ...result, window: result.window.startMs });
    return result;
  } catch (err) {
    runtime.logger.error('dispatch failed', { err });
    throw err;
  } finally {
    await depth;
    const m = runtime.monitoring;
    observeSqsSent(m, metrics, 'scrape', runtime.queue.counters.messagesSent);
    observeCapacity(m, metrics, 'targets', runtime.targets.consumedCapacity());
    observeCapacity(m, metrics, 'ledger', runtime.ledger.consumedCapacity());
    await m.flush('dispatcher');
  }
}

/** Reads the outbox queue's depth into `metrics`. Never rejects. */
async function observeOutboxDepth(runtime: ServerlessRuntime, metrics: SelfMetrics): Promise<void> {
  try {
    const depth = await readQueueDepth(runtime.sqs, runtime.env.outboxQueueUrl);
    metrics.observeOutboxDepth(depth.total);
  } catch (err) {
    runtime.logger.warn('outbox depth not read', { err });
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
 * Logs one `scrape` line per target and one `task done` line per task (file comment).
 */
export async function handleScrapeBatch(
  runtime: ServerlessRuntime,
  event: SqsBatchEvent,
  context: InvocationContext,
): Promise<SqsBatchResponse> {
  const startMs = Date.now();
  const deadlineMs = startMs + context.getRemainingTimeInMillis() - HANDLER_MARGIN_MS;
  const metrics = runtime.monitoring.metrics('scraper');
  try {
    const failed = await Promise.all(
      event.Records.map((record) => runRecord(runtime, metrics, record, deadlineMs)),
    );
    return {
      batchItemFailures: event.Records.filter((_, i) => failed[i]).map((r) => ({
        itemIdentifier: r.messageId,
      })),
    };
  } finally {
    const m = runtime.monitoring;
    observeSqsSent(m, metrics, 'outbox', runtime.outbox.counters.parked);
    observeCapacity(m, metrics, 'states', runtime.states.consumedCapacity());
    observeCapacity(m, metrics, 'health', runtime.health.consumedCapacity());
    observeEgress(m, metrics);
    await m.flush('scraper', { deadlineMs });
  }
}

/** Runs one record; true when SQS should deliver it again. Never throws. */
async function runRecord(
  runtime: ServerlessRuntime,
  metrics: SelfMetrics,
  record: SqsRecord,
  deadlineMs: number,
): Promise<boolean> {
  const log = runtime.logger;
  const startMs = Date.now();
  try {
    const task = decodeTask(record.body);
    const outcome = await runtime.worker.handleTask(task, { deadlineMs });
    metrics.observeTask(outcome);
    logScrapes(runtime, record, task, outcome);
    log.debug('task done', {
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
 * The `scrape` line of each target of a task: job, id and redacted URL, never its labels; at
 * info when {@link worthALook}, else at debug.
 */
function logScrapes(
  runtime: ServerlessRuntime,
  record: SqsRecord,
  task: ScrapeTask,
  outcome: TaskOutcome,
): void {
  const targets: readonly Target[] = task.kind === 'scrape' ? task.targets : [task.target];
  const byId = new Map<string, Target>();
  for (const t of targets) if (!byId.has(t.id)) byId.set(t.id, t);
  for (const o of outcome.targets) {
    // Every outcome names a target of its task; the fallback only keeps a bug from throwing.
    const target = byId.get(o.targetId) ?? { job: '', url: '' };
    const fields = { ...scrapeLogFields(target, o), messageId: record.messageId };
    if (worthALook(o)) runtime.logger.info('scrape', fields);
    else runtime.logger.debug('scrape', fields);
  }
}

/**
 * A target outcome an operator wants to see without debug logging. A parked unit is not one:
 * the delivery logs the direct send that failed at warn, once per stream of an outage, and the
 * units queued behind it are the outage's normal course (one line each would bill an outage's
 * every scrape).
 */
function worthALook(o: TargetOutcome): boolean {
  if (o.kind !== 'scraped') return o.kind !== 'retired';
  const d = o.delivery;
  return (
    !o.up ||
    o.state === 'conflict' ||
    o.state === 'error' ||
    d.samplesRejected > 0 ||
    d.parkFailed > 0
  );
}

/**
 * What the outbox handler uses of the runtime. Without `monitoring` (tests of the replay
 * alone) it feeds and flushes no self-metrics.
 */
export type OutboxRuntime = Pick<ServerlessRuntime, 'replayer' | 'logger'> &
  Partial<Pick<ServerlessRuntime, 'monitoring' | 'outbox' | 'deadLetters'>>;

/**
 * Replays one batch of the FIFO outbox queue (`OutboxReplayer.replayBatch`: each group in order,
 * a failing group waits behind its first failure). Reports as batch item failures exactly the
 * records to deliver again, after making each invisible for its backoff (ChangeMessageVisibility;
 * if that fails they come back after the queue's visibility timeout, later but in order). A
 * write is never dropped here: delivered and dead-lettered records are the only ones SQS deletes.
 * Logs one JSON line per record (`outbox write done`, with its outcome; no labels or secrets).
 */
export async function handleOutboxBatch(
  runtime: OutboxRuntime,
  event: SqsBatchEvent,
  context: InvocationContext,
): Promise<SqsBatchResponse> {
  const startMs = Date.now();
  const deadlineMs = startMs + context.getRemainingTimeInMillis() - HANDLER_MARGIN_MS;
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
  runtime: OutboxRuntime,
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
async function observeOutboxInvocation(runtime: OutboxRuntime, deadlineMs: number): Promise<void> {
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

// ---- adapter counters → self-metrics ----------------------------------------------------------

/** Messages an SQS adapter sent since the last look (its counter is cumulative). */
function observeSqsSent(
  monitoring: SelfMonitoring,
  metrics: SelfMetrics,
  queue: SqsQueue,
  total: number,
): void {
  metrics.observeSqsMessagesSent(queue, monitoring.increase(`sqs:${queue}`, total));
}

/**
 * Connections the egress guard refused since the last look (its counters are per process, so
 * in `simulate`, where the functions share one, the function that looks first counts them).
 */
function observeEgress(monitoring: SelfMonitoring, metrics: SelfMetrics): void {
  const totals = egressRefusals();
  for (const reason of EGRESS_REFUSAL_REASONS) {
    metrics.observeEgressRefused(reason, monitoring.increase(`egress:${reason}`, totals[reason]));
  }
}

/** Capacity a DynamoDB adapter consumed since the last look (`consumedCapacity()` totals). */
function observeCapacity(
  monitoring: SelfMonitoring,
  metrics: SelfMetrics,
  adapter: 'targets' | 'ledger' | 'states' | 'health' | 'dropped',
  totals: CapacityUnits,
): void {
  metrics.observeDynamoDbCapacity({
    readUnits: monitoring.increase(`dynamodb:${adapter}:read`, totals.readUnits),
    writeUnits: monitoring.increase(`dynamodb:${adapter}:write`, totals.writeUnits),
  });
}
