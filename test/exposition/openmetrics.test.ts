import { describe, expect, it } from 'vitest';
import {
  createParser,
  EntryKind,
  ExpositionParseError,
  type ExpositionParserOptions,
} from '../../src/exposition/index.js';
import { collect, type Entry } from './helpers.js';

const om = (body: string, options: ExpositionParserOptions = {}) =>
  collect('openmetrics', body, options);

function series(
  seriesText: string,
  labels: Record<string, string>,
  value: number,
  timestampMs: number | null = null,
  extra: Partial<Extract<Entry, { kind: 'series' }>> = {},
): Entry {
  return { kind: 'series', series: seriesText, labels, value, timestampMs, ...extra };
}

function failure(body: string, options: ExpositionParserOptions = {}): ExpositionParseError {
  try {
    om(body, options);
  } catch (err) {
    if (err instanceof ExpositionParseError) return err;
    throw err;
  }
  throw new Error('expected a parse error');
}

describe('OpenMetrics: accepted input (§5.2)', () => {
  it.each<{ name: string; body: string; want: Entry[] }>([
    { name: 'only # EOF', body: '# EOF\n', want: [] },
    {
      name: '# EOF without newline',
      body: 'a 1\n# EOF',
      want: [series('a', { __name__: 'a' }, 1)],
    },
    {
      name: 'metadata, UNIT, empty HELP and UNIT',
      body: '# TYPE a_seconds counter\n# UNIT a_seconds seconds\n# HELP a_seconds \n# UNIT b \n# EOF\n',
      want: [
        { kind: 'type', family: 'a_seconds', type: 'counter' },
        { kind: 'unit', family: 'a_seconds', unit: 'seconds' },
        { kind: 'help', family: 'a_seconds', help: '' },
        { kind: 'unit', family: 'b', unit: '' },
      ],
    },
    {
      name: 'HELP escapes include \\"',
      body: '# HELP a x\\"y\\\\z\\nw\\q\n# EOF\n',
      want: [{ kind: 'help', family: 'a', help: 'x"y\\z\nw\\q' }],
    },
    {
      name: 'timestamps are seconds, truncated to ms toward zero',
      body: [
        'a 1 1520879607.789',
        'b 1 1',
        'c 1 0.0009',
        'd 1 -1.5',
        'e 1 -0.0005',
        'f 1 1.5e3',
        'g 1 000',
        '# EOF',
      ].join('\n'),
      want: [
        series('a', { __name__: 'a' }, 1, 1520879607789),
        series('b', { __name__: 'b' }, 1, 1000),
        series('c', { __name__: 'c' }, 1, 0),
        series('d', { __name__: 'd' }, 1, -1500),
        series('e', { __name__: 'e' }, 1, 0),
        series('f', { __name__: 'f' }, 1, 1500000),
        series('g', { __name__: 'g' }, 1, 0),
      ],
    },
    {
      name: 'exemplars with and without timestamp, after a timestamp, escaped and quoted names',
      body: [
        'a_total 1 # {id="x"} 0.5',
        'b_total 2 10 # {id="y",n="q\\"z"} 1 1.25',
        'c_total 3 # {"id.thing"="w"} 4',
        'd_total 4 # {} 5',
        '# EOF',
      ].join('\n'),
      want: [
        series('a_total', { __name__: 'a_total' }, 1, null, {
          exemplar: { labels: { id: 'x' }, value: 0.5, timestampMs: null },
        }),
        series('b_total', { __name__: 'b_total' }, 2, 10000, {
          exemplar: { labels: { id: 'y', n: 'q"z' }, value: 1, timestampMs: 1250 },
        }),
        series('c_total', { __name__: 'c_total' }, 3, null, {
          exemplar: { labels: { 'id.thing': 'w' }, value: 4, timestampMs: null },
        }),
        series('d_total', { __name__: 'd_total' }, 4, null, {
          exemplar: { labels: {}, value: 5, timestampMs: null },
        }),
      ],
    },
    {
      name: 'hash and braces inside label values',
      body: 'a_total{foo="} foo # bar # "} 1\n# EOF\n',
      want: [
        series('a_total{foo="} foo # bar # "}', { __name__: 'a_total', foo: '} foo # bar # ' }, 1),
      ],
    },
    {
      name: 'quoted UTF-8 names, name anywhere in the braces',
      body: '{"http.status",q="0.9"} 1\n{q="0.9","http.status"} 2\n# EOF\n',
      want: [
        series('{"http.status",q="0.9"}', { __name__: 'http.status', q: '0.9' }, 1),
        series('{q="0.9","http.status"}', { __name__: 'http.status', q: '0.9' }, 2),
      ],
    },
    {
      name: 'values: NaN, infinities, leading zeros, uint64',
      body: 'a NaN\nb +Inf\nc -Inf\nd 0001.5\ne 18446744073709551615\n# EOF\n',
      want: [
        series('a', { __name__: 'a' }, Number.NaN),
        series('b', { __name__: 'b' }, Number.POSITIVE_INFINITY),
        series('c', { __name__: 'c' }, Number.NEGATIVE_INFINITY),
        series('d', { __name__: 'd' }, 1.5),
        series('e', { __name__: 'e' }, 2 ** 64),
      ],
    },
    {
      name: 'le normalised for histogram, not gaugehistogram',
      body: '# TYPE h histogram\nh_bucket{le="1"} 0\n# TYPE g gaugehistogram\ng_bucket{le="1"} 0\n# EOF\n',
      want: [
        { kind: 'type', family: 'h', type: 'histogram' },
        series('h_bucket{le="1"}', { __name__: 'h_bucket', le: '1.0' }, 0),
        { kind: 'type', family: 'g', type: 'gaugehistogram' },
        series('g_bucket{le="1"}', { __name__: 'g_bucket', le: '1' }, 0),
      ],
    },
    {
      name: '_created lines are ordinary series by default (§5.2)',
      body: '# TYPE c counter\nc_total 1\nc_created 1700000000.5\n# EOF\n',
      want: [
        { kind: 'type', family: 'c', type: 'counter' },
        series('c_total', { __name__: 'c_total' }, 1, null, { startTimestampMs: 1700000000500 }),
        series('c_created', { __name__: 'c_created' }, 1700000000.5, null, {
          startTimestampMs: 1700000000500,
        }),
      ],
    },
    {
      name: 'trailing comma accepted like Prometheus in the default mode',
      body: 'a{b="c",} 1\n# EOF\n',
      want: [series('a{b="c",}', { __name__: 'a', b: 'c' }, 1)],
    },
  ])('$name', ({ body, want }) => {
    expect(om(body)).toEqual(want);
  });

  it.each<[string, string]>([
    ['# TYPE a counter\n', 'a_total 1'],
    ['# TYPE a counter\n', 'a_created 1'],
    ['# TYPE a histogram\n', 'a_bucket{le="+Inf"} 1'],
    ['# TYPE a gaugehistogram\n', 'a_gsum 1'],
    ['# TYPE a summary\n', 'a{quantile="0.5"} 1'],
    ['# TYPE a info\n', 'a_info 1'],
    ['# TYPE a stateset\n', 'a{a="x"} 1'],
  ])('metricType() after %j for %j is the family type', (meta, line) => {
    const p = createParser('openmetrics', `${meta}${line}\n# EOF\n`);
    p.next();
    const type = p.metricType();
    expect(p.next()).toBe(EntryKind.Series);
    expect(p.metricType()).toBe(type);
  });

  it('metricType() of a series outside the typed family is unknown', () => {
    const p = createParser('openmetrics', '# TYPE a counter\nb 1\n# EOF\n');
    p.next();
    p.next();
    expect(p.metricType()).toBe('unknown');
  });
});

describe('OpenMetrics: errors carry the line number', () => {
  it.each<[string, number, RegExp]>([
    ['', 1, /does not end with # EOF/],
    ['a 1\n', 2, /does not end with # EOF/],
    ['a 1', 1, /does not end with # EOF/],
    ['# EOF\na 1', 1, /unexpected data after # EOF/],
    ['# EOF\n\n', 1, /unexpected data after # EOF/],
    ['# EOF ', 1, /unexpected data after # EOF/],
    ['a 1\n\n# EOF\n', 2, /expected a valid start token/],
    [' a 1\n# EOF\n', 1, /expected a valid start token/],
    ['#  TYPE a gauge\n# EOF\n', 1, /expected a valid start token/],
    ['# random comment\n# EOF\n', 1, /expected a valid start token/],
    ['# TYPE a untyped\n# EOF\n', 1, /invalid metric type "untyped"/],
    ['# TYPE a\n# EOF\n', 1, /expected text in TYPE/],
    ['# HELP a\tx\n# EOF\n', 1, /expected text in HELP/],
    ['# UNIT a_s seconds\n# EOF\n', 1, /not a suffix/],
    ['# UNIT seconds seconds\n# EOF\n', 1, /not a suffix/],
    ['a  1\n# EOF\n', 1, /expected value after metric/],
    ['a\t1\n# EOF\n', 1, /expected value after metric/],
    ['a 1 \n# EOF\n', 1, /expected timestamp/],
    ['a 1\t2\n# EOF\n', 1, /invalid value/],
    ['a 1 NaN\n# EOF\n', 1, /invalid timestamp/],
    ['a 1 +Inf\n# EOF\n', 1, /invalid timestamp/],
    ['a 1 1 1\n# EOF\n', 1, /expected next entry after timestamp/],
    ['a{b="c", d="e"} 1\n# EOF\n', 1, /expected label name/],
    ['a{b="c"d="e"} 1\n# EOF\n', 1, /expected comma or brace close/],
    ['a{b="c",,d="e"} 1\n# EOF\n', 1, /expected label name/],
    ['a{b="x\ny"} 1\n# EOF\n', 1, /newline/],
    ['a_total 1 # {a="b"}\n# EOF\n', 1, /expected value after exemplar labels/],
    ['a_total 1 # {"a"} 1\n# EOF\n', 1, /expected label name/],
    ['a_total 1 # {a="\u0000"} 1\n# EOF\n', 1, /NUL/],
    ['a_total 1 # {a="b"} 1 NaN\n# EOF\n', 1, /invalid exemplar timestamp/],
    ['a_total 1 # {a="b"} 1 2 3\n# EOF\n', 1, /end of line after exemplar timestamp/],
    ['a_total 1 #{a="b"} 1\n# EOF\n', 1, /invalid timestamp/],
    ['ok 1\nfoo 0x1p-3\n# EOF\n', 2, /invalid value/],
  ])('%j fails on line %d', (body, line, message) => {
    const err = failure(body);
    expect(err.line).toBe(line);
    expect(err.message).toMatch(message);
  });
});

describe('OpenMetrics strict mode: family rules', () => {
  it.each<[string, string, RegExp]>([
    ['counter NaN', '# TYPE a counter\na_total NaN\n# EOF\n', /cannot be NaN/],
    ['negative _count', '# TYPE a summary\na_count -1\n# EOF\n', /cannot be negative/],
    ['interleaved families', 'a 1\nb 1\na 2\n# EOF\n', /clashing name "a"/],
    ['HELP twice', '# HELP a x\n# HELP a x\n# EOF\n', /more than one HELP/],
    ['TYPE after samples', '# HELP a x\na 1\n# TYPE a gauge\n# EOF\n', /after its samples/],
    [
      'histogram without +Inf',
      '# TYPE a histogram\na_bucket{le="1"} 0\n# EOF\n',
      /without \+Inf bucket/,
    ],
    ['exemplar on a gauge', '# TYPE a gauge\na 1 # {a="b"} 1\n# EOF\n', /exemplars are only/],
    [
      'exemplar over 128 characters',
      `# TYPE a counter\na_total 1 # {a="${'x'.repeat(128)}"} 1\n# EOF\n`,
      /longer than 128/,
    ],
    ['trailing comma', 'a{b="c",} 1\n# EOF\n', /trailing comma/],
    ['duplicate label', 'a{b="c",b="d"} 1\n# EOF\n', /not unique/],
    ['timestamps backwards', 'a 0 2\na 0 1\n# EOF\n', /backwards/],
    ['+INF bucket', '# TYPE a histogram\na_bucket{le="+INF"} 0\n# EOF\n', /le label/],
  ])('%s', (_name, body, message) => {
    expect(() => om(body)).not.toThrow();
    expect(failure(body, { strict: true }).message).toMatch(message);
  });

  it('accepts a complete, well-formed exposition', () => {
    const body = [
      '# TYPE h histogram',
      '# HELP h help',
      'h_bucket{a="1",le="0.5"} 1 # {trace="x"} 0.4',
      'h_bucket{a="1",le="+Inf"} 2',
      'h_count{a="1"} 2',
      'h_sum{a="1"} 0.9',
      'h_created{a="1"} 1700000000',
      '# TYPE c counter',
      'c_total 5 # {trace="y"} 1 1700000001',
      '# TYPE s stateset',
      's{s="on"} 1',
      's{s="off"} 0',
      '# TYPE i info',
      'i_info{v="1"} 1',
      '# EOF',
    ].join('\n');
    expect(om(body, { strict: true })).toHaveLength(14);
  });
});

describe('OpenMetrics _created and start timestamps (§5.2)', () => {
  const body = [
    '# TYPE c counter',
    'c_total{a="1"} 3',
    'c_created{a="1"} 1000.5',
    'c_total{a="2"} 4',
    '# TYPE h histogram',
    'h_created 2000',
    'h_bucket{le="1"} 1',
    'h_bucket{le="+Inf"} 2',
    'h_count 2',
    'h_sum 1',
    '# TYPE s summary',
    's{quantile="0.5"} 1',
    's_count 1',
    's_sum 1',
    's_created 3000',
    's{quantile="0.9"} 1',
    '# TYPE g gauge',
    'g_created 5',
    '# EOF',
  ].join('\n');

  it('skipCreatedSeries folds _created into the start timestamp of the family', () => {
    const got = om(body, { skipCreatedSeries: true })
      .filter((e) => e.kind === 'series')
      .map((e) => [e.series, e.kind === 'series' ? (e.startTimestampMs ?? 0) : 0]);
    expect(got).toEqual([
      ['c_total{a="1"}', 1000500],
      ['c_total{a="2"}', 0],
      // A _created line before the samples is not found (a Prometheus limitation).
      ['h_bucket{le="1"}', 0],
      ['h_bucket{le="+Inf"}', 0],
      ['h_count', 0],
      ['h_sum', 0],
      ['s{quantile="0.5"}', 3000000],
      ['s_count', 3000000],
      ['s_sum', 3000000],
      ['s{quantile="0.9"}', 3000000],
      // Gauges have no start timestamp, and their _created series is kept.
      ['g_created', 0],
    ]);
  });

  it('without the option the _created lines stay series', () => {
    const names = om(body).flatMap((e) => (e.kind === 'series' ? [e.labels.__name__] : []));
    expect(names.filter((n) => n?.endsWith('_created'))).toEqual([
      'c_created',
      'h_created',
      's_created',
      'g_created',
    ]);
  });

  it('text format has no start timestamps', () => {
    const p = createParser('prometheus-text', 'a_total 1\na_created 5\n');
    p.next();
    expect(p.startTimestampMs()).toBeUndefined();
  });

  it('stays linear on a large family without _created', () => {
    const lines = ['# TYPE h histogram'];
    for (let i = 0; i < 50_000; i++) lines.push(`h_bucket{le="${i}"} ${i}`);
    lines.push('# EOF');
    const p = createParser('openmetrics', lines.join('\n'), { skipCreatedSeries: true });
    const start = Date.now();
    let n = 0;
    for (let k = p.next(); k !== EntryKind.EOF; k = p.next()) {
      if (k === EntryKind.Series && p.startTimestampMs() === undefined) n++;
    }
    expect(n).toBe(50_000);
    expect(Date.now() - start).toBeLessThan(5_000);
  });
});
