/**
 * One `RemoteWriter` per remote_write config (§11): takes units of samples from the scraper,
 * turns each into write requests and sends them with bounded concurrency.
 *
 * Unit rule: one {@link SampleUnit} = one scrape of one target, and a request never holds
 * samples of two units. A Prometheus receiver rolls back a whole request when one sample in it
 * is out of order (docs/testing.md), so mixing targets would let one late target sink another's data.
 * Within a unit every series has at most one sample (a scrape yields one value or one stale
 * marker per series), so the requests of a unit are independent and may go out concurrently.
 * Units of the same target must be written in scrape order (the caller's job).
 *
 * Per series, once (§11.1): external labels are added where the series lacks the name, then
 * `write_relabel_configs` run (drop → never sent; an empty result is dropped too), the result is
 * sorted by name in byte order and encoded. The encoded bytes are cached per series: in a
 * WeakMap keyed by the `Labels` reference the scraper passes, or (option `cacheInSeries`, one
 * writer only) in the series entry itself. Either way the scraper's own series cache (§6.4)
 * keeps them alive and a repeated series costs one lookup. A new array for the same series each
 * scrape still works, only without the saving.
 *
 * Not carried over from Prometheus's queue: shards, capacity, batch_send_deadline (a unit is
 * sent at once), sample_age_limit, native histograms.
 */

import type { RemoteWriteConfig, ValidationScheme } from '../config/types.js';
import { compareUtf8 } from '../model/byte-order.js';
import type { Label, Labels } from '../model/labels.js';
import { labelsFromRecord } from '../model/labels.js';
import { applyRelabel, compileRelabelConfigs, type RelabelProgram } from '../relabel/index.js';
import type { SampleUnit, SeriesRef } from './batch.js';
import {
  createRemoteWriteClient,
  type RemoteWriteClient,
  type RemoteWriteClientOptions,
} from './client.js';
import {
  addExternalLabels,
  type ExemplarEntry,
  encodeLabels,
  type MetricMetadata,
  WriteRequestEncoder,
} from './encode.js';
import { REMOTE_WRITE_ERROR_CODES, RemoteWriteError } from './errors.js';
import { type SendOptions, type SendResult, sendWriteRequest } from './send.js';
import { createSigV4Signer, SigV4Error } from './sigv4.js';
import { snappyCompress } from './snappy.js';

export interface RemoteWriterOptions extends RemoteWriteClientOptions {
  /** `global.external_labels` (§1.2). */
  readonly externalLabels?: Readonly<Record<string, string>>;
  /** Label name validation for write_relabel_configs' target labels (§1.6). Default 'utf8'. */
  readonly nameValidationScheme?: ValidationScheme;
  /**
   * Replaces the compiled `write_relabel_configs`: the labels after external labels → the labels
   * to send, or null to drop the series. For tests and callers that compile relabeling
   * themselves; by default the writer compiles the config's rules with the relabel engine.
   */
  readonly transformSeries?: (labels: Labels) => Labels | null;
  /**
   * Requests in flight at once, across all `write` calls on this writer.
   * Default min(queue_config.max_shards, 8).
   */
  readonly concurrency?: number;
  /** Use this client instead of creating one (then `close()` leaves it open). */
  readonly client?: RemoteWriteClient;
  /**
   * Cache encoded labels in each series entry's `encoded` slot instead of a WeakMap: saves a
   * hash lookup per sample (~90 ns at 100k series). The slot then belongs to this writer for the
   * life of the entries: at most ONE writer per set of entries may use it (typically the only
   * remote_write), and whoever replaces the writer (config reload) must clear `encoded` on the
   * entries or start from new ones, or the old encoding is sent. Default false.
   */
  readonly cacheInSeries?: boolean;
}

/** Monotonic counters, in the spirit of prometheus_remote_storage_*_total. Read freely. */
export interface RemoteWriteCounters {
  /** Samples (stale markers included) in delivered requests. */
  samplesSent: number;
  /** Samples in requests the receiver rejected for good. */
  samplesFailed: number;
  /** Samples to be sent again after a recoverable failure (counted per retry, when decided). */
  samplesRetried: number;
  /** Samples handed back undelivered (`parked`) when the deadline came. */
  samplesPending: number;
  /** Samples of series dropped by write_relabel_configs. */
  samplesDropped: number;
  exemplarsSent: number;
  exemplarsFailed: number;
  exemplarsPending: number;
  metadataSent: number;
  metadataFailed: number;
  metadataPending: number;
  /** Delivered requests. */
  requestsSent: number;
  /** Rejected requests. */
  requestsFailed: number;
  /** Retries, counted when decided (before the backoff sleep), as they happen. */
  requestsRetried: number;
  /** Requests handed back undelivered. */
  requestsPending: number;
  /** Compressed bytes of delivered requests. */
  bytesSent: number;
}

/** A request that was not delivered in time: keep it and replay it later (see `replay`). */
export interface ParkedRequest extends PreparedRequest {
  readonly error: RemoteWriteError;
  /** Its index among the requests of its unit (the order `prepare` made them in). */
  readonly index: number;
}

export interface WriteResult {
  /** Requests built from the unit. */
  readonly requests: number;
  /** Samples that went into requests (after write relabeling). */
  readonly samples: number;
  /** Samples dropped by write relabeling. */
  readonly dropped: number;
  readonly delivered: number;
  readonly rejected: number;
  /** Samples in `parked`. */
  readonly pending: number;
  readonly parked: readonly ParkedRequest[];
  /** The non-recoverable errors, one per rejected request (log them: they carry the body). */
  readonly errors: readonly RemoteWriteError[];
}

/** A compressed WriteRequest ready to send, with what it carries. */
export interface PreparedRequest {
  /** The snappy-compressed WriteRequest, owned by the holder. */
  readonly body: Uint8Array;
  readonly samples: number;
  readonly exemplars: number;
  readonly metadata: number;
}

export interface PreparedUnit {
  readonly requests: readonly PreparedRequest[];
  /** Samples dropped by write relabeling. */
  readonly dropped: number;
}

export function newRemoteWriteCounters(): RemoteWriteCounters {
  return {
    samplesSent: 0,
    samplesFailed: 0,
    samplesRetried: 0,
    samplesPending: 0,
    samplesDropped: 0,
    exemplarsSent: 0,
    exemplarsFailed: 0,
    exemplarsPending: 0,
    metadataSent: 0,
    metadataFailed: 0,
    metadataPending: 0,
    requestsSent: 0,
    requestsFailed: 0,
    requestsRetried: 0,
    requestsPending: 0,
    bytesSent: 0,
  };
}

const DEFAULT_MAX_CONCURRENCY = 8;
/** Cached encoding of a dropped series (a kept series always has at least one label). */
const DROPPED = new Uint8Array(0);

export class RemoteWriter {
  readonly name: string;
  readonly config: RemoteWriteConfig;
  readonly counters: RemoteWriteCounters = newRemoteWriteCounters();
  private readonly client: RemoteWriteClient;
  private readonly ownsClient: boolean;
  private readonly external: Labels;
  private readonly transform: ((labels: Labels) => Labels | null) | undefined;
  /** Series → encoded labels for this writer; zero bytes when write relabeling drops it. */
  private readonly seriesCache = new WeakMap<Labels, Uint8Array>();
  private readonly cacheInSeries: boolean;
  private readonly encoder = new WriteRequestEncoder();
  /** `prepare`'s scratch: rows of the kept samples and their label bytes. */
  private rows = new Int32Array(0);
  private readonly labels: Uint8Array[] = [];
  private labelsUsed = 0;
  private readonly limiter: Limiter;

  /**
   * With `sigv4` in the config and neither `signer` nor `client` given, the writer signs with
   * {@link createSigV4Signer} (credentials load on the first request, not here).
   *
   * Throws {@link RemoteWriteError}: `RW_UNSUPPORTED_CONFIG` for configs it cannot honour (see
   * `createRemoteWriteClient`), `RW_INVALID_CONFIG` when write_relabel_configs do not compile
   * or the sigv4 settings cannot work.
   */
  constructor(config: RemoteWriteConfig, options: RemoteWriterOptions = {}) {
    this.name = config.name;
    this.config = config;
    this.transform = options.transformSeries ?? compileWriteRelabel(config, options);
    this.client = options.client ?? createRemoteWriteClient(config, withSigner(config, options));
    this.ownsClient = options.client === undefined;
    this.external = labelsFromRecord(options.externalLabels ?? {});
    this.cacheInSeries = options.cacheInSeries ?? false;
    this.limiter = new Limiter(
      options.concurrency ?? Math.min(config.queueConfig.maxShards, DEFAULT_MAX_CONCURRENCY),
    );
  }

  /**
   * The encoded labels this writer sends for `series`, or null when write relabeling drops it.
   * Cached per `series` reference.
   */
  seriesBytes(series: Labels): Uint8Array | null {
    const bytes = this.bytesByLabels(series);
    return bytes.length === 0 ? null : bytes;
  }

  private bytesByLabels(series: Labels): Uint8Array {
    let bytes = this.seriesCache.get(series);
    if (bytes === undefined) {
      bytes = this.encodeSeries(series);
      this.seriesCache.set(series, bytes);
    }
    return bytes;
  }

  /** Encoded labels for a series, through the configured cache; zero bytes = dropped. */
  private cachedSeriesBytes(entry: SeriesRef): Uint8Array {
    if (!this.cacheInSeries) return this.bytesByLabels(entry.labels);
    if (entry.encodedBy === this) return entry.encoded!;
    const bytes = this.encodeSeries(entry.labels);
    entry.encoded = bytes;
    entry.encodedBy = this;
    return bytes;
  }

  /** External labels, write relabeling, byte-order sort, encoding (§11.1). Zero bytes = drop. */
  private encodeSeries(series: Labels): Uint8Array {
    let labels: Labels | null = addExternalLabels(series, this.external);
    if (this.transform !== undefined) labels = this.transform(labels);
    return labels === null || labels.length === 0 ? DROPPED : encodeLabels(sortForWire(labels));
  }

  /**
   * Sends one unit (one scrape of one target): {@link prepare}, then the requests go out with
   * bounded concurrency. The unit is read synchronously: it may be cleared and refilled as soon
   * as this returns, before the promise settles. Never rejects; failures are in the result and
   * the counters.
   */
  write(unit: SampleUnit, options: SendOptions = {}): Promise<WriteResult> {
    const { requests, dropped } = this.prepare(unit);
    return this.sendAll(requests, dropped, options);
  }

  /**
   * Turns a unit into compressed write requests without sending them: series transformed and
   * encoded (cached), requests of at most `max_samples_per_send` entries (samples first, then
   * exemplars when `send_exemplars`), each body snappy-compressed into its own buffer.
   * Counts write-relabel drops in `samplesDropped`.
   */
  prepare(unit: SampleUnit): PreparedUnit {
    const n = unit.length;
    const entries = unit.entries;
    // Reused from unit to unit (read only during this call): a new 100,000-entry array per
    // scrape is garbage the size of the unit, and growing it by push copies it over and over.
    if (this.rows.length < n) this.rows = new Int32Array(Math.max(n, 2 * this.rows.length));
    const rows = this.rows;
    const labels = this.labels;
    let kept = 0;
    for (let i = 0; i < n; i++) {
      const bytes = this.cachedSeriesBytes(entries[i]!);
      if (bytes.length === 0) continue;
      rows[kept] = i;
      labels[kept] = bytes;
      kept++;
    }
    const dropped = n - kept;
    this.counters.samplesDropped += dropped;

    const exemplars: ExemplarEntry[] = [];
    if (this.config.sendExemplars && unit.exemplars !== undefined) {
      for (const { series, exemplar } of unit.exemplars) {
        const bytes = this.cachedSeriesBytes(series);
        if (bytes.length === 0) continue;
        exemplars.push({
          series: bytes,
          labels: encodeLabels(exemplar.labels),
          value: exemplar.value,
          timestampMs: exemplar.timestampMs,
        });
      }
    }

    const max = this.config.queueConfig.maxSamplesPerSend;
    const total = kept + exemplars.length;
    const requests: PreparedRequest[] = [];
    for (let from = 0; from < total; from += max) {
      const to = Math.min(from + max, total);
      const sampleEnd = Math.min(to, kept);
      const ex = to > kept ? exemplars.slice(Math.max(from - kept, 0), to - kept) : undefined;
      const raw = this.encoder.encodeSamples(
        labels,
        rows,
        Math.min(from, kept),
        sampleEnd,
        unit,
        ex,
      );
      requests.push({
        body: snappyCompress(raw),
        samples: Math.max(sampleEnd - from, 0),
        exemplars: ex?.length ?? 0,
        metadata: 0,
      });
    }
    // Let go of label bytes left from a larger unit (their series may be gone); the array keeps
    // its length, so units of different sizes in turn do not grow it again and again.
    if (this.labelsUsed > kept) labels.fill(DROPPED, kept, this.labelsUsed);
    this.labelsUsed = kept;
    return { requests, dropped };
  }

  /**
   * Sends metadata in separate requests of at most `metadata_config.max_samples_per_send`
   * entries (§11.1). Does nothing when `metadata_config.send` is false.
   */
  writeMetadata(items: readonly MetricMetadata[], options: SendOptions = {}): Promise<WriteResult> {
    const prepared: PreparedRequest[] = [];
    if (this.config.metadataConfig.send) {
      const max = this.config.metadataConfig.maxSamplesPerSend;
      for (let from = 0; from < items.length; from += max) {
        const part = items.slice(from, from + max);
        prepared.push({
          body: snappyCompress(this.encoder.encodeMetadata(part)),
          samples: 0,
          exemplars: 0,
          metadata: part.length,
        });
      }
    }
    return this.sendAll(prepared, 0, options);
  }

  /**
   * Sends a prepared or parked request (outbox replay); counters are updated as for a first
   * send. The body is sent as is: it already carries external labels and relabeling.
   */
  replay(request: PreparedRequest, options: SendOptions = {}): Promise<WriteResult> {
    return this.sendAll([request], 0, options);
  }

  /** Releases the client's connections (when the writer created the client). */
  async close(): Promise<void> {
    if (this.ownsClient) await this.client.close();
  }

  private async sendAll(
    prepared: readonly PreparedRequest[],
    dropped: number,
    options: SendOptions,
  ): Promise<WriteResult> {
    const c = this.counters;
    const results = await Promise.all(
      prepared.map((p) =>
        this.limiter.run(() =>
          sendWriteRequest(this.client, p.body, {
            ...options,
            // Counted when a retry is decided (before its backoff), as Prometheus does: during an
            // outage the counters move while it lasts, not only once the receiver is back.
            onRetry: (error, attempt, sleepMs) => {
              c.requestsRetried++;
              c.samplesRetried += p.samples;
              options.onRetry?.(error, attempt, sleepMs);
            },
          }),
        ),
      ),
    );
    let delivered = 0;
    let rejected = 0;
    let pending = 0;
    let samples = 0;
    const parked: ParkedRequest[] = [];
    const errors: RemoteWriteError[] = [];
    for (let i = 0; i < prepared.length; i++) {
      const p = prepared[i]!;
      const r: SendResult = results[i]!;
      samples += p.samples;
      if (r.outcome === 'delivered') {
        delivered += p.samples;
        c.requestsSent++;
        c.bytesSent += p.body.length;
        c.samplesSent += p.samples;
        c.exemplarsSent += p.exemplars;
        c.metadataSent += p.metadata;
      } else if (r.outcome === 'rejected') {
        rejected += p.samples;
        errors.push(r.error);
        c.requestsFailed++;
        c.samplesFailed += p.samples;
        c.exemplarsFailed += p.exemplars;
        c.metadataFailed += p.metadata;
      } else {
        pending += p.samples;
        parked.push({ ...p, error: r.error, index: i });
        c.requestsPending++;
        c.samplesPending += p.samples;
        c.exemplarsPending += p.exemplars;
        c.metadataPending += p.metadata;
      }
    }
    return {
      requests: prepared.length,
      samples,
      dropped,
      delivered,
      rejected,
      pending,
      parked,
      errors,
    };
  }
}

/** `options` with a SigV4 signer when the config has `sigv4` and none was given. */
function withSigner(
  config: RemoteWriteConfig,
  options: RemoteWriterOptions,
): RemoteWriteClientOptions {
  if (config.sigv4 === undefined || options.signer !== undefined) return options;
  try {
    return { ...options, signer: createSigV4Signer(config.sigv4) };
  } catch (cause) {
    if (!(cause instanceof SigV4Error)) throw cause;
    throw new RemoteWriteError(
      REMOTE_WRITE_ERROR_CODES.invalidConfig,
      `remote_write ${config.name}: sigv4: ${cause.message}`,
      { recoverable: false, cause },
    );
  }
}

/** The config's write_relabel_configs as a transform; undefined when there are none. */
function compileWriteRelabel(
  config: RemoteWriteConfig,
  options: RemoteWriterOptions,
): ((labels: Labels) => Labels | null) | undefined {
  if (config.writeRelabelConfigs.length === 0) return undefined;
  let program: RelabelProgram;
  try {
    program = compileRelabelConfigs(config.writeRelabelConfigs, options.nameValidationScheme);
  } catch (cause) {
    throw new RemoteWriteError(
      REMOTE_WRITE_ERROR_CODES.invalidConfig,
      `remote_write ${config.name}: write_relabel_configs: ${cause instanceof Error ? cause.message : String(cause)}`,
      { recoverable: false, cause },
    );
  }
  return (labels) => applyRelabel(program, labels);
}

/** Labels sorted by name in byte order, as the receiver expects (§11.1). Copies only if needed. */
function sortForWire(labels: Labels): Labels {
  for (let i = 1; i < labels.length; i++) {
    if (compareUtf8(labels[i - 1]!.name, labels[i]!.name) > 0) {
      return [...labels].sort((p: Label, q: Label) => compareUtf8(p.name, q.name));
    }
  }
  return labels;
}

/** At most `limit` tasks running; the others wait in FIFO order. */
class Limiter {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  constructor(private readonly limit: number) {
    if (!(limit >= 1)) throw new RangeError(`concurrency must be ≥ 1, got ${limit}`);
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) await new Promise<void>((r) => this.waiting.push(r));
    else this.active++;
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      if (next !== undefined) next();
      else this.active--;
    }
  }
}
