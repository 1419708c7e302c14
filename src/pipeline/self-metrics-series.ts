/**
 * The remote-write side of the self-metrics (`self-metrics.ts`): series with stable
 * {@link SeriesRef}s and their current values, rendered as one {@link SampleUnit}.
 *
 * Contract: a series is created at 0 on first use and kept for the life of the registry, in
 * creation order; its `SeriesRef` never changes, so a `RemoteWriter` encodes its labels once
 * (WeakMap keyed by the ref). Every series carries the common labels
 * given to the constructor; labels are sorted as `Labels` require.
 */
import { labelsFromRecord } from '../model/labels.js';
import type { SampleUnit, SeriesRef } from '../remotewrite/batch.js';
import { SampleBatch } from '../remotewrite/batch.js';

/** One series: its sample is `value / divisor` (a sum of ms kept in ms avoids float drift). */
export interface SeriesCell {
  readonly ref: SeriesRef;
  value: number;
  readonly divisor: number;
}

/** A classic histogram whose `_bucket` series hold cumulative counts. */
export interface HistogramCells {
  /** Records one observation; `scaled` is in the histogram's unit × `divisor`. */
  observe(scaled: number): void;
}

export class SelfSeries {
  private readonly cells = new Map<string, SeriesCell>();
  private lastUnitMs = Number.NEGATIVE_INFINITY;

  constructor(private readonly common: Readonly<Record<string, string>>) {}

  get size(): number {
    return this.cells.size;
  }

  /** The series `name{labels}` plus the common labels, created at 0 on first use. */
  cell(name: string, labels: Readonly<Record<string, string>> = {}, divisor = 1): SeriesCell {
    let key = name;
    for (const [k, v] of Object.entries(labels)) key += `\u0000${k}=${v}`;
    let cell = this.cells.get(key);
    if (cell === undefined) {
      const all = labelsFromRecord({ ...labels, ...this.common, __name__: name });
      cell = { ref: { labels: all }, value: 0, divisor };
      this.cells.set(key, cell);
    }
    return cell;
  }

  /**
   * `name_bucket{le}` for each bound and `+Inf`, `name_sum`, `name_count`. An observation
   * increments every bucket whose bound it is at or under, so buckets are cumulative and `+Inf`
   * equals `_count` by construction. Bounds are in the histogram's unit; observations come
   * multiplied by `divisor` (e.g. ms for a seconds histogram with divisor 1000).
   */
  histogram(
    name: string,
    bounds: readonly number[],
    divisor = 1,
    labels: Readonly<Record<string, string>> = {},
  ): HistogramCells {
    const buckets = bounds.map((le) => this.cell(`${name}_bucket`, { ...labels, le: String(le) }));
    const inf = this.cell(`${name}_bucket`, { ...labels, le: '+Inf' });
    const sum = this.cell(`${name}_sum`, labels, divisor);
    const count = this.cell(`${name}_count`, labels);
    return {
      observe(scaled: number): void {
        const v = scaled / divisor;
        for (let i = 0; i < buckets.length; i++) if (v <= bounds[i]!) buckets[i]!.value++;
        inf.value++;
        sum.value += scaled;
        count.value++;
      },
    };
  }

  /**
   * Every series with its current value, stamped `nowMs` (whole ms; never earlier than the
   * previous unit's stamp + 1, so a receiver never sees a sample out of order), as a new unit
   * owned by the caller; undefined when there is no series.
   */
  unit(nowMs: number): SampleUnit | undefined {
    if (this.cells.size === 0) return undefined;
    const ts = Math.max(Math.floor(nowMs), this.lastUnitMs + 1);
    this.lastUnitMs = ts;
    const unit = new SampleBatch(this.cells.size);
    for (const cell of this.cells.values()) unit.push(cell.ref, cell.value / cell.divisor, ts);
    return unit;
  }
}
