import { type Document, isScalar, visit } from 'yaml';

/**
 * What go-yaml (and so Prometheus) refuses in a YAML source that the `yaml` package lets
 * through: bytes that are not UTF-8, and `\u`/`\U` escapes that name a UTF-16 surrogate (the
 * package turns those into lone surrogates, which are no text at all). With both refused, every
 * string the loader reads is valid Unicode, so every label name and value written in a config is
 * valid UTF-8 (§1.6).
 *
 * Problems are returned with a position (1-based line and column, in characters), for the
 * caller to record as `file:line:col: message` with go-yaml's wording.
 */
export interface SourceProblem {
  readonly line: number;
  readonly col: number;
  readonly message: string;
}

const strictDecoder = new TextDecoder('utf-8', { fatal: true });

/**
 * Decodes a config file's bytes. Returns the text, or the first byte that is not UTF-8 with the
 * message go-yaml's reader gives for it.
 */
export function decodeConfigBytes(bytes: Uint8Array): { text: string } | SourceProblem {
  try {
    return { text: strictDecoder.decode(bytes) };
  } catch {
    const { offset, message } = firstInvalidSequence(bytes);
    // The part before the bad byte is valid: its last line, decoded, gives the column.
    const lineStart = bytes.lastIndexOf(0x0a, offset - 1) + 1;
    let line = 1;
    for (let i = 0; i < lineStart; i++) if (bytes[i] === 0x0a) line++;
    const before = strictDecoder.decode(bytes.subarray(lineStart, offset));
    return { line, col: [...before].length + 1, message };
  }
}

/** The offset of the first ill-formed UTF-8 sequence, classified like go-yaml's reader. */
function firstInvalidSequence(bytes: Uint8Array): { offset: number; message: string } {
  let i = 0;
  while (i < bytes.length) {
    const lead = bytes[i]!;
    const width = lead < 0x80 ? 1 : lead >> 5 === 0x06 ? 2 : lead >> 4 === 0x0e ? 3 : 0;
    const size = width !== 0 ? width : lead >> 3 === 0x1e ? 4 : 0;
    if (size === 0) return { offset: i, message: 'invalid leading UTF-8 octet' };
    if (i + size > bytes.length) return { offset: i, message: 'incomplete UTF-8 octet sequence' };
    let value = size === 1 ? lead : lead & (0xff >> (size + 1));
    for (let k = 1; k < size; k++) {
      const next = bytes[i + k]!;
      if (next >> 6 !== 0x02) return { offset: i, message: 'invalid trailing UTF-8 octet' };
      value = (value << 6) | (next & 0x3f);
    }
    const shortest = size === 1 || value >= [0, 0, 0x80, 0x800, 0x10000][size]!;
    if (!shortest) return { offset: i, message: 'invalid length of a UTF-8 sequence' };
    if ((value >= 0xd800 && value <= 0xdfff) || value > 0x10ffff) {
      return { offset: i, message: 'invalid Unicode character' };
    }
    i += size;
  }
  // Not reached for bytes the decoder refused; kept total for the type checker.
  return { offset: bytes.length, message: 'incomplete UTF-8 octet sequence' };
}

/**
 * Problems of an already decoded source: a lone surrogate in the text (a string handed to the
 * loader that was not decoded from UTF-8), and surrogate escapes in double-quoted scalars.
 */
export function sourceProblems(
  text: string,
  doc: Document,
  position: (offset: number) => { line: number; col: number },
): SourceProblem[] {
  const problems: SourceProblem[] = [];
  const lone = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.exec(text);
  if (lone !== null) {
    problems.push({ ...position(lone.index), message: 'invalid Unicode character' });
  }
  visit(doc, {
    Scalar(_key, node) {
      const range = node.range;
      if (!isScalar(node) || node.type !== 'QUOTE_DOUBLE' || !range) return;
      const source = text.slice(range[0], range[1]);
      for (const m of source.matchAll(/\\(?:u([0-9a-fA-F]{4})|U([0-9a-fA-F]{8})|[\s\S])/g)) {
        const hex = m[1] ?? m[2];
        if (hex === undefined) continue;
        const value = Number.parseInt(hex, 16);
        if (value >= 0xd800 && value <= 0xdfff) {
          problems.push({
            ...position(range[0] + m.index),
            message: 'found invalid Unicode character escape code',
          });
        }
      }
    },
  });
  return problems;
}
