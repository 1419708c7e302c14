import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FileSdConfig } from '../../src/config/types.js';
import {
  expandPattern,
  FileDiscoverer,
  FileSdError,
  FileSdErrorCode,
  matchStar,
  nodeFileSdDeps,
  parseFileSdContent,
  refresh,
} from '../../src/discovery/file/index.js';
import type { TargetGroup } from '../../src/discovery/types.js';
import { memFs } from './mem-fs.js';

const bytes = (text: string) => new TextEncoder().encode(text);
const sdConfig = (...files: string[]): FileSdConfig => ({ files, refreshInterval: 300_000 });
const plain = (groups: readonly TargetGroup[]) => JSON.parse(JSON.stringify(groups));

function addresses(groups: readonly TargetGroup[]): string[] {
  return groups.flatMap((g) => g.targets.map((t) => t.__address__ ?? ''));
}

describe('parseFileSdContent: accepted files (§10.2)', () => {
  it.each([
    {
      name: 'JSON groups',
      path: 'sd/a.json',
      content: JSON.stringify([
        { targets: ['a:1', 'b:2'], labels: { env: 'prod', team: 'x' } },
        { targets: ['c:3'] },
        { labels: { only: 'labels' } },
      ]),
      groups: [
        {
          source: 'sd/a.json:0',
          targets: [{ __address__: 'a:1' }, { __address__: 'b:2' }],
          labels: { env: 'prod', team: 'x', __meta_filepath: 'sd/a.json' },
        },
        {
          source: 'sd/a.json:1',
          targets: [{ __address__: 'c:3' }],
          labels: { __meta_filepath: 'sd/a.json' },
        },
        {
          source: 'sd/a.json:2',
          targets: [],
          labels: { only: 'labels', __meta_filepath: 'sd/a.json' },
        },
      ],
    },
    {
      name: 'YAML with plain scalars kept as written',
      path: '/etc/sd/nodes.YML',
      content: [
        '- targets: [node1:9100, 9100]',
        '  labels:',
        '    port: 9100',
        '    ratio: 1.50',
        '    flag: yes',
        '    hex: 0x10',
        "    quoted: 'a: b'",
        '    block: |',
        '      two',
        '      lines',
      ].join('\n'),
      groups: [
        {
          source: '/etc/sd/nodes.YML:0',
          targets: [{ __address__: 'node1:9100' }, { __address__: '9100' }],
          labels: {
            port: '9100',
            ratio: '1.50',
            flag: 'yes',
            hex: '0x10',
            quoted: 'a: b',
            block: 'two\nlines\n',
            __meta_filepath: '/etc/sd/nodes.YML',
          },
        },
      ],
    },
    {
      name: 'null targets, labels and values mean none/empty (as Go decodes them)',
      path: 'n.json',
      content:
        '[{"targets": null, "labels": null}, {"targets": [null, "a:1"], "labels": {"x": null, "y": "1"}}]',
      groups: [
        { source: 'n.json:0', targets: [], labels: { __meta_filepath: 'n.json' } },
        {
          source: 'n.json:1',
          targets: [{ __address__: '' }, { __address__: 'a:1' }],
          labels: { y: '1', __meta_filepath: 'n.json' },
        },
      ],
    },
    {
      name: 'YAML nulls',
      path: 'n.yaml',
      content: '- targets: [~, a:1]\n  labels: {x: , y: null, z: "1"}\n- targets:\n',
      groups: [
        {
          source: 'n.yaml:0',
          targets: [{ __address__: '' }, { __address__: 'a:1' }],
          labels: { z: '1', __meta_filepath: 'n.yaml' },
        },
        { source: 'n.yaml:1', targets: [], labels: { __meta_filepath: 'n.yaml' } },
      ],
    },
    {
      name: 'JSON field names match case-insensitively, as Go encoding/json does',
      path: 'c.json',
      content: '[{"Targets": ["a:1"], "LABELS": {"k": "v"}}]',
      groups: [
        {
          source: 'c.json:0',
          targets: [{ __address__: 'a:1' }],
          labels: { k: 'v', __meta_filepath: 'c.json' },
        },
      ],
    },
    {
      name: 'YAML anchors, aliases and merge keys',
      path: 'm.yml',
      content: [
        '- targets: &t [a:1]',
        '  labels: &common {env: prod, team: x}',
        '- targets: *t',
        '  labels:',
        '    <<: *common',
        '    team: y',
      ].join('\n'),
      groups: [
        {
          source: 'm.yml:0',
          targets: [{ __address__: 'a:1' }],
          labels: { env: 'prod', team: 'x', __meta_filepath: 'm.yml' },
        },
        {
          source: 'm.yml:1',
          targets: [{ __address__: 'a:1' }],
          labels: { env: 'prod', team: 'y', __meta_filepath: 'm.yml' },
        },
      ],
    },
    {
      name: 'only the first YAML document counts',
      path: 'd.yml',
      content: '- targets: [a:1]\n---\n- targets: [b:1]\n',
      groups: [
        {
          source: 'd.yml:0',
          targets: [{ __address__: 'a:1' }],
          labels: { __meta_filepath: 'd.yml' },
        },
      ],
    },
    {
      name: 'a __meta_filepath in the file is replaced; UTF-8 label names are valid',
      path: 'u.json',
      content: '[{"targets": ["a:1"], "labels": {"__meta_filepath": "x", "käse.name": "v"}}]',
      groups: [
        {
          source: 'u.json:0',
          targets: [{ __address__: 'a:1' }],
          labels: { 'käse.name': 'v', __meta_filepath: 'u.json' },
        },
      ],
    },
    { name: 'empty YAML file', path: 'e.yaml', content: '', groups: [] },
    { name: 'JSON null', path: 'e.json', content: 'null', groups: [] },
    { name: 'empty JSON list', path: 'e.json', content: '[]', groups: [] },
  ])('$name', ({ path, content, groups }) => {
    expect(plain(parseFileSdContent(path, bytes(content)))).toEqual(groups);
  });
});

describe('parseFileSdContent: rejected files (§10.2)', () => {
  it.each([
    { name: 'empty JSON', path: 'f.json', content: '', detail: /JSON/ },
    { name: 'JSON syntax', path: 'f.json', content: '[{"targets": [}]', detail: /JSON|token/ },
    {
      name: 'JSON object instead of list',
      path: 'f.json',
      content: '{}',
      detail: /expected a list of target groups, got a mapping$/,
    },
    { name: 'null group', path: 'f.json', content: '[null]', detail: /group 0 is null$/ },
    {
      name: 'YAML null group',
      path: 'f.yml',
      content: '- targets: [a:1]\n- ~\n',
      detail: /group 1 is null$/,
    },
    {
      name: 'group that is a list',
      path: 'f.json',
      content: '[[]]',
      detail: /group 0: expected a mapping, got a list$/,
    },
    {
      name: 'unknown JSON field',
      path: 'f.json',
      content: '[{"targets": ["a:1"], "extra": 1}]',
      detail: /group 0: unknown field "extra"$/,
    },
    {
      name: 'YAML field names are case-sensitive',
      path: 'f.yml',
      content: '- Targets: [a:1]\n',
      detail: /group 0: unknown field "Targets"$/,
    },
    {
      name: 'number target',
      path: 'f.json',
      content: '[{"targets": [5]}]',
      detail: /group 0: targets\[0\] must be a string, got a number$/,
    },
    {
      name: 'targets not a list',
      path: 'f.json',
      content: '[{"targets": "a:1"}]',
      detail: /"targets" must be a list, got a string$/,
    },
    {
      name: 'labels not a mapping',
      path: 'f.yml',
      content: '- labels: [a]\n',
      detail: /"labels" must be a mapping, got a list$/,
    },
    {
      name: 'number label value',
      path: 'f.json',
      content: '[{"targets": ["a:1"], "labels": {"n": 5}}]',
      detail: /value of label "n" must be a string, got a number$/,
    },
    {
      name: 'list label value',
      path: 'f.yml',
      content: '- targets: [a:1]\n  labels: {a: [1]}\n',
      detail: /value of label "a" must be a string, got a list$/,
    },
    {
      name: 'empty label name',
      path: 'f.json',
      content: '[{"targets": ["a:1"], "labels": {"": "x"}}]',
      detail: /"" is not a valid label name$/,
    },
    {
      name: 'label name with a lone surrogate',
      path: 'f.json',
      content: '[{"targets": ["a:1"], "labels": {"\\ud800": "x"}}]',
      detail: /is not a valid label name$/,
    },
    {
      name: 'YAML syntax error, with its position',
      path: 'f.yaml',
      content: '- targets: [a:1\n',
      detail: /^line \d+, column \d+: /,
    },
    {
      name: 'YAML duplicate key',
      path: 'f.yaml',
      content: '- targets: [a:1]\n  targets: [b:1]\n',
      detail: /line 2, column 3: .*unique/i,
    },
    {
      name: 'YAML alias expansion bomb',
      path: 'bomb.yml',
      content: [
        'a: &a [x, x, x, x, x, x, x, x, x, x]',
        'b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]',
        'c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]',
        'd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]',
        'e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]',
        'f: [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]',
      ].join('\n'),
      detail: /too many nodes/,
    },
  ])('$name', ({ path, content, detail }) => {
    let caught: unknown;
    try {
      parseFileSdContent(path, bytes(content));
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(FileSdError);
    const err = caught as FileSdError;
    expect(err.code).toBe(FileSdErrorCode.parse);
    expect(err.path).toBe(path);
    const prefix = `cannot parse file_sd file ${JSON.stringify(path)}: `;
    expect(err.message.startsWith(prefix)).toBe(true);
    expect(err.message.slice(prefix.length)).toMatch(detail);
  });

  it('rejects an extension that is neither JSON nor YAML', () => {
    expect(() => parseFileSdContent('x.txt', bytes('[]'))).toThrow(
      expect.objectContaining({ code: FileSdErrorCode.pattern }),
    );
  });
});

describe('matchStar', () => {
  it.each([
    ['*.json', 'a.json', true],
    ['*.json', '.hidden.json', true],
    ['*.json', 'a.json.bak', false],
    ['*.json', 'a.yml', false],
    ['nodes-*.yml', 'nodes-eu.yml', true],
    ['nodes-*.yml', 'nodes-.yml', true],
    ['nodes-*.yml', 'node-eu.yml', false],
    ['a*b*c.json', 'axxbyybzc.json', true],
    ['a*b*c.json', 'axxc.json', false],
    ['*', '', true],
    ['exact.json', 'exact.json', true],
    ['exact.json', 'exact.jso', false],
    ['?.json', 'a.json', false],
  ])('%s ~ %s → %s', (pattern, name, matches) => {
    expect(matchStar(pattern, name)).toBe(matches);
  });
});

describe('expandPattern', () => {
  const fs = memFs({
    'sd/b.json': '[]',
    'sd/a.json': '[]',
    'sd/c.yml': '[]',
    'sd/sub/d.json': '[]',
    'top.json': '[]',
    '/abs/x.json': '[]',
  });
  it.each([
    { pattern: 'sd/*.json', paths: ['sd/a.json', 'sd/b.json'] },
    { pattern: './sd/*.json', paths: ['sd/a.json', 'sd/b.json'] },
    { pattern: 'sd//*.yml', paths: ['sd/c.yml'] },
    { pattern: '*.json', paths: ['top.json'] },
    { pattern: '/abs/*.json', paths: ['/abs/x.json'] },
    { pattern: 'missing/*.json', paths: [] },
    { pattern: 'sd/literal.json', paths: ['sd/literal.json'] },
  ])('$pattern', async ({ pattern, paths }) => {
    expect(await expandPattern(pattern, fs.readDir)).toEqual(paths);
  });

  it('rejects a * outside the last element', async () => {
    await expect(expandPattern('sd/*/x.json', fs.readDir)).rejects.toMatchObject({
      code: FileSdErrorCode.pattern,
    });
  });
});

describe('FileDiscoverer (§10.2)', () => {
  const good = (address: string) => JSON.stringify([{ targets: [address] }]);

  it('reads every matching file of every pattern, JSON and YAML', async () => {
    const fs = memFs({
      'sd/b.json': good('b:1'),
      'sd/a.json': good('a:1'),
      'sd/c.yml': '- targets: [c:1]\n  labels: {k: v}\n',
      'other.yaml': '- targets: [d:1]\n',
    });
    const { groups, errors } = await refresh(sdConfig('sd/*.json', 'sd/*.yml', 'other.yaml'), fs);
    expect(errors).toEqual([]);
    expect(groups.map((g) => [g.source, g.labels.__meta_filepath])).toEqual([
      ['sd/a.json:0', 'sd/a.json'],
      ['sd/b.json:0', 'sd/b.json'],
      ['sd/c.yml:0', 'sd/c.yml'],
      ['other.yaml:0', 'other.yaml'],
    ]);
    expect(addresses(groups)).toEqual(['a:1', 'b:1', 'c:1', 'd:1']);
  });

  it('reads a file matched by two patterns once', async () => {
    const fs = memFs({ 'sd/a.json': good('a:1') });
    const { groups } = await refresh(sdConfig('sd/*.json', 'sd/a.json'), fs);
    expect(groups.map((g) => g.source)).toEqual(['sd/a.json:0']);
    expect(fs.reads).toEqual(['sd/a.json']);
  });

  it('a missing file or directory is no targets and no error', async () => {
    const fs = memFs({});
    expect(await refresh(sdConfig('gone.json', 'nodir/*.json'), fs)).toEqual({
      groups: [],
      errors: [],
    });
  });

  it.each([
    {
      name: 'a file that stops parsing',
      breakIt: (fs: ReturnType<typeof memFs>) => fs.files.set('sd/a.json', '[{"targets": [1]}]'),
      code: FileSdErrorCode.parse,
      message: /^cannot parse file_sd file "sd\/a.json": group 0: targets\[0\] must be a string/,
    },
    {
      name: 'a file that cannot be read',
      breakIt: (fs: ReturnType<typeof memFs>) => fs.files.set('sd/a.json', { error: 'EACCES' }),
      code: FileSdErrorCode.read,
      message: /^cannot read file_sd file "sd\/a.json": EACCES/,
    },
    {
      name: 'a file that grew too large',
      breakIt: (fs: ReturnType<typeof memFs>) =>
        fs.files.set('sd/a.json', JSON.stringify([{ targets: ['x'.repeat(200)] }])),
      code: FileSdErrorCode.tooLarge,
      message: /^cannot read file_sd file "sd\/a.json": larger than the limit of 100 bytes$/,
    },
    {
      name: 'a directory that cannot be listed',
      breakIt: (fs: ReturnType<typeof memFs>) => fs.failingDirs.set('sd', 'EACCES'),
      code: FileSdErrorCode.read,
      message: /^cannot list directory "sd" for file_sd pattern "sd\/\*.json": EACCES/,
    },
  ])('$name keeps its previous targets until it is good again', async (c) => {
    const fs = memFs({ 'sd/a.json': good('a:1'), 'sd/b.json': good('b:1') });
    const discoverer = new FileDiscoverer(sdConfig('sd/*.json'), fs, { maxFileBytes: 100 });
    const first = await discoverer.refresh();
    expect(addresses(first.groups)).toEqual(['a:1', 'b:1']);

    c.breakIt(fs);
    const broken = await discoverer.refresh();
    expect(plain(broken.groups)).toEqual(plain(first.groups));
    expect(broken.errors).toHaveLength(1);
    expect(broken.errors[0]!.code).toBe(c.code);
    expect(broken.errors[0]!.message).toMatch(c.message);

    fs.failingDirs.clear();
    fs.files.set('sd/a.json', good('a:2'));
    const fixed = await discoverer.refresh();
    expect(fixed.errors).toEqual([]);
    expect(addresses(fixed.groups)).toEqual(['a:2', 'b:1']);
  });

  it('a file that fails on the first refresh contributes nothing', async () => {
    const fs = memFs({ 'a.json': '[null]', 'b.json': good('b:1') });
    const { groups, errors } = await refresh(sdConfig('a.json', 'b.json'), fs);
    expect(addresses(groups)).toEqual(['b:1']);
    expect(errors.map((e) => e.message)).toEqual([
      'cannot parse file_sd file "a.json": group 0 is null',
    ]);
  });

  it('clears the sources of a vanished file once', async () => {
    const fs = memFs({
      'sd/a.json': good('a:1'),
      'sd/b.json': JSON.stringify([{ targets: ['b:1'] }, { targets: ['b:2'] }]),
    });
    const discoverer = new FileDiscoverer(sdConfig('sd/*.json'), fs);
    await discoverer.refresh();
    fs.files.delete('sd/b.json');
    const after = await discoverer.refresh();
    expect(plain(after.groups)).toEqual([
      {
        source: 'sd/a.json:0',
        targets: [{ __address__: 'a:1' }],
        labels: { __meta_filepath: 'sd/a.json' },
      },
      { source: 'sd/b.json:0', targets: [], labels: {} },
      { source: 'sd/b.json:1', targets: [], labels: {} },
    ]);
    const later = await discoverer.refresh();
    expect(later.groups.map((g) => g.source)).toEqual(['sd/a.json:0']);
  });

  it('clears the sources of groups a file no longer has', async () => {
    const fs = memFs({ 'a.yml': '- targets: [x:1]\n- targets: [x:2]\n- targets: [x:3]\n' });
    const discoverer = new FileDiscoverer(sdConfig('a.yml'), fs);
    await discoverer.refresh();
    fs.files.set('a.yml', '- targets: [y:1]\n');
    const { groups } = await discoverer.refresh();
    expect(groups.map((g) => [g.source, g.targets.length])).toEqual([
      ['a.yml:0', 1],
      ['a.yml:1', 0],
      ['a.yml:2', 0],
    ]);
  });
});

describe('nodeFileSdDeps (local file system)', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lambdascrape-filesd-'));
    await writeFile(join(dir, 'a.json'), JSON.stringify([{ targets: ['a:1'] }]));
    await writeFile(join(dir, 'b.yml'), '- targets: [b:1]\n');
    await writeFile(join(dir, 'big.json'), `[${' '.repeat(5000)}]`);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('globs, reads and parses real files', async () => {
    const { groups, errors } = await refresh(
      sdConfig(join(dir, '*.json'), join(dir, '*.yml')),
      nodeFileSdDeps,
      { maxFileBytes: 1000 },
    );
    expect(addresses(groups)).toEqual(['a:1', 'b:1']);
    expect(groups[0]!.labels.__meta_filepath).toBe(join(dir, 'a.json'));
    expect(errors.map((e) => [e.code, e.path])).toEqual([
      [FileSdErrorCode.tooLarge, join(dir, 'big.json')],
    ]);
  });

  it('reads no more than the cap + 1 bytes', async () => {
    const content = await nodeFileSdDeps.readFile(join(dir, 'big.json'), 10);
    expect(content.byteLength).toBe(11);
  });

  it('reports a missing file as ENOENT', async () => {
    await expect(nodeFileSdDeps.readFile(join(dir, 'nope.json'), 10)).rejects.toMatchObject({
      code: 'ENOENT',
    });
  });
});
