/**
 * What remote write reads of a unit of samples. The unit itself, its columns and the per-series
 * cache contract are defined once, with the scraper that produces it: `src/scrape/batch.ts`.
 */

import type { NativeHistogram } from '../model/histogram.js';
import {
  SampleBatch as Batch,
  type BatchExemplar,
  type MetadataSource,
  type SeriesRef,
} from '../scrape/batch.js';

export type {
  BatchExemplar,
  Exemplar,
  FamilyMetadataView,
  MetadataSource,
  SeriesRef,
} from '../scrape/batch.js';

/**
 * The one batch class of `src/scrape/batch.ts`, seen with entries that need no staleness key
 * (`SampleBatch<SeriesRef>`): the form remote-write callers outside the scraper fill.
 */
export type SampleBatch = Batch<SeriesRef>;
export const SampleBatch: new (capacity?: number) => SampleBatch = Batch;

/**
 * What `RemoteWriter.write` reads (synchronously, during the call): the columns of one scrape of
 * one target, as `src/scrape/batch.ts` describes them. Structural, so a {@link SampleBatch}
 * (or any object of the same shape) is accepted as is.
 */
export interface SampleUnit {
  readonly length: number;
  readonly entries: ArrayLike<SeriesRef>;
  readonly values: Float64Array;
  readonly timestamps: Float64Array;
  readonly stale: Uint8Array;
  /**
   * Native histogram rows by row index (the contract is `SampleBatch.histograms`'s): the row's
   * value slot is ignored. Absent or empty: every row is a float sample.
   */
  readonly histograms?: ReadonlyMap<number, NativeHistogram>;
  /** Sent only when the remote write has `send_exemplars`. */
  readonly exemplars?: readonly BatchExemplar[];
  /**
   * The target's metric families (the contract is {@link MetadataSource}'s): 2.0 attaches each
   * series' family metadata to its TimeSeries, 1.0 sends them as `MetricMetadata` requests
   * (`metadata_config`). Absent: no metadata is sent.
   */
  readonly metadata?: MetadataSource | undefined;
  /**
   * Start (created) timestamps in ms by row, 0 = none: sent as 2.0 `Sample.start_timestamp`
   * and 2.0 `Histogram.start_timestamp` (1.0 has no field for them).
   */
  readonly startTimestamps?: Float64Array | undefined;
}
