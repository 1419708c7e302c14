/**
 * `parsers.ts` is what config checks read entries with, `registry.ts` what discovery runs: the
 * two lists must name the same mechanisms, in the same order, with the same readers — else a
 * config could pass `check config` and be read differently at run time.
 */
import { describe, expect, it } from 'vitest';
import { DISCOVERY_CONFIG_READERS } from '../../src/discovery/parsers.js';
import { DISCOVERY_MECHANISMS } from '../../src/discovery/registry.js';

describe('the config readers and the mechanisms agree', () => {
  it('same names, same order, same parse functions, same loaded entries', () => {
    expect(DISCOVERY_CONFIG_READERS.map((r) => r.name)).toEqual(
      DISCOVERY_MECHANISMS.map((m) => m.name),
    );
    const job = {
      jobName: 'j',
      staticConfigs: [{ targets: ['a:1'], labels: {} }],
      fileSdConfigs: [{ files: ['x.json'], refreshInterval: 300_000 }],
      sdConfigNodes: {},
    } as never;
    DISCOVERY_CONFIG_READERS.forEach((reader, i) => {
      const mechanism = DISCOVERY_MECHANISMS[i]!;
      expect(reader.parse, reader.name).toBe(mechanism.parse);
      expect(reader.loaded?.(job), reader.name).toEqual(mechanism.loaded?.(job));
      expect(reader.lacking, reader.name).toBe(mechanism.lacking);
      expect(reader.validateLacking, reader.name).toBe(mechanism.validateLacking);
    });
  });
});
