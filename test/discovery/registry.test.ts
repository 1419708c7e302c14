import { describe, expect, it } from 'vitest';
import type { ScrapeConfig } from '../../src/config/types.js';
import {
  DISCOVERY_MECHANISMS,
  type DiscoveryMechanism,
  discoverJob,
  JobDiscovery,
} from '../../src/discovery/registry.js';
import type { TargetGroup } from '../../src/discovery/types.js';
import { labelsToRecord } from '../../src/model/labels.js';
import { buildTargets } from '../../src/targets/index.js';
import { scrapeConfig } from '../targets/scrape-config.js';
import { memFs } from './mem-fs.js';

const fileSd = (...files: string[]) => ({ files, refreshInterval: 300_000 });

describe('DISCOVERY_MECHANISMS', () => {
  it('lists every mechanism explicitly', () => {
    expect(DISCOVERY_MECHANISMS.map((m) => m.name)).toEqual([
      'static_configs',
      'file_sd_configs',
      'ec2_sd_configs',
      'dns_sd_configs',
      'http_sd_configs',
      'consul_sd_configs',
      'aws_sd_configs',
      'ecs_sd_configs',
      'elasticache_sd_configs',
      'lightsail_sd_configs',
      'msk_sd_configs',
      'rds_sd_configs',
      'kubernetes_sd_configs',
    ]);
  });
});

describe('JobDiscovery refresh intervals', () => {
  /** A mechanism whose discoverer counts its refreshes. */
  const counting = (intervalMs: number) => {
    const calls = { n: 0 };
    const mechanism: DiscoveryMechanism = {
      name: 'http_sd_configs',
      parse: () => undefined,
      create: () => [
        {
          refreshIntervalMs: intervalMs,
          refresh: async () => {
            calls.n++;
            return {
              groups: [{ source: 's', targets: [{ __address__: `h:${calls.n}` }], labels: {} }],
              errors: [],
            };
          },
        },
      ],
    };
    return { calls, mechanism };
  };

  it('asks a discoverer again only when its refresh_interval is due', async () => {
    const { calls, mechanism } = counting(300_000);
    let now = 1_000_000;
    const discovery = new JobDiscovery(scrapeConfig({}), { now: () => now }, [mechanism]);
    expect(discovery.refreshIntervalMs).toBe(300_000);
    await discovery.refresh();
    now += 60_000;
    const cached = await discovery.refresh();
    expect(calls.n).toBe(1);
    expect(cached.refreshed).toEqual([]);
    expect(cached.groups[0]!.targets).toEqual([{ __address__: 'h:1' }]);
    now += 240_000;
    const fresh = await discovery.refresh();
    expect(calls.n).toBe(2);
    expect(fresh.refreshed).toEqual([
      { mechanism: 'http_sd_configs', durationMs: expect.any(Number), failed: false },
    ]);
    expect(fresh.groups[0]!.targets).toEqual([{ __address__: 'h:2' }]);
    await discovery.refresh({ force: true });
    expect(calls.n).toBe(3);
  });
});

describe('discoverJob', () => {
  it.each<{
    name: string;
    job: Partial<ScrapeConfig>;
    files: Record<string, string>;
    sources: string[];
  }>([
    { name: 'a job without discovery', job: {}, files: {}, sources: [] },
    {
      name: 'static groups are one provider, sourced by index',
      job: {
        staticConfigs: [
          { targets: ['a:1'], labels: {} },
          { targets: ['b:1'], labels: { env: 'x' } },
        ],
      },
      files: {},
      sources: ['static_configs/0/0', 'static_configs/0/1'],
    },
    {
      name: 'each file_sd config is its own provider; mechanisms in list order',
      job: {
        staticConfigs: [{ targets: ['a:1'], labels: {} }],
        fileSdConfigs: [fileSd('sd/*.json'), fileSd('sd/*.json', 'more.yml')],
      },
      files: {
        'sd/x.json': '[{"targets": ["x:1"]}]',
        'more.yml': '- targets: [m:1]\n',
      },
      sources: [
        'static_configs/0/0',
        'file_sd_configs/0/sd/x.json:0',
        'file_sd_configs/1/sd/x.json:0',
        'file_sd_configs/1/more.yml:0',
      ],
    },
  ])('$name', async ({ job, files, sources }) => {
    const groups = await discoverJob(scrapeConfig(job), {
      file: memFs(files),
    });
    expect(groups.map((g) => g.source)).toEqual(sources);
  });

  it('passes errors to onError and still returns the good groups', async () => {
    const errors: string[] = [];
    const groups = await discoverJob(
      scrapeConfig({ fileSdConfigs: [fileSd('bad.json', 'good.json')] }),
      {
        file: memFs({ 'bad.json': '{', 'good.json': '[{"targets": ["g:1"]}]' }),
        onError: (err) => errors.push(err.message),
      },
    );
    expect(groups.map((g) => g.source)).toEqual(['file_sd_configs/0/good.json:0']);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^cannot parse file_sd file "bad.json": /);
  });

  it('joins relative file paths to configDir', async () => {
    const groups = await discoverJob(
      scrapeConfig({ fileSdConfigs: [fileSd('sd/*.json', '/abs/a.json')] }),
      {
        configDir: '/etc/prom',
        file: memFs({
          '/etc/prom/sd/x.json': '[{"targets": ["x:1"]}]',
          '/abs/a.json': '[{"targets": ["a:1"]}]',
        }),
      },
    );
    expect(groups.map((g) => g.labels.__meta_filepath)).toEqual([
      '/etc/prom/sd/x.json',
      '/abs/a.json',
    ]);
  });
});

describe('JobDiscovery', () => {
  it('keeps a discoverer’s previous groups when its refresh throws', async () => {
    let calls = 0;
    const flaky: DiscoveryMechanism = {
      name: 'static_configs',
      parse: () => undefined,
      create: () => [
        {
          refresh: async () => {
            calls++;
            if (calls === 2) throw new Error('connection refused');
            const group: TargetGroup = {
              source: 's',
              targets: [{ __address__: `h${calls}:1` }],
              labels: {},
            };
            return { groups: [group], errors: [] };
          },
        },
      ],
    };
    const discovery = new JobDiscovery(scrapeConfig({ jobName: 'j' }), {}, [flaky]);
    const first = await discovery.refresh();
    const second = await discovery.refresh();
    const third = await discovery.refresh();
    expect(first.groups.map((g) => g.targets[0]?.__address__)).toEqual(['h1:1']);
    expect(second.groups).toEqual(first.groups);
    expect(second.errors.map((e) => e.message)).toEqual([
      'discovery static_configs/0 of job "j" failed: connection refused',
    ]);
    expect(second.errors[0]).toMatchObject({ code: 'DISCOVERY_REFRESH_FAILED', job: 'j' });
    expect(third.groups.map((g) => g.targets[0]?.__address__)).toEqual(['h3:1']);
    expect(third.errors).toEqual([]);
  });

  it('keeps file targets across refreshes when a file breaks', async () => {
    const fs = memFs({ 'a.json': '[{"targets": ["a:1"]}]' });
    const discovery = new JobDiscovery(scrapeConfig({ fileSdConfigs: [fileSd('a.json')] }), {
      file: fs,
    });
    const first = await discovery.refresh();
    fs.files.set('a.json', 'not json');
    const second = await discovery.refresh({ force: true });
    expect(second.groups).toEqual(first.groups);
    expect(second.errors).toHaveLength(1);
  });
});

describe('discovery → targets', () => {
  it('file_sd group labels override job defaults and __meta_filepath is usable in relabeling', async () => {
    const job = scrapeConfig({
      jobName: 'nodes',
      fileSdConfigs: [fileSd('sd/*.yml')],
      relabelConfigs: [
        {
          sourceLabels: ['__meta_filepath'],
          separator: ';',
          regex: 'sd/(.*)\\.yml',
          regexSet: true,
          modulus: 0,
          targetLabel: 'source_file',
          replacement: '$1',
          action: 'replace',
        },
      ],
    });
    const groups = await discoverJob(job, {
      file: memFs({
        'sd/eu.yml': '- targets: [n1:9100]\n  labels: {job: node-eu, __scheme__: https, dc: eu}\n',
      }),
    });
    const { active, errors } = buildTargets(job, groups, { offsetSeed: 0n });
    expect(errors).toEqual([]);
    expect(active.map((t) => [t.url, labelsToRecord(t.publicLabels)])).toEqual([
      [
        'https://n1:9100/metrics',
        { dc: 'eu', instance: 'n1:9100', job: 'node-eu', source_file: 'eu' },
      ],
    ]);
    expect(labelsToRecord(active[0]!.discoveredLabels).__meta_filepath).toBe('sd/eu.yml');
  });
});
