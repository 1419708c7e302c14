/**
 * Upper- and lower-casing as Go's `strings.ToUpper` / `strings.ToLower` do it, used by the
 * `uppercase` and `lowercase` relabel actions (§3): every code point is mapped on its own with
 * the Unicode *simple* case mapping (UnicodeData.txt), so the length in code points never
 * changes and no context is looked at.
 *
 * JavaScript's `toUpperCase`/`toLowerCase` use the *full* mapping instead: `ß` → `SS`,
 * `ﬁ` → `FI`, `ᾳ` → `ΑΙ`, `İ` → `i̇`, and a final `Σ` → `ς`. We therefore map one code point at
 * a time and take JS's answer only when it is a single code point. Where the full mapping is
 * longer, the simple mapping is the code point itself, except for the few listed in
 * {@link UPPER_EXCEPTIONS} / {@link LOWER_EXCEPTIONS}.
 *
 * Caveat: JS answers from the engine's ICU tables (Unicode 17 in Node 20.20), Go from its own
 * (Unicode 15.0); characters whose case mapping was added between those versions differ.
 */

/**
 * Code points whose full uppercase has several code points but whose simple uppercase is another
 * single code point: the Greek letters with ypogegrammeni map to the matching titlecase letters
 * (U+1F80..U+1F87 → U+1F88..U+1F8F and so on).
 */
const UPPER_EXCEPTIONS: ReadonlyMap<number, number> = (() => {
  const m = new Map<number, number>();
  for (const start of [0x1f80, 0x1f90, 0x1fa0]) {
    for (let i = 0; i < 8; i++) m.set(start + i, start + 8 + i);
  }
  m.set(0x1fb3, 0x1fbc);
  m.set(0x1fc3, 0x1fcc);
  m.set(0x1ff3, 0x1ffc);
  return m;
})();

/** `İ` (U+0130): full lowercase is `i` + U+0307, simple lowercase is `i`. */
const LOWER_EXCEPTIONS: ReadonlyMap<number, number> = new Map([[0x130, 0x69]]);

/** Go's strings.Map turns bytes that are not valid UTF-8 into U+FFFD; lone surrogates are ours. */
const REPLACEMENT_CHARACTER = 0xfffd;

function simpleUpper(cp: number): number {
  const special = UPPER_EXCEPTIONS.get(cp);
  if (special !== undefined) return special;
  return singleCodePoint(String.fromCodePoint(cp).toUpperCase(), cp);
}

function simpleLower(cp: number): number {
  const special = LOWER_EXCEPTIONS.get(cp);
  if (special !== undefined) return special;
  return singleCodePoint(String.fromCodePoint(cp).toLowerCase(), cp);
}

/** The code point `s` consists of, or `fallback` when `s` is not exactly one code point. */
function singleCodePoint(s: string, fallback: number): number {
  const cp = s.codePointAt(0);
  if (cp === undefined) return fallback;
  return s.length === (cp > 0xffff ? 2 : 1) ? cp : fallback;
}

/**
 * Applies `mapNonAscii` to every code point ≥ 0x80 and `asciiDelta` rules to ASCII letters in
 * `[asciiFrom, asciiTo]`. Returns `s` itself when nothing changes.
 */
function mapCodePoints(
  s: string,
  asciiFrom: number,
  asciiTo: number,
  mapNonAscii: (cp: number) => number,
): string {
  let out = '';
  let copied = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    let cp = c;
    let width = 1;
    if (c >= 0xd800 && c <= 0xdfff) {
      const d = s.charCodeAt(i + 1);
      if (c <= 0xdbff && d >= 0xdc00 && d <= 0xdfff) {
        cp = ((c - 0xd800) << 10) + (d - 0xdc00) + 0x10000;
        width = 2;
      } else {
        cp = -1;
      }
    }
    let mapped: number;
    if (cp < 0) mapped = REPLACEMENT_CHARACTER;
    else if (cp < 0x80) mapped = cp >= asciiFrom && cp <= asciiTo ? cp ^ 0x20 : cp;
    else mapped = mapNonAscii(cp);
    if (mapped !== cp) {
      out += s.slice(copied, i) + String.fromCodePoint(mapped);
      copied = i + width;
    }
    i += width - 1;
  }
  return copied === 0 ? s : out + s.slice(copied);
}

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) >= 0x80) return false;
  return true;
}

/** Go `strings.ToUpper`: simple uppercase mapping per code point. */
export function toUpperSimple(s: string): string {
  // On ASCII the JS mapping is the simple one.
  if (isAscii(s)) return s.toUpperCase();
  return mapCodePoints(s, 0x61, 0x7a, simpleUpper);
}

/** Go `strings.ToLower`: simple lowercase mapping per code point. */
export function toLowerSimple(s: string): string {
  if (isAscii(s)) return s.toLowerCase();
  return mapCodePoints(s, 0x41, 0x5a, simpleLower);
}
