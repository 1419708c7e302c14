/**
 * The scrape engine: what both drivers do with one target at one slot, written once.
 *
 *   driver: when (timers or SQS tasks) and the previous state (memory or the state store)
 *   engine: scrape (§4–§8) → observe → deliver the unit to every remote_write
 *   driver: keep the new state (memory, or a conditional write to the store)
 *
 * and, for a retired target, its end-of-run markers (§8.3) through the same delivery.
 *
 * Contracts:
 * - {@link ScrapeEngine.scrape} never throws for anything the target does: a failure is `up=0`,
 *   the report series and stale markers (§6.2, §7, §8.2). Its `delivered` promise never rejects.
 * - The caller holds the series stream's slot claim (`SlotClaims`) across the call, so scrapes
 *   of one stream never overlap and `previous` is the state the last one left.
 * - Delivery is not awaited by the engine: `run` must not hold up the next slot for a slow
 *   receiver, a Lambda task awaits it within its budget.
 */
import type { Logger } from '../log/logger.js';
import type { ScrapeResult } from '../scrape/scrape.js';
import { endOfRunMarkers, scrapeTarget } from '../scrape/scrape.js';
import type { ScrapeState } from '../scrape/state.js';
import type { Target } from '../targets/types.js';
import type { Delivery, DeliveryOptions, DeliveryOutcome, UnitMeta } from './delivery.js';
import type { JobRuntime } from './job-runtime.js';
import { NO_OBSERVER, type ScrapeObserver } from './scrape-metrics.js';
import { seriesStreamKey } from './series-stream.js';
import type { TargetCaches } from './target-memory.js';

export interface ScrapeEngineDeps {
  readonly caches: TargetCaches;
  /** Where units go; undefined: nowhere (a runner shutting down). Read at every unit. */
  readonly delivery: () => Delivery | undefined;
  /** @default NO_OBSERVER */
  readonly observer?: ScrapeObserver;
  readonly logger: Logger;
}

export interface SlotScrape {
  readonly job: JobRuntime;
  readonly target: Target;
  /** The slot: scrape time and timestamp of samples without their own (§4.3, §9). */
  readonly slotMs: number;
  /** Scrape start − slot, for the lateness histogram. */
  readonly latenessMs: number;
  /** The state of the stream's last scrape (§8.2). */
  readonly previous: ScrapeState;
  /** An error forced on the scrape without a request, e.g. target_limit exceeded (§2.6). */
  readonly forcedError?: string | undefined;
}

export interface SlotScrapeResult {
  readonly result: ScrapeResult;
  /** Settles with one outcome per destination; never rejects. */
  readonly delivered: Promise<readonly DeliveryOutcome[]>;
}

export class ScrapeEngine {
  private readonly observer: ScrapeObserver;

  constructor(private readonly deps: ScrapeEngineDeps) {
    this.observer = deps.observer ?? NO_OBSERVER;
  }

  /** Scrapes `s.target` once at its slot and hands the unit to delivery. */
  async scrape(s: SlotScrape, options: DeliveryOptions = {}): Promise<SlotScrapeResult> {
    const { job, target, slotMs } = s;
    const cache = this.deps.caches.get(target, job.config);
    const result = await scrapeTarget(job.scrapeJob, target, cache, s.previous, {
      scrapeTimeMs: slotMs,
      forcedError: s.forcedError,
    });
    this.observer.scraped({
      job: job.name,
      up: result.up,
      durationSeconds: result.report.durationSeconds,
      samplesScraped: result.report.samplesScraped,
      latenessMs: Math.max(s.latenessMs, 0),
    });
    const delivered = this.deliver(
      result.batch,
      {
        kind: 'scrape',
        job: job.name,
        targetKey: seriesStreamKey(target),
        url: target.url,
        targetLabels: target.publicLabels,
        timestampMs: slotMs,
        up: result.up,
        error: result.error,
        durationSeconds: result.report.durationSeconds,
        samplesScraped: result.report.samplesScraped,
      },
      options,
    );
    // The new series' label arrays are needed until their unit is encoded; then their keys do.
    cache.cache.compactNew(delivered);
    return { result, delivered };
  }

  /**
   * The end-of-run markers of a retired target (§8.3): every series of `state` and the report
   * series, stamped `staleTimeMs`, delivered. Resolves with the number of markers (0 when the
   * target never completed a scrape: nothing is sent) and the delivery outcomes.
   */
  async endOfRun(
    target: Target,
    extraScrapeMetrics: boolean,
    state: ScrapeState,
    staleTimeMs: number,
    options: DeliveryOptions = {},
  ): Promise<{ readonly markers: number; readonly outcomes: readonly DeliveryOutcome[] }> {
    const batch = endOfRunMarkers(target, state, staleTimeMs, extraScrapeMetrics);
    if (batch.length === 0) return { markers: 0, outcomes: [] };
    this.observer.endOfRunMarkers(target.job, batch.length);
    this.deps.logger.debug('end-of-run stale markers', {
      job: target.job,
      url: target.url,
      markers: batch.length,
    });
    const outcomes = await this.deliver(
      batch,
      {
        kind: 'end-of-run',
        job: target.job,
        targetKey: seriesStreamKey(target),
        url: target.url,
        targetLabels: target.publicLabels,
        timestampMs: staleTimeMs,
        up: false,
        error: undefined,
        durationSeconds: 0,
        samplesScraped: 0,
      },
      options,
    );
    return { markers: batch.length, outcomes };
  }

  private async deliver(
    unit: ScrapeResult['batch'],
    meta: UnitMeta,
    options: DeliveryOptions,
  ): Promise<readonly DeliveryOutcome[]> {
    const delivery = this.deps.delivery();
    if (delivery === undefined) return [];
    try {
      const outcomes = await delivery.deliver(unit, meta, options);
      for (const o of outcomes) this.observer.delivered(o);
      return outcomes;
    } catch (err) {
      // Deliveries promise never to reject; should one break it, say so rather than lose it.
      this.deps.logger.error('delivery failed unexpectedly', { job: meta.job, url: meta.url, err });
      return [];
    }
  }
}
