/**
 * Fuzzing of file_sd content (§10.2, issue 13): whatever a file holds, `parseFileSdContent`
 * returns target groups bounded by the file's size or throws FileSdError; work stays linear
 * (aliases, long mappings, deep nesting); the size cap refuses a file before parsing; a file
 * that goes bad keeps its previous groups.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  FILEPATH_LABEL,
  FileDiscoverer,
  FileSdError,
  FileSdErrorCode,
  parseFileSdContent,
} from '../../src/discovery/file/index.js';
import type { TargetGroup } from '../../src/discovery/types.js';
import { errorOf, fuzzParams } from '../support/fuzz.js';
import { edits, expectBounded, groupsLike, JSON_PIECES, mutate, oddString } from './fuzz-inputs.js';
import { memFs } from './mem-fs.js';

const encoder = new TextEncoder();
const PATHS = ['sd/f.json', 'sd/f.yml'] as const;

/** The parser's node budget for YAML (aliases make output larger than the text). */
const yamlNodeBudget = (length: number) => 10_000 + 10 * length;

/** Parses and checks the result, or returns the FileSdError; anything else fails the test. */
async function parseChecked(path: string, content: string | Uint8Array): Promise<void> {
  const bytes = typeof content === 'string' ? encoder.encode(content) : content;
  let groups: TargetGroup[] = [];
  const err = await errorOf(FileSdError, () => {
    groups = parseFileSdContent(path, bytes);
  });
  if (err !== undefined) {
    expect(err.code).toBe(FileSdErrorCode.parse);
    expect(err.path).toBe(path);
    expect(err.message.startsWith(`cannot parse file_sd file ${JSON.stringify(path)}: `)).toBe(
      true,
    );
    return;
  }
  const length = bytes.byteLength;
  const yaml = path.endsWith('.yml');
  const longest = Math.max(length, path.length, FILEPATH_LABEL.length);
  expectBounded(groups, yaml ? yamlNodeBudget(length) : length, longest);
  groups.forEach((g, i) => {
    if (g.source !== `${path}:${i}` || g.labels[FILEPATH_LABEL] !== path) {
      expect(g).toMatchObject({ source: `${path}:${i}`, labels: { [FILEPATH_LABEL]: path } });
    }
  });
}

const JSON_SEEDS = [
  '[{"targets": ["a:1", "b:2"], "labels": {"env": "prod", "x": null}}, {"targets": null}]',
  '[{"Targets": ["c:3"], "LABELS": {"k": "v"}}, {"labels": {"only": "labels"}}]',
  'null',
];

const YAML_SEEDS = [
  '- targets: [node1:9100, 9100]\n  labels:\n    env: prod\n    n: 1.50\n- targets:\n',
  '- targets: &t [a:1]\n  labels: &common {env: prod, team: x}\n- targets: *t\n  labels:\n    <<: *common\n    team: y\n',
  '- targets:\n    - "a:1"\n    - \'b:2\'\n    - ~\n  labels: {x: , y: null, z: "1"}\n---\n- targets: [c:1]\n',
  '- labels:\n    ? k\n    : v\n    multi: |\n      a\n      b\n    folded: >\n      c\n      d\n',
];

const YAML_PIECES = [
  ...JSON_PIECES,
  '&a ',
  '&b ',
  '*a',
  '*b',
  '<<: ',
  '<<: *a',
  '- ',
  '\n- ',
  '\n  ',
  'targets: ',
  'labels: ',
  ': ',
  '? ',
  '!!str ',
  '!!binary ',
  '!!map ',
  '!custom ',
  '|',
  '>',
  "'",
  '#',
  '---\n',
  '...\n',
  '%YAML 1.1\n',
  '\t',
  '~',
  'yes',
  '0x1F',
  '.inf',
];

describe('parseFileSdContent: untrusted content', () => {
  for (const path of PATHS) {
    it(`random strings: ${path}`, async () => {
      await fc.assert(
        fc.asyncProperty(fc.string({ unit: 'binary', maxLength: 300 }), (text) =>
          parseChecked(path, text),
        ),
        fuzzParams(300),
      );
    });

    it(`random bytes: ${path}`, async () => {
      await fc.assert(
        fc.asyncProperty(fc.uint8Array({ maxLength: 300 }), (bytes) => parseChecked(path, bytes)),
        fuzzParams(200),
      );
    });

    it(`random JSON shaped like target groups: ${path}`, async () => {
      await fc.assert(
        fc.asyncProperty(groupsLike, (doc) => parseChecked(path, JSON.stringify(doc))),
        fuzzParams(200),
      );
    });
  }

  it('mutated valid JSON files', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...JSON_SEEDS), edits(JSON_PIECES), (seed, list) =>
        parseChecked('sd/f.json', mutate(seed, list)),
      ),
      fuzzParams(400),
    );
  });

  it('mutated valid YAML files (anchors, aliases, merges, tags)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...YAML_SEEDS), edits(YAML_PIECES, 8), (seed, list) =>
        parseChecked('sd/f.yml', mutate(seed, list)),
      ),
      fuzzParams(600),
    );
  });

  it('random YAML made of anchors and aliases stays within the node budget', async () => {
    const line = fc.tuple(
      fc.constantFrom('', '  ', '    '),
      fc.constantFrom('- ', 'k: ', 'targets: ', 'labels: ', '<<: ', '- <<: ', ''),
      fc.constantFrom('', '&a ', '&b ', '&c '),
      fc.constantFrom('*a', '*b', '*c', '[*a, *b, *a]', '{x: *c}', 'v', '[v, w]', ''),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(line, { maxLength: 12 }), (lines) =>
        parseChecked('sd/f.yml', lines.map((l) => l.join('')).join('\n')),
      ),
      fuzzParams(400),
    );
  });
});

describe('parseFileSdContent: alias regressions', () => {
  it('an alias to an anchor that does not exist is an error, as in Prometheus', () => {
    expect(() => parseFileSdContent('a.yml', encoder.encode('- targets: *nowhere\n'))).toThrow(
      /unknown anchor 'nowhere' referenced/,
    );
    expect(() => parseFileSdContent('a.yml', encoder.encode('*b'))).toThrow(/unknown anchor/);
  });

  it('an anchor that contains its own alias is an error naming it, not a stack overflow', () => {
    for (const text of ['&a [*a]', '- &a {targets: *a}\n', '- targets: &t [a, [*t]]\n']) {
      expect(() => parseFileSdContent('a.yml', encoder.encode(text)), text).toThrow(
        /anchor '(a|t)' value contains itself/,
      );
    }
  });
});

describe('parseFileSdContent: pathological sizes take linear time', () => {
  // Sizes where the quadratic behaviours fixed here took minutes; the YAML library parses at
  // roughly 1 MB/s, so YAML cases are smaller than JSON ones.
  const n = 100_000;
  const y = 10_000;
  const keys = (count: number, f: (i: number) => string, sep: string) =>
    Array.from({ length: count }, (_, i) => f(i)).join(sep);
  const cases: [string, string][] = [
    // Each alias used to walk the whole document to find its anchor (quadratic).
    ['sd/aliases.yml', `- targets: &a [x]\n${'- targets: *a\n'.repeat(y)}`],
    // The YAML library's unique-key check compares each key with all earlier ones (quadratic).
    ['sd/keys.yml', `- labels:\n${keys(4 * y, (i) => `    k${i}: v\n`, '')}`],
    ['sd/flow.yml', `[{labels: {${keys(y, (i) => `k${i}: v`, ', ')}}}]`],
    ['sd/keys.json', `[{"labels": {${keys(n, (i) => `"k${i}": "v"`, ',')}}}]`],
    ['sd/targets.json', `[{"targets": [${'"a:1",'.repeat(n)}"b:1"]}]`],
    ['sd/groups.json', `[${'{"targets":["a:1"]},'.repeat(n)}{}]`],
    ['sd/groups.yml', '- targets: [a:1]\n'.repeat(y / 2)],
    ['sd/deep.json', `${'['.repeat(n)}${']'.repeat(n)}`],
    ['sd/deep.yml', `${'['.repeat(y)}${']'.repeat(y)}`],
    ['sd/deep-block.yml', '- '.repeat(y)],
    ['sd/long.json', `[{"targets": ["${'x'.repeat(10 * n)}"]}]`],
    ['sd/long.yml', `- targets: ["${'\\x41'.repeat(2 * n)}"]\n`],
    // Alias bombs: exponential and quadratic expansion both stop at the node budget.
    [
      'sd/bomb.yml',
      `a: &a [x, x, x, x, x, x, x, x, x, x]\n${'bcdefghij'
        .split('')
        .map((c, i) => `${c}: &${c} [${`*${'abcdefghij'[i]}, `.repeat(10)}]`)
        .join('\n')}\n`,
    ],
    ['sd/bomb2.yml', `a: &a [${'x, '.repeat(y / 2)}]\nb: [${'*a, '.repeat(y / 2)}]\n`],
    ['sd/merges.yml', `- labels: &m {a: b}\n${'- labels: {<<: [*m, *m, *m, *m]}\n'.repeat(y / 2)}`],
  ];
  it.each(cases)('%s', async (path, text) => {
    const start = Date.now();
    await parseChecked(path, text);
    expect(Date.now() - start).toBeLessThan(5_000);
  });
});

describe('FileDiscoverer: size limit and keeping the last good groups', () => {
  const max = 1024;
  const good = '[{"targets": ["a:1"], "labels": {"k": "v"}}]';

  it('refuses a file one byte over the limit without parsing it, naming the limit', async () => {
    // Valid JSON padded with spaces: parsing it would succeed, so only the cap can refuse it.
    const fs = memFs({ 'sd/a.json': good.padEnd(max + 1) });
    const d = new FileDiscoverer({ files: ['sd/*.json'], refreshInterval: 1 }, fs, {
      maxFileBytes: max,
    });
    const { groups, errors } = await d.refresh();
    expect(groups).toEqual([]);
    expect(errors.map((e) => [e.code, e.message])).toEqual([
      [
        FileSdErrorCode.tooLarge,
        `cannot read file_sd file "sd/a.json": larger than the limit of ${max} bytes`,
      ],
    ]);
    fs.files.set('sd/a.json', good.padEnd(max));
    expect((await d.refresh()).groups[0]!.targets).toEqual([{ __address__: 'a:1' }]);
  });

  it('a file that turns bad keeps its previous groups and reports one FileSdError', async () => {
    const content = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 200 }),
      groupsLike.map((doc) => JSON.stringify(doc)),
      fc.tuple(fc.constantFrom(...JSON_SEEDS), edits(JSON_PIECES)).map(([s, l]) => mutate(s, l)),
      oddString.map((s) => s.repeat(max)),
    );
    await fc.assert(
      fc.asyncProperty(content, async (text) => {
        const fs = memFs({ 'sd/a.json': good });
        const d = new FileDiscoverer({ files: ['sd/*.json'], refreshInterval: 1 }, fs, {
          maxFileBytes: max,
        });
        const before = await d.refresh();
        fs.files.set('sd/a.json', text);
        const after = await d.refresh();
        if (after.errors.length === 0) return;
        expect(after.errors).toHaveLength(1);
        expect(after.errors[0]).toBeInstanceOf(FileSdError);
        expect(after.groups).toEqual(before.groups);
      }),
      fuzzParams(200),
    );
  });
});
