/**
 * What remote write reads of a unit of samples. The unit itself, its columns and the per-series
 * cache contract are defined once, with the scraper that produces it: `src/scrape/batch.ts`.
 */

import { SampleBatch as Batch, type BatchExemplar, type SeriesRef } from '../scrape/batch.js';

export type { BatchExemplar, Exemplar, SeriesRef } from '../scrape/batch.js';

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
  /** Sent only when the remote write has `send_exemplars`. */
  readonly exemplars?: readonly BatchExemplar[];
}
