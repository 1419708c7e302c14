/**
 * One `RemoteWriter` per remote_write config (§11): takes units of samples from the scraper,
 * turns each into write requests and sends them with bounded concurrency.
 *
 * Protocol (§11.2, §11.4): requests are 1.0 `WriteRequest`s, or 2.0 `Request`s with
 * `protobuf_message: io.prometheus.write.v2.Request`. A receiver that does not take 2.0 — it
 * answers 415, or a 2xx without any `X-Prometheus-Remote-Write-*-Written` header, which the 2.0
 * spec says to read as a 415 (a 1.x receiver that decodes a 2.0 body as an empty 1.0 one) —
 * makes the writer fall back to 1.0 for good (until it is built again: a restart, a reload, a
 * new Lambda container): the refused request is re-encoded as 1.0 and sent again at once, and so
 * is every 2.0 body sent later (parked in the outbox or kept in the data directory before the
 * fallback), so no sample is lost to it. Prometheus does not fall back (a 415 drops the batch);
 * the spec allows it ("Senders MAY retry on the 415 HTTP status code with a different content
 * type"). A 400 is not taken for "no 2.0": it also means invalid samples.
 *
 * Written counts: when a 2xx carries the written headers (any message), the samples,
 * histograms and exemplars it counts are the delivered ones (float samples against
 * `…-Samples-Written`, native histograms against `…-Histograms-Written`, as Prometheus counts
 * them); the rest count as rejected, are not sent again (the receiver said 2xx) and are reported
 * in `warnings`. Without the headers a 1.0 request is taken as fully written (a 1.x receiver
 * sends none).
 *
 * Native histograms (the unit's `histograms` rows) are sent only with `send_native_histograms`,
 * as in Prometheus; otherwise they are left out and counted in `histogramsDropped`. Over 1.0 a
 * histogram with custom buckets (schema -53, NHCB) is left out too (`histogramsDropped`, one
 * warning per writer), as Prometheus's queue does: prompb/types.proto says `custom_values` is not
 * for remote write 1.0 clients, and a 1.x receiver without NHCB refuses the schema. The same
 * holds when a 2.0 request is re-encoded as 1.0 after a fallback. A histogram series' stale
 * marker is an ordinary float row and is sent like one.
 *
 * Metadata (§5.4, §11): a unit may carry its target's {@link MetadataSource}. In 2.0 each
 * TimeSeries gets its family's type, help and unit (`metadata_config` is not used, as in
 * Prometheus). In 1.0, with `metadata_config.send`, the first unit of a target in each
 * `send_interval` carries the target's `MetricMetadata`, in parts of at most
 * `metadata_config.max_samples_per_send`: the first part in the unit's last request (a
 * WriteRequest may hold both; no extra request, and no extra outbox message on Lambda), the
 * others in requests of their own. Prometheus sends every target's metadata every
 * `send_interval` in metadata-only requests from a timer; receivers read the same entries.
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
 * WeakMap keyed by the series entry the scraper passes, or (option `cacheInSeries`, one writer
 * only) in the entry itself. Either way the scraper's own series cache (§6.4) keeps them alive
 * and a repeated series costs one lookup. A new entry for the same series each scrape still
 * works, only without the saving.
 *
 * Not carried over from Prometheus's queue: shards, capacity, batch_send_deadline (a unit is
 * sent at once), sample_age_limit.
 */

import { ConcurrencyLimiter } from '../concurrency.js';
import type { RemoteWriteConfig, ValidationScheme } from '../config/types.js';
import { type Logger, silentLogger } from '../log/logger.js';
import { compareUtf8 } from '../model/byte-order.js';
import { CUSTOM_BUCKETS_SCHEMA, type NativeHistogram } from '../model/histogram.js';
import type { Label, Labels } from '../model/labels.js';
import { labelsFromRecord } from '../model/labels.js';
import { applyRelabel, compileRelabelConfigs, type RelabelProgram } from '../relabel/index.js';
import type { MetadataSource } from '../scrape/batch.js';
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
import {
  type ExemplarV2,
  type MetadataColumns,
  type RequestTemplateSlot,
  RequestV2Encoder,
  type SeriesSymbols,
  seriesSymbolIds,
} from './encode-v2.js';
import { REMOTE_WRITE_ERROR_CODES, RemoteWriteError } from './errors.js';
import { metricMetadataList, metricTypeNumber, seriesMetadata } from './metadata.js';
import { type SendOptions, type SendResult, sendWriteRequest } from './send.js';
import { createSigV4Signer, SigV4Error } from './sigv4.js';
import { snappyCompress } from './snappy.js';
import { SymbolTable } from './symbols.js';
import {
  PROTOBUF_MESSAGE_V1,
  PROTOBUF_MESSAGE_V2,
  type ProtobufMessage,
  protobufMessageOf,
  requestV2ToV1,
} from './transcode.js';

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
  /** Where the fallback to 1.0 is reported (once per writer). @default silent */
  readonly logger?: Logger;
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
  /**
   * Native histograms in delivered requests (prometheus_remote_storage_histograms_total); not
   * counted in `samplesSent`, which counts float samples only, as Prometheus does. Likewise
   * `histogramsFailed`, `histogramsRetried`, `histogramsPending` beside their `samples*`.
   */
  histogramsSent: number;
  histogramsFailed: number;
  histogramsRetried: number;
  histogramsPending: number;
  /**
   * Native histograms not sent: their series dropped by write_relabel_configs, the remote
   * without `send_native_histograms`, or custom-bucket histograms over 1.0 (module comment).
   */
  histogramsDropped: number;
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
  /** 1 once this writer fell back from 2.0 to 1.0 (see the module comment), else 0. */
  protocolFallbacks: number;
  /** 2.0 requests re-encoded as 1.0 after the fallback. */
  requestsReencoded: number;
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
  /**
   * Samples that went into requests (after write relabeling), float samples and native
   * histograms alike (the unit's rows); `delivered`, `rejected` and `pending` count the same.
   */
  readonly samples: number;
  /** Rows not sent: dropped by write relabeling, or histograms left out (`histogramsDropped`). */
  readonly dropped: number;
  readonly delivered: number;
  readonly rejected: number;
  /** Samples in `parked`. */
  readonly pending: number;
  readonly parked: readonly ParkedRequest[];
  /** The non-recoverable errors, one per rejected request (log them: they carry the body). */
  readonly errors: readonly RemoteWriteError[];
  /**
   * `RW_PARTIAL_WRITE`, one per delivered request whose written counts fell short of what it
   * carried (counted in `rejected`, not to be sent again): log them. Absent when none.
   */
  readonly warnings?: readonly RemoteWriteError[];
}

/**
 * A compressed request ready to send, with what it carries. Its message (1.0 or 2.0) is read
 * from the body itself (`protobufMessageOf`), so a body kept anywhere needs no note of it.
 */
export interface PreparedRequest {
  /** The snappy-compressed WriteRequest or 2.0 Request, owned by the holder. */
  readonly body: Uint8Array;
  /** Rows the request carries: float samples (stale markers included) and native histograms. */
  readonly samples: number;
  /**
   * How many of `samples` are native histograms. Absent (a request kept without it, e.g. by an
   * older outbox): unknown, and the receiver's written samples and histograms are then compared
   * together against `samples`, and all of them are counted as samples.
   */
  readonly histograms?: number;
  readonly exemplars: number;
  readonly metadata: number;
}

export interface PreparedUnit {
  readonly requests: readonly PreparedRequest[];
  /** Rows not sent: dropped by write relabeling, or histograms left out (module comment). */
  readonly dropped: number;
}

export function newRemoteWriteCounters(): RemoteWriteCounters {
  return {
    samplesSent: 0,
    samplesFailed: 0,
    samplesRetried: 0,
    samplesPending: 0,
    samplesDropped: 0,
    histogramsSent: 0,
    histogramsFailed: 0,
    histogramsRetried: 0,
    histogramsPending: 0,
    histogramsDropped: 0,
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
    protocolFallbacks: 0,
    requestsReencoded: 0,
  };
}

const DEFAULT_MAX_CONCURRENCY = 8;
/** Cached encoding of a dropped series (a kept series always has at least one label). */
const DROPPED = new Uint8Array(0);
/** Cached 2.0 form of a dropped series. */
const DROPPED_IDS = new Uint32Array(0);

export class RemoteWriter {
  readonly name: string;
  readonly config: RemoteWriteConfig;
  readonly counters: RemoteWriteCounters = newRemoteWriteCounters();
  private readonly client: RemoteWriteClient;
  private readonly ownsClient: boolean;
  private readonly external: Labels;
  private readonly transform: ((labels: Labels) => Labels | null) | undefined;
  /** Series → encoded labels for this writer; zero bytes when write relabeling drops it. */
  private readonly seriesCache = new WeakMap<SeriesRef, Uint8Array>();
  private readonly cacheInSeries: boolean;
  private readonly encoder = new WriteRequestEncoder();
  /** 1.0 metadata, encoded beside a request `encoder` holds. */
  private readonly metadataEncoder = new WriteRequestEncoder(4096);
  /** `prepare`'s scratch: rows of the kept samples and their label bytes. */
  private rows = new Int32Array(0);
  private readonly labels: Uint8Array[] = [];
  private labelsUsed = 0;
  private readonly limiter: ConcurrencyLimiter;
  private readonly logger: Logger;
  /** The message this writer sends now: the config's, or 1.0 after a fallback. */
  private message: ProtobufMessage;
  /** 2.0: strings → symbol ids for every request of this writer (symbols.ts). */
  private readonly symbols = new SymbolTable();
  private readonly encoderV2 = new RequestV2Encoder(this.symbols);
  /** 2.0: series → symbol ids; what `seriesCache` is to 1.0. */
  private readonly seriesCacheV2 = new WeakMap<SeriesRef, SeriesSymbols>();
  /** Marks the 2.0 form in a series entry's slot (`encodedBy`); `this` marks the 1.0 form. */
  private readonly v2Slot = {};
  /** `prepare`'s 2.0 scratch: per entry its series' ids and its metadata. */
  private readonly ids: SeriesSymbols[] = [];
  private idsUsed = 0;
  private meta: MetadataColumns = {
    type: new Uint8Array(0),
    help: new Uint32Array(0),
    unit: new Uint32Array(0),
  };
  /**
   * 2.0: per target (keyed by its metadata source, one object per target) the shape of each of
   * its requests, so that a target scraped again copies its symbols and labels_refs
   * (`RequestV2Encoder.encode`). About 55 bytes per series of the target's last unit.
   */
  private readonly templates = new WeakMap<MetadataSource, RequestTemplateSlot[]>();
  /** Whether the NHCB-over-1.0 warning was logged (once per writer). */
  private warnedNhcb = false;
  /** 1.0 metadata: when each target's (by its source) was last prepared, Date.now ms. */
  private readonly metadataPreparedAt = new WeakMap<MetadataSource, number>();

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
    this.limiter = new ConcurrencyLimiter(
      options.concurrency ?? Math.min(config.queueConfig.maxShards, DEFAULT_MAX_CONCURRENCY),
    );
    this.logger = options.logger ?? silentLogger;
    this.message = config.protobufMessage;
  }

  /** The message this writer sends: the config's `protobuf_message`, or 1.0 after a fallback. */
  get protobufMessage(): ProtobufMessage {
    return this.message;
  }

  /** Encoded labels for a series, through the configured cache; zero bytes = dropped. */
  private cachedSeriesBytes(entry: SeriesRef): Uint8Array {
    if (!this.cacheInSeries) {
      let bytes = this.seriesCache.get(entry);
      if (bytes === undefined) {
        bytes = this.encodeSeries(entry.labels);
        this.seriesCache.set(entry, bytes);
      }
      return bytes;
    }
    if (entry.encodedBy === this) return entry.encoded as Uint8Array;
    const bytes = this.encodeSeries(entry.labels);
    entry.encoded = bytes;
    entry.encodedBy = this;
    return bytes;
  }

  /** External labels, write relabeling, byte-order sort, encoding (§11.1). Zero bytes = drop. */
  private encodeSeries(series: Labels): Uint8Array {
    const labels = this.finalLabels(series);
    return labels === null ? DROPPED : encodeLabels(labels);
  }

  /** The labels sent for a series (§11.1), sorted for the wire; null when it is dropped. */
  private finalLabels(series: Labels): Labels | null {
    let labels: Labels | null = addExternalLabels(series, this.external);
    if (this.transform !== undefined) labels = this.transform(labels);
    return labels === null || labels.length === 0 ? null : sortForWire(labels);
  }

  /**
   * 2.0: a series' symbol ids through the configured cache (empty = dropped); ids of an older
   * symbol table epoch are computed again.
   */
  private cachedSeriesIds(entry: SeriesRef): SeriesSymbols {
    const epoch = this.symbols.epoch;
    if (this.cacheInSeries) {
      if (entry.encodedBy === this.v2Slot) {
        const ids = entry.encoded as Uint32Array;
        if (ids.length === 0 || ids[0] === epoch) return ids;
      }
      const ids = this.symbolizeSeries(entry.labels);
      entry.encoded = ids;
      entry.encodedBy = this.v2Slot;
      return ids;
    }
    let ids = this.seriesCacheV2.get(entry);
    if (ids === undefined || (ids.length !== 0 && ids[0] !== epoch)) {
      ids = this.symbolizeSeries(entry.labels);
      this.seriesCacheV2.set(entry, ids);
    }
    return ids;
  }

  private symbolizeSeries(series: Labels): SeriesSymbols {
    const labels = this.finalLabels(series);
    return labels === null ? DROPPED_IDS : seriesSymbolIds(labels, this.symbols);
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
   * Counts write-relabel drops in `samplesDropped` (`histogramsDropped` for histogram rows) and
   * histograms left out (module comment) in `histogramsDropped`.
   */
  prepare(unit: SampleUnit): PreparedUnit {
    return this.message === PROTOBUF_MESSAGE_V2 ? this.prepareV2(unit) : this.prepareV1(unit);
  }

  private prepareV1(unit: SampleUnit): PreparedUnit {
    const n = unit.length;
    const entries = unit.entries;
    // Reused from unit to unit (read only during this call): a new 100,000-entry array per
    // scrape is garbage the size of the unit, and growing it by push copies it over and over.
    if (this.rows.length < n) this.rows = new Int32Array(Math.max(n, 2 * this.rows.length));
    const rows = this.rows;
    const labels = this.labels;
    const histograms = unit.histograms;
    const anyHistogram = histograms !== undefined && histograms.size !== 0;
    let histogramsDropped = 0;
    let kept = 0;
    for (let i = 0; i < n; i++) {
      if (anyHistogram) {
        const h = histograms.get(i);
        if (h !== undefined && !this.keepHistogram(h, true)) {
          histogramsDropped++;
          continue;
        }
      }
      const bytes = this.cachedSeriesBytes(entries[i]!);
      if (bytes.length === 0) {
        if (anyHistogram && histograms.has(i)) histogramsDropped++;
        continue;
      }
      rows[kept] = i;
      labels[kept] = bytes;
      kept++;
    }
    const dropped = n - kept;
    this.counters.samplesDropped += dropped - histogramsDropped;
    this.counters.histogramsDropped += histogramsDropped;

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
    const metadata = unit.metadata === undefined ? [] : this.metadataDueV1(unit.metadata);
    for (let from = 0; from < total; from += max) {
      const to = Math.min(from + max, total);
      const sampleEnd = Math.min(to, kept);
      const ex = to > kept ? exemplars.slice(Math.max(from - kept, 0), to - kept) : undefined;
      let raw = this.encoder.encodeSamples(labels, rows, Math.min(from, kept), sampleEnd, unit, ex);
      // The first part of the metadata rides in the unit's last request (module comment).
      const part = to === total ? metadata.shift() : undefined;
      if (part !== undefined) raw = concat(raw, this.metadataEncoder.encodeMetadata(part));
      requests.push({
        body: snappyCompress(raw),
        samples: Math.max(sampleEnd - from, 0),
        histograms: anyHistogram ? countHistograms(histograms, rows, from, sampleEnd) : 0,
        exemplars: ex?.length ?? 0,
        metadata: part?.length ?? 0,
      });
    }
    for (const part of metadata) {
      requests.push({
        body: snappyCompress(this.metadataEncoder.encodeMetadata(part)),
        samples: 0,
        histograms: 0,
        exemplars: 0,
        metadata: part.length,
      });
    }
    // Let go of label bytes left from a larger unit (their series may be gone); the array keeps
    // its length, so units of different sizes in turn do not grow it again and again.
    if (this.labelsUsed > kept) labels.fill(DROPPED, kept, this.labelsUsed);
    this.labelsUsed = kept;
    return { requests, dropped };
  }

  /**
   * Is histogram `h` sent? Not without `send_native_histograms`; not with custom buckets over
   * 1.0 (`v1`), see the module comment.
   */
  private keepHistogram(h: NativeHistogram, v1: boolean): boolean {
    if (!this.config.sendNativeHistograms) return false;
    if (v1 && h.schema === CUSTOM_BUCKETS_SCHEMA) {
      this.warnNhcb();
      return false;
    }
    return true;
  }

  private warnNhcb(): void {
    if (this.warnedNhcb) return;
    this.warnedNhcb = true;
    this.logger.warn(
      'native histograms with custom buckets (schema -53) are not sent over remote write 1.0',
      { remote: this.name, url: this.client.safeUrl },
    );
  }

  /**
   * 1.0 with `metadata_config.send`: the target's `MetricMetadata` in parts of at most
   * `metadata_config.max_samples_per_send`, when this writer has not prepared them for
   * `send_interval`; else none (see the module comment).
   */
  private metadataDueV1(source: MetadataSource): MetricMetadata[][] {
    const mc = this.config.metadataConfig;
    if (!mc.send) return [];
    const now = Date.now();
    const last = this.metadataPreparedAt.get(source);
    if (last !== undefined && now - last < mc.sendInterval) return [];
    this.metadataPreparedAt.set(source, now);
    const items = metricMetadataList(source);
    const parts: MetricMetadata[][] = [];
    for (let from = 0; from < items.length; from += mc.maxSamplesPerSend) {
      parts.push(items.slice(from, from + mc.maxSamplesPerSend));
    }
    return parts;
  }

  /**
   * {@link prepare} in 2.0: the same rows, requests and relabeling, each series as symbol ids,
   * with its family's metadata when the unit carries it, exemplars (with `send_exemplars`) in
   * the TimeSeries of their series' sample. Requests are cut every `max_samples_per_send`
   * entries; an entry's exemplars ride along.
   */
  private prepareV2(unit: SampleUnit): PreparedUnit {
    // Only between requests: ids cached with the series are checked against the epoch.
    if (this.symbols.shouldReset()) this.symbols.reset();
    const n = unit.length;
    const entries = unit.entries;
    const byEntry = this.exemplarsV2(unit);
    const extra = byEntry?.size ?? 0;
    if (this.rows.length < n + extra) {
      this.rows = new Int32Array(Math.max(n + extra, 2 * this.rows.length));
    }
    const rows = this.rows;
    const ids = this.ids;
    const histograms = unit.histograms;
    const anyHistogram = histograms !== undefined && histograms.size !== 0;
    let histogramsDropped = 0;
    let exemplarsAt: Map<number, readonly ExemplarV2[]> | undefined;
    let kept = 0;
    for (let i = 0; i < n; i++) {
      if (anyHistogram) {
        const h = histograms.get(i);
        if (h !== undefined && !this.keepHistogram(h, false)) {
          histogramsDropped++;
          continue;
        }
      }
      const entry = entries[i]!;
      const s = this.cachedSeriesIds(entry);
      if (s.length === 0) {
        if (anyHistogram && histograms.has(i)) histogramsDropped++;
        continue;
      }
      if (byEntry !== undefined) {
        const ex = byEntry.get(entry);
        if (ex !== undefined) {
          exemplarsAt ??= new Map();
          exemplarsAt.set(kept, ex.list);
          byEntry.delete(entry);
        }
      }
      rows[kept] = i;
      ids[kept] = s;
      kept++;
    }
    const dropped = n - kept;
    this.counters.samplesDropped += dropped - histogramsDropped;
    this.counters.histogramsDropped += histogramsDropped;
    const samples = kept;
    // Exemplars of series without a sample in the unit: TimeSeries of their own.
    if (byEntry !== undefined) {
      for (const { ids: s, list } of byEntry.values()) {
        exemplarsAt ??= new Map();
        exemplarsAt.set(kept, list);
        rows[kept] = -1;
        ids[kept] = s;
        kept++;
      }
    }
    const meta = unit.metadata === undefined ? undefined : this.metadataV2(unit.metadata, kept);

    const max = this.config.queueConfig.maxSamplesPerSend;
    const requests: PreparedRequest[] = [];
    const exemplarsOf = exemplarsAt === undefined ? undefined : (k: number) => exemplarsAt.get(k);
    let slots: RequestTemplateSlot[] | undefined;
    if (unit.metadata !== undefined) {
      slots = this.templates.get(unit.metadata);
      if (slots === undefined) {
        slots = [];
        this.templates.set(unit.metadata, slots);
      }
    }
    for (let from = 0; from < kept; from += max) {
      const to = Math.min(from + max, kept);
      let exemplars = 0;
      if (exemplarsAt !== undefined) {
        for (let k = from; k < to; k++) exemplars += exemplarsAt.get(k)?.length ?? 0;
      }
      let slot: RequestTemplateSlot | undefined;
      if (slots !== undefined) {
        slot = slots[requests.length];
        if (slot === undefined) {
          slot = {};
          slots.push(slot);
        }
      }
      const raw = this.encoderV2.encode(
        ids,
        rows,
        from,
        to,
        unit,
        meta,
        exemplars === 0 ? undefined : exemplarsOf,
        slot,
      );
      const sampleEnd = Math.min(to, samples);
      requests.push({
        body: snappyCompress(raw),
        samples: Math.max(sampleEnd - from, 0),
        histograms: anyHistogram ? countHistograms(histograms, rows, from, sampleEnd) : 0,
        exemplars,
        metadata: 0,
      });
    }
    if (slots !== undefined && slots.length > requests.length) slots.length = requests.length;
    if (this.idsUsed > kept) ids.fill(DROPPED_IDS, kept, this.idsUsed);
    this.idsUsed = kept;
    return { requests, dropped };
  }

  /** 2.0 exemplars by series entry, each series' ids with them; undefined when none are sent. */
  private exemplarsV2(
    unit: SampleUnit,
  ): Map<SeriesRef, { ids: SeriesSymbols; list: ExemplarV2[] }> | undefined {
    if (!this.config.sendExemplars || unit.exemplars === undefined) return undefined;
    if (unit.exemplars.length === 0) return undefined;
    const out = new Map<SeriesRef, { ids: SeriesSymbols; list: ExemplarV2[] }>();
    for (const { series, exemplar } of unit.exemplars) {
      const s = this.cachedSeriesIds(series);
      if (s.length === 0) continue;
      const labels: number[] = [];
      for (const l of exemplar.labels) {
        if (l.value === '') continue;
        labels.push(this.symbols.intern(l.name), this.symbols.intern(l.value));
      }
      let e = out.get(series);
      if (e === undefined) {
        e = { ids: s, list: [] };
        out.set(series, e);
      }
      e.list.push({
        labels: Uint32Array.from(labels),
        value: exemplar.value,
        timestampMs: exemplar.timestampMs,
      });
    }
    return out.size === 0 ? undefined : out;
  }

  /** 2.0: each entry's family metadata (type, help and unit ids) for entries [0, count). */
  private metadataV2(source: MetadataSource, count: number): MetadataColumns {
    if (this.meta.type.length < count) {
      const cap = Math.max(count, 2 * this.meta.type.length);
      this.meta = {
        type: new Uint8Array(cap),
        help: new Uint32Array(cap),
        unit: new Uint32Array(cap),
      };
    }
    const { type, help, unit } = this.meta;
    const symbols = this.symbols;
    const ids = this.ids;
    // Series of one family come together: look up again only when the name changes.
    let lastName = -1;
    let t = 0;
    let h = 0;
    let u = 0;
    for (let k = 0; k < count; k++) {
      const name = ids[k]![1]!;
      if (name !== lastName) {
        lastName = name;
        const m = name === 0 ? undefined : seriesMetadata(symbols.text(name), source);
        t = m === undefined ? 0 : metricTypeNumber(m.type);
        h = m === undefined ? 0 : symbols.intern(m.help);
        u = m === undefined ? 0 : symbols.intern(m.unit);
      }
      type[k] = t;
      help[k] = h;
      unit[k] = u;
    }
    return this.meta;
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
          histograms: 0,
          exemplars: 0,
          metadata: part.length,
        });
      }
    }
    return this.sendAll(prepared, 0, options);
  }

  /**
   * Sends a prepared or parked request (outbox replay); counters are updated as for a first
   * send. The body is sent as is — it already carries external labels and relabeling — except
   * that a 2.0 body goes out re-encoded as 1.0 once this writer has fallen back.
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
    droppedBefore: number,
    options: SendOptions,
  ): Promise<WriteResult> {
    let dropped = droppedBefore;
    const c = this.counters;
    const results = await Promise.all(
      prepared.map((p) => this.limiter.run(() => this.sendOne(p, options))),
    );
    let delivered = 0;
    let rejected = 0;
    let pending = 0;
    let samples = 0;
    const parked: ParkedRequest[] = [];
    const errors: RemoteWriteError[] = [];
    const warnings: RemoteWriteError[] = [];
    for (let i = 0; i < prepared.length; i++) {
      const { result: r, body, histogramsLeftOut } = results[i]!;
      // Histograms left out by a re-encoding as 1.0 (module comment) are dropped, not sent.
      const p =
        histogramsLeftOut === 0
          ? prepared[i]!
          : leaveOutHistograms(prepared[i]!, histogramsLeftOut, body);
      if (histogramsLeftOut !== 0) {
        dropped += histogramsLeftOut;
        c.histogramsDropped += histogramsLeftOut;
      }
      samples += p.samples;
      const histograms = p.histograms ?? 0;
      const floats = p.samples - histograms;
      if (r.outcome === 'delivered') {
        // What the receiver says it wrote, when it says so (§11.4); never more than was sent.
        const w = r.written;
        let wroteSamples = floats;
        let wroteHistograms = histograms;
        let wroteExemplars = p.exemplars;
        if (w !== undefined) {
          wroteExemplars = Math.min(w.exemplars, p.exemplars);
          if (p.histograms === undefined) {
            // Which rows are histograms is unknown: both counts against all rows.
            wroteSamples = Math.min(w.samples + w.histograms, p.samples);
          } else {
            wroteSamples = Math.min(w.samples, floats);
            wroteHistograms = Math.min(w.histograms, histograms);
          }
        }
        const shortSamples = floats - wroteSamples;
        const shortHistograms = histograms - wroteHistograms;
        const shortExemplars = p.exemplars - wroteExemplars;
        delivered += wroteSamples + wroteHistograms;
        rejected += shortSamples + shortHistograms;
        c.requestsSent++;
        c.bytesSent += body.length;
        c.samplesSent += wroteSamples;
        c.samplesFailed += shortSamples;
        c.histogramsSent += wroteHistograms;
        c.histogramsFailed += shortHistograms;
        c.exemplarsSent += wroteExemplars;
        c.exemplarsFailed += shortExemplars;
        c.metadataSent += p.metadata;
        if (shortSamples > 0 || shortHistograms > 0 || shortExemplars > 0) {
          warnings.push(
            new RemoteWriteError(
              REMOTE_WRITE_ERROR_CODES.partialWrite,
              `remote write to ${this.client.safeUrl}: HTTP ${r.status}, but the receiver wrote ${wroteSamples} of ${floats} samples${histograms === 0 ? '' : `, ${wroteHistograms} of ${histograms} histograms`} and ${wroteExemplars} of ${p.exemplars} exemplars; the rest is not sent again`,
              { recoverable: false, status: r.status },
            ),
          );
        }
      } else if (r.outcome === 'rejected') {
        rejected += p.samples;
        errors.push(r.error);
        c.requestsFailed++;
        c.samplesFailed += floats;
        c.histogramsFailed += histograms;
        c.exemplarsFailed += p.exemplars;
        c.metadataFailed += p.metadata;
      } else {
        pending += p.samples;
        // The body as it would go out next (re-encoded when the writer fell back meanwhile).
        parked.push({ ...p, body, error: r.error, index: i });
        c.requestsPending++;
        c.samplesPending += floats;
        c.histogramsPending += histograms;
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
      ...(warnings.length === 0 ? {} : { warnings }),
    };
  }

  /**
   * Sends one request, in 1.0 if the writer has fallen back; a 2.0 request the receiver does
   * not take makes it fall back and goes out again at once, re-encoded (module comment).
   * Returns the result, the body last sent and how many histograms the re-encoding left out.
   */
  private async sendOne(
    p: PreparedRequest,
    options: SendOptions,
  ): Promise<{ result: SendResult; body: Uint8Array; histogramsLeftOut: number }> {
    const c = this.counters;
    // `q`: the request as it goes out (after a re-encoding, without the histograms it left out).
    const send = (q: PreparedRequest, message: ProtobufMessage) =>
      sendWriteRequest(this.client, q.body, {
        ...options,
        protobufMessage: message,
        // Counted when a retry is decided (before its backoff), as Prometheus does: during an
        // outage the counters move while it lasts, not only once the receiver is back.
        onRetry: (error, attempt, sleepMs) => {
          const histograms = Math.min(q.histograms ?? 0, q.samples);
          c.requestsRetried++;
          c.samplesRetried += q.samples - histograms;
          c.histogramsRetried += histograms;
          options.onRetry?.(error, attempt, sleepMs);
        },
      });
    if (protobufMessageOf(p.body) === PROTOBUF_MESSAGE_V1) {
      return { result: await send(p, PROTOBUF_MESSAGE_V1), body: p.body, histogramsLeftOut: 0 };
    }
    if (this.message === PROTOBUF_MESSAGE_V2) {
      const result = await send(p, PROTOBUF_MESSAGE_V2);
      const refusal = refusedAsUnsupported(result);
      if (refusal === undefined) return { result, body: p.body, histogramsLeftOut: 0 };
      this.fallBack(refusal);
    }
    let body: Uint8Array;
    let histogramsLeftOut: number;
    try {
      const reencoded = requestV2ToV1(p.body);
      body = reencoded.body;
      histogramsLeftOut = reencoded.histogramsLeftOut;
    } catch (err) {
      const error =
        err instanceof RemoteWriteError
          ? err
          : new RemoteWriteError(REMOTE_WRITE_ERROR_CODES.reencode, String(err), {
              recoverable: false,
              cause: err,
            });
      return {
        result: { outcome: 'rejected', attempts: 0, error },
        body: p.body,
        histogramsLeftOut: 0,
      };
    }
    if (histogramsLeftOut > 0) this.warnNhcb();
    c.requestsReencoded++;
    const sent = leaveOutHistograms(p, histogramsLeftOut, body);
    return { result: await send(sent, PROTOBUF_MESSAGE_V1), body, histogramsLeftOut };
  }

  /** Switches this writer to 1.0 for good (the first time only: later refusals are in flight). */
  private fallBack(reason: string): void {
    if (this.message === PROTOBUF_MESSAGE_V1) return;
    this.message = PROTOBUF_MESSAGE_V1;
    this.counters.protocolFallbacks++;
    this.logger.warn('remote write receiver does not take 2.0: sending 1.0 from now on', {
      remote: this.name,
      url: this.client.safeUrl,
      reason,
    });
  }
}

/**
 * Why a 2.0 send shows a receiver without 2.0, or undefined: a 415, or a 2xx without any
 * written header, which the 2.0 spec says to treat as a 415 (§11.4).
 */
function refusedAsUnsupported(r: SendResult): string | undefined {
  if (r.outcome === 'rejected' && r.error.status === 415) return r.error.message;
  if (r.outcome === 'delivered' && r.written === undefined) {
    return `HTTP ${r.status} without X-Prometheus-Remote-Write-*-Written headers (a 1.x receiver)`;
  }
  return undefined;
}

/** Histogram rows among entries [from, to) of `rows`. */
function countHistograms(
  histograms: ReadonlyMap<number, NativeHistogram>,
  rows: Int32Array,
  from: number,
  to: number,
): number {
  let n = 0;
  for (let k = from; k < to; k++) if (histograms.has(rows[k]!)) n++;
  return n;
}

/** `p` as it goes out after a re-encoding left `n` of its histograms out, with body `body`. */
function leaveOutHistograms(p: PreparedRequest, n: number, body: Uint8Array): PreparedRequest {
  return {
    ...p,
    body,
    samples: Math.max(p.samples - n, 0),
    ...(p.histograms === undefined ? {} : { histograms: Math.max(p.histograms - n, 0) }),
  };
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
      `remote_write ${config.displayName}: sigv4: ${cause.message}`,
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
      `remote_write ${config.displayName}: write_relabel_configs: ${cause instanceof Error ? cause.message : String(cause)}`,
      { recoverable: false, cause },
    );
  }
  return (labels) => applyRelabel(program, labels);
}

/**
 * Two encoded messages as one: protobuf merges concatenated messages, so a WriteRequest of
 * samples followed by one of metadata is one WriteRequest with both (a new array: the inputs are
 * views of encoder buffers).
 */
function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
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
