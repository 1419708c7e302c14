/**
 * Syntax checks of the `selectors` of a `kubernetes_sd_configs` entry. The selectors are sent to
 * the API server as written (`labelSelector`, `fieldSelector` query parameters); these checks
 * only refuse, at config load, what the API server would refuse on every list. They follow the
 * grammar of Kubernetes' label and field selector parsers; the messages are ours.
 */

/** A label key: an optional DNS-subdomain prefix and `/`, then a name of at most 63 chars. */
const NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

function labelKeyProblem(key: string): string | undefined {
  const slash = key.lastIndexOf('/');
  const name = slash < 0 ? key : key.slice(slash + 1);
  const prefix = slash < 0 ? undefined : key.slice(0, slash);
  if (prefix !== undefined && (prefix.length > 253 || !SUBDOMAIN.test(prefix))) {
    return `invalid label key ${JSON.stringify(key)}: the prefix must be a DNS subdomain`;
  }
  if (name.length > 63 || !NAME.test(name)) {
    return `invalid label key ${JSON.stringify(key)}: a name of at most 63 alphanumeric characters, '-', '_' or '.', starting and ending with an alphanumeric character`;
  }
  return undefined;
}

function labelValueProblem(value: string): string | undefined {
  if (value === '' || (value.length <= 63 && NAME.test(value))) return undefined;
  return `invalid label value ${JSON.stringify(value)}: at most 63 alphanumeric characters, '-', '_' or '.', starting and ending with an alphanumeric character`;
}

type Token =
  | { kind: 'id'; text: string }
  | { kind: 'op'; text: '!' | '=' | '==' | '!=' | '>' | '<' | '(' | ')' | ',' };

/** Splits a label selector into identifiers and operators (whitespace separates). */
function tokens(text: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const two = text.slice(i, i + 2);
    if (two === '==' || two === '!=') {
      out.push({ kind: 'op', text: two });
      i += 2;
      continue;
    }
    if ('!=><(),'.includes(c)) {
      out.push({ kind: 'op', text: c as '!' });
      i++;
      continue;
    }
    let j = i;
    while (j < text.length && !/\s/.test(text[j]!) && !'!=><(),'.includes(text[j]!)) j++;
    out.push({ kind: 'id', text: text.slice(i, j) });
    i = j;
  }
  return out;
}

/** Why a label selector does not parse, or undefined when it does ('' selects everything). */
export function labelSelectorProblem(text: string): string | undefined {
  const t = tokens(text);
  let i = 0;
  const peek = () => t[i];
  const isOp = (tok: Token | undefined, op: string) => tok?.kind === 'op' && tok.text === op;
  if (t.length === 0) return undefined;
  for (;;) {
    let negated = false;
    if (isOp(peek(), '!')) {
      negated = true;
      i++;
    }
    const key = peek();
    if (key?.kind !== 'id') return `invalid label selector ${JSON.stringify(text)}: key expected`;
    i++;
    const keyProblem = labelKeyProblem(key.text);
    if (keyProblem !== undefined) return keyProblem;
    const op = peek();
    const ends = op === undefined || isOp(op, ',');
    if (negated && !ends) {
      return `invalid label selector ${JSON.stringify(text)}: nothing may follow !${key.text}`;
    }
    if (!ends) {
      i++;
      if (op.kind === 'id' && (op.text === 'in' || op.text === 'notin')) {
        if (!isOp(peek(), '(')) return `invalid label selector ${JSON.stringify(text)}: ( expected`;
        i++;
        for (;;) {
          let value = '';
          if (peek()?.kind === 'id') value = (t[i++] as { text: string }).text;
          const problem = labelValueProblem(value);
          if (problem !== undefined) return problem;
          if (isOp(peek(), ',')) {
            i++;
            continue;
          }
          if (isOp(peek(), ')')) {
            i++;
            break;
          }
          return `invalid label selector ${JSON.stringify(text)}: , or ) expected`;
        }
      } else if (op.kind === 'op' && ['=', '==', '!='].includes(op.text)) {
        let value = '';
        if (peek()?.kind === 'id') value = (t[i++] as { text: string }).text;
        const problem = labelValueProblem(value);
        if (problem !== undefined) return problem;
      } else if (op.kind === 'op' && (op.text === '>' || op.text === '<')) {
        const value = peek();
        if (value?.kind !== 'id' || !/^-?\d+$/.test(value.text)) {
          return `invalid label selector ${JSON.stringify(text)}: an integer must follow ${op.text}`;
        }
        i++;
      } else {
        return `invalid label selector ${JSON.stringify(text)}: unexpected ${JSON.stringify(op.text)} after ${key.text}`;
      }
    }
    if (i >= t.length) return undefined;
    if (!isOp(peek(), ',')) {
      return `invalid label selector ${JSON.stringify(text)}: , expected after a requirement`;
    }
    i++;
  }
}

/**
 * Why a field selector does not parse, or undefined when it does ('' selects everything).
 * Terms are `key=value`, `key==value` or `key!=value`, separated by commas; `\` escapes a
 * `,`, `=`, `!` or `\` in a value.
 */
export function fieldSelectorProblem(text: string): string | undefined {
  if (text === '') return undefined;
  const terms: string[] = [];
  let current = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\\' && i + 1 < text.length) {
      current += c + text[i + 1];
      i++;
    } else if (c === ',') {
      terms.push(current);
      current = '';
    } else {
      current += c;
    }
  }
  terms.push(current);
  for (const term of terms) {
    if (term === '') continue;
    const m = /^([^=!]*)(!=|==|=)(.*)$/s.exec(term);
    if (m === null || m[1] === '') {
      return `invalid field selector ${JSON.stringify(text)}: cannot understand ${JSON.stringify(term)}`;
    }
    const value = m[3]!;
    for (let i = 0; i < value.length; i++) {
      const c = value[i]!;
      const escaped = c === '\\' && '\\,=!'.includes(value[i + 1] ?? 'x');
      if (escaped) i++;
      else if ('\\=!'.includes(c)) {
        return `invalid field selector ${JSON.stringify(text)}: ${JSON.stringify(c)} must be escaped in ${JSON.stringify(term)}`;
      }
    }
  }
  return undefined;
}
