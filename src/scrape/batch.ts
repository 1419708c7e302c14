/**
 * The unit the scraper produces and every sink consumes (remote write, the local runner's
 * console sink): the samples of one scrape of one target, never mixed with another scrape's.
 *
 * Columns, indexed by sample row `i < length`:
 * - `entries[i]`: the series. Pass the SAME entry for a series on every scrape (the scrape
 *   cache's entry, §6.4): consumers cache per series, in the entry's `encoded` slot or in a
 *   WeakMap keyed by the entry, so a repeated series costs one lookup and the cache lives
 *   exactly as long as the scraper's entry. An entry's `labels` may be a new array on every
 *   read (a cached entry keeps only its key once compacted): never key anything by them.
 * - `values`: any NaN is sent as Prometheus's NaN (§8.1).
 * - `timestamps`: integer ms since epoch (|t| ≤ 2^53).
 * - `stale`: 1 = stale marker (consumers ignore the value slot; the scraper puts NaN there).
 *   Staleness is a flag, never a NaN payload: V8 may rewrite NaN payloads held in ordinary
 *   number arrays, so the exact StaleNaN bits are produced only by the encoder (§8.1).
 * - `histograms`: the rows that carry a native histogram (§5.3) instead of a float, by row. Such
 *   a row's `values` slot is NaN and ignored; it is never a stale marker. A histogram series
 *   that vanishes gets an ordinary float stale marker, as Prometheus's agent sends one (a
 *   Prometheus-based receiver turns it into a stale histogram when the series holds histograms).
 * - `startTimestamps`: the start (created) timestamp in ms of each row, 0 = none; undefined when
 *   no row of the unit has one (allocated by the first push that does).
 */

import type { MetricType } from '../exposition/types.js';
import type { NativeHistogram } from '../model/histogram.js';
import { type Labels, labelsFromKey, labelsKey } from '../model/labels.js';

/** A metric family's metadata as the target exposed it (§5.4). */
export interface FamilyMetadataView {
  readonly type: MetricType;
  readonly help: string;
  readonly unit: string;
}

/**
 * The metadata a unit carries for its consumers (remote write: 2.0 per series, 1.0
 * `MetricMetadata` requests, §11): the target's metric families by family name, as the TYPE,
 * HELP and UNIT lines name them (§5.4), plus the report series' own (§7). A `Map` fits.
 *
 * Contract: read synchronously during the consumer's call, like the columns (the scrape cache
 * behind it changes with the target's next scrape); the same object for every unit of a target
 * while its scrape cache lives, so a consumer may key per-target state by it. Finding a series'
 * family from its name (`foo_bucket` → `foo`) is the consumer's business
 * (`src/remotewrite/metadata.ts`).
 */
export interface MetadataSource {
  get(family: string): FamilyMetadataView | undefined;
  forEach(fn: (metadata: FamilyMetadataView, family: string) => void): void;
}

/** What a batch needs of a series: its labels, and a cache slot for one consumer. */
export interface SeriesRef {
  /** Final labels: after honor_labels and metric_relabel_configs (§6), sorted, no empty values. */
  readonly labels: Labels;
  /**
   * Per-series cache slot of one consumer at a time: a remote writer created with
   * `cacheInSeries` keeps its encoded labels here (1.0: the label bytes, 2.0: the symbol ids;
   * empty = dropped by write relabeling) and in `encodedBy` an object of its own per form, so
   * what another writer or the other form left (an older config after a reload, 1.0 after a
   * fallback) is never taken for its own. Starts undefined. Other consumers key a WeakMap by
   * the entry instead.
   */
  encoded?: Uint8Array | Uint32Array;
  /** The consumer that filled `encoded`. */
  encodedBy?: object;
}

/**
 * One series as the scrape produced it. Entries live in the per-target scrape cache and are
 * reused from one scrape to the next, so anything derived from the labels alone can be stored
 * on the entry once (see {@link SeriesRef.encoded}).
 */
export interface SeriesEntry extends SeriesRef {
  /** `labelsKey(labels)`: the identity used by the staleness state. */
  readonly key: string;
  /**
   * Sequence number of the last scrape that tracked this series for staleness (§8.2); owned by
   * the scrape (src/scrape/scrape.ts). Lets a scrape find vanished series without building a
   * set of every key.
   */
  trackedIn?: number;
}

/**
 * A new series entry. Every field a consumer may set later exists from the start (one object
 * shape for every entry: no out-of-object property storage per series).
 *
 * Memory contract: an entry starts with its label array (the scrape that made it and the
 * consumers of that scrape's unit read it) and, once {@link compactSeriesEntry} has run, keeps
 * only its key — one flat string — and rebuilds `labels` from it on each read: one object in
 * place of the array, a `{name, value}` object and a value string per label, which a full GC
 * walked for every cached series (docs/performance.md). Until then the key is built only when something asks for
 * it, as one flat string (a key built by `+=` would keep a tree of partial strings alive).
 */
export function createSeriesEntry(labels: Labels): SeriesEntry {
  // An exact-length copy: label sets are built by push, which leaves room for 17 or more
  // elements (≈ 120 bytes per series while the array lives, docs/performance.md).
  return new CachedSeriesEntry(labels.slice());
}

/**
 * Drops the entry's label array, keeping its key (see {@link createSeriesEntry}). Idempotent;
 * entries not made by `createSeriesEntry` are left as they are.
 */
export function compactSeriesEntry(entry: SeriesEntry): void {
  if (entry instanceof CachedSeriesEntry) entry.compact();
}

class CachedSeriesEntry implements SeriesEntry {
  encoded: Uint8Array | Uint32Array | undefined = undefined;
  encodedBy: object | undefined = undefined;
  trackedIn: number | undefined = undefined;
  private labelSet: Labels | undefined;
  private flatKey: string | undefined = undefined;
  constructor(labels: Labels) {
    this.labelSet = labels;
  }
  get labels(): Labels {
    return this.labelSet ?? labelsFromKey(this.flatKey as string);
  }
  get key(): string {
    if (this.flatKey === undefined) this.flatKey = labelsKey(this.labelSet as Labels);
    return this.flatKey;
  }
  compact(): void {
    if (this.labelSet === undefined) return;
    if (this.flatKey === undefined) this.flatKey = labelsKey(this.labelSet);
    this.labelSet = undefined;
  }
}

/**
 * An exemplar as remote write sends it. Unlike the parser's exemplar (`timestampMs` undefined
 * when absent), a missing timestamp is 0, the proto3 default.
 */
export interface Exemplar {
  readonly labels: Labels;
  readonly value: number;
  /** ms since epoch; 0 = none. */
  readonly timestampMs: number;
}

/** An exemplar together with the series it belongs to. */
export interface BatchExemplar {
  readonly series: SeriesRef;
  readonly exemplar: Exemplar;
}

/**
 * The columns above, growable: growth doubles the typed arrays, so a scrape of N series
 * allocates a handful of arrays, not N objects; `clear()` keeps the capacity, so one batch can
 * be refilled scrape after scrape without allocating. Exemplars ride along (sent only where the
 * remote write has `send_exemplars`).
 *
 * `E` is what the producer puts in `entries`: the scraper's {@link SeriesEntry} by default;
 * producers without a staleness key (tests, benchmarks, replay) use `SampleBatch<SeriesRef>`.
 * Consumers read entries as {@link SeriesRef} only.
 */
export class SampleBatch<E extends SeriesRef = SeriesEntry> {
  entries: E[] = [];
  values: Float64Array;
  timestamps: Float64Array;
  stale: Uint8Array;
  /** Native histogram rows (see the columns above); empty for most units. */
  readonly histograms = new Map<number, NativeHistogram>();
  startTimestamps: Float64Array | undefined = undefined;
  exemplars: BatchExemplar[] = [];
  /**
   * The target's metadata (see {@link MetadataSource}), set by the scrape; undefined for units
   * without one (end-of-run markers, hand-built units). Kept by `clear()`: it is the target's.
   */
  metadata: MetadataSource | undefined = undefined;
  length = 0;

  constructor(capacity = 256) {
    const cap = Math.max(1, capacity);
    this.values = new Float64Array(cap);
    this.timestamps = new Float64Array(cap);
    this.stale = new Uint8Array(cap);
  }

  /**
   * Appends a sample, or a stale marker for `entry` when `stale` (then `value` is ignored).
   * `startTimestampMs`: the series' start (created) timestamp, 0 = none.
   */
  push(entry: E, value: number, timestampMs: number, stale = false, startTimestampMs = 0): void {
    if (this.length === this.values.length) this.grow();
    const i = this.length++;
    this.entries[i] = entry;
    this.values[i] = value;
    this.timestamps[i] = timestampMs;
    this.stale[i] = stale ? 1 : 0;
    if (this.startTimestamps !== undefined) this.startTimestamps[i] = startTimestampMs;
    else if (startTimestampMs !== 0) {
      this.startTimestamps = new Float64Array(this.values.length);
      this.startTimestamps[i] = startTimestampMs;
    }
  }

  /** Appends a native histogram sample (the row's value slot holds NaN). */
  pushHistogram(
    entry: E,
    histogram: NativeHistogram,
    timestampMs: number,
    startTimestampMs = 0,
  ): void {
    this.push(entry, Number.NaN, timestampMs, false, startTimestampMs);
    this.histograms.set(this.length - 1, histogram);
  }

  addExemplar(series: E, exemplar: Exemplar): void {
    this.exemplars.push({ series, exemplar });
  }

  /** Drops every sample and exemplar (the rollback of §6.2); keeps the capacity. */
  clear(): void {
    this.entries.length = 0;
    this.exemplars.length = 0;
    this.histograms.clear();
    this.startTimestamps = undefined;
    this.length = 0;
  }

  private grow(): void {
    const cap = this.values.length * 2;
    const values = new Float64Array(cap);
    values.set(this.values);
    const timestamps = new Float64Array(cap);
    timestamps.set(this.timestamps);
    const stale = new Uint8Array(cap);
    stale.set(this.stale);
    this.values = values;
    this.timestamps = timestamps;
    this.stale = stale;
    if (this.startTimestamps !== undefined) {
      const starts = new Float64Array(cap);
      starts.set(this.startTimestamps);
      this.startTimestamps = starts;
    }
  }
}
