/**
 * Label sets as the whole engine passes them around.
 *
 * Contract: a `Labels` value is sorted by name in UTF-16 code-unit order (which equals byte
 * order for the names Prometheus allows in the legacy scheme, and is what the remote-write
 * sort uses after conversion, see §11.1), has no duplicate names and no empty values
 * (empty = absent everywhere, §3). Values are never mutated after construction.
 */
export interface Label {
  readonly name: string;
  readonly value: string;
}

export type Labels = readonly Label[];

export const METRIC_NAME_LABEL = '__name__';

/** Orders labels by name (plain `<` comparison of JS strings). */
export function compareLabelNames(a: Label, b: Label): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/** Builds a sorted label set from a record, dropping empty values. */
export function labelsFromRecord(record: Readonly<Record<string, string>>): Labels {
  const out: Label[] = [];
  for (const name of Object.keys(record)) {
    const value = record[name];
    if (value !== undefined && value !== '') out.push({ name, value });
  }
  return out.sort(compareLabelNames);
}

export function labelsToRecord(labels: Labels): Record<string, string> {
  const out: Record<string, string> = {};
  for (const l of labels) out[l.name] = l.value;
  return out;
}

export function getLabel(labels: Labels, name: string): string {
  for (const l of labels) if (l.name === name) return l.value;
  return '';
}

export function labelsEqual(a: Labels, b: Labels): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x.name !== y.name || x.value !== y.value) return false;
  }
  return true;
}

/**
 * A canonical, injective string for a label set, usable as a Map key or a persisted series
 * identity (the Lambda state store keeps these keys; stale markers rebuild labels from them).
 * Each name is followed by `\xfe`, each value by `\xff`. Names and values are JavaScript
 * strings, so they can hold U+00FE and U+00FF (`þ`, `ÿ`): inside a name or value the escape
 * U+00FD (`ý`), `þ` and `ÿ` are written as `\xfd` followed by `\x01`, `\x02`, `\x03`. A label
 * set without those three characters — nearly every one — has the same key as before the
 * escape existed.
 */
export function labelsKey(labels: Labels): string {
  // Joined, not concatenated: `+=` leaves a tree of partial strings that lives as long as the
  // key does (a dozen objects per cached series); join builds one flat string.
  const parts: string[] = new Array(labels.length * 4);
  let i = 0;
  for (const l of labels) {
    parts[i++] = l.name;
    parts[i++] = '\xfe';
    parts[i++] = l.value;
    parts[i++] = '\xff';
  }
  const key = parts.join('');
  // One scan of the result: exactly the separators and no escape means nothing to escape.
  let marked = 0;
  for (let c = 0; c < key.length; c++) if (key.charCodeAt(c) >= 0xfd) marked++;
  if (marked === labels.length * 2 && key.indexOf('\xfd') < 0) return key;
  for (let j = 0; j < parts.length; j += 2) parts[j] = escapeKeyPart(parts[j] as string);
  return parts.join('');
}

const KEY_SPECIALS = /[\xfd-\xff]/g;
const KEY_ESCAPES = /\xfd[\x01-\x03]/g;

function escapeKeyPart(s: string): string {
  return s.replace(KEY_SPECIALS, (c) => `\xfd${String.fromCharCode(c.charCodeAt(0) - 0xfc)}`);
}

function unescapeKeyPart(s: string): string {
  return s.replace(KEY_ESCAPES, (e) => String.fromCharCode(e.charCodeAt(1) + 0xfc));
}

/** Inverse of {@link labelsKey}. */
export function labelsFromKey(key: string): Labels {
  const escaped = key.indexOf('\xfd') >= 0;
  const out: Label[] = [];
  let start = 0;
  while (start < key.length) {
    const sep = key.indexOf('\xfe', start);
    const end = key.indexOf('\xff', sep + 1);
    if (sep < 0 || end < 0) throw new Error(`malformed label key at offset ${start}`);
    const name = key.slice(start, sep);
    const value = key.slice(sep + 1, end);
    out.push(
      escaped ? { name: unescapeKeyPart(name), value: unescapeKeyPart(value) } : { name, value },
    );
    start = end + 1;
  }
  return out;
}

const LEGACY_LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const LEGACY_METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

export function isLegacyLabelName(name: string): boolean {
  return LEGACY_LABEL_NAME.test(name);
}

export function isLegacyMetricName(name: string): boolean {
  return LEGACY_METRIC_NAME.test(name);
}

/** ES2024 `String.prototype.isWellFormed` (Node ≥ 20), not yet in the configured lib. */
interface WellFormedCheck {
  isWellFormed?: () => boolean;
}
const NATIVE_IS_WELL_FORMED =
  typeof (String.prototype as WellFormedCheck).isWellFormed === 'function';

/** True when the string holds no lone surrogate (i.e. it encodes to valid UTF-8). */
export function isWellFormedUtf16(s: string): boolean {
  // The native check answers one-byte strings (most label names and values) without a scan.
  if (NATIVE_IS_WELL_FORMED) return (s as WellFormedCheck).isWellFormed!();
  return isWellFormedUtf16Scan(s);
}

/** The same check, by hand (engines without the native one; tests compare both). */
export function isWellFormedUtf16Scan(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = s.charCodeAt(i + 1);
      if (!(d >= 0xdc00 && d <= 0xdfff)) return false;
      i++;
    } else if (c >= 0xdc00 && c <= 0xdfff) {
      return false;
    }
  }
  return true;
}

/**
 * Formats a series as `name{a="x", b="y"}` the way promtool and PromQL print it: `__name__`
 * outside the braces, other labels in order, values escaped (`\\`, `\"`, `\n`).
 */
export function formatSeries(labels: Labels): string {
  let name = '';
  const parts: string[] = [];
  for (const l of labels) {
    if (l.name === METRIC_NAME_LABEL) name = l.value;
    else parts.push(`${formatLabelName(l.name)}="${escapeLabelValue(l.value)}"`);
  }
  const legacyName = name === '' || isLegacyMetricName(name);
  if (!legacyName) parts.unshift(`"${escapeLabelValue(name)}"`);
  const head = legacyName ? name : '';
  return parts.length === 0 ? head : `${head}{${parts.join(', ')}}`;
}

function formatLabelName(name: string): string {
  return isLegacyLabelName(name) ? name : `"${escapeLabelValue(name)}"`;
}

export function escapeLabelValue(v: string): string {
  if (!/[\\"\n]/.test(v)) return v;
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}
