/**
 * Property tests: untrusted bodies never make the parsers throw anything but
 * ExpositionParseError and always terminate; formatted samples parse back unchanged.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  createParser,
  EntryKind,
  type ExpositionFormat,
  ExpositionParseError,
  type ExpositionParserOptions,
  formatSampleLine,
} from '../../src/exposition/index.js';
import { compareLabelNames, type Label, type Labels } from '../../src/model/labels.js';
import { fuzzParams } from '../support/fuzz.js';

const MODES: { format: ExpositionFormat; options: ExpositionParserOptions }[] = [
  { format: 'prometheus-text', options: {} },
  { format: 'openmetrics', options: {} },
  { format: 'openmetrics', options: { strict: true } },
  { format: 'openmetrics', options: { skipCreatedSeries: true } },
];

/** Parses to the end calling every accessor; returns normally or throws the parse error. */
function drain(
  format: ExpositionFormat,
  body: string | Uint8Array,
  options: ExpositionParserOptions,
) {
  const p = createParser(format, body, options);
  // Each next() consumes at least one char, so this bound only catches a parser that stalls.
  const limit = (typeof body === 'string' ? body.length : body.byteLength) + 2;
  for (let i = 0; i <= limit; i++) {
    const k = p.next();
    if (k === EntryKind.EOF) return;
    p.lineNumber();
    p.metricType();
    if (k === EntryKind.Series) {
      p.seriesText();
      p.labels();
      p.metricName();
      p.value();
      p.timestampMs();
      p.exemplar();
      p.startTimestampMs();
    } else {
      p.metricFamily();
      p.help();
      p.unit();
      p.comment();
    }
  }
  throw new Error('parser did not reach EOF');
}

function onlyParseErrors(
  format: ExpositionFormat,
  body: string | Uint8Array,
  options: ExpositionParserOptions,
) {
  try {
    drain(format, body, options);
  } catch (err) {
    if (!(err instanceof ExpositionParseError)) throw err;
  }
}

const SEEDS = [
  '# HELP a help \\n text\n# TYPE a counter\na_total{x="1",y="2\\"3"} 1 1700000000\na_created{x="1"} 5\n# EOF\n',
  '# TYPE h histogram\nh_bucket{le="0.5"} 1 # {t="x"} 0.4 1.5\nh_bucket{le="+Inf"} 2\nh_count 2\nh_sum 1\n# EOF\n',
  '# TYPE s summary\ns{quantile="0.5"} NaN\ns_sum -1\ns_count 2\n{"a.b","c.d"="e"} +Inf\n# EOF\n',
  'm { a = "x" b="y", } 1e3 123\n# comment\n\n{"u.t.f", z="€"} -Inf\n',
];

const PIECES = [
  '"',
  '\\',
  '{',
  '}',
  ',',
  '=',
  ' ',
  '  ',
  '\t',
  '\n',
  '#',
  '# ',
  '# EOF',
  '# EOF\n',
  '\u0000',
  'a',
  'le',
  '_created',
  '_total',
  '1',
  '.',
  'e',
  '-',
  '+',
  'Inf',
  'NaN',
  'é',
  '\ud800',
  '😀',
  '\ufeff',
  '# TYPE ',
  '# HELP ',
  '# UNIT ',
  ' # {',
  'counter',
  'histogram',
];

const mutation = fc.tuple(fc.nat(), fc.nat(3), fc.constantFrom(...PIECES));

function mutate(seed: string, edits: [number, number, string][]): string {
  let s = seed;
  for (const [at, del, piece] of edits) {
    const i = s.length === 0 ? 0 : at % (s.length + 1);
    s = s.slice(0, i) + piece + s.slice(i + del);
  }
  return s;
}

describe('robustness against untrusted bodies', () => {
  for (const { format, options } of MODES) {
    const mode = `${format} ${JSON.stringify(options)}`;

    it(`random strings: ${mode}`, () => {
      fc.assert(
        fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (body) => {
          onlyParseErrors(format, body, options);
        }),
        fuzzParams(300),
      );
    });

    it(`random bytes: ${mode}`, () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 300 }), (body) => {
          onlyParseErrors(format, body, options);
        }),
        fuzzParams(300),
      );
    });

    it(`mutated valid bodies: ${mode}`, () => {
      fc.assert(
        fc.property(
          fc.constantFrom(...SEEDS),
          fc.array(mutation, { minLength: 1, maxLength: 6 }),
          (seed, edits) => {
            onlyParseErrors(format, mutate(seed, edits), options);
            onlyParseErrors(format, new TextEncoder().encode(mutate(seed, edits)), options);
          },
        ),
        fuzzParams(500),
      );
    });
  }

  it('takes linear time on pathological input', () => {
    const bodies = [
      `a{${'b="\\\\",'.repeat(50_000)}} 1\n`,
      `${'# '.repeat(100_000)}\n`,
      `${'{"x",'.repeat(1)}${'"y"="z",'.repeat(50_000)}} 1\n`,
      `${'a 1\n'.repeat(100_000)}`,
      `a{b="${'\\n'.repeat(100_000)}"} 1\n`,
      `# TYPE h histogram\n${'h_bucket{le="1"} 1\n'.repeat(50_000)}# EOF\n`,
    ];
    for (const body of bodies) {
      for (const { format, options } of MODES) {
        const start = Date.now();
        onlyParseErrors(format, body, options);
        expect(Date.now() - start, `${format} ${body.slice(0, 20)}`).toBeLessThan(5_000);
      }
    }
  });
});

describe('round trip: formatSampleLine → text parser', () => {
  const legacyName = fc.stringMatching(/^[a-zA-Z_:][a-zA-Z0-9_:]{0,12}$/);
  const legacyLabel = fc
    .stringMatching(/^[a-zA-Z_][a-zA-Z0-9_]{0,12}$/)
    .filter((n) => n !== '__name__');
  // Quoted names may hold anything but NUL (Prometheus's lexer does not allow NUL there).
  const utf8Name = fc
    .string({ unit: 'binary', minLength: 1, maxLength: 12 })
    .filter((n) => !n.includes('\u0000') && n !== '__name__');
  const value = fc.string({ unit: 'binary', minLength: 1, maxLength: 16 });
  const sample = fc.record({
    name: fc.oneof(legacyName, utf8Name),
    labels: fc.uniqueArray(fc.tuple(fc.oneof(legacyLabel, utf8Name), value), {
      maxLength: 6,
      selector: ([n]) => n,
    }),
    value: fc.oneof(fc.double(), fc.integer(), fc.constantFrom(0, -0, 1e6, 0.1)),
    timestampMs: fc.option(fc.integer({ min: 0, max: 2 ** 53 - 1 }), { nil: undefined }),
  });

  it('gives back the same labels, value and timestamp', () => {
    fc.assert(
      fc.property(fc.array(sample, { minLength: 1, maxLength: 5 }), (samples) => {
        const sets: Labels[] = samples.map((s) => {
          const labels: Label[] = [{ name: '__name__', value: s.name }];
          for (const [name, v] of s.labels) labels.push({ name, value: v });
          return labels.sort(compareLabelNames);
        });
        const body = samples
          .map((s, i) => formatSampleLine(sets[i]!, s.value, s.timestampMs))
          .join('\n');
        const p = createParser('prometheus-text', body);
        for (let i = 0; i < samples.length; i++) {
          expect(p.next()).toBe(EntryKind.Series);
          expect(p.labels()).toEqual(sets[i]);
          expect(Object.is(p.value(), samples[i]!.value)).toBe(true);
          expect(p.timestampMs()).toBe(samples[i]!.timestampMs);
        }
        expect(p.next()).toBe(EntryKind.EOF);
      }),
      fuzzParams(300),
    );
  });
});

/** Every entry as the parser reports it, or the error it ends with (message and line). */
function transcript(body: string | Uint8Array, options: ExpositionParserOptions): unknown[] {
  const out: unknown[] = [];
  const p = createParser('prometheus-text', body, options);
  try {
    for (let k = p.next(); k !== EntryKind.EOF; k = p.next()) {
      out.push(
        k === EntryKind.Series
          ? [
              k,
              p.lineNumber(),
              p.seriesText(),
              p.labels(),
              p.value(),
              p.timestampMs(),
              p.metricType(),
            ]
          : [k, p.lineNumber(), p.metricFamily(), p.metricType(), p.help(), p.comment()],
      );
    }
  } catch (err) {
    if (!(err instanceof ExpositionParseError)) throw err;
    out.push(['error', err.message]);
  }
  return out;
}

describe('text bodies read in windows (decode.ts) parse exactly as whole ones', () => {
  const ascii = new TextEncoder();
  const WINDOW_SEEDS = [
    ...SEEDS,
    'a{b="x\ny\nz", c="w"} 1\nd{e="\\"\n"} 2\n# HELP d x\n\n  \nf 3 4\n',
    '# TYPE h histogram\nh_bucket{le="1.0"} 1\nh_bucket{le="+Inf"} 2\n\u0000\nafter 1\n',
  ];

  it('mutated bodies, windows of 1 to 40 bytes', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...WINDOW_SEEDS),
        fc.array(mutation, { maxLength: 6 }),
        fc.integer({ min: 1, max: 40 }),
        (seed, edits, windowBytes) => {
          const body = ascii.encode(mutate(seed, edits));
          expect(transcript(body, { windowBytes })).toEqual(transcript(body, {}));
        },
      ),
      fuzzParams(500),
    );
  });

  it('a body past the default threshold (1 MiB) takes windows and reads the same', () => {
    const lines: string[] = ['# HELP big A large body.', '# TYPE big counter'];
    // Length counted as lines are added (joining them on every turn was quadratic: ~30 s).
    for (let i = 0, length = 0; length < 1.2 * 1024 * 1024; i++) {
      const line = `big_total{i="${i}",long="${'v'.repeat(i % 200)}"} ${i} ${1_700_000_000_000 + i}`;
      lines.push(line);
      length += line.length + 1;
    }
    lines.push('multi{a="line one', 'line two"} 1', '');
    const body = ascii.encode(lines.join('\n'));
    const whole = transcript(body, { windowBytes: body.length + 1 });
    expect(whole.length).toBeGreaterThan(5_000);
    expect(transcript(body, {})).toEqual(whole);
    expect(transcript(body, { windowBytes: 4096 })).toEqual(whole);
  });
});
