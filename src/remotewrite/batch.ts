/**
 * The columnar unit remote write consumes: the samples of one scrape of one target (never mixed
 * with another scrape's samples, see `writer.ts`).
 *
 * {@link SampleUnit} is the structural contract the writer reads, so the scraper's own batch
 * (`src/scrape/batch.ts`, same shape) is accepted as is; {@link SampleBatch} is a ready-made
 * implementation for other producers (local runner, tests, benchmarks).
 *
 * Columns, indexed by sample row `i < length`:
 * - `entries[i]`: the series, `labels` being its final labels (after honor_labels and
 *   metric_relabel_configs, §6; sorted, no empty values). Pass the SAME entry (and `labels`
 *   object) for a series on every scrape (the scrape cache's entry, §6.4): remote writers cache
 *   their transformed, encoded labels per series, in the entry's `encoded` slot (one writer) or a
 *   WeakMap keyed by `labels` (any number of writers), so a repeated series costs one lookup and
 *   the cache lives exactly as long as the scraper's entry.
 * - `values`: Float64Array. Any NaN is sent as Prometheus's NaN (§8.1).
 * - `timestamps`: Float64Array of integer ms since epoch (|t| ≤ 2^53).
 * - `stale`: Uint8Array, 1 = stale marker (the value slot is ignored). Staleness is a flag,
 *   never a NaN payload: V8 may rewrite NaN payloads held in ordinary number arrays, so the exact
 *   marker bits are produced only by the encoder.
 */

import type { Labels } from '../model/labels.js';
import type { Exemplar } from './encode.js';

/** A series as the scraper keeps it (its scrape-cache entry, reused from scrape to scrape). */
export interface SeriesRef {
  readonly labels: Labels;
  /**
   * Cache slot owned by the ONE remote writer created with `cacheInSeries` (§6.4): its encoded
   * labels for this series; zero bytes = dropped by write relabeling. Start undefined; the
   * writer fills it. Writers without `cacheInSeries` use a WeakMap keyed by `labels` instead.
   */
  encoded?: Uint8Array;
}

/** An exemplar together with the series it belongs to. */
export interface BatchExemplar {
  readonly series: SeriesRef;
  readonly exemplar: Exemplar;
}

/** What `RemoteWriter.write` reads (synchronously, during the call). */
export interface SampleUnit {
  readonly length: number;
  readonly entries: ArrayLike<SeriesRef>;
  readonly values: Float64Array;
  readonly timestamps: Float64Array;
  readonly stale: Uint8Array;
  /** Sent only when the remote write has `send_exemplars`. */
  readonly exemplars?: readonly BatchExemplar[];
}

/**
 * A growable {@link SampleUnit}. Growth doubles the typed arrays; `clear()` keeps the capacity,
 * so one batch can be refilled scrape after scrape without allocating.
 */
export class SampleBatch implements SampleUnit {
  length = 0;
  entries: SeriesRef[] = [];
  values: Float64Array;
  timestamps: Float64Array;
  stale: Uint8Array;
  exemplars: BatchExemplar[] = [];

  constructor(initialCapacity = 256) {
    const cap = Math.max(1, initialCapacity);
    this.values = new Float64Array(cap);
    this.timestamps = new Float64Array(cap);
    this.stale = new Uint8Array(cap);
  }

  /** Appends a sample, or a stale marker for `entry` when `stale` (then `value` is ignored). */
  push(entry: SeriesRef, value: number, timestampMs: number, stale = false): void {
    if (this.length === this.values.length) this.grow();
    const i = this.length++;
    this.entries[i] = entry;
    this.values[i] = value;
    this.timestamps[i] = timestampMs;
    this.stale[i] = stale ? 1 : 0;
  }

  addExemplar(series: SeriesRef, exemplar: Exemplar): void {
    this.exemplars.push({ series, exemplar });
  }

  /** Empties the batch, keeping its capacity; drops the references it held. */
  clear(): void {
    this.entries.length = 0;
    this.exemplars.length = 0;
    this.length = 0;
  }

  private grow(): void {
    const cap = this.values.length * 2;
    const values = new Float64Array(cap);
    values.set(this.values);
    this.values = values;
    const timestamps = new Float64Array(cap);
    timestamps.set(this.timestamps);
    this.timestamps = timestamps;
    const stale = new Uint8Array(cap);
    stale.set(this.stale);
    this.stale = stale;
  }
}
