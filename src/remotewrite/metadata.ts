/**
 * Metadata as remote write sends it (§5.4, §11): what a unit's {@link MetadataSource} knows,
 * turned into the family of one series (2.0, per series) or into 1.0 `MetricMetadata` entries.
 */

import type { FamilyMetadataView, MetadataSource } from '../scrape/batch.js';
import { METRIC_TYPE, type MetricMetadata } from './encode.js';

/** The suffixes a series of each family type may add to the family name. */
const SUFFIXES: Readonly<Record<string, readonly string[]>> = {
  counter: ['_total'],
  histogram: ['_bucket', '_sum', '_count'],
  gaugehistogram: ['_bucket', '_gsum', '_gcount'],
  summary: ['_sum', '_count'],
  info: ['_info'],
};
const ALL_SUFFIXES = ['_total', '_bucket', '_sum', '_count', '_gsum', '_gcount', '_info'];

/**
 * The metadata of the family the series named `metricName` belongs to, or undefined. A family
 * of that very name wins (the text format's `# TYPE foo_total counter`, a gauge named
 * `foo_count`); else the name less one suffix its type allows (`foo_total` of counter `foo`,
 * `foo_bucket` of histogram `foo`), the rule Prometheus applies before it attaches metadata to
 * a series (scrape.go `isSeriesPartOfFamily`). `_created` series get none, as in Prometheus.
 */
export function seriesMetadata(
  metricName: string,
  source: MetadataSource,
): FamilyMetadataView | undefined {
  const direct = source.get(metricName);
  if (direct !== undefined) return direct;
  for (const suffix of ALL_SUFFIXES) {
    if (!metricName.endsWith(suffix)) continue;
    const m = source.get(metricName.slice(0, -suffix.length));
    if (m !== undefined && SUFFIXES[m.type]?.includes(suffix) === true) return m;
  }
  return undefined;
}

/** The 1.0 `MetricMetadata` entries of a source, one per family (§11.2). */
export function metricMetadataList(source: MetadataSource): MetricMetadata[] {
  const out: MetricMetadata[] = [];
  source.forEach((m, family) => {
    out.push({ type: m.type, metricFamilyName: family, help: m.help, unit: m.unit });
  });
  return out;
}

/** The `Metadata.MetricType` number of a type (the same numbers in 1.0 and 2.0). */
export function metricTypeNumber(type: FamilyMetadataView['type']): number {
  return METRIC_TYPE[type];
}
