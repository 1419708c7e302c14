import { describe, expect, it } from 'vitest';
import { type ExpositionFormat, ExpositionParseError } from '../../src/exposition/index.js';
import { collect } from './helpers.js';

/** Builds a body from text and raw byte arrays. */
function bytes(...parts: (string | number[])[]): Uint8Array {
  const chunks = parts.map((p) =>
    typeof p === 'string' ? new TextEncoder().encode(p) : Uint8Array.from(p),
  );
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}

function errorOf(
  format: ExpositionFormat,
  body: Uint8Array | string,
): ExpositionParseError | undefined {
  try {
    collect(format, body);
    return undefined;
  } catch (err) {
    if (err instanceof ExpositionParseError) return err;
    throw err;
  }
}

describe('invalid UTF-8 (decode.ts policy)', () => {
  it.each<[string, ExpositionFormat, Uint8Array, number | undefined]>([
    ['label value', 'prometheus-text', bytes('ok 1\na{b="', [0xff], '"} 1\n'), 2],
    ['HELP text', 'prometheus-text', bytes('# HELP a x', [0xff], '\n'), 1],
    ['quoted label name', 'prometheus-text', bytes('a{"', [0xc3], '"="x"} 1\n'), 1],
    ['label name position', 'prometheus-text', bytes('a{', [0xff], '} 1\n'), 1],
    ['overlong encoding', 'prometheus-text', bytes('a{b="', [0xc0, 0x80], '"} 1\n'), 1],
    ['encoded surrogate', 'prometheus-text', bytes('a{b="', [0xed, 0xa0, 0x80], '"} 1\n'), 1],
    ['truncated sequence', 'prometheus-text', bytes('a{b="', [0xe2, 0x82], '"} 1\n'), 1],
    [
      'text comment (allowed)',
      'prometheus-text',
      bytes('# note ', [0xff, 0xfe], '\na 1\n'),
      undefined,
    ],
    ['bare # comment (allowed)', 'prometheus-text', bytes('#', [0xff], '\na 1\n'), undefined],
    [
      'after a NUL that ends the body',
      'prometheus-text',
      bytes('a 1\n', [0, 0xff], '\n'),
      undefined,
    ],
    ['OpenMetrics label value', 'openmetrics', bytes('a{b="', [0xff], '"} 1\n# EOF\n'), 1],
    ['OpenMetrics HELP', 'openmetrics', bytes('# HELP a ', [0xff], '\n# EOF\n'), 1],
    ['OpenMetrics UNIT', 'openmetrics', bytes('# UNIT a_', [0xff], ' ', [0xff], '\n# EOF\n'), 1],
  ])('%s (%s)', (_name, format, body, line) => {
    const err = errorOf(format, body);
    if (line === undefined) expect(err).toBeUndefined();
    else expect(err?.line).toBe(line);
  });

  it('keeps offsets right after an invalid byte in a comment', () => {
    const body = bytes('a{b="é"} 1\n# ', [0xff], ' x\nc{d="€😀"} 2\n');
    expect(collect('prometheus-text', body)).toEqual([
      {
        kind: 'series',
        series: 'a{b="é"}',
        labels: { __name__: 'a', b: 'é' },
        value: 1,
        timestampMs: null,
      },
      { kind: 'comment', comment: '# \ufffd x' },
      {
        kind: 'series',
        series: 'c{d="€😀"}',
        labels: { __name__: 'c', d: '€😀' },
        value: 2,
        timestampMs: null,
      },
    ]);
  });

  it('decodes multi-byte UTF-8 names and values', () => {
    const body = bytes('{"Heizöl€","straße"="wärme"} 1\n# EOF\n');
    expect(collect('openmetrics', body)).toEqual([
      {
        kind: 'series',
        series: '{"Heizöl€","straße"="wärme"}',
        labels: { __name__: 'Heizöl€', straße: 'wärme' },
        value: 1,
        timestampMs: null,
      },
    ]);
  });

  it('rejects a BOM: it is not a valid start of a line, as in Prometheus', () => {
    expect(errorOf('prometheus-text', bytes([0xef, 0xbb, 0xbf], 'a 1\n'))?.line).toBe(1);
  });

  it('treats lone surrogates in a string body like invalid bytes', () => {
    expect(errorOf('prometheus-text', 'a{b="\ud800"} 1\n')?.line).toBe(1);
    expect(errorOf('prometheus-text', '# \udc00\na 1\n')).toBeUndefined();
    expect(errorOf('prometheus-text', 'a{b="😀"} 1\n')).toBeUndefined();
  });
});
