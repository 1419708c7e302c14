/**
 * Replacement templates (`$1`, `${1}`, `$name`, `${name}`, `$$`) with the rules of Go's
 * `Regexp.Expand`, which Prometheus uses for `replacement` and for `target_label` (§3
 * "Template expansion"):
 *
 * - `$$` is a literal `$`.
 * - After `$` the reference is `{…}` or the longest run of letters, digits and `_` (Unicode
 *   letters `\p{L}` and decimal digits `\p{Nd}` count). So `$1x` names the group "1x".
 * - A name made only of ASCII digits is a group index, unless it has a leading zero (`$01`) or
 *   ten or more digits: those are looked up as group *names*. (Go stops reading a number once the
 *   value reached 1e8, so 9-digit numbers are still indexes.)
 * - A reference to a group that does not exist or did not take part in the match expands to "".
 * - A malformed reference (`$` at the end, `$` followed by something that is not a name, `${`
 *   without `}`, `${}`) emits the `$` literally and scanning goes on right after it.
 *
 * A template is parsed once into a {@link CompiledTemplate} against one regex's groups; expanding
 * it is then a loop over literal pieces and group indexes.
 */

/** Group offsets as Go's `FindStringSubmatchIndex` returns them: `[start0, end0, start1, end1, …]`, -1 when a group did not take part. Offsets are UTF-16 indexes into the matched string. */
export type MatchIndexes = ArrayLike<number>;

/**
 * A template resolved against one regex. `parts` holds literal text (strings) and group indexes
 * (numbers); a reference that can never produce text (unknown name, index beyond the group count)
 * is dropped at compile time.
 */
export interface CompiledTemplate {
  /** The template as written. */
  readonly source: string;
  readonly parts: readonly (string | number)[];
  /** True when no part is a group reference: the expansion is always {@link literal}. */
  readonly isLiteral: boolean;
  /** The expansion when {@link isLiteral} (e.g. `a$$b` → `a$b`); '' otherwise. */
  readonly literal: string;
}

/** Letters and decimal digits per Go's `unicode.IsLetter` / `unicode.IsDigit`, and `_`. */
const NAME_RUN = /[\p{L}\p{Nd}_]+/uy;

/** Go reads at most this far into a number before treating the reference as a name. */
const MAX_INDEX_PREFIX = 1e8;

/**
 * Parses a reference name per Go's rules: the group index it denotes, or -1 when it is a name.
 */
function referenceIndex(name: string): number {
  let num = 0;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c < 0x30 || c > 0x39 || num >= MAX_INDEX_PREFIX) return -1;
    num = num * 10 + (c - 0x30);
  }
  if (name.charCodeAt(0) === 0x30 && name.length > 1) return -1;
  return num;
}

/**
 * Parses `template` against a regex with `groupCount` capturing groups whose names are
 * `groupNames[i]` ('' or absent for unnamed groups; index 0 is the whole match).
 */
export function compileTemplate(
  template: string,
  groupCount: number,
  groupNames: readonly string[] = [],
): CompiledTemplate {
  const parts: (string | number)[] = [];
  let text = '';
  let pos = 0;
  for (;;) {
    const dollar = template.indexOf('$', pos);
    if (dollar < 0) break;
    text += template.slice(pos, dollar);
    pos = dollar + 1;
    if (template.charCodeAt(pos) === 0x24 /* $ */) {
      text += '$';
      pos++;
      continue;
    }
    const brace = template.charCodeAt(pos) === 0x7b; /* { */
    const nameStart = brace ? pos + 1 : pos;
    NAME_RUN.lastIndex = nameStart;
    const run = NAME_RUN.exec(template);
    const nameEnd = run === null ? nameStart : nameStart + run[0].length;
    if (nameEnd === nameStart || (brace && template.charCodeAt(nameEnd) !== 0x7d) /* } */) {
      // Malformed: the `$` is literal text; continue with what follows it.
      text += '$';
      continue;
    }
    const name = template.slice(nameStart, nameEnd);
    pos = brace ? nameEnd + 1 : nameEnd;
    let group = referenceIndex(name);
    if (group < 0) group = groupNames.indexOf(name, 1);
    if (group < 0 || group > groupCount) continue;
    if (text !== '') parts.push(text);
    text = '';
    parts.push(group);
  }
  text += template.slice(pos);
  if (text !== '') parts.push(text);
  const isLiteral = parts.every((p) => typeof p === 'string');
  return { source: template, parts, isLiteral, literal: isLiteral ? parts.join('') : '' };
}

/** Expands a compiled template with a match of `src` (offsets as from the same regex). */
export function expandCompiled(t: CompiledTemplate, src: string, match: MatchIndexes): string {
  if (t.isLiteral) return t.literal;
  let out = '';
  const parts = t.parts;
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i]!;
    if (typeof p === 'string') {
      out += p;
    } else {
      const start = match[2 * p] ?? -1;
      if (start >= 0) out += src.slice(start, match[2 * p + 1]);
    }
  }
  return out;
}

/**
 * Expands `template` like Go's `Regexp.ExpandString(nil, template, src, match)`.
 *
 * `match` holds the group offsets (`[start0, end0, …]`, -1 for a group that did not take part);
 * its length decides which group indexes exist. `groupNames[i]` is the name of group i ('' for
 * unnamed ones), as used by `$name` / `${name}`.
 */
export function expandTemplate(
  template: string,
  src: string,
  match: MatchIndexes,
  groupNames: readonly string[] = [],
): string {
  const groupCount = Math.max(0, Math.floor(match.length / 2) - 1);
  return expandCompiled(compileTemplate(template, groupCount, groupNames), src, match);
}
