import { describe, expect, it } from 'vitest';
import {
  createParser,
  EntryKind,
  ExpositionParseError,
  type MetricType,
} from '../../src/exposition/index.js';
import { collect, type Entry } from './helpers.js';

const text = (body: string) => collect('prometheus-text', body);

function series(
  seriesText: string,
  labels: Record<string, string>,
  value: number,
  timestampMs: number | null = null,
): Entry {
  return { kind: 'series', series: seriesText, labels, value, timestampMs };
}

describe('Prometheus text format: accepted input (§5.1)', () => {
  it.each<{ name: string; body: string; want: Entry[] }>([
    {
      name: 'name only, no trailing newline',
      body: 'up 1',
      want: [series('up', { __name__: 'up' }, 1)],
    },
    {
      name: 'labels are returned sorted, series text as written',
      body: 'm{z="1",a="2"} 3\n',
      want: [series('m{z="1",a="2"}', { __name__: 'm', a: '2', z: '1' }, 3)],
    },
    {
      name: 'whitespace around every token, trailing comma',
      body: '\t m { a = "1" , b="2", } \t 4 \t 1700000000000 \t\n',
      want: [
        series('\t m { a = "1" , b="2", }', { __name__: 'm', a: '1', b: '2' }, 4, 1700000000000),
      ],
    },
    {
      name: 'label pairs separated by whitespace only, or by nothing (Prometheus quirk)',
      body: 'm{a="1" b="2"} 1\nm{a="1"b="2"} 2\n',
      want: [
        series('m{a="1" b="2"}', { __name__: 'm', a: '1', b: '2' }, 1),
        series('m{a="1"b="2"}', { __name__: 'm', a: '1', b: '2' }, 2),
      ],
    },
    {
      name: 'blank and whitespace-only lines',
      body: '\n\n  \t\na 1\n\n',
      want: [series('a', { __name__: 'a' }, 1)],
    },
    {
      name: 'empty label value kept as written (the scrape removes it)',
      body: 'm{a=""} 1',
      want: [series('m{a=""}', { __name__: 'm', a: '' }, 1)],
    },
    {
      name: 'label value escapes: \\" \\\\ \\n decoded, others verbatim',
      body: 'm{a="x\\"y",b="c:\\\\d",c="l1\\nl2",d="\\x\\t"} 1',
      want: [
        series(
          'm{a="x\\"y",b="c:\\\\d",c="l1\\nl2",d="\\x\\t"}',
          {
            __name__: 'm',
            a: 'x"y',
            b: 'c:\\d',
            c: 'l1\nl2',
            d: '\\x\\t',
          },
          1,
        ),
      ],
    },
    {
      name: 'NUL inside a label value is kept',
      body: 'm{a="x\u0000y"} 1',
      want: [series('m{a="x\u0000y"}', { __name__: 'm', a: 'x\u0000y' }, 1)],
    },
    {
      name: 'a NUL where a line starts ends the body',
      body: 'a 1\n\u0000garbage that is never read\nb 2\n',
      want: [series('a', { __name__: 'a' }, 1)],
    },
    {
      name: 'quoted UTF-8 metric and label names',
      body: '{"my.metric", "a.b"="x", c="y"} 1\n{c="y","my.metric"} 2\n',
      want: [
        series(
          '{"my.metric", "a.b"="x", c="y"}',
          {
            __name__: 'my.metric',
            'a.b': 'x',
            c: 'y',
          },
          1,
        ),
        series('{c="y","my.metric"}', { __name__: 'my.metric', c: 'y' }, 2),
      ],
    },
    {
      name: 'special values and Go float spellings',
      body: 'a NaN\nb +Inf\nc -Inf\nd inf\ne nan\nf 1e3\ng -0.5\nh .5\ni 1.\n',
      want: [
        series('a', { __name__: 'a' }, Number.NaN),
        series('b', { __name__: 'b' }, Number.POSITIVE_INFINITY),
        series('c', { __name__: 'c' }, Number.NEGATIVE_INFINITY),
        series('d', { __name__: 'd' }, Number.POSITIVE_INFINITY),
        series('e', { __name__: 'e' }, Number.NaN),
        series('f', { __name__: 'f' }, 1000),
        series('g', { __name__: 'g' }, -0.5),
        series('h', { __name__: 'h' }, 0.5),
        series('i', { __name__: 'i' }, 1),
      ],
    },
    {
      name: 'timestamps are integer milliseconds',
      body: 'a 1 1520879607789\nb 1 0\nc 1 9223372036854775807\n',
      want: [
        series('a', { __name__: 'a' }, 1, 1520879607789),
        series('b', { __name__: 'b' }, 1, 0),
        series('c', { __name__: 'c' }, 1, 2 ** 63),
      ],
    },
    {
      name: 'comments, metadata with tabs, HELP escapes (\\\\ and \\n only)',
      body: '# just a comment\n#bare\n# \tHELP m help \\\\ \\n \\" end\n#\tTYPE m gauge\n# HELP\n# HELPER x\n',
      want: [
        { kind: 'comment', comment: '# just a comment' },
        { kind: 'comment', comment: '#bare' },
        { kind: 'help', family: 'm', help: 'help \\ \n \\" end' },
        { kind: 'type', family: 'm', type: 'gauge' },
        { kind: 'comment', comment: '# HELP' },
        { kind: 'comment', comment: '# HELPER x' },
      ],
    },
    {
      name: 'HELP text keeps everything after the single separator; empty HELP',
      body: '# HELP a   spaced\n# HELP b\n# HELP c \n',
      want: [
        { kind: 'help', family: 'a', help: '  spaced' },
        { kind: 'help', family: 'b', help: '' },
        { kind: 'help', family: 'c', help: '' },
      ],
    },
    {
      name: 'quoted family names in metadata',
      body: '# HELP "my.metric" h\n# TYPE "my.metric" counter\n',
      want: [
        { kind: 'help', family: 'my.metric', help: 'h' },
        { kind: 'type', family: 'my.metric', type: 'counter' },
      ],
    },
    {
      name: 'untyped is unknown',
      body: '# TYPE a untyped\n',
      want: [{ kind: 'type', family: 'a', type: 'unknown' }],
    },
    {
      name: 'le normalised under histogram, quantile under summary, not elsewhere',
      body: [
        '# TYPE h histogram',
        'h_bucket{le="1"} 1',
        'h_bucket{le="1e3"} 1',
        'h_bucket{le="+inf"} 1',
        'h_bucket{le="x"} 1',
        'h{quantile="1"} 1',
        '# TYPE s summary',
        's{quantile="0"} 1',
        's{le="1"} 1',
        '# TYPE c counter',
        'c{le="1",quantile="0"} 1',
      ].join('\n'),
      want: [
        { kind: 'type', family: 'h', type: 'histogram' },
        series('h_bucket{le="1"}', { __name__: 'h_bucket', le: '1.0' }, 1),
        series('h_bucket{le="1e3"}', { __name__: 'h_bucket', le: '1000.0' }, 1),
        series('h_bucket{le="+inf"}', { __name__: 'h_bucket', le: '+Inf' }, 1),
        series('h_bucket{le="x"}', { __name__: 'h_bucket', le: 'x' }, 1),
        series('h{quantile="1"}', { __name__: 'h', quantile: '1' }, 1),
        { kind: 'type', family: 's', type: 'summary' },
        series('s{quantile="0"}', { __name__: 's', quantile: '0.0' }, 1),
        series('s{le="1"}', { __name__: 's', le: '1' }, 1),
        { kind: 'type', family: 'c', type: 'counter' },
        series('c{le="1",quantile="0"}', { __name__: 'c', le: '1', quantile: '0' }, 1),
      ],
    },
    {
      name: 'sticky TYPE: normalisation reaches a later family without its own TYPE (§5.1 quirk)',
      body: '# TYPE h histogram\nh_bucket{le="1"} 1\nother{le="2"} 1\n',
      want: [
        { kind: 'type', family: 'h', type: 'histogram' },
        series('h_bucket{le="1"}', { __name__: 'h_bucket', le: '1.0' }, 1),
        series('other{le="2"}', { __name__: 'other', le: '2.0' }, 1),
      ],
    },
    {
      name: 'a label value may span lines (Prometheus lexer)',
      body: 'm{a="x\ny"} 1\nn 2\n',
      want: [
        series('m{a="x\ny"}', { __name__: 'm', a: 'x\ny' }, 1),
        series('n', { __name__: 'n' }, 2),
      ],
    },
    {
      name: 'duplicate label names are returned (the append rejects them)',
      body: 'm{a="1",a="2"} 1',
      want: [series('m{a="1",a="2"}', { __name__: 'm', a: '2' }, 1)],
    },
  ])('$name', ({ body, want }) => {
    expect(text(body)).toEqual(want);
  });

  it('labels() keeps duplicate names, sorted', () => {
    const p = createParser('prometheus-text', 'm{b="1",a="x",a="y"} 1');
    expect(p.next()).toBe(EntryKind.Series);
    expect(p.labels()).toEqual([
      { name: '__name__', value: 'm' },
      { name: 'a', value: 'x' },
      { name: 'a', value: 'y' },
      { name: 'b', value: '1' },
    ]);
  });

  it('metric name excludes leading whitespace; series text keeps it', () => {
    const p = createParser('prometheus-text', '  m 1');
    expect(p.next()).toBe(EntryKind.Series);
    expect(p.metricName()).toBe('m');
    expect(p.seriesText()).toBe('  m');
  });

  it('counts lines across blank lines, comments and multi-line values', () => {
    const p = createParser('prometheus-text', '\n# c\nm{a="1\n2"} 1\n\nn 1\n');
    const lines: number[] = [];
    for (let k = p.next(); k !== EntryKind.EOF; k = p.next()) lines.push(p.lineNumber());
    expect(lines).toEqual([2, 3, 6]);
  });

  it('EOF is sticky', () => {
    const p = createParser('prometheus-text', 'a 1');
    expect(p.next()).toBe(EntryKind.Series);
    expect(p.next()).toBe(EntryKind.EOF);
    expect(p.next()).toBe(EntryKind.EOF);
  });

  it.each<[string, string, MetricType]>([
    ['# TYPE c_total counter\n', 'c_total 1', 'counter'],
    ['# TYPE c counter\n', 'c_total 1', 'counter'],
    ['# TYPE h histogram\n', 'h_bucket{le="1"} 1', 'histogram'],
    ['# TYPE h histogram\n', 'h_sum 1', 'histogram'],
    ['# TYPE s summary\n', 's{quantile="0.5"} 1', 'summary'],
    ['# TYPE g gauge\n', 'g 1', 'gauge'],
    ['# TYPE g gauge\n', 'other 1', 'unknown'],
    ['', 'x 1', 'unknown'],
  ])('metricType() of a series after %j %j is %s', (meta, line, want) => {
    const p = createParser('prometheus-text', `${meta}${line}\n`);
    let k = p.next();
    while (k !== EntryKind.Series) k = p.next();
    expect(p.metricType()).toBe(want);
  });
});

describe('Prometheus text format: errors carry the line number (§5.1)', () => {
  it.each<[string, number, RegExp]>([
    ['a', 1, /expected value after metric/],
    ["ok 1\na{b='c'} 1\n", 2, /expected label value/],
    ['a{b=\n', 1, /expected label value/],
    ['a 1\n\nb true\n', 3, /invalid value "true"/],
    ['a{=""} 0', 1, /expected label name/],
    ['{A}0', 1, /expected equal/],
    ['foo 1_2', 1, /invalid value/],
    ['foo 0x1p-3', 1, /invalid value/],
    ['foo 0 1_2', 1, /expected next entry after timestamp/],
    ['foo 0 -1', 1, /expected timestamp or new record/],
    ['foo 0 1.5', 1, /expected next entry after timestamp/],
    ['foo 0 9223372036854775808', 1, /out of range/],
    ['foo 0 1 2', 1, /expected next entry after timestamp/],
    ['{a="ok"} 1', 1, /metric name not set/],
    ['a{"b", "c"} 1', 1, /metric name already set/],
    ['{"a","b"} 1', 1, /metric name already set/],
    ['# TYPE #\n', 1, /expected metric name after TYPE/],
    ['# HELP #\n', 1, /expected metric name after HELP/],
    ['# TYPE a info\n', 1, /invalid metric type "info"/],
    ['# TYPE a counter \n', 1, /invalid metric type "counter "/],
    ['# TYPE a unknown\n', 1, /invalid metric type/],
    ['a 1\n9 1\n', 2, /expected a valid start token/],
    ['a{b="c"} 1\n\ufeffx 1', 2, /expected a valid start token/],
    ['a\u0000{b="c"} 1', 1, /expected value after metric/],
    ['a{b\u0000="c"} 1', 1, /expected equal/],
    ['a{"b\u0000"="c"} 1', 1, /NUL/],
    ['a{b="c\\\n"} 1', 1, /expected label value/],
    ['a{b="unterminated} 1', 1, /unterminated/],
    ['m{a="x\ny"} 1\nbad\n', 3, /expected value after metric/],
  ])('%j fails on line %d', (body, line, message) => {
    let err: unknown;
    try {
      text(body);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ExpositionParseError);
    expect((err as ExpositionParseError).line).toBe(line);
    expect((err as ExpositionParseError).message).toMatch(message);
    expect((err as ExpositionParseError).message).toMatch(new RegExp(`^line ${line}: `));
    expect((err as ExpositionParseError).code).toBe('EXPOSITION_PARSE_ERROR');
  });
});
