// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${…}` is config syntax under test here, not a template.
import { describe, expect, it } from 'vitest';
import { expandEnv } from '../../src/config/expand-env.js';
import { loadConfig } from '../../src/config/load.js';
import { load, yaml } from './helpers.js';

const ENV = { HOST: 'node-1', REGION: 'eu-west-1', EMPTY: '', A_B: 'ab', '1': 'one' };

describe('expandEnv (os.Expand rules, §1.2)', () => {
  it.each([
    ['plain', 'plain'],
    ['$HOST', 'node-1'],
    ['${HOST}', 'node-1'],
    ['${HOST}-x', 'node-1-x'],
    ['$HOST-x', 'node-1-x'],
    ['$HOSTx', ''],
    ['$A_B.c', 'ab.c'],
    ['$$HOST', '$HOST'],
    ['cost: $$5', 'cost: $5'],
    ['$UNSET', ''],
    ['$EMPTY', ''],
    ['a-$', 'a-$'],
    ['$-x', 'x'],
    ['$ x', '$ x'],
    ['${}x', 'x'],
    ['${HOST', 'HOST'],
    ['$1x', 'onex'],
    ['${REGION}/${HOST}', 'eu-west-1/node-1'],
  ])('%j → %j', (text, want) => {
    expect(expandEnv(text, ENV)).toBe(want);
  });
});

describe('external_labels', () => {
  it('expands variables from options.env, keeps empty results and sorts by name', () => {
    const { global } = load(
      yaml`
        global:
          external_labels:
            replica: \${HOST}
            region: $REGION
            cluster: prod
            missing: $NOT_SET
            price: "$$9"
      `,
      { env: ENV },
    );
    expect(global.externalLabels).toEqual({
      cluster: 'prod',
      missing: '',
      price: '$9',
      region: 'eu-west-1',
      replica: 'node-1',
    });
    expect(Object.keys(global.externalLabels)).toEqual([
      'cluster',
      'missing',
      'price',
      'region',
      'replica',
    ]);
  });

  it('reads process.env when no env is given', () => {
    process.env.LAMBDASCRAPE_TEST_LABEL = 'from-process';
    try {
      const config = loadConfig('global:\n  external_labels: {x: $LAMBDASCRAPE_TEST_LABEL}\n');
      expect(config.global.externalLabels).toEqual({ x: 'from-process' });
    } finally {
      delete process.env.LAMBDASCRAPE_TEST_LABEL;
    }
  });

  it('accepts UTF-8 label names under the default scheme', () => {
    const { global } = load('global:\n  external_labels: {"service.name": a, "名前": b}\n');
    expect(global.externalLabels).toEqual({ 'service.name': 'a', 名前: 'b' });
  });
});
