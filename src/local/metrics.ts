/**
 * A minimal metrics registry for the runner's own `/metrics`, rendered in the Prometheus text
 * format 0.0.4: counters, gauges and histograms with fixed label names, plus gauges computed at
 * scrape time. Series are kept in insertion order; families in registration order.
 */

export type LabelValues = readonly string[];

interface Family {
  readonly name: string;
  readonly help: string;
  readonly type: 'counter' | 'gauge' | 'histogram';
  readonly labelNames: readonly string[];
  render(out: string[]): void;
}

/** Text-format value: integers as such, `NaN`, `+Inf`, `-Inf`, otherwise shortest round trip. */
export function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Number.POSITIVE_INFINITY) return '+Inf';
  if (v === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(v);
}

/** Label value escaping of the text format: backslash, double quote, newline. */
export function escapeMetricLabelValue(v: string): string {
  return v.replace(/[\\"\n]/g, (c) => (c === '\n' ? '\\n' : `\\${c}`));
}

function labelText(names: readonly string[], values: LabelValues, extra?: string): string {
  const parts: string[] = [];
  names.forEach((n, i) => {
    parts.push(`${n}="${escapeMetricLabelValue(values[i] ?? '')}"`);
  });
  if (extra !== undefined) parts.push(extra);
  return parts.length === 0 ? '' : `{${parts.join(',')}}`;
}

function header(f: Family, out: string[]): void {
  out.push(`# HELP ${f.name} ${f.help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`);
  out.push(`# TYPE ${f.name} ${f.type}`);
}

/** One series of a counter or gauge: `name{labels} value`. */
function sampleLine(f: Family, values: LabelValues, v: number): string {
  return `${f.name}${labelText(f.labelNames, values)} ${formatValue(v)}`;
}

/** Series by label values; the key is the values joined by a separator no value contains. */
class SeriesMap<T> {
  private readonly map = new Map<string, { values: LabelValues; data: T }>();
  constructor(
    private readonly arity: number,
    private readonly name: string,
  ) {}

  get(values: LabelValues, create: () => T): T {
    if (values.length !== this.arity) {
      throw new RangeError(
        `${this.name}: expected ${this.arity} label values, got ${values.length}`,
      );
    }
    const key = values.join('\xff');
    let s = this.map.get(key);
    if (s === undefined) {
      s = { values: [...values], data: create() };
      this.map.set(key, s);
    }
    return s.data;
  }

  entries(): IterableIterator<{ values: LabelValues; data: T }> {
    return this.map.values();
  }
}

/** A counter or gauge kept here: one value per series, created at 0 on first use. */
abstract class ValueFamily implements Family {
  abstract readonly type: 'counter' | 'gauge';
  private readonly series: SeriesMap<{ v: number }>;
  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[] = [],
  ) {
    this.series = new SeriesMap(labelNames.length, name);
  }

  /** The series with these label values (throws RangeError on a wrong count of values). */
  protected at(values: LabelValues): { v: number } {
    return this.series.get(values, () => ({ v: 0 }));
  }

  render(out: string[]): void {
    header(this, out);
    for (const { values, data } of this.series.entries()) {
      out.push(sampleLine(this, values, data.v));
    }
  }
}

export class Counter extends ValueFamily {
  readonly type = 'counter' as const;

  /** Adds `by` (≥ 0) to the series with these label values. */
  inc(values: LabelValues = [], by = 1): void {
    this.at(values).v += by;
  }

  /** Creates the series at 0 so it is exported before its first increment. */
  touch(values: LabelValues = []): void {
    this.at(values);
  }

  value(values: LabelValues = []): number {
    return this.at(values).v;
  }
}

export class Gauge extends ValueFamily {
  readonly type = 'gauge' as const;

  set(values: LabelValues, v: number): void {
    this.at(values).v = v;
  }
}

/** A family whose series are read when `/metrics` is rendered, from `collect`. */
abstract class CollectedFamily implements Family {
  abstract readonly type: 'counter' | 'gauge';
  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[],
    private readonly collect: () => Iterable<readonly [LabelValues, number]>,
  ) {}

  render(out: string[]): void {
    header(this, out);
    for (const [values, v] of this.collect()) out.push(sampleLine(this, values, v));
  }
}

/** A gauge whose series are computed when `/metrics` is rendered. */
export class GaugeFunc extends CollectedFamily {
  readonly type = 'gauge' as const;
}

/** A counter whose series are read when `/metrics` is rendered (e.g. a sink's totals). */
export class CounterFunc extends CollectedFamily {
  readonly type = 'counter' as const;
}

export class Histogram implements Family {
  readonly type = 'histogram' as const;
  private readonly series: SeriesMap<{ counts: Float64Array; sum: number; count: number }>;
  /** Upper bounds, ascending, without +Inf. */
  readonly buckets: readonly number[];

  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[],
    buckets: readonly number[],
  ) {
    this.buckets = [...buckets].sort((a, b) => a - b);
    this.series = new SeriesMap(labelNames.length, name);
  }

  observe(values: LabelValues, v: number): void {
    const s = this.series.get(values, () => ({
      counts: new Float64Array(this.buckets.length),
      sum: 0,
      count: 0,
    }));
    for (let i = 0; i < this.buckets.length; i++) if (v <= this.buckets[i]!) s.counts[i]!++;
    s.sum += v;
    s.count++;
  }

  render(out: string[]): void {
    header(this, out);
    for (const { values, data } of this.series.entries()) {
      this.buckets.forEach((le, i) => {
        const labels = labelText(this.labelNames, values, `le="${formatValue(le)}"`);
        out.push(`${this.name}_bucket${labels} ${formatValue(data.counts[i]!)}`);
      });
      out.push(
        `${this.name}_bucket${labelText(this.labelNames, values, 'le="+Inf"')} ${data.count}`,
      );
      out.push(`${this.name}_sum${labelText(this.labelNames, values)} ${formatValue(data.sum)}`);
      out.push(`${this.name}_count${labelText(this.labelNames, values)} ${data.count}`);
    }
  }
}

export class MetricsRegistry {
  private readonly families: Family[] = [];

  /** Registers a family; names must be unique. Returns it for chaining. */
  register<F extends Family>(family: F): F {
    if (this.families.some((f) => f.name === family.name)) {
      throw new RangeError(`metric ${family.name} registered twice`);
    }
    this.families.push(family);
    return family;
  }

  /** All families in the text format 0.0.4, ending with a newline. */
  render(): string {
    const out: string[] = [];
    for (const f of this.families) f.render(out);
    return `${out.join('\n')}\n`;
  }
}

/** Content-Type of {@link MetricsRegistry.render}'s output. */
export const TEXT_FORMAT_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
