/**
 * The CloudWatch Embedded Metric Format (EMF) side of the self-metrics (`self-metrics.ts`): what
 * one log line carries and how it is rendered. CloudWatch Logs turns the line into metrics
 * with no API call (no PutMetricData request, no CloudWatch permission, no added latency).
 *
 * Contract (the CDK dashboard reads these names; they are defined in `src/contract.ts`):
 * - Namespace {@link EMF_NAMESPACE}, one dimension set `[["Deployment"]]`.
 * - Metric names, units and kinds: {@link EMF_METRICS}. A `sum` is the total observed since
 *   the previous line, a `gauge` the last value observed since then, `values` one number per
 *   observation (CloudWatch keeps them as a distribution: percentiles, min, max, average).
 * - A line carries only the metrics observed since the previous line (an observation of 0
 *   counts: it becomes a 0 datapoint, which alarms tell apart from missing data), and there is
 *   no line when nothing was observed.
 *
 * Value arrays: the EMF specification allows at most 100 numbers per metric
 * ({@link EMF_MAX_VALUES}). Up to 100 observations are sent as they are. Beyond that the line
 * carries 100 evenly spaced order statistics of them (the minimum and maximum included), so
 * percentiles, min, max and average stay right to about 1% but CloudWatch's SampleCount is 100:
 * count with the `sum` metrics (`Scrapes`), not with SampleCount. The object form with
 * `Values`/`Counts` is PutMetricData's, not in the EMF specification, so it is not used.
 * Between lines at most {@link MAX_KEPT_VALUES} observations are kept per metric (a uniform
 * reservoir sample beyond that; min and max stay exact).
 */

import {
  EMF_DIMENSION,
  EMF_METRIC_NAMES,
  EMF_METRICS,
  EMF_NAMESPACE,
  type EmfKind,
  type EmfMetricName,
  type EmfUnit,
} from '../contract.js';

/** Most numbers in one EMF metric value array (EMF specification, "Target members"). */
export const EMF_MAX_VALUES = 100;
/** Most observations a `values` metric keeps between two lines. */
export const MAX_KEPT_VALUES = 10_000;

/** Members of the line besides `_aws` and the metric values. */
export interface EmfProperties {
  /** The dimension value (`Deployment`). */
  readonly deployment: string;
  /** Written as plain members, not dimensions: searchable in Logs Insights, no metric cost. */
  readonly function: string;
  readonly instance: string;
}

/**
 * Observations of one metric kept between two lines: all of them up to
 * {@link MAX_KEPT_VALUES}, a uniform reservoir sample (algorithm R) beyond; exact min and max.
 */
class ValueSample {
  readonly kept: number[] = [];
  seen = 0;
  min = Number.POSITIVE_INFINITY;
  max = Number.NEGATIVE_INFINITY;

  constructor(private readonly random: () => number) {}

  add(v: number): void {
    this.seen++;
    if (v < this.min) this.min = v;
    if (v > this.max) this.max = v;
    if (this.kept.length < MAX_KEPT_VALUES) {
      this.kept.push(v);
      return;
    }
    const j = Math.floor(this.random() * this.seen);
    if (j < MAX_KEPT_VALUES) this.kept[j] = v;
  }

  /** At most {@link EMF_MAX_VALUES} numbers standing for the observations (file comment). */
  values(): number[] {
    if (this.seen <= EMF_MAX_VALUES) return [...this.kept];
    const sorted = [...this.kept].sort((a, b) => a - b);
    const out: number[] = [];
    const last = sorted.length - 1;
    for (let i = 0; i < EMF_MAX_VALUES; i++) {
      out.push(sorted[Math.round((i * last) / (EMF_MAX_VALUES - 1))]!);
    }
    out[0] = this.min;
    out[EMF_MAX_VALUES - 1] = this.max;
    return out;
  }
}

/**
 * What the next EMF line will carry: per metric, what was observed since the last line.
 * `record` never throws; a non-finite value is ignored, a negative one counts as 0 for `sum`.
 */
export class EmfAccumulator {
  private readonly numbers = new Map<EmfMetricName, number>();
  private readonly samples = new Map<EmfMetricName, ValueSample>();

  /** @param random source of the reservoir sample (tests pass a fixed one). */
  constructor(private readonly random: () => number = Math.random) {}

  /** Adds to a `sum`, sets a `gauge`, appends to `values` (by the metric's kind). */
  record(name: EmfMetricName, value: number): void {
    if (!Number.isFinite(value)) return;
    const kind: EmfKind = EMF_METRICS[name].kind;
    if (kind === 'sum') {
      this.numbers.set(name, (this.numbers.get(name) ?? 0) + Math.max(0, value));
    } else if (kind === 'gauge') {
      this.numbers.set(name, value);
    } else {
      let sample = this.samples.get(name);
      if (sample === undefined) {
        sample = new ValueSample(this.random);
        this.samples.set(name, sample);
      }
      sample.add(value);
    }
  }

  /** True when nothing was recorded since the last {@link take}. */
  get empty(): boolean {
    return this.numbers.size === 0 && this.samples.size === 0;
  }

  /**
   * The line (one JSON object, no trailing newline) of everything recorded since the last
   * call, stamped `timestampMs`; then starts afresh. Undefined when nothing was recorded.
   */
  take(timestampMs: number, properties: EmfProperties): string | undefined {
    if (this.empty) return undefined;
    const metrics: { Name: EmfMetricName; Unit: EmfUnit }[] = [];
    const values: Record<string, number | number[]> = {};
    for (const name of EMF_METRIC_NAMES) {
      const n = this.numbers.get(name);
      const s = this.samples.get(name);
      if (n !== undefined) values[name] = n;
      else if (s !== undefined) values[name] = s.values();
      else continue;
      metrics.push({ Name: name, Unit: EMF_METRICS[name].unit });
    }
    this.numbers.clear();
    this.samples.clear();
    return JSON.stringify({
      _aws: {
        Timestamp: Math.floor(timestampMs),
        CloudWatchMetrics: [
          { Namespace: EMF_NAMESPACE, Dimensions: [[EMF_DIMENSION]], Metrics: metrics },
        ],
      },
      [EMF_DIMENSION]: properties.deployment,
      Function: properties.function,
      Instance: properties.instance,
      ...values,
    });
  }
}
