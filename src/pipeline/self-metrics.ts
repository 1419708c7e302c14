/**
 * The project's own metrics (docs/design.md decision 5: every failure is visible
 * in them): one {@link SelfMetrics} per Lambda container, fed with what the pipeline already
 * returns, rendered two ways:
 * - {@link SelfMetrics.remoteWriteUnit}: a {@link SampleUnit} for the same remote writers the
 *   scrapes go to (`RemoteWriter.write`), every sample stamped with the flush time;
 * - {@link SelfMetrics.emfLine}: one CloudWatch EMF log line (`self-metrics-emf.ts`).
 *
 * Remote-write series (Prometheus naming; {@link SELF_SERIES}). Counters are cumulative for the
 * life of the container and end in `_total`; a new container starts from 0, which `rate()`
 * reads as a counter reset. Every series has `job="lambdascrape"`, `instance` (given: function
 * name + container id, so two containers never share a series) and `function`. A series is sent
 * once an observe call that feeds it has run, even one that added 0 (so the first increase is
 * visible to `rate()`); series no call fed are never sent (a dispatcher sends no scrape series).
 *
 * EMF: deltas since the previous line, see `self-metrics-emf.ts`. The two renderings are
 * independent: `emfLine` resets only the EMF deltas, `remoteWriteUnit` resets nothing.
 *
 * Flushing: {@link SelfMetrics.shouldFlush} answers true on its first call and then at most once
 * per `flushIntervalMs` (default 15 s), so a busy container does not write per invocation. The
 * last observations of a container that is never invoked again are not sent; the cumulative
 * counters of the next flush of a live container cover any flush that was lost.
 *
 * Observe methods never throw (metrics must not fail a task): non-finite counts are ignored and
 * negative ones count as 0. Invalid options throw {@link SelfMetricsError} at construction.
 */
import { type EmfMetricName, FUNCTION_ROLES, type FunctionRole } from '../contract.js';
import type { DeliveryOutcome } from '../engine/delivery.js';
import {
  SCRAPE_DURATION_BUCKETS,
  SCRAPE_LATENESS_BUCKETS,
  SCRAPE_METRICS,
} from '../engine/scrape-metrics.js';
import type { SampleUnit } from '../remotewrite/batch.js';
import type { DiscoverySummary } from './discovery.js';
import type { DispatchResult } from './dispatcher.js';
import type { TargetOutcome, TaskOutcome } from './scraper-outcome.js';
import { EmfAccumulator } from './self-metrics-emf.js';
import { SelfSeries } from './self-metrics-series.js';

export { EMF_MAX_VALUES } from './self-metrics-emf.js';
export { type ScrapeLogFields, scrapeLogFields } from './self-metrics-log.js';

export const SELF_METRICS_JOB = 'lambdascrape';
/** The `queue` label values of `lambdascrape_sqs_messages_sent_total`. */
export const SQS_QUEUES = ['scrape', 'outbox', 'dead_letter'] as const;
export type SqsQueue = (typeof SQS_QUEUES)[number];

export const DEFAULT_SELF_METRICS_FLUSH_INTERVAL_MS = 15_000;
/**
 * Names of the series only the Lambda functions have (fixed contract); the scrape-level ones
 * are the engine's vocabulary (`SCRAPE_METRICS`), shared with `run`.
 */
export const SELF_SERIES = {
  waitSeconds: 'lambdascrape_scrape_wait_seconds_total',
  remoteWriteRequestsLost: 'lambdascrape_remote_write_requests_lost_total',
  outboxWrites: 'lambdascrape_outbox_writes_total',
  dynamoDbCapacity: 'lambdascrape_dynamodb_consumed_capacity_units_total',
  sqsMessagesSent: 'lambdascrape_sqs_messages_sent_total',
  targetsPlanned: 'lambdascrape_targets_planned_total',
  targets: 'lambdascrape_targets',
  outboxMessages: 'lambdascrape_outbox_messages',
} as const;

export const SELF_METRICS_ERROR_CODES = {
  invalidOptions: 'SELF_METRICS_INVALID_OPTIONS',
} as const;
export type SelfMetricsErrorCode =
  (typeof SELF_METRICS_ERROR_CODES)[keyof typeof SELF_METRICS_ERROR_CODES];

export class SelfMetricsError extends Error {
  override readonly name = 'SelfMetricsError';
  readonly code: SelfMetricsErrorCode;
  constructor(code: SelfMetricsErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

export interface SelfMetricsOptions {
  /** The EMF `Deployment` dimension value (non-empty, at most 1024 characters). */
  readonly deploymentId: string;
  /** The `instance` label: function name + container id, unique per container. */
  readonly instance: string;
  /** The `function` label. */
  readonly function: FunctionRole;
  /** Least time between two flushes. @default DEFAULT_SELF_METRICS_FLUSH_INTERVAL_MS */
  readonly flushIntervalMs?: number;
  /** Source of the EMF reservoir sample. @default Math.random */
  readonly random?: () => number;
}

/** Outbox replay results of one invocation (plain counts of parked writes). */
export interface OutboxReplayCounts {
  /** Accepted by the backend on replay. */
  readonly replayed: number;
  /** Failed again (or queued behind one that did): left on the queue for a later try. */
  readonly retried: number;
  /** Expired or rejected for good: moved to the dead-letter queue. */
  readonly deadLettered: number;
}

/** DynamoDB capacity units (the adapters' `consumedCapacity()` has this shape). */
export interface CapacityUnits {
  readonly readUnits: number;
  readonly writeUnits: number;
}

export class SelfMetrics {
  private readonly instance: string;
  private readonly fn: FunctionRole;
  private readonly deploymentId: string;
  private readonly flushIntervalMs: number;
  private readonly series: SelfSeries;
  private readonly emf: EmfAccumulator;
  /** Last cumulative totals given to the `*Totals` methods, by key. */
  private readonly lastTotals = new Map<string, number>();
  private lastFlushMs: number | undefined;

  constructor(options: SelfMetricsOptions) {
    const invalid = (text: string) =>
      new SelfMetricsError(SELF_METRICS_ERROR_CODES.invalidOptions, text);
    if (!(options.deploymentId.length >= 1 && options.deploymentId.length <= 1024)) {
      throw invalid('deploymentId must have 1 to 1024 characters');
    }
    if (options.instance === '') throw invalid('instance must not be empty');
    if (!FUNCTION_ROLES.includes(options.function)) {
      throw invalid(`function must be one of ${FUNCTION_ROLES.join(', ')}`);
    }
    const interval = options.flushIntervalMs ?? DEFAULT_SELF_METRICS_FLUSH_INTERVAL_MS;
    if (!(Number.isFinite(interval) && interval >= 0)) {
      throw invalid('flushIntervalMs must be a finite number ≥ 0');
    }
    this.deploymentId = options.deploymentId;
    this.instance = options.instance;
    this.fn = options.function;
    this.flushIntervalMs = interval;
    this.emf = new EmfAccumulator(options.random);
    this.series = new SelfSeries({
      job: SELF_METRICS_JOB,
      instance: this.instance,
      function: this.fn,
    });
  }

  // ---- observe ------------------------------------------------------------------------------

  /**
   * One task of the scrape worker (`ScrapeWorker.handleTask`'s result): scrape counts, late
   * drops and delivery totals from its counters; lateness per scraped target (an early start,
   * within the start tolerance, counts as 0); for a scrape task, its wait for the slots
   * (`counters.waitedMs`: targets wait concurrently, so this is the billed idle time).
   */
  observeTask(outcome: Pick<TaskOutcome, 'kind' | 'targets' | 'counters'>): void {
    const c = outcome.counters;
    this.count('Scrapes', c.scrapes);
    this.count('ScrapesUp', c.up);
    this.count('ScrapeFailures', c.failed);
    this.count('LateDropped', c.lateDropped);
    this.count('RemoteWriteSamplesSent', c.samplesSent);
    this.count('RemoteWriteSamplesRejected', c.samplesRejected);
    this.count('RemoteWriteRequestsParked', c.parked);
    this.count('RemoteWriteRequestsLost', c.parkFailed, SELF_SERIES.remoteWriteRequestsLost);
    const wait = this.series.cell(SELF_SERIES.waitSeconds, {}, 1000);
    if (outcome.kind === 'scrape') {
      wait.value += clean(c.waitedMs);
      this.emf.record('ScrapeWait', clean(c.waitedMs));
    }
    for (const t of outcome.targets) this.observeTarget(t);
  }

  /** One target's outcome, in the engine's vocabulary (`SCRAPE_METRICS`, by scrape_job). */
  private observeTarget(t: TargetOutcome): void {
    const m = SCRAPE_METRICS;
    const job = { scrape_job: t.job };
    if (t.kind === 'scraped') {
      this.count(undefined, 1, m.scrapes.name, { ...job, result: t.up ? 'up' : 'down' });
      this.count(undefined, t.samplesScraped, m.samplesScraped.name, job);
      // Observations in ms, bounds in seconds.
      const ms = clean(t.latenessMs);
      this.emf.record('ScrapeLateness', ms);
      this.series.histogram(m.lateness.name, SCRAPE_LATENESS_BUCKETS, 1000, job).observe(ms);
      this.series
        .histogram(m.duration.name, SCRAPE_DURATION_BUCKETS, 1000, job)
        .observe(clean(t.durationSeconds) * 1000);
      this.observeDeliveries(t.deliveries);
    } else if (t.kind === 'late' || (t.kind === 'skipped' && t.reason === 'duplicate')) {
      const reason = t.kind === 'late' ? 'late' : 'duplicate';
      this.count(undefined, 1, m.slotsSkipped.name, { ...job, reason });
    } else if (t.kind === 'retired') {
      if (t.markers > 0) this.count(undefined, t.markers, m.endOfRunMarkers.name, job);
      this.observeDeliveries(t.deliveries);
    }
  }

  private observeDeliveries(outcomes: readonly DeliveryOutcome[]): void {
    const name = SCRAPE_METRICS.remoteWriteSamples.name;
    for (const o of outcomes) {
      const remote = { remote_name: o.remote };
      this.count(undefined, o.sent, name, { ...remote, result: 'sent' });
      this.count(undefined, o.rejected, name, { ...remote, result: 'rejected' });
      this.count(undefined, o.deferred, name, { ...remote, result: 'parked' });
      this.count(undefined, o.lost, name, { ...remote, result: 'dropped' });
    }
  }

  /**
   * Connections the egress guard refused since the last look, by reason (src/http/egress-guard.ts
   * counts per process; the handler turns its totals into increases).
   */
  observeEgressRefused(reason: string, n: number): void {
    this.count(undefined, n, SCRAPE_METRICS.egressRefused.name, { reason });
  }

  /** One dispatcher invocation: target slots planned (0 when the window was already planned). */
  observeDispatch(result: DispatchResult): void {
    const planned = result.skipped === undefined ? result.scrapes : 0;
    this.count('TargetsPlanned', planned, SELF_SERIES.targetsPlanned);
  }

  /** One discovery run: the targets stored after it (added + changed + unchanged + kept). */
  observeDiscovery(summary: DiscoverySummary): void {
    const stored = summary.added + summary.changed + summary.unchanged + summary.kept;
    this.gauge('Targets', stored, SELF_SERIES.targets);
  }

  /** One outbox replay invocation (counts of parked writes). */
  observeOutboxReplay(counts: OutboxReplayCounts): void {
    const name = SELF_SERIES.outboxWrites;
    this.count('OutboxReplayed', counts.replayed, name, { result: 'replayed' });
    this.count(undefined, counts.retried, name, { result: 'retried' });
    this.count('OutboxDeadLettered', counts.deadLettered, name, { result: 'dead_lettered' });
  }

  /** Messages in the outbox queue now (e.g. its ApproximateNumberOfMessages). */
  observeOutboxDepth(messages: number): void {
    this.gauge('OutboxDepth', messages, SELF_SERIES.outboxMessages);
  }

  /** SQS messages sent to one queue (not requests: a SendMessageBatch of 10 is 10). */
  observeSqsMessagesSent(queue: SqsQueue, messages: number): void {
    this.count('SqsMessagesSent', messages, SELF_SERIES.sqsMessagesSent, { queue });
  }

  /**
   * A sender's cumulative count of messages sent to `queue` (e.g. `SqsTaskQueue.counters
   * .messagesSent`): observes the increase since the last call for that queue.
   */
  observeSqsMessagesSentTotal(queue: SqsQueue, total: number): void {
    this.observeSqsMessagesSent(queue, this.increase(`sqs\u0000${queue}`, total));
  }

  /** DynamoDB capacity units consumed (a delta). */
  observeDynamoDbCapacity(units: CapacityUnits): void {
    const name = SELF_SERIES.dynamoDbCapacity;
    this.count('DynamoDbReadUnits', units.readUnits, name, { operation: 'read' });
    this.count('DynamoDbWriteUnits', units.writeUnits, name, { operation: 'write' });
  }

  /**
   * An adapter's cumulative `consumedCapacity()`, under a name of the caller's choice (one per
   * adapter object): observes the increase since the last call for that name. Totals lower than
   * the last ones (a new adapter under the same name) count in full.
   */
  observeDynamoDbCapacityTotals(source: string, totals: CapacityUnits): void {
    this.observeDynamoDbCapacity({
      readUnits: this.increase(`ddb\u0000read\u0000${source}`, totals.readUnits),
      writeUnits: this.increase(`ddb\u0000write\u0000${source}`, totals.writeUnits),
    });
  }

  // ---- flush --------------------------------------------------------------------------------

  /**
   * True on the first call, then when `flushIntervalMs` has passed since the last true; a true
   * answer records `nowMs` as the flush time, so the caller should flush now (`emfLine`,
   * `remoteWriteUnit`).
   */
  shouldFlush(nowMs: number): boolean {
    if (this.lastFlushMs !== undefined && nowMs - this.lastFlushMs < this.flushIntervalMs) {
      return false;
    }
    this.lastFlushMs = nowMs;
    return true;
  }

  /**
   * The EMF line (one JSON object, no newline) of what was observed since the last line,
   * stamped `nowMs`; undefined when nothing was. Resets the EMF deltas.
   */
  emfLine(nowMs: number): string | undefined {
    return this.emf.take(nowMs, {
      deployment: this.deploymentId,
      function: this.fn,
      instance: this.instance,
    });
  }

  /**
   * Every series observed so far with its current value, stamped `nowMs` (whole ms; never
   * earlier than the previous unit's stamp + 1, so a receiver never sees a sample out of
   * order), as a new unit owned by the caller; undefined when nothing was observed. Write it
   * like a scrape's unit; do not park it in the outbox: a later, cumulative unit supersedes it
   * and a replayed older one would be out of order.
   */
  remoteWriteUnit(nowMs: number): SampleUnit | undefined {
    return this.series.unit(nowMs);
  }

  // ---- internals ----------------------------------------------------------------------------

  /** `total` − the last total under `key` (all of `total` when it went down: a new source). */
  private increase(key: string, total: number): number {
    if (!Number.isFinite(total)) return 0;
    const last = this.lastTotals.get(key) ?? 0;
    this.lastTotals.set(key, total);
    return total >= last ? total - last : total;
  }

  /** Adds `n` to an EMF sum and (when named) to a remote-write counter. */
  private count(
    emf: EmfMetricName | undefined,
    n: number,
    series?: string,
    labels: Readonly<Record<string, string>> = {},
  ): void {
    const v = clean(n);
    if (emf !== undefined && Number.isFinite(n)) this.emf.record(emf, v);
    if (series !== undefined) this.series.cell(series, labels).value += v;
  }

  private gauge(emf: EmfMetricName, n: number, series: string): void {
    if (!Number.isFinite(n)) return;
    this.emf.record(emf, n);
    this.series.cell(series).value = n;
  }
}

/** A count as observed: non-finite → 0, negative → 0. */
function clean(n: number): number {
  return Number.isFinite(n) && n > 0 ? n : 0;
}
