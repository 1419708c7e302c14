import { parseGoFloat } from './float.js';
import {
  BaseParser,
  ESCAPED,
  isLabelNameStart,
  isMetricNameStart,
  QUOTED,
  scanLabelName,
  scanMetricName,
  unescapeTextHelp,
} from './parser-base.js';
import { EntryKind, type MetricType } from './types.js';

/** int64 max as digits, for the timestamp range check. */
const INT64_MAX_DIGITS = '9223372036854775807';

const TEXT_SUFFIXES: Readonly<Record<MetricType, readonly string[]>> = {
  counter: ['', '_total', '_created'],
  gauge: [''],
  histogram: ['_bucket', '_sum', '_count', '_created'],
  summary: ['', '_sum', '_count', '_created'],
  gaugehistogram: [''],
  info: [''],
  stateset: [''],
  unknown: [''],
};

/**
 * Prometheus text format 0.0.4 / 1.0.0 (§5.1), accepting exactly what Prometheus's lexer does:
 *
 * - Spaces and tabs between tokens in any amount, also at line start and around `{`, `=`, `,`,
 *   `}`; blank lines; a missing final newline. A NUL where a line would start ends the body.
 * - `#` + whitespace + `HELP`/`TYPE` + whitespace starts metadata; every other `#` line is a
 *   comment entry (a bare `#…` comment holding a NUL also ends the body, as in Prometheus).
 * - Label pairs separated by `,`, by whitespace only, or by nothing; a trailing comma; quoted
 *   UTF-8 names (`{"my.metric", "a.b"="x"}`); label values may even span lines.
 * - Values: Go floats (see parseGoFloat); timestamps: digits only, int64 milliseconds.
 *
 * Deliberate differences (documented in README.md): the metric name never includes leading
 * whitespace of its line (Prometheus's does; `seriesText()` keeps it, as Prometheus's Series()
 * does); quoted family names in HELP/TYPE are unescaped.
 */
export class PrometheusTextParser extends BaseParser {
  private done = false;

  next(): EntryKind {
    this.resetEntry();
    if (this.done) return EntryKind.EOF;
    if (this.windows === undefined) return this.scanEntry();
    try {
      return this.scanEntry();
    } catch (err) {
      if (!this.openAtWindowEnd) throw err;
      // The entry may go on past its window: read it again with the rest of the body.
      this.resetEntry();
      this.line = this.entryLine;
      this.joinRest(this.entryStart);
      return this.scanEntry();
    }
  }

  /** Where the entry being scanned starts in the current text (for {@link joinRest}). */
  private entryStart = 0;

  private scanEntry(): EntryKind {
    let s = this.s;
    let len = this.len;
    let p = this.pos;
    for (;;) {
      if (p >= len) {
        if (!this.nextWindow()) return this.finish();
        s = this.s;
        len = this.len;
        p = 0;
        continue;
      }
      const lineStart = p;
      let c = s.charCodeAt(p);
      while (c === 32 || c === 9) c = s.charCodeAt(++p);
      if (c === 10) {
        p++;
        this.line++;
        continue;
      }
      if (p >= len) continue;
      if (c === 0) return this.finish();
      let lineEnd = s.indexOf('\n', p);
      if (lineEnd < 0) lineEnd = len;
      this.lineEnd = lineEnd;
      this.entryLine = this.line;
      this.entryStart = lineStart;
      if (c === 35) return this.parseHashLine(lineStart, p);
      if (c === 123 || isMetricNameStart(c)) return this.parseSeries(lineStart, p, c);
      throw this.fail('expected a valid start token', p);
    }
  }

  help(): string {
    if (this.kind !== EntryKind.Help) return '';
    return unescapeTextHelp(this.s, this.textStart, this.textEnd);
  }

  protected familySuffixes(type: MetricType): readonly string[] {
    return TEXT_SUFFIXES[type];
  }

  private finish(): EntryKind {
    this.done = true;
    this.pos = this.len;
    this.kind = EntryKind.EOF;
    return EntryKind.EOF;
  }

  /** Moves past the line that ends at `end` (a `\n` or the end of the body). */
  private endLine(end: number, kind: EntryKind): EntryKind {
    this.pos = end + 1;
    this.line++;
    this.kind = kind;
    return kind;
  }

  private parseSeries(lineStart: number, p: number, c: number): EntryKind {
    const s = this.s;
    this.seriesStart = lineStart;
    if (c !== 123) {
      const q = scanMetricName(s, p);
      this.nameStart = p;
      this.nameEnd = q;
      this.nameFlags = 0;
      p = q;
      c = s.charCodeAt(p);
      while (c === 32 || c === 9) c = s.charCodeAt(++p);
      if (c === 123) {
        p = this.parseLabels(p + 1);
        this.seriesEnd = p;
        c = s.charCodeAt(p);
        while (c === 32 || c === 9) c = s.charCodeAt(++p);
      } else {
        this.seriesEnd = q;
      }
    } else {
      p = this.parseLabels(p + 1);
      if (this.nameStart < 0) throw this.fail('metric name not set', p - 1);
      this.seriesEnd = p;
      c = s.charCodeAt(p);
      while (c === 32 || c === 9) c = s.charCodeAt(++p);
    }

    p = this.parseValue(p);
    c = s.charCodeAt(p);
    while (c === 32 || c === 9) c = s.charCodeAt(++p);
    if (c >= 48 && c <= 57) {
      p = this.parseTimestamp(p);
      c = s.charCodeAt(p);
      while (c === 32 || c === 9) c = s.charCodeAt(++p);
      if (c !== 10 && !Number.isNaN(c)) throw this.fail('expected next entry after timestamp', p);
    } else if (c !== 10 && !Number.isNaN(c)) {
      throw this.fail('expected timestamp or new record', p);
    }
    this.checkUtf8(lineStart, p);
    return this.endLine(p, EntryKind.Series);
  }

  /**
   * The value token at `p` (chars other than `{`, space, tab, newline and NUL) as a Go float;
   * returns its end. Plain decimals of up to 15 digits are converted in the same pass (exact:
   * one correctly rounded division, as in parseGoFloat); anything else goes to parseGoFloat.
   */
  private parseValue(p: number): number {
    const s = this.s;
    const q = this.scanPlainDecimal(p);
    let c = s.charCodeAt(q);
    if (q >= 0 && (c === 32 || c === 10 || c === 9 || Number.isNaN(c))) {
      this.val = this.decimal;
      return q;
    }
    let e = p;
    c = s.charCodeAt(e);
    while (!(c === 32 || c === 10 || c === 9 || c === 123 || c === 0 || Number.isNaN(c))) {
      c = s.charCodeAt(++e);
    }
    if (e === p) throw this.fail('expected value after metric', e);
    const v = parseGoFloat(s, p, e);
    if (v === undefined) throw this.fail(`invalid value ${JSON.stringify(s.slice(p, e))}`, e - 1);
    this.val = v;
    return e;
  }

  /** `{D}+` as int64 milliseconds. */
  private parseTimestamp(p: number): number {
    const s = this.s;
    const start = p;
    let ms = 0;
    let c = s.charCodeAt(p);
    while (c >= 48 && c <= 57) {
      ms = ms * 10 + (c - 48);
      c = s.charCodeAt(++p);
    }
    if (p - start > 15) {
      let z = start;
      while (z < p - 1 && s.charCodeAt(z) === 48) z++;
      const digits = s.slice(z, p);
      if (
        digits.length > INT64_MAX_DIGITS.length ||
        (digits.length === INT64_MAX_DIGITS.length && digits > INT64_MAX_DIGITS)
      ) {
        throw this.fail(`timestamp ${digits} out of range`, p - 1);
      }
      ms = Number(digits);
    }
    this.tsMs = ms;
    this.hasTs = true;
    return p;
  }

  /**
   * Label pairs after `{` up to and including `}`; returns the index after `}`. A quoted string
   * followed by `,` or `}` is the metric name (§5.1).
   */
  private parseLabels(p: number): number {
    const s = this.s;
    for (;;) {
      let c = s.charCodeAt(p);
      while (c === 32 || c === 9) c = s.charCodeAt(++p);
      if (c === 125) return p + 1;
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
        ne = this.scanQuoted(ns, true, false, 'label name');
        nflags = this.quotedEscaped ? QUOTED | ESCAPED : QUOTED;
        p = ne + 1;
        c = s.charCodeAt(p);
        while (c === 32 || c === 9) c = s.charCodeAt(++p);
        if (c === 44 || c === 125) {
          if (this.nameStart >= 0) throw this.fail('metric name already set', p);
          this.nameStart = ns;
          this.nameEnd = ne;
          this.nameFlags = nflags;
          p++;
          if (c === 125) return p;
          continue;
        }
      } else {
        throw this.fail('expected label name', p);
      }
      c = s.charCodeAt(p);
      while (c === 32 || c === 9) c = s.charCodeAt(++p);
      if (c !== 61) throw this.fail('expected equal', p);
      c = s.charCodeAt(++p);
      while (c === 32 || c === 9) c = s.charCodeAt(++p);
      if (c !== 34) throw this.fail('expected label value', p);
      const vs = p + 1;
      const ve = this.scanQuoted(vs, true, true, 'label value');
      this.pushLabel(ns, ne, nflags, vs, ve, this.quotedEscaped ? ESCAPED : 0);
      p = ve + 1;
      c = s.charCodeAt(p);
      while (c === 32 || c === 9) c = s.charCodeAt(++p);
      if (c === 44) p++;
    }
  }

  /** A line starting with `#` at `p`: HELP/TYPE metadata or a comment. */
  private parseHashLine(lineStart: number, p: number): EntryKind {
    const s = this.s;
    let q = p + 1;
    let c = s.charCodeAt(q);
    const spaced = c === 32 || c === 9;
    if (spaced) {
      while (c === 32 || c === 9) c = s.charCodeAt(++q);
      const isHelp = s.startsWith('HELP', q);
      if (isHelp || s.startsWith('TYPE', q)) {
        const sep = s.charCodeAt(q + 4);
        if (sep === 32 || sep === 9) return this.parseMetadata(lineStart, q + 4, isHelp);
      }
    }
    // Comment. Prometheus's lexer ends the body at a NUL inside a bare `#…` comment.
    if (!spaced && this.hasNul(p, this.lineEnd)) return this.finish();
    this.textStart = p;
    this.textEnd = this.lineEnd;
    return this.endLine(this.lineEnd, EntryKind.Comment);
  }

  /** `p` is just after the HELP/TYPE keyword. */
  private parseMetadata(lineStart: number, p: number, isHelp: boolean): EntryKind {
    const s = this.s;
    const word = isHelp ? 'HELP' : 'TYPE';
    let c = s.charCodeAt(p);
    while (c === 32 || c === 9) c = s.charCodeAt(++p);
    p = this.scanFamilyName(p, word);
    // The text is the rest of the line minus its first char, whatever that char is (usually
    // the separating space). Go drops one byte: a non-ASCII first char leaves invalid UTF-8.
    const end = this.lineEnd;
    if (p < end) {
      if (s.charCodeAt(p) >= 0x80) {
        throw this.fail(isHelp ? 'help text is not valid UTF-8' : 'invalid metric type', p);
      }
      p++;
    }
    this.textStart = p;
    this.textEnd = end;
    if (!isHelp) {
      const type = textMetricType(s.slice(p, end));
      if (type === undefined) {
        throw this.fail(`invalid metric type ${JSON.stringify(s.slice(p, end))}`, end - 1);
      }
      this.entryType = type;
      this.stickyType = type;
      this.typeFamily = this.familyText();
    }
    this.checkUtf8(lineStart, end);
    return this.endLine(end, isHelp ? EntryKind.Help : EntryKind.Type);
  }
}

function textMetricType(word: string): MetricType | undefined {
  switch (word) {
    case 'counter':
    case 'gauge':
    case 'histogram':
    case 'summary':
      return word;
    case 'untyped':
      return 'unknown';
    default:
      return undefined;
  }
}
