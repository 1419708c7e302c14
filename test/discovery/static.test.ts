import { describe, expect, it } from 'vitest';
import type { StaticConfig } from '../../src/config/types.js';
import { refresh } from '../../src/discovery/static/index.js';
import type { TargetGroup } from '../../src/discovery/types.js';

describe('static_configs refresh (§10.1)', () => {
  it.each<{ name: string; configs: StaticConfig[]; groups: TargetGroup[] }>([
    { name: 'no entries', configs: [], groups: [] },
    {
      name: 'entries become groups sourced by index',
      configs: [
        { targets: ['a:1', 'b:2'], labels: { env: 'prod' } },
        { targets: [], labels: {} },
        { targets: ['c:3'], labels: {} },
      ],
      groups: [
        {
          source: '0',
          targets: [{ __address__: 'a:1' }, { __address__: 'b:2' }],
          labels: { env: 'prod' },
        },
        { source: '1', targets: [], labels: {} },
        { source: '2', targets: [{ __address__: 'c:3' }], labels: {} },
      ],
    },
  ])('$name', ({ configs, groups }) => {
    expect(refresh(configs)).toEqual(groups);
  });

  it('copies the labels so callers cannot change the config', () => {
    const config = { targets: ['a:1'], labels: { env: 'prod' } };
    const [g] = refresh([config]);
    expect(g!.labels).not.toBe(config.labels);
  });
});
