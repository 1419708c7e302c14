/**
 * The runner's sink over remote write (§11): every unit goes to every remote_write of the
 * config, through one writer per remote_write (`RemoteWriter` from src/remotewrite, or anything
 * shaped like {@link UnitWriter}).
 *
 * Per destination:
 * - Units of one series stream are written one after the other, in call order, so a receiver never
 *   sees a target's samples out of order (§11.1; a Prometheus receiver rejects the whole request
 *   otherwise). Different targets go out concurrently (the writer bounds its requests).
 * - Like Prometheus, recoverable failures are retried until delivered (§11.3); only `close()`
 *   stops them. What a unit could not deliver by then is counted as failed.
 * - The queue is bounded: a unit that would push the pending samples above `maxPendingSamples`
 *   is dropped and counted as failed (Prometheus blocks the scrape instead; a local runner
 *   prefers to keep scraping on schedule).
 *
 * With `storage` (the data directory, `--storage.path`), each unit is instead prepared at once
 * (`RemoteWriter.prepare`: the compressed requests), written to that remote_write's queue on
 * disk, and settles as `deferred` as soon as it is there: the queue sends it in order per stream
 * and survives a restart (disk-unit-queue.ts). Its bounds are the queue's (size, age), not
 * `maxPendingSamples`; `close()` leaves what is pending on disk instead of dropping it.
 */

import type { Config } from '../config/types.js';
import { type DeliveryOutcome, emptyOutcome } from '../engine/delivery.js';
import type { Logger } from '../log/logger.js';
import { silentLogger } from '../log/logger.js';
import { createRemoteWriters } from '../remotewrite/from-config.js';
import type { SendOptions } from '../remotewrite/send.js';
import type { PreparedRequest, PreparedUnit, WriteResult } from '../remotewrite/writer.js';
import { type Clock, settlesWithin, systemClock } from '../schedule/clock.js';
import type { SampleBatch } from '../scrape/batch.js';
import type {
  DiskQueueStats,
  PushResult,
  RequestOutcome,
  RequestSender,
  UnitInfo,
} from './disk-unit-queue.js';
import type { SampleSink, SinkStats, UnitMeta } from './sink.js';

/** What one write of a unit to one destination reports (a subset of remote write's WriteResult). */
export interface UnitWriteResult {
  /** Samples delivered. */
  readonly delivered: number;
  /** Samples rejected for good. */
  readonly rejected: number;
  /** Samples not delivered when the write was aborted. */
  readonly pending: number;
  /** One error per rejected request. */
  readonly errors: readonly Error[];
  /** Delivered requests the receiver wrote only in part (counted in `rejected`). */
  readonly warnings?: readonly Error[];
}

/** One destination, as the sink needs it. `RemoteWriter` fits this shape. */
export interface UnitWriter {
  readonly name: string;
  /**
   * Monotonic totals kept by the writer: float samples in `samples*`, native histogram samples
   * in `histograms*` (absent: none).
   */
  readonly counters: {
    readonly samplesSent: number;
    readonly samplesFailed: number;
    readonly samplesRetried: number;
    readonly histogramsSent?: number;
    readonly histogramsFailed?: number;
    readonly histogramsRetried?: number;
  };
  /**
   * Sends one unit, retrying recoverable failures until delivered or `signal` aborts. Reads
   * `unit` synchronously during the call. Never rejects.
   */
  write(unit: SampleBatch, options: { readonly signal?: AbortSignal }): Promise<UnitWriteResult>;
  close(): Promise<void>;
}

/** A writer that can also prepare a unit's requests and send them later: `RemoteWriter`. */
export interface PreparingWriter extends UnitWriter {
  /** The unit's compressed requests, read synchronously. */
  prepare(unit: SampleBatch): PreparedUnit;
  /** Sends one prepared request, retrying like `write`. Never rejects. */
  replay(request: PreparedRequest, options: SendOptions): Promise<WriteResult>;
}

/** One remote_write's queue on disk, as the sink uses it (`DiskUnitQueue`). */
export interface DurableUnitQueue {
  /** Writes a unit and queues it behind its stream's earlier units. Synchronous. */
  push(requests: readonly PreparedRequest[], info: UnitInfo): PushResult;
  /** The sender from now on; the returned detach settles when its sends in flight have. */
  attach(sender: RequestSender): () => Promise<void>;
  /** Resolves when nothing is pending. */
  drained(): Promise<void>;
  stats(): DiskQueueStats;
}

/** Where the queues of a data directory come from, by remote_write name (`DataDirectory`). */
export interface DurableQueues {
  queue(name: string): DurableUnitQueue;
}

export interface RemoteWriteSinkOptions {
  /** Per destination: units above this many pending samples are dropped. @default 500_000 */
  readonly maxPendingSamples?: number;
  /**
   * Keep every unit on disk until delivered (the data directory). The writers must then be
   * {@link PreparingWriter}s. @default none: units wait in memory
   */
  readonly storage?: DurableQueues;
  readonly logger?: Logger;
  /** @default systemClock */
  readonly clock?: Clock;
}

/** Prometheus's default queue: capacity 10,000 per shard × 50 shards (§11.3). */
export const DEFAULT_MAX_PENDING_SAMPLES = 500_000;

interface Destination {
  readonly writer: UnitWriter;
  /** With storage: the writer as a PreparingWriter, its queue and how to let go of it. */
  readonly durable:
    | { writer: PreparingWriter; queue: DurableUnitQueue; detach: () => Promise<void> }
    | undefined;
  /** Tail of each target's chain of writes; removed when the chain drains. */
  readonly tails: Map<string, Promise<void>>;
  pending: number;
  /** Samples dropped by the sink itself (queue full, closed, aborted). */
  dropped: number;
  /** Samples still undelivered when `close()` stopped the sends. */
  lostAtClose: number;
}

export class RemoteWriteSink implements SampleSink {
  private readonly destinations: Destination[];
  private readonly abort = new AbortController();
  private readonly maxPending: number;
  private readonly logger: Logger;
  private readonly clock: Clock;
  private closed = false;

  /** @throws LocalError `LOCAL_DATA_DIR_FAILED` when a queue of `storage` cannot be opened. */
  constructor(writers: readonly UnitWriter[], options: RemoteWriteSinkOptions = {}) {
    const storage = options.storage;
    const destinations: Destination[] = [];
    try {
      for (const writer of writers) {
        destinations.push({
          writer,
          durable: storage === undefined ? undefined : this.attach(storage, writer),
          tails: new Map(),
          pending: 0,
          dropped: 0,
          lostAtClose: 0,
        });
      }
    } catch (err) {
      this.abort.abort();
      for (const d of destinations) void d.durable?.detach();
      throw err;
    }
    this.destinations = destinations;
    this.maxPending = options.maxPendingSamples ?? DEFAULT_MAX_PENDING_SAMPLES;
    this.logger = options.logger ?? silentLogger;
    this.clock = options.clock ?? systemClock;
  }

  deliver(unit: SampleBatch, meta: UnitMeta): Promise<readonly DeliveryOutcome[]> {
    return Promise.all(
      this.destinations.map((d) =>
        d.durable === undefined
          ? this.writeTo(d, unit, meta)
          : Promise.resolve(this.keep(d, unit, meta)),
      ),
    );
  }

  private attach(storage: DurableQueues, writer: UnitWriter): Destination['durable'] {
    if (!isPreparingWriter(writer)) {
      throw new TypeError(
        `remote_write ${writer.name}: a data directory needs a writer with prepare and replay`,
      );
    }
    const queue = storage.queue(writer.name);
    const signal = this.abort.signal;
    const detach = queue.attach({
      signal,
      send: async (request, options): Promise<RequestOutcome> => {
        const r = await writer.replay(request, options);
        if (r.parked.length > 0) return { kind: 'retryable' };
        for (const err of r.warnings ?? []) {
          this.logger.warn('remote write rejected samples', { remote: writer.name, err });
        }
        const error = r.errors[0];
        return error === undefined ? { kind: 'delivered' } : { kind: 'rejected', error };
      },
    });
    return { writer, queue, detach };
  }

  /** With storage: prepares the unit and writes it to the queue; `deferred` once on disk. */
  private keep(d: Destination, unit: SampleBatch, meta: UnitMeta): DeliveryOutcome {
    const outcome = emptyOutcome(d.writer.name);
    const { writer, queue } = d.durable!;
    if (this.closed) {
      d.dropped += unit.length;
      this.logger.warn('remote write closed: unit dropped', {
        remote: d.writer.name,
        job: meta.job,
        url: meta.url,
        samples: unit.length,
      });
      return { ...outcome, lost: unit.length, lostRequests: 0 };
    }
    const { requests } = writer.prepare(unit);
    if (requests.length === 0) return outcome; // every series dropped by write_relabel_configs
    let samples = 0;
    for (const r of requests) samples += r.samples;
    const result = queue.push(requests, {
      stream: meta.targetKey,
      job: meta.job,
      url: meta.url,
      slotMs: meta.timestampMs,
    });
    if (result === 'kept') {
      return { ...outcome, deferred: samples, deferredRequests: requests.length };
    }
    if (result === 'full') {
      this.logger.warn('remote write storage full: unit dropped', {
        remote: d.writer.name,
        job: meta.job,
        url: meta.url,
        samples,
        bytes: queue.stats().bytes,
      });
    }
    return { ...outcome, lost: samples, lostRequests: requests.length };
  }

  private writeTo(d: Destination, unit: SampleBatch, meta: UnitMeta): Promise<DeliveryOutcome> {
    const n = unit.length;
    if (this.closed || d.pending + n > this.maxPending) {
      d.dropped += n;
      this.logger.warn('remote write queue full: unit dropped', {
        remote: d.writer.name,
        job: meta.job,
        url: meta.url,
        samples: n,
        pending: d.pending,
        closed: this.closed,
      });
      return Promise.resolve({ ...emptyOutcome(d.writer.name), lost: n });
    }
    d.pending += n;
    const previous = d.tails.get(meta.targetKey) ?? Promise.resolve();
    const done = previous.then(() => this.send(d, unit, meta));
    const tail = done.then(() => {});
    d.tails.set(meta.targetKey, tail);
    return done.finally(() => {
      d.pending -= n;
      if (d.tails.get(meta.targetKey) === tail) d.tails.delete(meta.targetKey);
    });
  }

  private async send(d: Destination, unit: SampleBatch, meta: UnitMeta): Promise<DeliveryOutcome> {
    const outcome = emptyOutcome(d.writer.name);
    if (this.abort.signal.aborted) {
      d.dropped += unit.length;
      d.lostAtClose += unit.length;
      return { ...outcome, lost: unit.length };
    }
    try {
      const result = await d.writer.write(unit, { signal: this.abort.signal });
      for (const err of [...result.errors, ...(result.warnings ?? [])]) {
        this.logger.warn('remote write rejected samples', {
          remote: d.writer.name,
          job: meta.job,
          url: meta.url,
          err,
        });
      }
      // Only close() aborts a write; it logs the total.
      d.dropped += result.pending;
      d.lostAtClose += result.pending;
      return {
        ...outcome,
        sent: result.delivered,
        rejected: result.rejected,
        lost: result.pending,
      };
    } catch (err) {
      // The writer promises not to reject; count the unit rather than lose the chain.
      d.dropped += unit.length;
      this.logger.error('remote write failed unexpectedly', { remote: d.writer.name, err });
      return { ...outcome, lost: unit.length };
    }
  }

  async flush(deadlineMs: number): Promise<void> {
    const all = async (): Promise<void> => {
      await Promise.all(this.destinations.map((d) => d.durable?.queue.drained()));
      for (;;) {
        const tails = this.destinations.flatMap((d) => [...d.tails.values()]);
        if (tails.length === 0) return;
        await Promise.all(tails);
      }
    };
    await settlesWithin(all(), this.clock, Math.max(deadlineMs - this.clock.now(), 0));
  }

  stats(): readonly SinkStats[] {
    return this.destinations.map((d) => {
      const c = d.writer.counters;
      const stats = {
        name: d.writer.name,
        // Histogram samples count as samples here, as in the Lambda functions' figures.
        samplesSent: c.samplesSent + (c.histogramsSent ?? 0),
        samplesRejected: c.samplesFailed + (c.histogramsFailed ?? 0),
        samplesDropped: d.dropped,
        samplesRetried: c.samplesRetried + (c.histogramsRetried ?? 0),
        samplesPending: d.pending,
      };
      if (d.durable === undefined) return stats;
      // The queue outlives this sink (reloads share it): its counts cover the whole process.
      const q = d.durable.queue.stats();
      const drops = q.samplesDropped;
      return {
        ...stats,
        samplesDropped: d.dropped + drops.expired + drops.full + drops.failed,
        samplesPending: q.pendingSamples,
        storage: q,
      };
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.abort.abort();
    const tails = this.destinations.flatMap((d) => [...d.tails.values()]);
    await Promise.all(tails);
    // What is on disk stays there: the next sink of this process, or the next start, sends it.
    await Promise.all(this.destinations.map((d) => d.durable?.detach()));
    for (const d of this.destinations) {
      if (d.lostAtClose > 0) {
        this.logger.warn('remote write closed before delivery: samples lost', {
          remote: d.writer.name,
          samples: d.lostAtClose,
        });
      }
    }
    await Promise.all(this.destinations.map((d) => d.writer.close()));
  }
}

function isPreparingWriter(w: UnitWriter): w is PreparingWriter {
  const p = w as Partial<PreparingWriter>;
  return typeof p.prepare === 'function' && typeof p.replay === 'function';
}

/**
 * The default sink for a config with remote_write: one `RemoteWriter` per entry, with
 * `global.external_labels` and its write_relabel_configs (§11.1).
 *
 * Encoded labels are cached by the writers in their own WeakMaps, not in the series entries'
 * `encoded` slot: after a reload the runner keeps series entries but may build new writers
 * (other external labels or relabeling), and a slot filled by an old writer would be wrong.
 *
 * @throws RemoteWriteError (`RW_UNSUPPORTED_CONFIG`) for a remote_write it cannot honour.
 */
export function createRemoteWriteSink(
  config: Config,
  options: RemoteWriteSinkOptions = {},
): RemoteWriteSink {
  const writers = createRemoteWriters(
    config,
    options.logger === undefined ? {} : { logger: options.logger },
  );
  return new RemoteWriteSink(writers, options);
}
