import { RE2JS } from 're2js';
import { RelabelError } from './errors.js';
import { type CompiledTemplate, expandCompiled, type MatchIndexes } from './template.js';

/**
 * A relabel regex (§1.6, §3): RE2 syntax, compiled once as `^(?s:<source>)$` so it must match the
 * whole string, `.` matches `\n`, and `$` means end of text only.
 *
 * Matching mirrors Go's calls exactly: {@link test} is `MatchString` and {@link exec} is
 * `FindStringSubmatchIndex`, both unanchored searches of the anchored pattern. For a well-formed
 * source that is the same as a whole-string match; for a source that closes the wrapper group
 * itself (`a)|(b` becomes `^(?s:a)|(b)$`) Prometheus's behaviour, partial matches included, is
 * reproduced rather than "fixed".
 *
 * Sources of a few very common shapes skip the RE2 engine entirely, because the answer is a
 * string comparison with identical semantics (see {@link FastPattern}). RE2 still compiles them,
 * so the group count and names always come from RE2.
 */

/** RE2's compiled form, as `RE2JS#re2()` returns it (its `match` / `findSubmatchIndex` are Go's). */
type Re2Program = ReturnType<RE2JS['re2']>;

/**
 * Shapes matched without RE2. Literal text below is made of characters that are literal in RE2
 * (anything but `\.+*?()|[]{}^$`, plus `\` followed by ASCII punctuation) and holds no surrogate.
 *
 * - `affix`: `[^]prefix W suffix[$]` with W one of `(.*)`, `(.+)`, `.*`, `.+` (dot-all, so W
 *   matches any middle of length ≥ 0 or ≥ 1). Prefix and suffix are fixed, so the match (and the
 *   group, when W is captured) is unique. Covers the default `(.*)`.
 * - `literals`: `[^]a[$]|[^]b[$]|…`, optionally wrapped in one capturing group. Because the whole
 *   pattern is anchored, `^` at the start and `$` at the end of an alternative are no-ops.
 */
type FastPattern =
  | {
      readonly kind: 'affix';
      readonly prefix: string;
      readonly suffix: string;
      readonly minLength: number;
      readonly captured: boolean;
    }
  | { readonly kind: 'literals'; readonly values: ReadonlySet<string>; readonly captured: boolean };

const WILDCARDS = ['(.*)', '(.+)', '.*', '.+'] as const;

function isMeta(c: number): boolean {
  switch (c) {
    case 0x5c: // \
    case 0x2e: // .
    case 0x2b: // +
    case 0x2a: // *
    case 0x3f: // ?
    case 0x28: // (
    case 0x29: // )
    case 0x7c: // |
    case 0x5b: // [
    case 0x5d: // ]
    case 0x7b: // {
    case 0x7d: // }
    case 0x5e: // ^
    case 0x24: // $
      return true;
    default:
      return c >= 0xd800 && c <= 0xdfff;
  }
}

/** ASCII punctuation: RE2 reads `\` + one of these as the character itself. */
function isEscapableLiteral(c: number): boolean {
  return (
    (c >= 0x21 && c <= 0x2f) ||
    (c >= 0x3a && c <= 0x40) ||
    (c >= 0x5b && c <= 0x60) ||
    (c >= 0x7b && c <= 0x7e)
  );
}

/** Reads literal characters from `pos`; returns the text and the index of the first non-literal. */
function scanLiteral(src: string, pos: number): { text: string; end: number } {
  let text = '';
  let i = pos;
  while (i < src.length) {
    const c = src.charCodeAt(i);
    if (c === 0x5c) {
      const next = src.charCodeAt(i + 1);
      if (!isEscapableLiteral(next)) break;
      text += src[i + 1];
      i += 2;
    } else if (isMeta(c)) {
      break;
    } else {
      text += src[i];
      i++;
    }
  }
  return { text, end: i };
}

function parseLiteralAlternation(src: string): string[] | undefined {
  const out: string[] = [];
  let pos = 0;
  for (;;) {
    if (src.charCodeAt(pos) === 0x5e) pos++;
    const lit = scanLiteral(src, pos);
    pos = lit.end;
    if (src.charCodeAt(pos) === 0x24) pos++;
    out.push(lit.text);
    if (pos === src.length) return out;
    if (src.charCodeAt(pos) !== 0x7c) return undefined;
    pos++;
  }
}

function parseFastPattern(src: string): FastPattern | undefined {
  const wrapped =
    src.length >= 2 &&
    src.charCodeAt(0) === 0x28 &&
    src.charCodeAt(1) !== 0x3f &&
    src.endsWith(')');
  const alternatives = parseLiteralAlternation(wrapped ? src.slice(1, -1) : src);
  if (alternatives !== undefined) {
    return { kind: 'literals', values: new Set(alternatives), captured: wrapped };
  }
  let pos = src.charCodeAt(0) === 0x5e ? 1 : 0;
  const prefix = scanLiteral(src, pos);
  pos = prefix.end;
  const wildcard = WILDCARDS.find((w) => src.startsWith(w, pos));
  if (wildcard === undefined) return undefined;
  const suffix = scanLiteral(src, pos + wildcard.length);
  pos = suffix.end;
  if (src.charCodeAt(pos) === 0x24) pos++;
  if (pos !== src.length) return undefined;
  return {
    kind: 'affix',
    prefix: prefix.text,
    suffix: suffix.text,
    minLength: prefix.text.length + suffix.text.length + (wildcard.includes('+') ? 1 : 0),
    captured: wildcard.startsWith('('),
  };
}

export class RelabelRegex {
  /** The source as written (unanchored). */
  readonly source: string;
  /** Number of capturing groups (group 0, the whole match, not counted). */
  readonly groupCount: number;
  /** `groupNames[i]` is the name of group i, '' for group 0 and unnamed groups. */
  readonly groupNames: readonly string[];
  /** Which matcher answers: a string-comparison shortcut or the RE2 engine (diagnostics, tests). */
  readonly engine: 'affix' | 'literals' | 're2';
  private readonly pattern: RE2JS;
  private readonly program: Re2Program;
  private readonly fast: FastPattern | undefined;
  /** Reused result of {@link exec} on the fast paths. */
  private readonly scratch: number[];
  /**
   * The last input RE2 answered for, and its answers: relabeling asks the same question many
   * times in a row (a target label such as `instance` is the same for every series of a
   * scrape; consecutive series mostly share `__name__`), and one string comparison is far
   * cheaper than running RE2 again. Holds one string per regex.
   */
  private testInput: string | undefined = undefined;
  private testResult = false;
  private execInput: string | undefined = undefined;
  private execResult: number[] | null = null;

  /** Compiles `source`; throws {@link RelabelError} (cause: the RE2 error) when RE2 rejects it. */
  constructor(source: string) {
    this.source = source;
    try {
      this.pattern = RE2JS.compile(`^(?s:${source})$`);
    } catch (err) {
      const detail = err instanceof Error ? err.message : String(err);
      throw new RelabelError(`invalid regex ${JSON.stringify(source)}: ${detail}`, { cause: err });
    }
    this.program = this.pattern.re2();
    this.groupCount = this.pattern.groupCount();
    const names: string[] = new Array<string>(this.groupCount + 1).fill('');
    const named = this.pattern.namedGroups();
    for (const name of Object.keys(named)) {
      const index = named[name];
      if (index !== undefined && index > 0 && index <= this.groupCount) names[index] = name;
    }
    this.groupNames = names;
    const fast = parseFastPattern(source);
    // Use a shortcut only if RE2 agrees on the groups it implies.
    this.fast =
      fast !== undefined &&
      this.groupCount === (fast.captured ? 1 : 0) &&
      !Object.keys(named).length
        ? fast
        : undefined;
    this.engine = this.fast === undefined ? 're2' : this.fast.kind;
    this.scratch = new Array<number>(2 * (this.groupCount + 1)).fill(-1);
  }

  /** Go `MatchString`: whether the pattern matches `s` (for well-formed sources: all of `s`). */
  test(s: string): boolean {
    const fast = this.fast;
    if (fast === undefined) {
      if (s !== this.testInput) {
        this.testResult = this.program.match(s) as boolean;
        this.testInput = s;
      }
      return this.testResult;
    }
    if (fast.kind === 'literals') return fast.values.has(s);
    return s.length >= fast.minLength && s.startsWith(fast.prefix) && s.endsWith(fast.suffix);
  }

  /**
   * Go `FindStringSubmatchIndex`: group offsets (UTF-16 indexes into `s`, -1 for groups that did
   * not take part), or null when there is no match. The array may be reused by the next call on
   * this regex, and is returned again for the same input: read it before matching again, and
   * never write to it.
   */
  exec(s: string): MatchIndexes | null {
    const fast = this.fast;
    if (fast === undefined) {
      if (s !== this.execInput) {
        this.execResult = this.program.findSubmatchIndex(s) as number[] | null;
        this.execInput = s;
      }
      return this.execResult;
    }
    if (!this.test(s)) return null;
    const m = this.scratch;
    m[0] = 0;
    m[1] = s.length;
    if (fast.captured) {
      if (fast.kind === 'literals') {
        m[2] = 0;
        m[3] = s.length;
      } else {
        m[2] = fast.prefix.length;
        m[3] = s.length - fast.suffix.length;
      }
    }
    return m;
  }

  /**
   * Go `MatchString(s)` followed by `ReplaceAllString(s, template)` (labelmap, §3), with the
   * template compiled against this regex: null when nothing matches. With a well-formed source
   * the only match is all of `s`, so the result is just the expansion; the general loop (with
   * Go's rules for empty matches) only runs for sources that break out of the anchoring wrapper.
   */
  replaceAllIfMatch(s: string, template: CompiledTemplate): string | null {
    const first = this.exec(s);
    if (first === null) return null;
    if (first[0] === 0 && first[1] === s.length) return expandCompiled(template, s, first);
    return this.replaceAllGeneral(s, template);
  }

  private replaceAllGeneral(s: string, template: CompiledTemplate): string {
    const matcher = this.pattern.matcher(s);
    const groups = new Array<number>(2 * (this.groupCount + 1));
    let out = '';
    let lastMatchEnd = 0;
    let searchPos = 0;
    while (searchPos <= s.length && matcher.find(searchPos)) {
      for (let g = 0; g <= this.groupCount; g++) {
        groups[2 * g] = matcher.start(g);
        groups[2 * g + 1] = matcher.end(g);
      }
      const start = groups[0]!;
      const end = groups[1]!;
      out += s.slice(lastMatchEnd, start);
      // No replacement for an empty match right after the previous match.
      if (end > lastMatchEnd || start === 0) out += expandCompiled(template, s, groups);
      lastMatchEnd = end;
      // Advance at least one code point.
      const width = searchPos >= s.length ? 0 : codePointWidth(s, searchPos);
      if (searchPos + width > end) searchPos += width;
      else if (searchPos + 1 > end) searchPos++;
      else searchPos = end;
    }
    return out + s.slice(lastMatchEnd);
  }
}

function codePointWidth(s: string, i: number): number {
  const c = s.charCodeAt(i);
  if (c >= 0xd800 && c <= 0xdbff) {
    const d = s.charCodeAt(i + 1);
    if (d >= 0xdc00 && d <= 0xdfff) return 2;
  }
  return 1;
}
