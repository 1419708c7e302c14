import type { Label, Labels } from '../model/labels.js';
import type { DecodedBody, TextWindows } from './decode.js';
import { ExpositionParseError } from './errors.js';
import { formatOpenMetricsFloat, POW10, parseGoFloat } from './float.js';
import { EntryKind, type Exemplar, type ExpositionParser, type MetricType } from './types.js';

/*
 * What the two text parsers share: the scan state over one decoded body, quoted-string scanning,
 * unescaping and the lazy accessors. The parsers record offsets while they validate a line and
 * build strings only when an accessor asks for them (§6.4: the scrape looks up `seriesText()`
 * in its cache and calls `labels()` only for series it has not seen).
 */

/** Character classes for ASCII (index by char code; check `c < 128` first). */
const METRIC_NAME_START = 1;
const METRIC_NAME_CHAR = 2;
const LABEL_NAME_START = 4;
const LABEL_NAME_CHAR = 8;

export const CHAR_CLASS: Uint8Array = (() => {
  const t = new Uint8Array(128);
  for (let c = 0; c < 128; c++) {
    const letter = (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
    const digit = c >= 48 && c <= 57;
    if (letter || c === 58) t[c]! |= METRIC_NAME_START | METRIC_NAME_CHAR;
    if (digit) t[c]! |= METRIC_NAME_CHAR | LABEL_NAME_CHAR;
    if (letter) t[c]! |= LABEL_NAME_START | LABEL_NAME_CHAR;
  }
  return t;
})();

/** `[a-zA-Z_:]` */
export function isMetricNameStart(c: number): boolean {
  return c < 128 && (CHAR_CLASS[c]! & METRIC_NAME_START) !== 0;
}

/** `[a-zA-Z_]` */
export function isLabelNameStart(c: number): boolean {
  return c < 128 && (CHAR_CLASS[c]! & LABEL_NAME_START) !== 0;
}

/** End of `[a-zA-Z_:][a-zA-Z0-9_:]*` starting at `p` (which holds a start char). */
export function scanMetricName(s: string, p: number): number {
  let q = p + 1;
  for (;;) {
    const c = s.charCodeAt(q);
    if (c < 128 && (CHAR_CLASS[c]! & METRIC_NAME_CHAR) !== 0) q++;
    else return q;
  }
}

/** End of `[a-zA-Z_][a-zA-Z0-9_]*` starting at `p` (which holds a start char). */
export function scanLabelName(s: string, p: number): number {
  let q = p + 1;
  for (;;) {
    const c = s.charCodeAt(q);
    if (c < 128 && (CHAR_CLASS[c]! & LABEL_NAME_CHAR) !== 0) q++;
    else return q;
  }
}

/** Flag bits kept per recorded name/value range. */
export const QUOTED = 1;
export const ESCAPED = 2;

/** Slots per recorded label: name start, name end, value start, value end, flags. */
export const LABEL_SLOTS = 5;
/** Flags slot layout: name flags in bits 0–1, value flags in bits 2–3. */
export const VALUE_FLAG_SHIFT = 2;

/**
 * Unescapes a label value, quoted name or OpenMetrics HELP text: `\\` → `\`, `\"` → `"`,
 * `\n` → newline; any other backslash sequence is kept as written (§5.1).
 */
export function unescapeLabelValue(s: string, start: number, end: number): string {
  let out = '';
  let last = start;
  for (let i = start; i < end - 1; i++) {
    if (s.charCodeAt(i) !== 92) continue;
    const c = s.charCodeAt(i + 1);
    const rep = c === 92 ? '\\' : c === 34 ? '"' : c === 110 ? '\n' : undefined;
    if (rep === undefined) continue;
    out += s.slice(last, i) + rep;
    last = i + 2;
    i++;
  }
  return out + s.slice(last, end);
}

/** Text-format HELP unescaping: only `\\` and `\n` (a `\"` stays two characters, §5.1). */
export function unescapeTextHelp(s: string, start: number, end: number): string {
  let out = '';
  let last = start;
  for (let i = start; i < end - 1; i++) {
    if (s.charCodeAt(i) !== 92) continue;
    const c = s.charCodeAt(i + 1);
    const rep = c === 92 ? '\\' : c === 110 ? '\n' : undefined;
    if (rep === undefined) continue;
    out += s.slice(last, i) + rep;
    last = i + 2;
    i++;
  }
  return out + s.slice(last, end);
}

/**
 * le/quantile normalisation (§5.1): a value that parses as a float is written the canonical
 * OpenMetrics way, anything else is kept. Bucket bounds repeat across series and scrapes, so
 * results are memoised (bounded; cleared when full).
 */
const boundCache = new Map<string, string>();
const BOUND_CACHE_MAX = 4096;

export function normalizeBound(value: string): string {
  let out = boundCache.get(value);
  if (out === undefined) {
    const f = parseGoFloat(value);
    out = f === undefined ? value : formatOpenMetricsFloat(f);
    if (boundCache.size >= BOUND_CACHE_MAX) boundCache.clear();
    boundCache.set(value, out);
  }
  return out;
}

/** Reads a recorded range, unescaping only when the scan saw a backslash in it. */
function rangeText(s: string, start: number, end: number, flags: number): string {
  return (flags & ESCAPED) !== 0 ? unescapeLabelValue(s, start, end) : s.slice(start, end);
}

/**
 * Writes label number `index` (name and value ranges, their flags) into `buf`, growing it when
 * full; returns the buffer to keep (the same one unless it grew).
 */
export function recordLabelRange(
  buf: Int32Array,
  index: number,
  ns: number,
  ne: number,
  nflags: number,
  vs: number,
  ve: number,
  vflags: number,
): Int32Array {
  let o = index * LABEL_SLOTS;
  if (o + LABEL_SLOTS > buf.length) {
    const grown = new Int32Array(buf.length * 2);
    grown.set(buf);
    buf = grown;
  }
  buf[o++] = ns;
  buf[o++] = ne;
  buf[o++] = vs;
  buf[o++] = ve;
  buf[o] = nflags | (vflags << VALUE_FLAG_SHIFT);
  return buf;
}

const NO_EXEMPLARS: readonly Exemplar[] = Object.freeze([]);

export abstract class BaseParser implements ExpositionParser {
  /** The text being scanned: the whole body, or the current window of it (see decode.ts). */
  protected s: string;
  protected len: number;
  /** The windows still to come; undefined when `s` holds the rest of the body. */
  protected windows: TextWindows | undefined;
  /**
   * Set by {@link scanQuoted} when a quoted string is still open at the end of a window: the
   * entry may go on in the next one (a label value spanning lines), so the parser retries it
   * with the rest of the body (see {@link joinRest}).
   */
  protected openAtWindowEnd = false;
  private readonly badOffsets: readonly number[];
  private badIndex = 0;

  /** Next unread index. */
  protected pos = 0;
  /** 1-based line number of the line that starts at (or contains) `pos`. */
  protected line = 1;
  /** Index of the `\n` that ends the line being parsed, or `len`. */
  protected lineEnd = 0;
  /** Smallest index ≥ the last query holding `\`, or `len` (-1: not computed yet). */
  private nextBackslash = -1;
  /** Same for NUL. */
  private nextNul = -1;
  /** Set by {@link scanQuoted}: the string just scanned held a backslash. */
  protected quotedEscaped = false;

  protected kind: EntryKind = EntryKind.EOF;
  protected entryLine = 0;

  // Series entry.
  protected seriesStart = 0;
  protected seriesEnd = 0;
  protected nameStart = -1;
  protected nameEnd = -1;
  protected nameFlags = 0;
  protected lab: Int32Array = new Int32Array(LABEL_SLOTS * 16);
  protected labCount = 0;
  protected val = 0;
  protected tsMs = 0;
  protected hasTs = false;

  // Metadata / comment entry.
  protected metaStart = 0;
  protected metaEnd = 0;
  protected metaFlags = 0;
  protected textStart = 0;
  protected textEnd = 0;
  protected entryType: MetricType = 'unknown';

  /**
   * The type of the last `# TYPE` line, never reset at a family boundary: Prometheus uses it
   * for le/quantile normalisation (the sticky-TYPE quirk, §5.1).
   */
  protected stickyType: MetricType = 'unknown';
  /** Family name of the last `# TYPE` line (for {@link metricType} on series). */
  protected typeFamily: string | undefined;

  private labelsCache: Labels | undefined;

  constructor(body: DecodedBody) {
    this.s = body.text;
    this.len = body.text.length;
    this.badOffsets = body.badOffsets;
    this.windows = body.windows;
  }

  /**
   * Moves to the next window (the current one must be used up); false at the end of the body.
   * Positions restart at 0: accessors of earlier entries must not be called after this.
   */
  protected nextWindow(): boolean {
    const w = this.windows?.next();
    if (w === undefined) {
      this.windows = undefined;
      return false;
    }
    this.setText(w);
    return true;
  }

  /**
   * Makes the text from `from` to the end of the body the only window, for an entry that did not
   * fit in its window (rare: a quoted string spanning lines across a window boundary). The body
   * past `from` is then decoded in one piece, as without windows.
   */
  protected joinRest(from: number): void {
    const rest = this.windows?.rest() ?? '';
    this.windows = undefined;
    this.setText(this.s.slice(from) + rest);
  }

  private setText(text: string): void {
    this.s = text;
    this.len = text.length;
    this.pos = 0;
    this.openAtWindowEnd = false;
    this.resetScanCaches();
  }

  abstract next(): EntryKind;

  /** Suffixes a series name may add to its family name for the given type. */
  protected abstract familySuffixes(type: MetricType): readonly string[];

  // ---------------------------------------------------------------- accessors

  seriesText(): string {
    return this.s.slice(this.seriesStart, this.seriesEnd);
  }

  /** Series: the metric name, unescaped (cheaper than `labels()` when only the name is needed). */
  metricName(): string {
    if (this.nameStart < 0) return '';
    return rangeText(this.s, this.nameStart, this.nameEnd, this.nameFlags);
  }

  labels(): Labels {
    if (this.labelsCache === undefined) this.labelsCache = this.buildLabels(true);
    return this.labelsCache;
  }

  value(): number {
    return this.val;
  }

  timestampMs(): number | undefined {
    return this.hasTs ? this.tsMs : undefined;
  }

  exemplar(): Exemplar | undefined {
    return undefined;
  }

  startTimestampMs(): number | undefined {
    return undefined;
  }

  /** The text formats have no native histograms. */
  histogram(): undefined {
    return undefined;
  }

  histogramExemplars(): readonly Exemplar[] {
    return NO_EXEMPLARS;
  }

  metricFamily(): string {
    const k = this.kind;
    if (k !== EntryKind.Help && k !== EntryKind.Type && k !== EntryKind.Unit) return '';
    return this.familyText();
  }

  /** The family name recorded by {@link scanFamilyName} for the line being parsed. */
  protected familyText(): string {
    return rangeText(this.s, this.metaStart, this.metaEnd, this.metaFlags);
  }

  metricType(): MetricType {
    if (this.kind === EntryKind.Type) return this.entryType;
    if (this.kind !== EntryKind.Series || this.typeFamily === undefined) return 'unknown';
    const family = this.typeFamily;
    const name = this.metricName();
    if (!name.startsWith(family)) return 'unknown';
    const suffix = name.slice(family.length);
    return this.familySuffixes(this.stickyType).includes(suffix) ? this.stickyType : 'unknown';
  }

  abstract help(): string;

  unit(): string {
    return '';
  }

  comment(): string {
    return this.kind === EntryKind.Comment ? this.s.slice(this.textStart, this.textEnd) : '';
  }

  lineNumber(): number {
    return this.entryLine;
  }

  // ---------------------------------------------------------------- shared machinery

  /** Forgets the backslash/NUL look-ahead (needed when the scan position moves backwards). */
  protected resetScanCaches(): void {
    this.nextBackslash = -1;
    this.nextNul = -1;
  }

  /** Clears what belongs to the previous entry. Called at the start of every `next()`. */
  protected resetEntry(): void {
    this.labelsCache = undefined;
    this.labCount = 0;
    this.hasTs = false;
    this.nameStart = -1;
  }

  /**
   * Labels of the current series, sorted by name, `__name__` first among equals. With
   * `normalize`, le/quantile values are rewritten as §5.1 says (under the sticky TYPE);
   * without, values are exactly as unescaped (the strict OpenMetrics checks need them raw).
   * Duplicate names are kept (Prometheus's parser accepts them; the append rejects them, §5.1).
   */
  protected buildLabels(normalize: boolean): Labels {
    if (this.kind !== EntryKind.Series) return [];
    const s = this.s;
    const n = this.labCount;
    const out: Label[] = new Array(n + 1);
    out[0] = { name: '__name__', value: this.metricName() };
    const lab = this.lab;
    const normLe = normalize && this.stickyType === 'histogram';
    const normQuantile = normalize && this.stickyType === 'summary';
    for (let i = 0; i < n; i++) {
      const o = i * LABEL_SLOTS;
      const flags = lab[o + 4]!;
      const name = rangeText(s, lab[o]!, lab[o + 1]!, flags);
      let value = rangeText(s, lab[o + 2]!, lab[o + 3]!, flags >> VALUE_FLAG_SHIFT);
      if ((normLe && name === 'le') || (normQuantile && name === 'quantile')) {
        value = normalizeBound(value);
      }
      // Insertion sort: label sets are small and usually already sorted.
      let j = i + 1;
      while (j > 0 && out[j - 1]!.name > name) {
        out[j] = out[j - 1]!;
        j--;
      }
      out[j] = { name, value };
    }
    return out;
  }

  /** Result register of {@link scanPlainDecimal}. */
  protected decimal = 0;

  /**
   * The fast path for values and timestamps: `[-]digits[.digits]` with at most 15 digits at `p`.
   * Returns the index after it and leaves the exact double in {@link decimal} (one correctly
   * rounded division, as in parseGoFloat), or -1 when the text is not of that form; the caller
   * checks that a token end follows and otherwise falls back to parseGoFloat.
   */
  protected scanPlainDecimal(p: number): number {
    const s = this.s;
    let c = s.charCodeAt(p);
    let neg = false;
    if (c === 45) {
      neg = true;
      c = s.charCodeAt(++p);
    }
    let mant = 0;
    let digits = 0;
    let dotAt = -1;
    for (;;) {
      if (c >= 48 && c <= 57) {
        mant = mant * 10 + (c - 48);
        digits++;
      } else if (c === 46 && dotAt < 0) {
        dotAt = digits;
      } else {
        break;
      }
      c = s.charCodeAt(++p);
    }
    if (digits === 0 || digits > 15) return -1;
    const v = dotAt < 0 || dotAt === digits ? mant : mant / POW10[digits - dotAt]!;
    this.decimal = neg ? -v : v;
    return p;
  }

  /** Records one label range pair into `lab`. */
  protected pushLabel(
    ns: number,
    ne: number,
    nflags: number,
    vs: number,
    ve: number,
    vflags: number,
  ) {
    this.lab = recordLabelRange(this.lab, this.labCount++, ns, ne, nflags, vs, ve, vflags);
  }

  /**
   * Scans a double-quoted string whose opening quote is at `p - 1`; returns the index of the
   * closing quote and sets {@link quotedEscaped}. A backslash escapes the next char, which must
   * not be a newline. Raw newlines inside are allowed only with `allowNewline` (then the line
   * counter moves on); NUL only with `allowNul` (§5.1/§5.2: NUL is fine in label values and
   * HELP text, nowhere else). Throws `expected <what>` when the string is not acceptable.
   */
  protected scanQuoted(p: number, allowNewline: boolean, allowNul: boolean, what: string): number {
    const s = this.s;
    let q = s.indexOf('"', p);
    if (q < 0) throw this.unterminated(what, p);
    let nb = this.nextBackslash;
    if (nb < p) {
      nb = s.indexOf('\\', p);
      if (nb < 0) nb = this.len;
      this.nextBackslash = nb;
    }
    this.quotedEscaped = nb < q;
    if (nb < q) {
      // Slow path, only for strings that contain a backslash.
      let i = nb;
      for (;;) {
        const esc = s.charCodeAt(i + 1);
        if (esc === 10 || Number.isNaN(esc)) throw this.fail(`expected ${what}`, i);
        i += 2;
        q = s.indexOf('"', i);
        if (q < 0) throw this.unterminated(what, p);
        nb = s.indexOf('\\', i);
        if (nb < 0) nb = this.len;
        if (nb > q) break;
        i = nb;
      }
      this.nextBackslash = nb;
    }
    if (q > this.lineEnd) {
      if (!allowNewline) throw this.fail(`expected ${what}, found a newline`, this.lineEnd);
      let nl = this.lineEnd;
      while (nl >= 0 && nl < q) {
        this.line++;
        nl = s.indexOf('\n', nl + 1);
      }
      this.lineEnd = nl < 0 ? this.len : nl;
    }
    if (!allowNul) {
      let nn = this.nextNul;
      if (nn < p) {
        nn = s.indexOf('\0', p);
        if (nn < 0) nn = this.len;
        this.nextNul = nn;
      }
      if (nn < q) throw this.fail(`expected ${what}, found a NUL byte`, nn);
    }
    return q;
  }

  private unterminated(what: string, p: number): ExpositionParseError {
    if (this.windows !== undefined) this.openAtWindowEnd = true;
    return this.fail(`expected ${what}, found an unterminated quoted string`, p - 1);
  }

  /** True when `[from, to)` holds a NUL (used for the text format's bare `#` comments). */
  protected hasNul(from: number, to: number): boolean {
    let nn = this.nextNul;
    if (nn < from) {
      nn = this.s.indexOf('\0', from);
      if (nn < 0) nn = this.len;
      this.nextNul = nn;
    }
    return nn < to;
  }

  /**
   * Fails when `[from, to)` holds a char that replaced invalid UTF-8 (see decode.ts). Offsets
   * before `from` (in comment lines that were allowed to hold them) are skipped.
   */
  protected checkUtf8(from: number, to: number): void {
    const bad = this.badOffsets;
    if (bad.length === 0) return;
    let i = this.badIndex;
    while (i < bad.length && bad[i]! < from) i++;
    this.badIndex = i;
    if (i < bad.length && bad[i]! < to) throw this.fail('invalid UTF-8', bad[i]!);
  }

  /** Builds the error for the current entry with the text from line start up to `at`. */
  /**
   * Records the family name of a HELP/TYPE/UNIT line that starts at `p`, bare or quoted (§5.1,
   * §5.2), in metaStart/metaEnd/metaFlags; returns the index just after it. `word` names the
   * keyword in messages.
   */
  protected scanFamilyName(p: number, word: string): number {
    const c = this.s.charCodeAt(p);
    if (c === 34) {
      this.metaStart = p + 1;
      this.metaEnd = this.scanQuoted(p + 1, true, false, `metric name after ${word}`);
      this.metaFlags = this.quotedEscaped ? QUOTED | ESCAPED : QUOTED;
      return this.metaEnd + 1;
    }
    if (isMetricNameStart(c)) {
      this.metaStart = p;
      this.metaEnd = scanMetricName(this.s, p);
      this.metaFlags = 0;
      return this.metaEnd;
    }
    throw this.fail(`expected metric name after ${word}`, p);
  }

  protected fail(detail: string, at: number): ExpositionParseError {
    const lineStart = this.s.lastIndexOf('\n', Math.max(0, Math.min(at, this.len) - 1)) + 1;
    const from = Math.max(lineStart, at - 60);
    const context = this.s.slice(from, Math.min(this.len, at + 1));
    const line = this.entryLine > 0 ? this.entryLine : this.line;
    if (context === '') return new ExpositionParseError(detail, line);
    const shown = JSON.stringify(from > lineStart ? `…${context}` : context);
    return new ExpositionParseError(`${detail} while parsing ${shown}`, line);
  }
}
