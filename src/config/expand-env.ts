/**
 * `$VAR` / `${VAR}` expansion in external label values (§1.2), with the rules of Go's
 * `os.Expand` as Prometheus calls it:
 * - `$$` is a literal `$`;
 * - `${name}` takes everything up to the next `}` as the name; `${}` and an unclosed `${` are
 *   dropped (their characters are eaten);
 * - `$` + one of the shell special characters `*#$@!?-` or a digit names that one character;
 * - otherwise the name is the longest run of ASCII letters, digits and `_`; a `$` followed by
 *   none of these stays as it is;
 * - an unset or empty variable expands to ''.
 */
export function expandEnv(text: string, env: Readonly<Record<string, string | undefined>>): string {
  if (!text.includes('$')) return text;
  let out = '';
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c !== '$' || i + 1 >= text.length) {
      out += c;
      i++;
      continue;
    }
    const { name, width } = shellName(text, i + 1);
    if (name === '' && width > 0) {
      // Bad syntax: the characters are eaten.
    } else if (name === '') {
      out += '$';
    } else {
      out += name === '$' ? '$' : (env[name] ?? '');
    }
    i += 1 + width;
  }
  return out;
}

const SPECIAL = '*#$@!?-0123456789';

function isNameChar(c: string): boolean {
  return /^[A-Za-z0-9_]$/.test(c);
}

/** The variable name starting at `start` (just after `$`) and how many characters it spans. */
function shellName(s: string, start: number): { name: string; width: number } {
  const first = s[start]!;
  if (first === '{') {
    if (s.length > start + 2 && SPECIAL.includes(s[start + 1]!) && s[start + 2] === '}') {
      return { name: s[start + 1]!, width: 3 };
    }
    const close = s.indexOf('}', start + 1);
    if (close < 0) return { name: '', width: 1 };
    if (close === start + 1) return { name: '', width: 2 };
    return { name: s.slice(start + 1, close), width: close - start + 1 };
  }
  if (SPECIAL.includes(first)) return { name: first, width: 1 };
  let end = start;
  while (end < s.length && isNameChar(s[end]!)) end++;
  return { name: s.slice(start, end), width: end - start };
}
