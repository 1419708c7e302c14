import fc from 'fast-check';
import { RE2JS } from 're2js';
import { describe, expect, it } from 'vitest';
import { RelabelError } from '../../src/relabel/errors.js';
import { RelabelRegex } from '../../src/relabel/regex.js';
import { compileTemplate } from '../../src/relabel/template.js';

describe('RelabelRegex matching (RE2, anchored, dot-all: §1.6, §3)', () => {
  it.each([
    // anchoring: the whole string must match
    ['a', 'a', true],
    ['a', 'ba', false],
    ['a', 'ab', false],
    ['a|b', 'b', true],
    ['foo|bar', 'foobar', false],
    ['f.o', 'xfoo', false],
    ['.*_total', 'http_requests_total', true],
    ['.*_total', 'http_requests_total_x', false],
    // user-written anchors are harmless
    ['^metrics$', 'metrics', true],
    ['^metrics$', 'xmetrics', false],
    // dot matches newline
    ['a.b', 'a\nb', true],
    ['line1.*line2', 'line1\nline2', true],
    ['.*', 'a\nb\n', true],
    // $ is end of text, not end of line
    ['a$', 'a', true],
    ['a$', 'a\n', false],
    ['a$\n', 'a\n', false],
    ['(?m)a$\n', 'a\n', true],
    // flags and RE2 syntax
    ['(?i)foo', 'FoO', true],
    ['(?i:f)oo', 'Foo', true],
    ['(?i:f)oo', 'FOO', false],
    ['\\d+', '0123456789', true],
    ['\\d+', '١٢٣', false], // \d is ASCII-only in RE2
    ['\\w+', 'héllo', false],
    ['\\pL+', 'héllo', true],
    ['\\p{Greek}+', 'αβγ', true],
    ['[[:alpha:]]+', 'abc', true],
    ['[[:alpha:]]+', 'ab1', false],
    ['[^a-c]', 'd', true],
    ['[^a-c]', '\u{1F600}', true], // one code point
    ['..', '\u{1F600}', false],
    ['\\Qa.b\\E', 'a.b', true],
    ['\\Qa.b\\E', 'axb', false],
    ['a{2,3}', 'aaa', true],
    ['a{2,3}', 'aaaa', false],
    ['\\x{1F600}', '\u{1F600}', true],
    ['(?U)a+', 'aaa', true],
    ['', '', true],
    ['', 'a', false],
    ['(?P<name>a+)b', 'aab', true],
    ['(?<name>a+)b', 'aab', true],
  ])('%j matches %j: %s', (source, input, expected) => {
    expect(new RelabelRegex(source).test(input)).toBe(expected);
  });

  it.each([
    ['f(.*)', 'foo', [0, 3, 1, 3]],
    ['(a)|(b)', 'b', [0, 1, -1, -1, 0, 1]],
    ['(?i)(f)(o*)', 'FOO', [0, 3, 0, 1, 1, 3]],
    ['(.*)', '', [0, 0, 0, 0]],
    ['x(.)y', 'x\u{1F600}y', [0, 4, 1, 3]],
    ['a', 'ba', null],
  ])('exec %j on %j', (source, input, expected) => {
    const m = new RelabelRegex(source).exec(input);
    expect(m === null ? null : Array.from(m)).toEqual(expected);
  });

  it('reports group count and names', () => {
    const re = new RelabelRegex('(a)(?P<x>b)(?:c)(?<y>d)');
    expect(re.groupCount).toBe(3);
    expect(re.groupNames).toEqual(['', '', 'x', 'y']);
  });

  it.each([
    '[',
    '(',
    'a(?=b)',
    '(?<!a)b',
    '(a)\\1',
    'a{1001}',
    '\\C',
    '\\Z',
    '(?P<n>a)(?P<n>b)',
    '(?P<é>a)',
    '*',
  ])('rejects %j with RelabelError', (source) => {
    let caught: unknown;
    try {
      new RelabelRegex(source);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(RelabelError);
    expect((caught as RelabelError).code).toBe('INVALID_RELABEL_CONFIG');
    expect((caught as RelabelError).message).toContain(JSON.stringify(source));
    expect((caught as RelabelError).cause).toBeDefined();
  });

  it('keeps the behaviour of a source that closes the wrapper group (as Prometheus does)', () => {
    // `a)|(b` compiles to `^(?s:a)|(b)$`: two alternatives, each anchored on one side only.
    const re = new RelabelRegex('a)|(b');
    expect(re.test('ax')).toBe(true);
    expect(re.test('xb')).toBe(true);
    expect(re.test('x')).toBe(false);
    const x = compileTemplate('X', re.groupCount, re.groupNames);
    expect(re.replaceAllIfMatch('ab', x)).toBe('XX');
    expect(re.replaceAllIfMatch('xb', x)).toBe('xX');
    expect(re.replaceAllIfMatch('b', x)).toBe('X');
    expect(re.replaceAllIfMatch('x', x)).toBeNull();
  });
});

/** What RE2 alone says, for checking the shortcuts. */
function re2Exec(source: string, input: string): number[] | null {
  const idx = RE2JS.compile(`^(?s:${source})$`).re2().findSubmatchIndex(input) as number[] | null;
  return idx === null ? null : Array.from(idx);
}

describe('RelabelRegex shortcuts agree with RE2', () => {
  it.each([
    ['(.*)', 'affix'],
    ['.+', 'affix'],
    ['__meta_kubernetes_pod_label_(.+)', 'affix'],
    ['^foo(.*)bar$', 'affix'],
    ['1\\.2(.*)', 'affix'],
    ['up|scrape_duration_seconds', 'literals'],
    ['(up|down)', 'literals'],
    ['', 'literals'],
    ['up|scrape_.*', 're2'],
    ['(?i)up', 're2'],
    ['(a)|(b)', 're2'],
    ['a.b', 're2'],
    ['(.*)(.*)', 're2'],
    ['a{2}', 're2'],
    ['[a]', 're2'],
    ['\\d', 're2'],
  ])('%j is answered by %s', (source, engine) => {
    expect(new RelabelRegex(source).engine).toBe(engine);
  });

  it.each([
    ['(.*)', ['', 'a', 'a\nb', '\u{1F600}', '\uD800']],
    ['.*', ['', 'x']],
    ['(.+)', ['', 'a', '\n']],
    ['.+', ['', 'ab']],
    [
      '__meta_kubernetes_pod_label_(.+)',
      ['__meta_kubernetes_pod_label_', '__meta_kubernetes_pod_label_app', 'x'],
    ],
    ['(.+)_total', ['_total', 'a_total', 'a_totalx']],
    ['go_.*', ['go_', 'go_gc', 'xgo_']],
    ['a(.*)a', ['a', 'aa', 'aba']],
    ['^foo(.*)$', ['foo', 'foobar', 'xfoo']],
    ['up|scrape_.*', ['up', 'scrape_x']], // not a shortcut shape: RE2 handles it
    ['up|scrape_duration_seconds', ['up', 'scrape_duration_seconds', 'upx', '']],
    ['(up|down)', ['up', 'down', 'updown']],
    ['^up$|^down$', ['up', 'down', 'updown']],
    ['a||b', ['', 'a', 'b', 'ab']],
    ['', ['', 'a']],
    ['()', ['', 'a']],
    ['1\\.2\\.3', ['1.2.3', '1x2x3']],
    ['a\\|b', ['a|b', 'a', 'b']],
    ['\\(x\\)', ['(x)', 'x']],
    ['a\\_b', ['a_b']],
    ['café|naïve', ['café', 'naïve', 'cafe']],
    ['x y-z/w:v,u=t', ['x y-z/w:v,u=t']],
    ['(a)|(b)', ['a', 'b']],
    ['(a)\\)', ['a)']],
    ['(?:a|b)', ['a', 'b']],
  ])('%j', (source, inputs) => {
    const re = new RelabelRegex(source);
    for (const input of inputs) {
      const want = re2Exec(source, input);
      const got = re.exec(input);
      expect(
        got === null ? null : Array.from(got),
        `${source} on ${JSON.stringify(input)}`,
      ).toEqual(want);
      expect(re.test(input)).toBe(want !== null);
    }
  });

  it('holds for generated affix and literal patterns', () => {
    const piece = fc.constantFrom('a', 'b', '_', '.', '\\.', '-', '\n', 'é', '\u{1F600}');
    const literal = fc.array(piece, { maxLength: 3 }).map((p) => p.join(''));
    const wildcard = fc.constantFrom('(.*)', '(.+)', '.*', '.+', '');
    const pattern = fc.oneof(
      fc
        .tuple(fc.boolean(), literal, wildcard, literal, fc.boolean())
        .map(([h, p, w, s, d]) => `${h ? '^' : ''}${p}${w}${s}${d ? '$' : ''}`),
      fc
        .tuple(fc.array(literal, { minLength: 1, maxLength: 3 }), fc.boolean())
        .map(([alts, g]) => (g ? `(${alts.join('|')})` : alts.join('|'))),
    );
    const text = fc.array(fc.constantFrom('a', 'b', '_', '.', '-', '\n', 'é', '\u{1F600}'), {
      maxLength: 6,
    });
    fc.assert(
      fc.property(pattern, text, (source, chars) => {
        // An unescaped '.' in a generated literal makes the source a non-shortcut: then RE2
        // is compared with itself, which is fine.
        const input = chars.join('');
        const re = new RelabelRegex(source);
        const got = re.exec(input);
        expect(got === null ? null : Array.from(got)).toEqual(re2Exec(source, input));
      }),
      { numRuns: 500 },
    );
  });
});

describe('RelabelRegex remembers its last RE2 answer', () => {
  it('answers a sequence of repeated and alternating inputs as RE2 does', () => {
    const source = '(.*):(\\d+)';
    const re = new RelabelRegex(source);
    expect(re.engine).toBe('re2');
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom('a:1', 'a:1', 'b:22', 'c', '', 'a:x'), { maxLength: 12 }),
        (inputs) => {
          for (const input of inputs) {
            expect(re.test(input)).toBe(re2Exec(source, input) !== null);
            const got = re.exec(input);
            expect(got === null ? null : Array.from(got)).toEqual(re2Exec(source, input));
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
