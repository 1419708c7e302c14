/**
 * The scraper function: a consumer of the scrape queue. Each batch's tasks run concurrently
 * in the container's `ScrapeWorker`; the partial batch response names exactly the records SQS
 * should deliver again. Logs a `scrape` line per target (`scrapeLogFields`: job, target id,
 * redacted URL, outcome, slot, lateness, wait, up, samples, state write, delivery) — at info
 * only when it is worth a look (not scraped, down, a state conflict or error, samples rejected
 * or lost), else at debug, as a Prometheus server logs nothing for a good scrape — and one
 * `task done` line per task with the worker's counters, at debug. Log lines are billed by the
 * byte.
 */
import { DynamoDbTargetHealthStore } from '../aws/dynamodb-health-store.js';
import { DynamoDbStateChangeLog } from '../aws/dynamodb-state-change-log.js';
import { DynamoDbScrapeStateStore } from '../aws/dynamodb-state-store.js';
import { decodeTask, TaskCodecError } from '../aws/task-codec.js';
import { ScraperError, ScrapeWorker } from '../pipeline/scraper.js';
import type { TargetOutcome, TaskOutcome } from '../pipeline/scraper-outcome.js';
import { type SelfMetrics, scrapeLogFields } from '../pipeline/self-metrics.js';
import type { ScrapeTask } from '../ports.js';
import { lambdaBodySizeCeiling } from '../scrape/scrape.js';
import type { Target } from '../targets/types.js';
import { type DeliveryAdapters, deliveryAdapters } from './delivery.js';
import type { ServerlessEnv } from './env.js';
import { observeCapacity, observeEgress, observeSqsSent } from './observe.js';
import { createRuntimeBase, type RuntimeBase, type RuntimeOptions, withParts } from './runtime.js';
import {
  type InvocationContext,
  invocationDeadline,
  type SqsBatchEvent,
  type SqsBatchResponse,
  type SqsRecord,
} from './sqs-batch.js';

export interface ScraperParts extends DeliveryAdapters {
  /** The scrape state store of the worker. */
  readonly states: DynamoDbScrapeStateStore;
  /** The worker's log of state writes (decision 12), in the state table. */
  readonly stateChanges: DynamoDbStateChangeLog;
  /** Each target's health, written by the worker on change (state table; `lambdascrape status`). */
  readonly health: DynamoDbTargetHealthStore;
  readonly worker: ScrapeWorker;
  close(): Promise<void>;
}

export type ScraperRuntime = RuntimeBase & ScraperParts;

export function scraperParts(
  base: RuntimeBase,
  options: RuntimeOptions = {},
  delivery: DeliveryAdapters = deliveryAdapters(base),
): ScraperParts {
  const { dynamodb, env, logger } = base;
  const states = new DynamoDbScrapeStateStore(dynamodb, env.stateTable, {
    onCleanupError: (err) => logger.warn('scrape state cleanup failed', { err }),
  });
  const stateChanges = new DynamoDbStateChangeLog(dynamodb, env.stateTable);
  const health = new DynamoDbTargetHealthStore(dynamodb, env.stateTable);
  const worker = new ScrapeWorker({
    config: base.config,
    states,
    changes: stateChanges,
    health,
    outbox: delivery.outbox,
    backlog: delivery.backlog,
    writers: base.writers,
    logger,
    options: {
      ...(env.memoryMb === undefined
        ? {}
        : { bodySizeCeiling: lambdaBodySizeCeiling(env.memoryMb) }),
      ...options.workerOptions,
    },
  });
  return { ...delivery, states, stateChanges, health, worker, close: () => worker.close() };
}

/** The scraper's runtime; throws as `createRuntimeBase` does. */
export async function createScraperRuntime(
  env: ServerlessEnv,
  options: RuntimeOptions = {},
): Promise<ScraperRuntime> {
  return withParts(await createRuntimeBase(env, options), (base) => scraperParts(base, options));
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
  runtime: ScraperRuntime,
  event: SqsBatchEvent,
  context: InvocationContext,
): Promise<SqsBatchResponse> {
  const startMs = Date.now();
  const deadlineMs = invocationDeadline(startMs, context);
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
  runtime: ScraperRuntime,
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
  runtime: ScraperRuntime,
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
