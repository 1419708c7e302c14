import { type Labels, labelsKey } from '../model/labels.js';
import { ExpositionParseError } from './errors.js';
import { parseGoFloat } from './float.js';
import { EntryKind, type ExpositionParser, type MetricType } from './types.js';

/*
 * The OpenMetrics 1.0 rules that need more than one line to check (§5.2; the conformance suite
 * in conformance/openmetrics lists them): metric families are contiguous and declared once,
 * metadata precedes samples, names do not clash across families, label groups are contiguous
 * with non-decreasing timestamps, counter-like values are neither negative nor NaN, histogram
 * buckets are ordered and complete with a consistent count, info/stateset values are 1 / 0|1,
 * exemplars only on counter `_total` and bucket samples with at most 128 label characters, and
 * label lists have no trailing comma or repeated name.
 *
 * Prometheus checks none of these (except the UNIT suffix, which the parser does in every
 * mode), so the validator runs only in strict mode. README.md says which conformance cases the
 * lenient default therefore accepts.
 */

/**
 * What the validator reads of the entry the OpenMetrics parser is on: the parser contract's
 * accessors and three of `OpenMetricsParser`'s own (declared here so the two modules do not
 * import each other).
 */
export type OpenMetricsEntryView = Pick<
  ExpositionParser,
  | 'metricFamily'
  | 'metricName'
  | 'metricType'
  | 'help'
  | 'unit'
  | 'value'
  | 'exemplar'
  | 'lineNumber'
> & {
  timestampSeconds(): number | undefined;
  rawLabels(): Labels;
  hadTrailingComma(): boolean;
};

/** Sample-name suffixes each declared type allows (a family without TYPE allows its name only). */
const TYPE_SUFFIXES: Partial<Record<MetricType, readonly string[]>> = {
  counter: ['_total', '_created'],
  summary: ['', '_count', '_sum', '_created'],
  histogram: ['_count', '_sum', '_bucket', '_created'],
  gaugehistogram: ['_gcount', '_gsum', '_bucket'],
  info: ['_info'],
};

const COUNTER_LIKE = new Set(['_total', '_sum', '_count', '_bucket', '_gcount', '_gsum']);
const NON_NEGATIVE = new Set(['_total', '_sum', '_count', '_bucket', '_gcount']);

/** Exemplar label names and values together, in Unicode code points (OpenMetrics 1.0). */
export const EXEMPLAR_MAX_LABEL_CHARS = 128;

interface HistogramSample {
  readonly suffix: string;
  readonly group: string;
  readonly ts: number | undefined;
  readonly value: number;
  /** `le` as a number for `_bucket` samples. */
  readonly le: number;
}

class Family {
  type: MetricType | undefined;
  unit: string | undefined;
  help: string | undefined;
  samples = 0;
  allowed: readonly string[];
  group: string | undefined;
  groupTs: number | undefined;
  readonly seenGroups = new Set<string>();
  /** Series seen in the current group at the current timestamp (duplicates are skipped). */
  readonly groupSeries = new Set<string>();
  readonly histogram: HistogramSample[] = [];

  constructor(
    readonly name: string,
    type: MetricType | undefined,
  ) {
    this.type = type;
    this.allowed = [name];
  }
}

export class OpenMetricsStrictValidator {
  private family: Family | undefined;
  private readonly seenNames = new Set<string>();
  private finished = false;
  private line = 0;

  /** Checks the entry the parser has just produced; throws {@link ExpositionParseError}. */
  observe(p: OpenMetricsEntryView, kind: EntryKind): void {
    this.line = p.lineNumber();
    switch (kind) {
      case EntryKind.EOF:
        if (!this.finished) {
          this.finished = true;
          this.finishFamily();
        }
        return;
      case EntryKind.Help:
      case EntryKind.Type:
      case EntryKind.Unit:
        this.metadata(p, kind);
        return;
      case EntryKind.Series:
        this.sample(p);
        return;
    }
  }

  private fail(detail: string): ExpositionParseError {
    return new ExpositionParseError(`${detail} (OpenMetrics strict)`, this.line);
  }

  private metadata(p: OpenMetricsEntryView, kind: EntryKind): void {
    const name = p.metricFamily();
    let fam = this.family;
    if (fam !== undefined && fam.name === name && fam.samples > 0) {
      throw this.fail(`metadata for ${JSON.stringify(name)} after its samples`);
    }
    if (fam === undefined || fam.name !== name) {
      this.finishFamily();
      fam = new Family(name, undefined);
      this.family = fam;
    }
    if (kind === EntryKind.Help) {
      if (fam.help !== undefined) throw this.fail(`more than one HELP for ${JSON.stringify(name)}`);
      fam.help = p.help();
    } else if (kind === EntryKind.Type) {
      if (fam.type !== undefined) throw this.fail(`more than one TYPE for ${JSON.stringify(name)}`);
      const type = p.metricType();
      fam.type = type;
      fam.allowed = (TYPE_SUFFIXES[type] ?? ['']).map((suffix) => name + suffix);
    } else {
      if (fam.unit !== undefined) throw this.fail(`more than one UNIT for ${JSON.stringify(name)}`);
      fam.unit = p.unit();
    }
  }

  private sample(p: OpenMetricsEntryView): void {
    const name = p.metricName();
    let fam = this.family;
    if (fam === undefined || !fam.allowed.includes(name)) {
      this.finishFamily();
      fam = new Family(name, 'unknown');
      this.family = fam;
    }
    if (p.hadTrailingComma()) throw this.fail('trailing comma in label set');
    const labels = p.rawLabels();
    for (let i = 1; i < labels.length; i++) {
      if (labels[i]!.name === labels[i - 1]!.name) {
        throw this.fail(`label name ${JSON.stringify(labels[i]!.name)} is not unique`);
      }
    }
    const value = p.value();
    const ts = p.timestampSeconds();
    const type = fam.type;
    const family = fam.name;

    if (type === 'stateset' && !hasLabel(labels, family)) {
      throw this.fail(`stateset sample without a ${JSON.stringify(family)} label`);
    }
    let le = Number.NaN;
    if (name === `${family}_bucket`) {
      le = canonicalBound(getLabel(labels, 'le'));
      if (Number.isNaN(le)) throw this.fail('invalid or missing le label');
      if (!Number.isInteger(value)) throw this.fail('bucket value must be an integer');
    }
    if ((name === `${family}_count` || name === `${family}_gcount`) && !Number.isInteger(value)) {
      throw this.fail('count value must be an integer');
    }
    if (type === 'summary' && name === family) {
      const q = canonicalBound(getLabel(labels, 'quantile'));
      if (!(q >= 0 && q <= 1)) throw this.fail('invalid or missing quantile label');
    }

    // Grouping: a label group (labels minus le/quantile/state) is contiguous, and within it
    // timestamps are all present or all absent and never go backwards.
    const group = groupKey(fam, name, labels);
    if (fam.group !== undefined && group !== fam.group && fam.seenGroups.has(group)) {
      throw this.fail('invalid metric grouping: label group seen before');
    }
    if (fam.group !== undefined && group === fam.group) {
      if ((ts === undefined) !== (fam.groupTs === undefined)) {
        throw this.fail('mix of samples with and without timestamp within a group');
      }
      if (ts !== undefined && fam.groupTs !== undefined && fam.groupTs > ts && type !== 'info') {
        throw this.fail('timestamps went backwards within a group');
      }
    } else {
      fam.groupSeries.clear();
    }
    const seriesId = name + labelsKey(labels);
    const duplicate = ts === fam.groupTs && fam.groupSeries.has(seriesId);
    if (!duplicate && (type === 'histogram' || type === 'gaugehistogram')) {
      const suffix = name.slice(family.length);
      const bucketGroup = suffix === '_bucket' ? groupWithout(labels, 'le') : labelGroup(labels);
      fam.histogram.push({ suffix, group: bucketGroup, ts, value, le });
    }
    fam.groupSeries.add(seriesId);
    fam.group = group;
    fam.groupTs = ts;
    fam.seenGroups.add(group);

    if (type === 'stateset' && value !== 0 && value !== 1) {
      throw this.fail('stateset values must be 0 or 1');
    }
    if (type === 'info' && value !== 1) throw this.fail('info values must be 1');
    if (type === 'summary' && name === family && value < 0) {
      throw this.fail('quantile values cannot be negative');
    }
    const suffix = name.slice(family.length);
    if (COUNTER_LIKE.has(suffix) && Number.isNaN(value)) {
      throw this.fail('counter-like samples cannot be NaN');
    }
    if (NON_NEGATIVE.has(suffix) && value < 0) {
      throw this.fail('counter-like samples cannot be negative');
    }

    const exemplar = p.exemplar();
    if (exemplar !== undefined) {
      const allowed =
        ((type === 'histogram' || type === 'gaugehistogram') && name.endsWith('_bucket')) ||
        (type === 'counter' && name.endsWith('_total'));
      if (!allowed) throw this.fail('exemplars are only allowed on counter totals and buckets');
      let chars = 0;
      for (const l of exemplar.labels) chars += codePoints(l.name) + codePoints(l.value);
      if (chars > EXEMPLAR_MAX_LABEL_CHARS) {
        throw this.fail(`exemplar labels longer than ${EXEMPLAR_MAX_LABEL_CHARS} characters`);
      }
    }
    fam.samples++;
  }

  private finishFamily(): void {
    const fam = this.family;
    if (fam === undefined) return;
    this.family = undefined;
    const type = fam.type ?? 'unknown';
    const suffixes = new Set([...(TYPE_SUFFIXES[type] ?? []), '']);
    for (const suffix of suffixes) {
      const n = fam.name + suffix;
      if (this.seenNames.has(n)) throw this.fail(`clashing name ${JSON.stringify(n)}`);
      this.seenNames.add(n);
    }
    if (fam.unit !== undefined && fam.unit !== '') {
      if (!fam.name.endsWith(`_${fam.unit}`)) throw this.fail('unit does not match metric name');
      if (type === 'info' || type === 'stateset') {
        throw this.fail(`a ${type} cannot have a unit`);
      }
    }
    if (type === 'histogram' || type === 'gaugehistogram') this.checkHistogram(fam.histogram);
  }

  /** Per label group and timestamp: ordered buckets ending in +Inf, count/sum consistency. */
  private checkHistogram(samples: readonly HistogramSample[]): void {
    let started = false;
    let group = '';
    let ts: number | undefined;
    let count: number | undefined;
    let bucket: number | undefined;
    let last = 0;
    let negativeBuckets = false;
    let hasSum = false;
    let hasGsum = false;
    let negativeGsum = false;
    const check = (): void => {
      if (bucket !== Number.POSITIVE_INFINITY) throw this.fail('histogram without +Inf bucket');
      if (count !== undefined && last !== count) {
        throw this.fail('histogram count does not match the +Inf bucket');
      }
      if (hasSum && count === undefined) throw this.fail('histogram _sum without _count');
      if (hasGsum && count === undefined) throw this.fail('gauge histogram _gsum without _gcount');
      if (!(hasSum || hasGsum) && count !== undefined) {
        throw this.fail('histogram count without sum');
      }
      if (negativeBuckets && hasSum) throw this.fail('histogram with negative buckets has _sum');
      if (!negativeBuckets && negativeGsum) {
        throw this.fail('negative _gsum with non-negative buckets');
      }
    };
    for (const s of samples) {
      if (s.suffix === '') continue;
      if (!started || s.group !== group || s.ts !== ts) {
        if (started) check();
        count = undefined;
        bucket = undefined;
        last = 0;
        negativeBuckets = false;
        hasSum = false;
        hasGsum = false;
        negativeGsum = false;
      }
      started = true;
      group = s.group;
      ts = s.ts;
      if (s.suffix === '_bucket') {
        if (s.le < 0) negativeBuckets = true;
        if (bucket !== undefined && s.le <= bucket)
          throw this.fail('histogram buckets out of order');
        if (s.value < last) throw this.fail('histogram bucket values decrease');
        bucket = s.le;
        last = s.value;
      } else if (s.suffix === '_count' || s.suffix === '_gcount') {
        count = s.value;
      } else if (s.suffix === '_sum') {
        hasSum = true;
      } else if (s.suffix === '_gsum') {
        hasGsum = true;
        if (s.value < 0) negativeGsum = true;
      }
    }
    if (started) check();
  }
}

/** A number for `le`/`quantile`: NaN when missing, not a float, NaN, or +Inf not spelled `+Inf`. */
function canonicalBound(text: string | undefined): number {
  if (text === undefined) return Number.NaN;
  const f = parseGoFloat(text);
  if (f === undefined) return Number.NaN;
  if (f === Number.POSITIVE_INFINITY && text !== '+Inf') return Number.NaN;
  return f;
}

function getLabel(labels: Labels, name: string): string | undefined {
  for (const l of labels) if (l.name === name) return l.value;
  return undefined;
}

function hasLabel(labels: Labels, name: string): boolean {
  return getLabel(labels, name) !== undefined;
}

/** The label group of a sample: its labels minus `__name__` and the per-type exception. */
function groupKey(fam: Family, name: string, labels: Labels): string {
  const type = fam.type;
  if (type === 'info') return '';
  if (type === 'summary' && name === fam.name) return groupWithout(labels, 'quantile');
  if (type === 'stateset') return groupWithout(labels, fam.name);
  if ((type === 'histogram' || type === 'gaugehistogram') && name === `${fam.name}_bucket`) {
    return groupWithout(labels, 'le');
  }
  return labelGroup(labels);
}

function labelGroup(labels: Labels): string {
  return groupWithout(labels, '__name__');
}

function groupWithout(labels: Labels, drop: string): string {
  return labelsKey(labels.filter((l) => l.name !== drop && l.name !== '__name__'));
}

function codePoints(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) n--;
  }
  return n;
}
