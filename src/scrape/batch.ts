import type { Labels } from '../model/labels.js';

/**
 * One series as the scrape produced it. Entries live in the per-target scrape cache and are
 * reused from one scrape to the next, so anything derived from the labels alone (the
 * remote-write encoding of the labels, say) can be stored on the entry once.
 */
export interface SeriesEntry {
  /** Final labels: after honor_labels and metric_relabel_configs, sorted, no empty values. */
  readonly labels: Labels;
  /** `labelsKey(labels)`: the identity used by the staleness state. */
  readonly key: string;
  /** Free slot for a consumer's per-series cache (e.g. pre-encoded remote-write labels). */
  encoded?: Uint8Array;
}

/**
 * The samples of one scrape, columnar so that a scrape of N series allocates a handful of
 * arrays, not N objects. Staleness is a flag, never a NaN payload: a stale marker's value slot
 * holds NaN and `stale[i]` is 1; the encoder writes the StaleNaN bits (§8.1).
 */
export class SampleBatch {
  entries: SeriesEntry[] = [];
  values: Float64Array;
  timestamps: Float64Array;
  stale: Uint8Array;
  length = 0;

  constructor(capacity = 256) {
    this.values = new Float64Array(capacity);
    this.timestamps = new Float64Array(capacity);
    this.stale = new Uint8Array(capacity);
  }

  push(entry: SeriesEntry, value: number, timestampMs: number, stale = false): void {
    if (this.length === this.values.length) this.grow();
    const i = this.length++;
    this.entries[i] = entry;
    this.values[i] = value;
    this.timestamps[i] = timestampMs;
    this.stale[i] = stale ? 1 : 0;
  }

  /** Drops every sample (the rollback of §6.2); keeps the capacity. */
  clear(): void {
    this.entries.length = 0;
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
  }
}
