import type { Label, Labels } from '../model/labels.js';
import type { DecodedBody } from './decode.js';
import { ExpositionParseError } from './errors.js';
import { parseGoFloat } from './float.js';
import { OpenMetricsStrictValidator } from './openmetrics-strict.js';
import {
  BaseParser,
  ESCAPED,
  isLabelNameStart,
  isMetricNameStart,
  LABEL_SLOTS,
  QUOTED,
  recordLabelRange,
  scanLabelName,
  scanMetricName,
  unescapeLabelValue,
  VALUE_FLAG_SHIFT,
} from './parser-base.js';
import { EntryKind, type Exemplar, type MetricType } from './types.js';

const OM_SUFFIXES: Readonly<Record<MetricType, readonly string[]>> = {
  counter: ['_total', '_created'],
  gauge: [''],
  histogram: ['_bucket', '_count', '_sum', '_created'],
  gaugehistogram: ['_bucket', '_gcount', '_gsum'],
  summary: ['', '_count', '_sum', '_created'],
  info: ['_info'],
  stateset: [''],
  unknown: [''],
};

export interface OpenMetricsParserOptions {
  /** Full OpenMetrics 1.0 validation (family rules), see README.md. Default false. */
  readonly strict: boolean;
  /** Skip `_created` series of counter/summary/histogram families (§5.2). Default false. */
  readonly skipCreatedSeries: boolean;
}

/**
 * OpenMetrics 1.0 text (§5.2). The lexical rules are Prometheus's: single spaces, no blank or
 * comment lines, `# EOF` last, float-second timestamps, at most one exemplar per line. Without
 * `strict` it accepts what Prometheus accepts (Prometheus validates no family-level rule except
 * the UNIT suffix); with `strict` every entry also goes through {@link OpenMetricsStrictValidator}.
 *
 * Start timestamps: {@link startTimestampMs} reproduces Prometheus's look-ahead for the family's
 * `_created` line, with memoisation so that a whole body costs linear time.
 */
export class OpenMetricsParser extends BaseParser {
  private done = false;
  private readonly skipCreated: boolean;
  private readonly validator: OpenMetricsStrictValidator | undefined;

  /** Timestamp of the current series in seconds as written (strict ordering checks). */
  private tsSec = 0;
  /** The series' label list ended with a comma (accepted by Prometheus, not by OM 1.0). */
  private trailingComma = false;

  private hasEx = false;
  private ex: Int32Array = new Int32Array(LABEL_SLOTS * 4);
  private exCount = 0;
  private exVal = 0;
  private exTsMs = 0;
  private exHasTs = false;

  private unitStart = 0;
  private unitEnd = 0;

  /** Length of the family name of the last HELP/TYPE/UNIT line (Prometheus's mfNameLen). */
  private familyNameLen = 0;

  // Start-timestamp state (Prometheus's st/stHashSet) and our memo of the last look-ahead.
  private stKey: string | undefined;
  private stValue = 0;
  private memoFrom = -1;
  private memoEnd = -1;
  private memoKey: string | undefined;
  private memoSt = 0;
  private stDone = false;
  private stResult: number | undefined;
  private peeker: OpenMetricsParser | undefined;

  constructor(body: DecodedBody, options: OpenMetricsParserOptions) {
    super(body);
    this.skipCreated = options.skipCreatedSeries;
    this.validator = options.strict ? new OpenMetricsStrictValidator() : undefined;
  }

  next(): EntryKind {
    for (;;) {
      this.resetEntry();
      const kind = this.parseLine();
      if (this.validator !== undefined) this.validator.observe(this, kind);
      if (kind === EntryKind.Series && this.skipCreated && this.isCreatedSeries()) continue;
      return kind;
    }
  }

  help(): string {
    if (this.kind !== EntryKind.Help) return '';
    return unescapeLabelValue(this.s, this.textStart, this.textEnd);
  }

  override unit(): string {
    return this.kind === EntryKind.Unit ? this.s.slice(this.unitStart, this.unitEnd) : '';
  }

  override exemplar(): Exemplar | undefined {
    if (!this.hasEx) return undefined;
    return {
      labels: this.exemplarLabels(),
      value: this.exVal,
      timestampMs: this.exHasTs ? this.exTsMs : undefined,
    };
  }

  /**
   * Start timestamp in ms from the family's `_created` line, as Prometheus computes it (§5.2):
   * only for counter/summary/histogram (sticky TYPE); the series is keyed by the first
   * family-name-length chars of its name plus its labels without `le` (histogram) or
   * `quantile` (summary); the answer is the last one found for the same key, else the value of
   * the next `_created` line if no other entry (metadata, another `_created`, an error, `# EOF`)
   * comes first. Undefined when there is none (Prometheus's 0).
   */
  override startTimestampMs(): number | undefined {
    if (this.kind !== EntryKind.Series) return undefined;
    if (!this.stDone) {
      const st = this.computeStartTimestamp();
      this.stResult = st === 0 ? undefined : st;
      this.stDone = true;
    }
    return this.stResult;
  }

  /** Internal (strict checks): timestamp in seconds as written, or undefined. */
  timestampSeconds(): number | undefined {
    return this.hasTs ? this.tsSec : undefined;
  }

  /** Internal (strict checks): the label list had a trailing comma. */
  hadTrailingComma(): boolean {
    return this.trailingComma;
  }

  /** Internal (strict checks): labels exactly as unescaped, le/quantile not normalised. */
  rawLabels(): Labels {
    return this.buildLabels(false);
  }

  protected familySuffixes(type: MetricType): readonly string[] {
    return OM_SUFFIXES[type];
  }

  protected override resetEntry(): void {
    super.resetEntry();
    this.hasEx = false;
    this.exCount = 0;
    this.exHasTs = false;
    this.trailingComma = false;
    this.stDone = false;
  }

  private isCreatedSeries(): boolean {
    const t = this.stickyType;
    if (t !== 'counter' && t !== 'summary' && t !== 'histogram') return false;
    return this.nameEnd - this.nameStart >= 8 && this.s.startsWith('_created', this.nameEnd - 8);
  }

  private parseLine(): EntryKind {
    if (this.done) {
      this.kind = EntryKind.EOF;
      return EntryKind.EOF;
    }
    const s = this.s;
    const p = this.pos;
    this.entryLine = this.line;
    let lineEnd = s.indexOf('\n', p);
    if (lineEnd < 0) lineEnd = this.len;
    this.lineEnd = lineEnd;
    if (p >= this.len) throw this.fail('data does not end with # EOF', p);
    const c = s.charCodeAt(p);
    if (c === 35) return this.parseHashLine(p);
    if (c === 123 || isMetricNameStart(c)) return this.parseSeries(p, c);
    throw this.fail('expected a valid start token', p);
  }

  private endLine(end: number, kind: EntryKind): EntryKind {
    this.pos = end + 1;
    this.line++;
    this.kind = kind;
    return kind;
  }

  private parseHashLine(p: number): EntryKind {
    const s = this.s;
    if (s.charCodeAt(p + 1) !== 32) throw this.fail('expected a valid start token', p);
    const q = p + 2;
    if (s.startsWith('EOF', q)) {
      let e = q + 3;
      if (s.charCodeAt(e) === 10) e++;
      if (e !== this.len) throw this.fail('unexpected data after # EOF', e);
      this.done = true;
      this.pos = this.len;
      this.kind = EntryKind.EOF;
      return EntryKind.EOF;
    }
    let kind: EntryKind;
    if (s.startsWith('HELP ', q)) kind = EntryKind.Help;
    else if (s.startsWith('TYPE ', q)) kind = EntryKind.Type;
    else if (s.startsWith('UNIT ', q)) kind = EntryKind.Unit;
    else throw this.fail('expected a valid start token', q);
    const word = s.slice(q, q + 4);
    const r = this.scanFamilyName(q + 5, word);
    const end = this.lineEnd;
    // `<name> <text>\n`: exactly one space, and the line must end with a newline.
    if (s.charCodeAt(r) !== 32 || end >= this.len) throw this.fail(`expected text in ${word}`, r);
    this.textStart = r + 1;
    this.textEnd = end;
    this.familyNameLen = this.metaEnd - this.metaStart;
    if (kind === EntryKind.Type) {
      const type = omMetricType(s.slice(r + 1, end));
      if (type === undefined) {
        throw this.fail(`invalid metric type ${JSON.stringify(s.slice(r + 1, end))}`, end - 1);
      }
      this.entryType = type;
      this.stickyType = type;
      this.typeFamily = this.familyText();
    } else if (kind === EntryKind.Unit) {
      this.unitStart = r + 1;
      this.unitEnd = end;
      const unitLen = end - r - 1;
      // A non-empty unit must be a suffix of the family name preceded by `_` (§5.2).
      if (
        unitLen > 0 &&
        !(
          this.metaEnd - this.metaStart > unitLen &&
          s.charCodeAt(this.metaEnd - unitLen - 1) === 95 &&
          s.slice(this.metaEnd - unitLen, this.metaEnd) === s.slice(r + 1, end)
        )
      ) {
        throw this.fail(
          `unit ${JSON.stringify(s.slice(r + 1, end))} not a suffix of metric ${JSON.stringify(
            s.slice(this.metaStart, this.metaEnd),
          )}`,
          end - 1,
        );
      }
    }
    this.checkUtf8(p, end);
    return this.endLine(end, kind);
  }

  private parseSeries(p: number, c: number): EntryKind {
    const s = this.s;
    const lineStart = p;
    this.seriesStart = p;
    let q: number;
    if (c !== 123) {
      q = scanMetricName(s, p);
      this.nameStart = p;
      this.nameEnd = q;
      this.nameFlags = 0;
      if (s.charCodeAt(q) === 123) q = this.parseLabels(q + 1, false);
    } else {
      q = this.parseLabels(p + 1, false);
      if (this.nameStart < 0) throw this.fail('metric name not set', q - 1);
    }
    this.seriesEnd = q;

    if (s.charCodeAt(q) !== 32) throw this.fail('expected value after metric', q);
    q++;
    let e = this.scanPlainDecimal(q);
    c = s.charCodeAt(e);
    if (e >= 0 && (c === 32 || c === 10 || Number.isNaN(c))) {
      this.val = this.decimal;
    } else {
      e = this.tokenEnd(q);
      if (e === q) throw this.fail('expected value after metric', q);
      const v = parseGoFloat(s, q, e);
      if (v === undefined) throw this.fail(`invalid value ${JSON.stringify(s.slice(q, e))}`, e - 1);
      this.val = v;
    }
    q = e;

    c = s.charCodeAt(q);
    if (c !== 10) {
      if (q >= this.len) throw this.fail('data does not end with # EOF', q);
      // c is a space: an exemplar or a timestamp follows.
      if (this.isExemplarStart(q)) {
        q = this.parseExemplar(q + 4);
      } else {
        q++;
        e = this.tokenEnd(q);
        if (e === q) throw this.fail('expected timestamp or exemplar', q);
        const ts = parseGoFloat(s, q, e);
        if (ts === undefined) {
          throw this.fail(`invalid timestamp ${JSON.stringify(s.slice(q, e))}`, e - 1);
        }
        if (!Number.isFinite(ts)) {
          throw this.fail(`invalid timestamp ${s.slice(q, e)}`, e - 1);
        }
        this.tsSec = ts;
        // Seconds → ms as int64(ts * 1000): truncation toward zero (§5.2).
        this.tsMs = Math.trunc(ts * 1000) || 0;
        this.hasTs = true;
        q = e;
        c = s.charCodeAt(q);
        if (c !== 10) {
          if (q >= this.len) throw this.fail('data does not end with # EOF', q);
          if (!this.isExemplarStart(q)) throw this.fail('expected next entry after timestamp', q);
          q = this.parseExemplar(q + 4);
        }
      }
    }
    this.checkUtf8(lineStart, q);
    return this.endLine(q, EntryKind.Series);
  }

  /** ` # {` at `q`. */
  private isExemplarStart(q: number): boolean {
    const s = this.s;
    return (
      s.charCodeAt(q) === 32 &&
      s.charCodeAt(q + 1) === 35 &&
      s.charCodeAt(q + 2) === 32 &&
      s.charCodeAt(q + 3) === 123
    );
  }

  /** End of a `[^ \n]*` token starting at `q`. */
  private tokenEnd(q: number): number {
    const s = this.s;
    const len = this.len;
    while (q < len) {
      const c = s.charCodeAt(q);
      if (c === 32 || c === 10) break;
      q++;
    }
    return q;
  }

  /** Exemplar after ` # {`: labels, value, optional timestamp; returns the index of `\n`. */
  private parseExemplar(p: number): number {
    const s = this.s;
    this.hasEx = true;
    let q = this.parseLabels(p, true);
    if (s.charCodeAt(q) !== 32) throw this.fail('expected value after exemplar labels', q);
    q++;
    let e = this.tokenEnd(q);
    if (e === q) throw this.fail('expected value after exemplar labels', q);
    const v = parseGoFloat(s, q, e);
    if (v === undefined) {
      throw this.fail(`invalid exemplar value ${JSON.stringify(s.slice(q, e))}`, e - 1);
    }
    this.exVal = v;
    q = e;
    let c = s.charCodeAt(q);
    if (c === 10) return q;
    if (q >= this.len) throw this.fail('data does not end with # EOF', q);
    q++;
    e = this.tokenEnd(q);
    if (e === q) throw this.fail('expected exemplar timestamp or end of line', q);
    const ts = parseGoFloat(s, q, e);
    if (ts === undefined) {
      throw this.fail(`invalid exemplar timestamp ${JSON.stringify(s.slice(q, e))}`, e - 1);
    }
    if (!Number.isFinite(ts)) {
      throw this.fail(`invalid exemplar timestamp ${s.slice(q, e)}`, e - 1);
    }
    this.exTsMs = Math.trunc(ts * 1000) || 0;
    this.exHasTs = true;
    q = e;
    c = s.charCodeAt(q);
    if (c !== 10) throw this.fail('expected end of line after exemplar timestamp', q);
    return q;
  }

  /**
   * Label pairs after `{` up to and including `}`; returns the index after `}`. No whitespace
   * anywhere; after a value only `,` or `}`; a trailing comma is accepted (Prometheus) but
   * noted for strict mode. In an exemplar, a quoted string cannot be the metric name, and
   * names and values cannot hold raw newlines or NUL.
   */
  private parseLabels(p: number, exemplar: boolean): number {
    const s = this.s;
    let afterComma = false;
    for (;;) {
      let c = s.charCodeAt(p);
      if (c === 125) {
        if (afterComma) this.trailingComma = true;
        return p + 1;
      }
      let ns: number;
      let ne: number;
      let nflags: number;
      if (isLabelNameStart(c)) {
        ns = p;
        ne = scanLabelName(s, p);
        nflags = 0;
        p = ne;
      } else if (c === 34) {
        ns = p + 1;
        ne = this.scanQuoted(ns, !exemplar, false, 'label name');
        nflags = this.quotedEscaped ? QUOTED | ESCAPED : QUOTED;
        p = ne + 1;
        c = s.charCodeAt(p);
        if (c === 44 || c === 125) {
          if (exemplar) throw this.fail('expected label name', p);
          if (this.nameStart >= 0) throw this.fail('metric name already set', p);
          this.nameStart = ns;
          this.nameEnd = ne;
          this.nameFlags = nflags;
          p++;
          if (c === 125) return p;
          afterComma = true;
          continue;
        }
      } else {
        throw this.fail('expected label name', p);
      }
      if (s.charCodeAt(p) !== 61) throw this.fail('expected equal', p);
      p++;
      if (s.charCodeAt(p) !== 34) throw this.fail('expected label value', p);
      const vs = p + 1;
      const ve = this.scanQuoted(vs, false, !exemplar, 'label value');
      const vflags = this.quotedEscaped ? ESCAPED : 0;
      if (exemplar) this.pushExemplarLabel(ns, ne, nflags, vs, ve, vflags);
      else this.pushLabel(ns, ne, nflags, vs, ve, vflags);
      p = ve + 1;
      c = s.charCodeAt(p);
      if (c === 44) {
        p++;
        afterComma = true;
      } else if (c === 125) {
        return p + 1;
      } else {
        throw this.fail('expected comma or brace close', p);
      }
    }
  }

  private pushExemplarLabel(
    ns: number,
    ne: number,
    nflags: number,
    vs: number,
    ve: number,
    vflags: number,
  ): void {
    this.ex = recordLabelRange(this.ex, this.exCount++, ns, ne, nflags, vs, ve, vflags);
  }

  /** Exemplar labels, unescaped and sorted (Prometheus keeps escapes here; see README.md). */
  private exemplarLabels(): Labels {
    const s = this.s;
    const out: Label[] = [];
    const ex = this.ex;
    for (let i = 0; i < this.exCount; i++) {
      const o = i * LABEL_SLOTS;
      const flags = ex[o + 4]!;
      const name =
        (flags & ESCAPED) !== 0
          ? unescapeLabelValue(s, ex[o]!, ex[o + 1]!)
          : s.slice(ex[o]!, ex[o + 1]!);
      const value =
        ((flags >> VALUE_FLAG_SHIFT) & ESCAPED) !== 0
          ? unescapeLabelValue(s, ex[o + 2]!, ex[o + 3]!)
          : s.slice(ex[o + 2]!, ex[o + 3]!);
      const label = { name, value };
      out.push(label);
      let j = out.length - 1;
      while (j > 0 && out[j - 1]!.name > name) {
        out[j] = out[j - 1]!;
        j--;
      }
      out[j] = label;
    }
    return out;
  }

  // ---------------------------------------------------------------- start timestamps

  private computeStartTimestamp(): number {
    const t = this.stickyType;
    if (t !== 'counter' && t !== 'summary' && t !== 'histogram') {
      this.stKey = undefined;
      return 0;
    }
    const rawName = this.s.slice(this.nameStart, this.nameEnd);
    const currKey = this.seriesKey(rawName.slice(0, this.familyNameLen));
    if (currKey === this.stKey && this.stValue > 0) return this.stValue;

    // Inside the stretch the last look-ahead crossed, its outcome holds for this line too.
    if (this.seriesStart > this.memoFrom && this.seriesStart < this.memoEnd) {
      return this.settle(this.memoKey === currKey ? this.memoSt : undefined, currKey);
    }

    let peek = this.peeker;
    if (peek === undefined) {
      peek = new OpenMetricsParser(
        { text: this.s, badOffsets: [] },
        {
          strict: false,
          skipCreatedSeries: false,
        },
      );
      this.peeker = peek;
    }
    peek.resumeAt(this);
    let stopAt = this.len;
    let foundKey: string | undefined;
    let foundSt = 0;
    try {
      for (;;) {
        const lineStart = peek.pos;
        stopAt = lineStart;
        peek.resetEntry();
        if (peek.parseLine() !== EntryKind.Series) break;
        if (peek.nameEnd - peek.nameStart < 8 || !this.s.startsWith('_created', peek.nameEnd - 8)) {
          continue;
        }
        foundKey = peek.seriesKey(this.s.slice(peek.nameStart, peek.nameEnd - 8));
        foundSt = Math.trunc(peek.val * 1000);
        if (!Number.isFinite(foundSt)) foundSt = 0;
        break;
      }
    } catch (err) {
      if (!(err instanceof ExpositionParseError)) throw err;
    }
    this.memoFrom = this.seriesStart;
    this.memoEnd = stopAt;
    this.memoKey = foundKey;
    this.memoSt = foundSt;
    return this.settle(foundKey === currKey ? foundSt : undefined, currKey);
  }

  /** Records the outcome the way Prometheus's setSTParseValues/resetSTParseValues do. */
  private settle(st: number | undefined, key: string): number {
    if (st === undefined) {
      this.stKey = undefined;
      return 0;
    }
    this.stKey = key;
    this.stValue = st;
    return st;
  }

  /** Copies the scan position of `main` (used by the look-ahead parser). */
  private resumeAt(main: OpenMetricsParser): void {
    this.pos = main.pos;
    this.line = main.line;
    this.done = main.done;
    this.stickyType = main.stickyType;
    this.familyNameLen = main.familyNameLen;
    this.entryLine = main.line;
    this.resetScanCaches();
  }

  /**
   * Identity of a series for matching `_created` lines: the given family name and the raw
   * label pairs, leaving out `quantile` (summary) / `le` (histogram) under the sticky TYPE.
   */
  private seriesKey(family: string): string {
    const s = this.s;
    const lab = this.lab;
    const skip =
      this.stickyType === 'summary' ? 'quantile' : this.stickyType === 'histogram' ? 'le' : '';
    let key = `${family.length}:${family}`;
    for (let i = 0; i < this.labCount; i++) {
      const o = i * LABEL_SLOTS;
      const name = s.slice(lab[o]!, lab[o + 1]!);
      if (name === skip) continue;
      const value = s.slice(lab[o + 2]!, lab[o + 3]!);
      key += `|${name.length}:${name}${value.length}:${value}`;
    }
    return key;
  }
}

function omMetricType(word: string): MetricType | undefined {
  switch (word) {
    case 'counter':
    case 'gauge':
    case 'histogram':
    case 'gaugehistogram':
    case 'summary':
    case 'info':
    case 'stateset':
    case 'unknown':
      return word;
    default:
      return undefined;
  }
}
