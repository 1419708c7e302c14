/** Series for the remote-write tests, written as label records. */
import type { Labels } from '../../src/model/labels.js';
import type { SeriesRef } from '../../src/scrape/batch.js';

/** The labels of `rec`, sorted by name; empty values are kept. */
export const L = (rec: Record<string, string>): Labels =>
  Object.keys(rec)
    .sort()
    .map((name) => ({ name, value: rec[name]! }));

/** A series of the labels of `rec`. */
export const ref = (rec: Record<string, string>): SeriesRef => ({ labels: L(rec) });
