/**
 * The self-metrics of one container, as the handlers use them: one
 * {@link SelfMetrics} registry per function (`discovery`, `dispatcher`, `scraper`, `outbox`), the
 * increases of the adapters' cumulative counters, and the flush at the end of an invocation.
 *
 * - A Lambda container runs one function, so only that function's registry is ever fed; a
 *   registry nobody fed sends nothing. `lambdascrape simulate` runs the four handlers on one
 *   runtime, so each handler feeds and flushes its own registry and all four show.
 * - Adapter counters (SQS messages sent, DynamoDB capacity) are cumulative per adapter object,
 *   and in simulate one adapter serves several functions (the targets table is read by the
 *   discovery and the dispatcher), so their increases are taken here, once per container:
 *   {@link SelfMonitoring.increase}. Each handler takes the increases of the adapters it uses
 *   at the end of its invocation, so in Lambda an increase belongs to exactly that function;
 *   in simulate, a concurrent invocation of another function using the same adapter (a scrape
 *   batch parking while an outbox batch re-parks) may be attributed to either.
 * - {@link SelfMonitoring.flush}: when the registry's `shouldFlush` says so (first invocation,
 *   then at most every 15 s), the EMF line goes to `writeEmf` (stdout in Lambda: one JSON
 *   object per line, not wrapped by the logger, so CloudWatch Logs extracts the metrics) and the
 *   remote-write unit to every writer with a short retry budget. The unit is never parked in
 *   the outbox: the next flush carries cumulative values that supersede it, and a replayed old
 *   one would arrive out of order. A failure is logged at warn and counted nowhere else.
 *   `flush` never throws.
 */

import { FUNCTION_ROLES, type FunctionRole } from '../contract.js';
import type { Logger } from '../log/logger.js';
import { SelfMetrics } from '../pipeline/self-metrics.js';
import type { SampleUnit } from '../remotewrite/batch.js';
import type { SendOptions } from '../remotewrite/send.js';
import type { WriteResult } from '../remotewrite/writer.js';

/**
 * Longest a flush keeps retrying the remote write (ms): the invocation waits for it, and the
 * next flush, 15 s later, carries the same cumulative values anyway.
 */
export const DEFAULT_SELF_METRICS_WRITE_BUDGET_MS = 2_000;

/** Attempts of one self-metrics write (within the budget). */
export const SELF_METRICS_MAX_ATTEMPTS = 2;

/** A remote_write destination as the flush uses it; `RemoteWriter` fits. */
export interface SelfMetricsWriter {
  readonly name: string;
  /** Reads the unit synchronously; never rejects (failures are in the result). */
  write(unit: SampleUnit, options: SendOptions): Promise<WriteResult>;
}

export interface SelfMonitoringOptions {
  /** The EMF `Deployment` dimension. */
  readonly deploymentId: string;
  /** The `instance` label: `<function name>:<container id>`. */
  readonly instance: string;
  readonly writers: readonly SelfMetricsWriter[];
  readonly logger: Logger;
  /** Whether EMF lines are written at all (they are billed custom metrics). @default true */
  readonly emf?: boolean;
  /** Receives each EMF line, newline included. @default process.stdout.write */
  readonly writeEmf?: (line: string) => void;
  /** @default DEFAULT_SELF_METRICS_FLUSH_INTERVAL_MS (self-metrics.ts) */
  readonly flushIntervalMs?: number;
  /** @default DEFAULT_SELF_METRICS_WRITE_BUDGET_MS */
  readonly writeBudgetMs?: number;
}

export interface FlushOptions {
  /** The flush time, ms since the epoch. @default Date.now() */
  readonly nowMs?: number;
  /** The invocation's end (Date.now clock): the write budget never runs past it. */
  readonly deadlineMs?: number;
}

export class SelfMonitoring {
  readonly instance: string;
  private readonly registries: Readonly<Record<FunctionRole, SelfMetrics>>;
  private readonly writers: readonly SelfMetricsWriter[];
  private readonly logger: Logger;
  private readonly writeEmf: (line: string) => void;
  private readonly emf: boolean;
  private readonly writeBudgetMs: number;
  private readonly totals = new Map<string, number>();

  /** Throws `SelfMetricsError` for an invalid deployment id, instance or interval. */
  constructor(options: SelfMonitoringOptions) {
    this.instance = options.instance;
    this.writers = options.writers;
    this.logger = options.logger;
    this.writeEmf = options.writeEmf ?? ((line) => process.stdout.write(line));
    this.emf = options.emf ?? true;
    this.writeBudgetMs = options.writeBudgetMs ?? DEFAULT_SELF_METRICS_WRITE_BUDGET_MS;
    const registry = (fn: FunctionRole) =>
      new SelfMetrics({
        deploymentId: options.deploymentId,
        instance: options.instance,
        function: fn,
        ...(options.flushIntervalMs === undefined
          ? {}
          : { flushIntervalMs: options.flushIntervalMs }),
      });
    this.registries = Object.fromEntries(FUNCTION_ROLES.map((fn) => [fn, registry(fn)])) as Record<
      FunctionRole,
      SelfMetrics
    >;
  }

  /** The registry of one function. */
  metrics(fn: FunctionRole): SelfMetrics {
    return this.registries[fn];
  }

  /**
   * `total` (a cumulative counter of an adapter, under a key naming the adapter and counter)
   * minus the total given last time under that key; all of it when it went down (a new
   * adapter). Non-finite totals count 0 and are not kept.
   */
  increase(key: string, total: number): number {
    if (!Number.isFinite(total)) return 0;
    const last = this.totals.get(key) ?? 0;
    this.totals.set(key, total);
    return total >= last ? total - last : total;
  }

  /** Flushes `fn`'s registry when it is due (file comment). Never throws. */
  async flush(fn: FunctionRole, options: FlushOptions = {}): Promise<void> {
    const nowMs = options.nowMs ?? Date.now();
    const metrics = this.registries[fn];
    if (!metrics.shouldFlush(nowMs)) return;
    const line = this.emf ? metrics.emfLine(nowMs) : undefined;
    if (line !== undefined) {
      try {
        this.writeEmf(`${line}\n`);
      } catch (err) {
        this.logger.warn('self-metrics EMF line not written', { function: fn, err });
      }
    }
    const unit = metrics.remoteWriteUnit(nowMs);
    if (unit === undefined || this.writers.length === 0) return;
    const retryUntil = Math.min(
      Date.now() + this.writeBudgetMs,
      options.deadlineMs ?? Number.POSITIVE_INFINITY,
    );
    // Each writer reads the unit synchronously inside `write`, before its first await.
    await Promise.all(this.writers.map((w) => this.writeUnit(fn, w, unit, retryUntil)));
  }

  private async writeUnit(
    fn: FunctionRole,
    writer: SelfMetricsWriter,
    unit: SampleUnit,
    retryUntil: number,
  ): Promise<void> {
    let result: WriteResult;
    try {
      // Two attempts at most: a blip is ridden out, an outage costs the invocation no more than
      // a round trip or two, and the next flush carries the same counters on.
      result = await writer.write(unit, { retryUntil, maxAttempts: SELF_METRICS_MAX_ATTEMPTS });
    } catch (err) {
      this.logger.warn('self-metrics not sent', { function: fn, remoteWrite: writer.name, err });
      return;
    }
    if (result.delivered === result.samples) return;
    // Parked requests are dropped on purpose (file comment): the next flush supersedes them.
    const err = result.errors[0] ?? result.parked[0]?.error;
    this.logger.warn('self-metrics not sent', {
      function: fn,
      remoteWrite: writer.name,
      samples: result.samples,
      delivered: result.delivered,
      rejected: result.rejected,
      undelivered: result.pending,
      err,
    });
  }
}
