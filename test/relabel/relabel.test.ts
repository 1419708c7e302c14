// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${…}` here is Prometheus template syntax, not JS.
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { RelabelAction, RelabelConfig, ValidationScheme } from '../../src/config/types.js';
import { labelsFromRecord, labelsToRecord } from '../../src/model/labels.js';
import {
  applyRelabel,
  applyRelabelToBuilder,
  compileRelabelConfigs,
  hashMod,
  isValidLabelName,
  RelabelBuilder,
  RelabelError,
} from '../../src/relabel/index.js';

/** A rule as a test writes it: omitted fields take the YAML defaults (§1.6); regexSet follows `regex`. */
interface Rule {
  readonly action: RelabelAction;
  readonly source?: readonly string[];
  readonly separator?: string;
  readonly regex?: string;
  readonly modulus?: number;
  readonly target?: string;
  readonly replacement?: string;
}

function config(r: Rule): RelabelConfig {
  return {
    sourceLabels: r.source ?? [],
    separator: r.separator ?? ';',
    regex: r.regex ?? '(.*)',
    regexSet: r.regex !== undefined,
    modulus: r.modulus ?? 0,
    targetLabel: r.target ?? '',
    replacement: r.replacement ?? '$1',
    action: r.action,
  };
}

function run(
  rules: readonly Rule[],
  input: Record<string, string>,
  scheme: ValidationScheme = 'utf8',
): Record<string, string> | null {
  const out = applyRelabel(
    compileRelabelConfigs(rules.map(config), scheme),
    labelsFromRecord(input),
  );
  return out === null ? null : labelsToRecord(out);
}

interface Case {
  readonly name: string;
  readonly rules: readonly Rule[];
  readonly input: Record<string, string>;
  readonly output: Record<string, string> | null;
  readonly scheme?: ValidationScheme;
}

function table(cases: readonly Case[]): void {
  it.each(cases)('$name', ({ rules, input, output, scheme }) => {
    expect(run(rules, input, scheme)).toEqual(output);
  });
}

describe('replace (§3)', () => {
  table([
    {
      name: 'fast path: no source, default regex, literal target and replacement',
      rules: [{ action: 'replace', target: 'env', replacement: 'prod' }],
      input: { a: '1' },
      output: { a: '1', env: 'prod' },
    },
    {
      name: 'fast path with an empty replacement deletes the target',
      rules: [{ action: 'replace', target: 'a', replacement: '' }],
      input: { a: '1', b: '2' },
      output: { b: '2' },
    },
    {
      name: 'fast path when the source labels are missing',
      rules: [
        {
          action: 'replace',
          source: ['nope', 'none'],
          separator: '',
          target: 'x',
          replacement: 'y',
        },
      ],
      input: {},
      output: { x: 'y' },
    },
    {
      name: 'no fast path with a written regex: the regex must match the empty value',
      rules: [{ action: 'replace', regex: 'foo', target: 'env', replacement: 'prod' }],
      input: { a: '1' },
      output: { a: '1' },
    },
    {
      name: 'default replacement $1 on an empty value deletes the target',
      rules: [{ action: 'replace', target: 'a' }],
      input: { a: '1', b: '2' },
      output: { b: '2' },
    },
    {
      name: 'default regex and replacement copy a label',
      rules: [{ action: 'replace', source: ['a'], target: 'b' }],
      input: { a: 'x\ny' },
      output: { a: 'x\ny', b: 'x\ny' },
    },
    {
      name: 'joined sources: missing labels contribute the empty string',
      rules: [
        {
          action: 'replace',
          source: ['a', 'missing', 'b'],
          separator: '-',
          regex: '(.*)',
          target: 'j',
        },
      ],
      input: { a: 'x', b: 'y' },
      output: { a: 'x', b: 'y', j: 'x--y' },
    },
    {
      name: 'no match is a no-op',
      rules: [{ action: 'replace', source: ['a'], regex: 'f', target: 'b', replacement: 'bar' }],
      input: { a: 'boo' },
      output: { a: 'boo' },
    },
    {
      name: 'anchored: a regex matching a substring only does nothing',
      rules: [{ action: 'replace', source: ['a'], regex: 'a', target: 'b', replacement: 'hit' }],
      input: { a: 'ba' },
      output: { a: 'ba' },
    },
    {
      name: 'case-insensitive flag',
      rules: [
        { action: 'replace', source: ['a'], regex: '(?i)foo(.*)', target: 'b', replacement: '$1' },
      ],
      input: { a: 'FOObar' },
      output: { a: 'FOObar', b: 'bar' },
    },
    {
      name: '$1x names group "1x" (empty): deletes the target',
      rules: [{ action: 'replace', source: ['a'], regex: '(.*)', target: 'a', replacement: '$1x' }],
      input: { a: 'v' },
      output: {},
    },
    {
      name: '${1}x',
      rules: [
        { action: 'replace', source: ['a'], regex: '(.*)', target: 'b', replacement: '${1}x' },
      ],
      input: { a: 'v' },
      output: { a: 'v', b: 'vx' },
    },
    {
      name: '$0 is the whole value; $$ a dollar',
      rules: [
        {
          action: 'replace',
          source: ['a', 'b'],
          regex: 'x;(.*)',
          target: 'c',
          replacement: '$$$0',
        },
      ],
      input: { a: 'x', b: 'y' },
      output: { a: 'x', b: 'y', c: '$x;y' },
    },
    {
      name: 'named groups in target and replacement',
      rules: [
        {
          action: 'replace',
          source: ['tag'],
          regex: '(?P<key>[^=]+)=(?<value>.+)',
          target: 'tag_$key',
          replacement: '${value}!',
        },
      ],
      input: { tag: 'team=db' },
      output: { tag: 'team=db', tag_team: 'db!' },
    },
    {
      name: 'an empty expanded target label skips the rule',
      rules: [
        { action: 'replace', source: ['a'], regex: '(x)?(.*)', target: '$1', replacement: 'v' },
      ],
      input: { a: 'abc' },
      output: { a: 'abc' },
    },
    {
      name: 'utf8 scheme: any non-empty target label is valid',
      rules: [
        { action: 'replace', source: ['a'], regex: '(.*)', target: 'k.$1', replacement: 'v' },
      ],
      input: { a: 'b-c' },
      output: { a: 'b-c', 'k.b-c': 'v' },
    },
    {
      name: 'legacy scheme: an expanded target that is not a legacy name skips the rule',
      rules: [
        { action: 'replace', source: ['a'], regex: '(.*)', target: 'k_$1', replacement: 'v' },
      ],
      input: { a: 'b-c' },
      output: { a: 'b-c' },
      scheme: 'legacy',
    },
    {
      name: 'legacy scheme: a valid expanded target is set',
      rules: [
        { action: 'replace', source: ['a'], regex: '(.*)', target: 'k_$1', replacement: 'v' },
      ],
      input: { a: 'b_c' },
      output: { a: 'b_c', k_b_c: 'v' },
      scheme: 'legacy',
    },
    {
      name: 'later rules see earlier results',
      rules: [
        { action: 'replace', source: ['a'], regex: '(.*)', target: 'b', replacement: '$1-1' },
        { action: 'replace', source: ['b'], regex: '(.*)', target: 'c', replacement: '$1-2' },
      ],
      input: { a: 'v' },
      output: { a: 'v', b: 'v-1', c: 'v-1-2' },
    },
    {
      name: 'overwrites an existing label',
      rules: [{ action: 'replace', source: ['a'], regex: '.*', target: 'a', replacement: 'new' }],
      input: { a: 'old' },
      output: { a: 'new' },
    },
    {
      name: 'a replacement without groups still needs the regex to match',
      rules: [{ action: 'replace', source: ['a'], regex: 'x.*', target: 'b', replacement: 'lit' }],
      input: { a: 'yx' },
      output: { a: 'yx' },
    },
    {
      name: 'dot-all regex with groups across a newline',
      rules: [
        {
          action: 'replace',
          source: ['a'],
          regex: '(.*)\\n(.*)',
          target: 'b',
          replacement: '$2$1',
        },
      ],
      input: { a: 'x\ny' },
      output: { a: 'x\ny', b: 'yx' },
    },
  ]);
});

describe('keep / drop (§3)', () => {
  table([
    {
      name: 'keep: match keeps',
      rules: [{ action: 'keep', source: ['a'], regex: 'f.*' }],
      input: { a: 'foo' },
      output: { a: 'foo' },
    },
    {
      name: 'keep: no match drops',
      rules: [{ action: 'keep', source: ['a'], regex: 'f' }],
      input: { a: 'foo' },
      output: null,
    },
    {
      name: 'keep: missing label is the empty string',
      rules: [{ action: 'keep', source: ['x'], regex: '.+' }],
      input: { a: '1' },
      output: null,
    },
    {
      name: 'keep: empty regex matches a missing label',
      rules: [{ action: 'keep', source: ['x'], regex: '' }],
      input: { a: '1' },
      output: { a: '1' },
    },
    {
      name: 'keep: literal alternation',
      rules: [{ action: 'keep', source: ['__name__'], regex: 'up|scrape_duration_seconds' }],
      input: { __name__: 'up' },
      output: { __name__: 'up' },
    },
    {
      name: 'keep: alternation is anchored as a whole',
      rules: [{ action: 'keep', source: ['__name__'], regex: 'up|down' }],
      input: { __name__: 'upx' },
      output: null,
    },
    {
      name: 'keep: (?i)',
      rules: [{ action: 'keep', source: ['a'], regex: '(?i)FOO' }],
      input: { a: 'foo' },
      output: { a: 'foo' },
    },
    {
      name: 'keep: joined value',
      rules: [{ action: 'keep', source: ['a', 'b'], separator: '/', regex: 'x/y' }],
      input: { a: 'x', b: 'y' },
      output: { a: 'x', b: 'y' },
    },
    {
      name: 'drop: match drops',
      rules: [{ action: 'drop', source: ['a'], regex: '.*o.*' }],
      input: { a: 'foo' },
      output: null,
    },
    {
      name: 'drop: substring match does not drop',
      rules: [{ action: 'drop', source: ['a'], regex: 'o' }],
      input: { a: 'foo' },
      output: { a: 'foo' },
    },
    {
      name: 'drop: default regex drops everything',
      rules: [{ action: 'drop', source: ['a'] }],
      input: { b: '1' },
      output: null,
    },
    {
      name: 'drop: rules after a drop do not run',
      rules: [
        { action: 'drop', source: ['a'], regex: 'x' },
        { action: 'replace', target: 'z', replacement: 'z' },
      ],
      input: { a: 'x' },
      output: null,
    },
    {
      name: 'drop: newline in value',
      rules: [{ action: 'drop', source: ['a'], regex: 'a.b' }],
      input: { a: 'a\nb' },
      output: null,
    },
  ]);
});

describe('keepequal / dropequal (§3)', () => {
  table([
    {
      name: 'keepequal: equal keeps',
      rules: [{ action: 'keepequal', source: ['a'], target: 'b' }],
      input: { a: '1', b: '1' },
      output: { a: '1', b: '1' },
    },
    {
      name: 'keepequal: different drops',
      rules: [{ action: 'keepequal', source: ['a'], target: 'b' }],
      input: { a: '1', b: '2' },
      output: null,
    },
    {
      name: 'keepequal: target missing vs value',
      rules: [{ action: 'keepequal', source: ['a'], target: 'b' }],
      input: { a: '1' },
      output: null,
    },
    {
      name: 'keepequal: both missing are equal',
      rules: [{ action: 'keepequal', source: ['x'], target: 'y' }],
      input: { a: '1' },
      output: { a: '1' },
    },
    {
      name: 'keepequal: joined sources',
      rules: [{ action: 'keepequal', source: ['a', 'b'], target: 'c' }],
      input: { a: '1', b: '2', c: '1;2' },
      output: { a: '1', b: '2', c: '1;2' },
    },
    {
      name: 'dropequal: equal drops',
      rules: [{ action: 'dropequal', source: ['a'], target: 'b' }],
      input: { a: '1', b: '1' },
      output: null,
    },
    {
      name: 'dropequal: different keeps',
      rules: [{ action: 'dropequal', source: ['a'], target: 'b' }],
      input: { a: '1', b: '2' },
      output: { a: '1', b: '2' },
    },
    {
      name: 'dropequal: both missing drops',
      rules: [{ action: 'dropequal', source: ['x'], target: 'y' }],
      input: { a: '1' },
      output: null,
    },
  ]);
});

describe('hashmod (§3)', () => {
  it.each([
    ['baz', 1000, '976'],
    ['foo\nbar', 1000, '734'],
    ['anything', 1, '0'],
    ['', 1000, String(Number(BigInt(`0x${md5Tail('')}`) % 1000n))],
  ])('%j mod %d → %s', (value, modulus, expected) => {
    expect(hashMod(value, modulus)).toBe(expected);
  });

  it('agrees with a BigInt reference for small and large moduli', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme', maxLength: 20 }),
        fc.oneof(
          fc.integer({ min: 1, max: 2 ** 26 }),
          fc.integer({ min: 2 ** 26 + 1, max: Number.MAX_SAFE_INTEGER }),
        ),
        (value, modulus) => {
          const want = (BigInt(`0x${md5Tail(value)}`) % BigInt(modulus)).toString();
          expect(hashMod(value, modulus)).toBe(want);
        },
      ),
      { numRuns: 500 },
    );
  });

  table([
    {
      name: 'sets the target from the joined source value',
      rules: [{ action: 'hashmod', source: ['c'], modulus: 1000, target: 'd' }],
      input: { a: 'foo', c: 'baz' },
      output: { a: 'foo', c: 'baz', d: '976' },
    },
    {
      name: 'missing sources hash the empty string',
      rules: [{ action: 'hashmod', source: ['none'], modulus: 7, target: 'shard' }],
      input: { a: '1' },
      output: { a: '1', shard: hashMod('', 7) },
    },
    {
      name: 'typical sharding: keep one shard',
      rules: [
        { action: 'hashmod', source: ['__address__'], modulus: 1000, target: '__tmp_hash' },
        { action: 'keep', source: ['__tmp_hash'], regex: '976' },
      ],
      input: { __address__: 'baz' },
      output: { __address__: 'baz', __tmp_hash: '976' },
    },
  ]);
});

/** Hex of bytes 8..15 of MD5(value) (the reference the engine is checked against). */
function md5Tail(value: string): string {
  return createHash('md5').update(value, 'utf8').digest('hex').slice(16);
}

describe('labelmap (§3)', () => {
  table([
    {
      name: 'copies matching labels under the expanded name and keeps the source',
      rules: [{ action: 'labelmap', regex: '__meta_kubernetes_pod_label_(.+)' }],
      input: {
        __meta_kubernetes_pod_label_app: 'web',
        __meta_kubernetes_pod_label_: 'x',
        job: 'j',
      },
      output: {
        __meta_kubernetes_pod_label_app: 'web',
        __meta_kubernetes_pod_label_: 'x',
        app: 'web',
        job: 'j',
      },
    },
    {
      name: 'the whole name is replaced (anchored)',
      rules: [{ action: 'labelmap', regex: 'b', replacement: 'x' }],
      input: { abc: '1', b: '2' },
      output: { abc: '1', b: '2', x: '2' },
    },
    {
      name: 'labels written by the same rule are not revisited',
      rules: [{ action: 'labelmap', regex: '(.*)', replacement: 'x_$1' }],
      input: { a: '1' },
      output: { a: '1', x_a: '1' },
    },
    {
      name: 'two base labels to one name: the later in name order wins',
      rules: [{ action: 'labelmap', regex: '(?:a|b)_(x)', replacement: '$1' }],
      input: { b_x: '2', a_x: '1' },
      output: { a_x: '1', b_x: '2', x: '2' },
    },
    {
      name: 'a base label overwritten by an earlier rule is visited after untouched ones',
      rules: [
        { action: 'replace', target: 'a_x', replacement: 'A' },
        { action: 'labelmap', regex: '(?:a|b)_(x)', replacement: '$1' },
      ],
      input: { a_x: '1', b_x: '2' },
      output: { a_x: 'A', b_x: '2', x: 'A' },
    },
    {
      name: 'labels set by earlier rules are visited in the order first set, not name order',
      rules: [
        { action: 'replace', target: 'z_x', replacement: 'Z' },
        { action: 'replace', target: 'y_x', replacement: 'Y' },
        { action: 'labelmap', regex: '[yz]_(x)', replacement: '$1' },
      ],
      input: {},
      output: { x: 'Y', y_x: 'Y', z_x: 'Z' },
    },
    {
      name: 'setting a label again keeps its place in that order',
      rules: [
        { action: 'replace', target: 'y_x', replacement: 'Y1' },
        { action: 'replace', target: 'z_x', replacement: 'Z' },
        { action: 'replace', target: 'y_x', replacement: 'Y2' },
        { action: 'labelmap', regex: '[yz]_(x)', replacement: '$1' },
      ],
      input: {},
      output: { x: 'Z', y_x: 'Y2', z_x: 'Z' },
    },
    {
      name: 'deleting and setting again moves a label to the end of that order',
      rules: [
        { action: 'replace', target: 'y_x', replacement: 'Y1' },
        { action: 'replace', target: 'z_x', replacement: 'Z' },
        { action: 'replace', target: 'y_x', replacement: '' },
        { action: 'replace', target: 'y_x', replacement: 'Y2' },
        { action: 'labelmap', regex: '[yz]_(x)', replacement: '$1' },
      ],
      input: {},
      output: { x: 'Y2', y_x: 'Y2', z_x: 'Z' },
    },
    {
      name: 'values come from the snapshot taken when the rule starts',
      rules: [{ action: 'labelmap', regex: '(a|b)', replacement: 'a' }],
      input: { a: '1', b: '2' },
      output: { a: '2', b: '2' },
    },
    {
      name: 'named group in the replacement',
      rules: [{ action: 'labelmap', regex: '__meta_(?P<rest>.+)', replacement: 'meta_${rest}' }],
      input: { __meta_x: '1', y: '2' },
      output: { __meta_x: '1', meta_x: '1', y: '2' },
    },
    {
      name: 'a source that breaks out of the wrapper replaces each match, like Go',
      rules: [{ action: 'labelmap', regex: 'a)|(b', replacement: 'X' }],
      input: { ab: '1' },
      output: { ab: '1', XX: '1' },
    },
  ]);
});

describe('labeldrop / labelkeep (§3)', () => {
  table([
    {
      name: 'labeldrop removes matching names',
      rules: [{ action: 'labeldrop', regex: '__meta_.*' }],
      input: { __meta_a: '1', __meta_b: '2', job: 'j' },
      output: { job: 'j' },
    },
    {
      name: 'labeldrop is anchored',
      rules: [{ action: 'labeldrop', regex: 'a' }],
      input: { a: '1', ba: '2' },
      output: { ba: '2' },
    },
    {
      name: 'labeldrop sees labels added by earlier rules',
      rules: [
        { action: 'replace', target: 'tmp', replacement: 'x' },
        { action: 'labeldrop', regex: 'tmp' },
      ],
      input: { a: '1' },
      output: { a: '1' },
    },
    {
      name: 'labelkeep removes everything else, __name__ included',
      rules: [{ action: 'labelkeep', regex: '(b.*)' }],
      input: { __name__: 'm', a: 'foo', b1: 'bar', b2: 'baz' },
      output: { b1: 'bar', b2: 'baz' },
    },
    {
      name: 'labelkeep with (?i)',
      rules: [{ action: 'labelkeep', regex: '(?i)JOB|instance' }],
      input: { job: 'j', instance: 'i', other: 'o' },
      output: { instance: 'i', job: 'j' },
    },
    {
      name: 'labelkeep keeps a label set by an earlier rule when it matches',
      rules: [
        { action: 'replace', target: 'keep_me', replacement: 'x' },
        { action: 'labelkeep', regex: 'keep_.*' },
      ],
      input: { a: '1' },
      output: { keep_me: 'x' },
    },
    {
      name: 'labelkeep can leave an empty set (not a drop)',
      rules: [{ action: 'labelkeep', regex: 'none' }],
      input: { a: '1' },
      output: {},
    },
  ]);
});

describe('lowercase / uppercase (§3)', () => {
  table([
    {
      name: 'both, from the same source',
      rules: [
        { action: 'uppercase', source: ['foo'], target: 'up' },
        { action: 'lowercase', source: ['foo'], target: 'down' },
      ],
      input: { foo: 'bAr123Foo' },
      output: { down: 'bar123foo', foo: 'bAr123Foo', up: 'BAR123FOO' },
    },
    {
      name: 'simple case mapping, not JS full mapping',
      rules: [
        { action: 'uppercase', source: ['a'], target: 'up' },
        { action: 'lowercase', source: ['b'], target: 'down' },
      ],
      input: { a: 'straße', b: 'ΑΣ' },
      output: { a: 'straße', b: 'ΑΣ', down: 'ασ', up: 'STRAßE' },
    },
    {
      name: 'an empty value deletes the target',
      rules: [{ action: 'lowercase', source: ['missing'], target: 'a' }],
      input: { a: '1' },
      output: {},
    },
    {
      name: 'joined sources',
      rules: [{ action: 'uppercase', source: ['a', 'b'], separator: '_', target: 'c' }],
      input: { a: 'x', b: 'y' },
      output: { a: 'x', b: 'y', c: 'X_Y' },
    },
  ]);
});

describe('applyRelabel', () => {
  it('returns the input array itself when no rule changed anything', () => {
    const labels = labelsFromRecord({ a: '1' });
    const program = compileRelabelConfigs([config({ action: 'keep', source: ['a'], regex: '1' })]);
    expect(applyRelabel(program, labels)).toBe(labels);
    expect(applyRelabel(compileRelabelConfigs([]), labels)).toBe(labels);
  });

  it('output is sorted and has no empty values', () => {
    const program = compileRelabelConfigs(
      [
        { action: 'replace', target: 'zz', replacement: 'z' },
        { action: 'replace', target: 'aa', replacement: 'a' },
        { action: 'replace', target: 'm', replacement: '' },
        { action: 'replace', source: ['missing'], regex: '(.*)', target: 'b' },
      ].map((r) => config(r as Rule)),
    );
    expect(applyRelabel(program, labelsFromRecord({ b: '1', m: '2', c: '3' }))).toEqual([
      { name: 'aa', value: 'a' },
      { name: 'c', value: '3' },
      { name: 'zz', value: 'z' },
    ]);
  });

  it('does not modify its input and can be called repeatedly', () => {
    const program = compileRelabelConfigs([
      config({ action: 'replace', source: ['a'], regex: '(.*)', target: 'b', replacement: '$1!' }),
      config({ action: 'labeldrop', regex: 'a' }),
    ]);
    const input = labelsFromRecord({ a: 'x' });
    const snapshot = JSON.stringify(input);
    for (let i = 0; i < 3; i++) {
      expect(applyRelabel(program, input)).toEqual([{ name: 'b', value: 'x!' }]);
    }
    expect(JSON.stringify(input)).toBe(snapshot);
  });

  it('applyRelabelToBuilder works on a caller-owned builder', () => {
    const program = compileRelabelConfigs([
      config({ action: 'replace', source: ['a'], regex: '(.*)', target: 'b' }),
    ]);
    const b = new RelabelBuilder(labelsFromRecord({ a: '1' }));
    b.set('c', '3');
    expect(applyRelabelToBuilder(program, b)).toBe(true);
    expect(labelsToRecord(b.labels())).toEqual({ a: '1', b: '1', c: '3' });
    const drop = compileRelabelConfigs([config({ action: 'drop', source: ['c'], regex: '3' })]);
    expect(applyRelabelToBuilder(drop, b)).toBe(false);
  });
});

describe('compileRelabelConfigs', () => {
  it.each<{ name: string; rule: RelabelConfig; message: RegExp }>([
    {
      name: 'invalid regex',
      rule: config({ action: 'keep', regex: '[' }),
      message: /#1: invalid regex "\["/,
    },
    {
      name: 'lookahead',
      rule: config({ action: 'keep', regex: 'a(?=b)' }),
      message: /invalid regex/,
    },
    {
      name: 'hashmod without modulus',
      rule: config({ action: 'hashmod', target: 't' }),
      message: /modulus/,
    },
    {
      name: 'hashmod with a fractional modulus',
      rule: config({ action: 'hashmod', target: 't', modulus: 1.5 }),
      message: /modulus/,
    },
    {
      name: 'unknown action',
      rule: { ...config({ action: 'keep' }), action: 'explode' as RelabelAction },
      message: /unknown relabel action "explode"/,
    },
  ])('rejects: $name', ({ rule, message }) => {
    const ok = config({ action: 'keep' });
    let caught: unknown;
    try {
      compileRelabelConfigs([rule, ok]);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(RelabelError);
    expect((caught as RelabelError).code).toBe('INVALID_RELABEL_CONFIG');
    expect((caught as Error).message).toMatch(message);
  });

  it('names the position of the failing rule', () => {
    expect(() =>
      compileRelabelConfigs([config({ action: 'keep' }), config({ action: 'drop', regex: '(' })]),
    ).toThrow(/relabel config #2/);
  });
});

describe('isValidLabelName (§1.6)', () => {
  it.each<[string, ValidationScheme, boolean]>([
    ['a', 'utf8', true],
    ['utf-8.label', 'utf8', true],
    ['日本', 'utf8', true],
    ['', 'utf8', false],
    ['a\uD800', 'utf8', false],
    ['a_b9', 'legacy', true],
    ['_x', 'legacy', true],
    ['9a', 'legacy', false],
    ['a-b', 'legacy', false],
    ['a:b', 'legacy', false],
    ['', 'legacy', false],
  ])('%j under %s: %s', (name, scheme, valid) => {
    expect(isValidLabelName(name, scheme)).toBe(valid);
  });
});

describe('labeldrop with a list of names (the literals shortcut)', () => {
  it('drops what the same alternation run by RE2 drops, labels set by earlier rules included', () => {
    const name = fc.constantFrom('a', 'b', 'c', 'tmp');
    fc.assert(
      fc.property(
        fc.dictionary(name, fc.constantFrom('1', '2'), { maxKeys: 4 }),
        fc.array(fc.tuple(name, fc.constantFrom('', 'x')), { maxLength: 3 }),
        fc.uniqueArray(name, { minLength: 1, maxLength: 3 }),
        (input, sets, dropped) => {
          const before: Rule[] = sets.map(([target, replacement]) => ({
            action: 'replace',
            target,
            replacement,
          }));
          const listed = compileRelabelConfigs(
            [...before, { action: 'labeldrop', regex: dropped.join('|') } as Rule].map(config),
          );
          const viaRe2 = compileRelabelConfigs(
            [...before, { action: 'labeldrop', regex: `(?:${dropped.join('|')})` } as Rule].map(
              config,
            ),
          );
          expect(listed.rules.at(-1)!.regex.engine).toBe('literals');
          expect(viaRe2.rules.at(-1)!.regex.engine).toBe('re2');
          const labels = labelsFromRecord(input);
          expect(applyRelabel(listed, labels)).toEqual(applyRelabel(viaRe2, labels));
        },
      ),
      { numRuns: 1000 },
    );
  });
});
