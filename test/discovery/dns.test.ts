import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/errors.js';
import type { ScrapeConfig } from '../../src/config/types.js';
import {
  DnsDiscoverer,
  type DnsSdConfig,
  DnsSdError,
  DnsSdErrorCode,
  dnsMechanism,
  joinHostPort,
  nodeDnsResolver,
} from '../../src/discovery/dns/index.js';
import {
  type DiscoveryMechanism,
  JobDiscovery,
  validMechanismConfigs,
} from '../../src/discovery/registry.js';
import type { TargetGroup } from '../../src/discovery/types.js';
import { dnsmasqAvailable, type RunningDnsmasq, startDnsmasq } from '../support/dnsmasq.js';
import { scrapeConfig } from '../targets/scrape-config.js';
import { parseEntry, sdJob } from './sd-config.js';

const parseDnsSdConfig = (raw: unknown) => parseEntry(dnsMechanism, raw);
const createDnsDiscoverers = (
  job: ScrapeConfig,
  deps: Parameters<typeof dnsMechanism.create>[1]['dns'] = {},
) => dnsMechanism.create(validMechanismConfigs(job, dnsMechanism), { dns: deps });

describe('parseDnsSdConfig (§10.4)', () => {
  it.each<{ name: string; raw: unknown; config: DnsSdConfig }>([
    {
      name: 'defaults: SRV, port 0, 30s',
      raw: { names: ['_x._tcp.example.'] },
      config: { names: ['_x._tcp.example.'], type: 'SRV', port: 0, refreshInterval: 30_000 },
    },
    {
      name: 'type is case-insensitive and stored upper case',
      raw: { names: ['a.example', 'b.example'], type: 'aaaa', port: 9100 },
      config: {
        names: ['a.example', 'b.example'],
        type: 'AAAA',
        port: 9100,
        refreshInterval: 30_000,
      },
    },
    {
      name: 'A, MX, NS with a port; refresh_interval parsed',
      raw: { names: ['example'], type: 'Mx', port: 25, refresh_interval: '1m30s' },
      config: { names: ['example'], type: 'MX', port: 25, refreshInterval: 90_000 },
    },
    {
      name: 'NS',
      raw: { names: ['example'], type: 'NS', port: 53 },
      config: { names: ['example'], type: 'NS', port: 53, refreshInterval: 30_000 },
    },
    {
      name: 'A',
      raw: { names: ['example'], type: 'A', port: 80 },
      config: { names: ['example'], type: 'A', port: 80, refreshInterval: 30_000 },
    },
    {
      name: 'SRV ignores but keeps a configured port',
      raw: { names: ['s'], type: 'srv', port: 1234 },
      config: { names: ['s'], type: 'SRV', port: 1234, refreshInterval: 30_000 },
    },
    {
      name: 'refresh_interval 0 means the default',
      raw: { names: ['s'], refresh_interval: '0s' },
      config: { names: ['s'], type: 'SRV', port: 0, refreshInterval: 30_000 },
    },
  ])('accepts $name', ({ raw, config }) => {
    expect(parseDnsSdConfig(raw)).toEqual(config);
  });

  it.each<{ name: string; raw: unknown; message: string }>([
    {
      name: 'an unknown field',
      raw: { names: ['a'], server: '1.1.1.1' },
      message: 'field server not found in type dns.SDConfig',
    },
    {
      name: 'no names',
      raw: { type: 'SRV' },
      message: 'DNS-SD config must contain at least one SRV record name',
    },
    {
      name: 'an empty names list',
      raw: { names: [] },
      message: 'DNS-SD config must contain at least one SRV record name',
    },
    {
      name: 'names not a list',
      raw: { names: 'a' },
      message: 'cannot unmarshal !!str `a` into []string',
    },
    {
      name: 'a non-string name',
      raw: { names: [[1]] },
      message: 'cannot unmarshal !!seq into string',
    },
    {
      name: 'an unknown type',
      raw: { names: ['a'], type: 'TXT', port: 1 },
      message: 'invalid DNS-SD records type TXT',
    },
    {
      name: 'a null type',
      raw: { names: ['a'], type: null },
      message: 'invalid DNS-SD records type ',
    },
    ...(['A', 'AAAA', 'MX', 'NS'] as const).map((type) => ({
      name: `${type} without a port`,
      raw: { names: ['a'], type },
      message: 'a port is required in DNS-SD configs for all record types except SRV',
    })),
    {
      name: 'a port of 0',
      raw: { names: ['a'], type: 'A', port: 0 },
      message: 'a port is required in DNS-SD configs for all record types except SRV',
    },
    {
      name: 'a quoted port',
      raw: { names: ['a'], type: 'A', port: '80' },
      message: 'cannot unmarshal !!str `80` into int',
    },
    {
      name: 'a port out of range',
      raw: { names: ['a'], type: 'A', port: 70000 },
      message: 'port 70000 is out of range 0-65535',
    },
    {
      name: 'a bad refresh_interval',
      raw: { names: ['a'], refresh_interval: '30' },
      message: 'not a valid duration string: "30"',
    },
    { name: 'not a mapping', raw: ['a'], message: 'cannot unmarshal !!seq into dns.SDConfig' },
  ])('rejects $name', ({ raw, message }) => {
    let caught: unknown;
    try {
      parseDnsSdConfig(raw);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).message).toMatch(/^<config>:\d+:\d+: /);
    expect((caught as ConfigError).message.split(': ').slice(1).join(': ')).toBe(message);
  });
});

describe('dnsMechanism.create', () => {
  it('creates none for a job without dns_sd_configs', () => {
    expect(createDnsDiscoverers(scrapeConfig())).toEqual([]);
  });

  it('creates one per entry, with its refresh interval', () => {
    const job = sdJob('dns_sd_configs', [
      { names: ['a'] },
      { names: ['b'], type: 'A', port: 1, refresh_interval: '5s' },
    ]);
    const discoverers = createDnsDiscoverers(job, { resolver: nodeDnsResolver() });
    expect(discoverers.map((d) => d.refreshIntervalMs)).toEqual([30_000, 5_000]);
  });

  it('rejects an invalid entry naming the job and index', () => {
    const job = sdJob('dns_sd_configs', [{ names: ['a'] }, { names: ['b'], type: 'A' }], {
      jobName: 'dns',
      sourcePath: 'prometheus.yml',
    });
    expect(() => createDnsDiscoverers(job)).toThrow(
      'prometheus.yml:6:9: a port is required in DNS-SD configs for all record types except SRV',
    );
  });
});

describe('joinHostPort', () => {
  it('brackets IPv6 only', () => {
    expect(joinHostPort('10.0.0.1', 80)).toBe('10.0.0.1:80');
    expect(joinHostPort('::1', 80)).toBe('[::1]:80');
    expect(joinHostPort('a.example', 80)).toBe('a.example:80');
  });
});

/** A name in DNS wire format, as hex (for dnsmasq's `--dns-rr`). */
function wireName(name: string): string {
  const bytes: number[] = [];
  for (const label of name.split('.').filter((l) => l !== '')) {
    bytes.push(label.length, ...Buffer.from(label, 'ascii'));
  }
  bytes.push(0);
  return Buffer.from(bytes).toString('hex');
}

const ZONE = [
  '--local=/scrape.test/',
  '--srv-host=_metrics._tcp.scrape.test,node1.scrape.test,19100,0,10',
  '--srv-host=_metrics._tcp.scrape.test,node2.scrape.test,19200,1,5',
  '--srv-host=_metrics._tcp.scrape.test,node3.scrape.test,19300,2,0',
  '--host-record=node1.scrape.test,127.0.0.1,::1',
  '--host-record=node2.scrape.test,127.0.0.2',
  '--host-record=v6.scrape.test,2001:db8::1',
  '--mx-host=scrape.test,mail1.scrape.test,10',
  '--mx-host=scrape.test,mail2.scrape.test,20',
  `--dns-rr=scrape.test,2,${wireName('ns1.scrape.test')}`,
  `--dns-rr=scrape.test,2,${wireName('ns2.scrape.test')}`,
];
const FLAKY_ZONE = ['--local=/flaky.test/', '--host-record=web.flaky.test,127.0.0.9'];

/** Targets of every group, sorted by address, with the group's source. */
function byAddress(groups: readonly TargetGroup[]) {
  return groups
    .flatMap((g) => g.targets.map((t): Record<string, string> => ({ source: g.source, ...t })))
    .sort((a, b) => (a.__address__! < b.__address__! ? -1 : 1));
}

describe.skipIf(!dnsmasqAvailable())('DnsDiscoverer against dnsmasq (§10.4)', () => {
  let server: RunningDnsmasq;

  beforeAll(async () => {
    server = await startDnsmasq([...ZONE, ...FLAKY_ZONE], 'node1.scrape.test');
  });
  afterAll(async () => {
    await server?.stop();
  });

  const discoverer = (raw: unknown) =>
    new DnsDiscoverer(
      parseDnsSdConfig(raw),
      nodeDnsResolver({ servers: [server.server], timeoutMs: 500, tries: 1 }),
    );

  it('SRV: one target per record, SRV port, rooted target label', async () => {
    const { groups, errors } = await discoverer({ names: ['_metrics._tcp.scrape.test'] }).refresh();
    expect(errors).toEqual([]);
    expect(groups.map((g) => [g.source, g.labels])).toEqual([['_metrics._tcp.scrape.test', {}]]);
    expect(byAddress(groups)).toEqual(
      [1, 2, 3].map((n) => ({
        source: '_metrics._tcp.scrape.test',
        __address__: `node${n}.scrape.test:19${n}00`,
        __meta_dns_name: '_metrics._tcp.scrape.test',
        __meta_dns_srv_record_target: `node${n}.scrape.test.`,
        __meta_dns_srv_record_port: `19${n}00`,
      })),
    );
  });

  it('SRV: the name is kept as configured (trailing dot included)', async () => {
    const { groups } = await discoverer({ names: ['_metrics._tcp.scrape.test.'] }).refresh();
    expect(groups.map((g) => g.source)).toEqual(['_metrics._tcp.scrape.test.']);
    expect(new Set(groups[0]!.targets.map((t) => t.__meta_dns_name))).toEqual(
      new Set(['_metrics._tcp.scrape.test.']),
    );
  });

  it('A: the configured port, only __address__ and __meta_dns_name', async () => {
    const { groups, errors } = await discoverer({
      names: ['node1.scrape.test', 'node2.scrape.test'],
      type: 'A',
      port: 9100,
    }).refresh();
    expect(errors).toEqual([]);
    expect(groups.map((g) => g.source)).toEqual(['node1.scrape.test', 'node2.scrape.test']);
    expect(byAddress(groups)).toEqual([
      {
        source: 'node1.scrape.test',
        __address__: '127.0.0.1:9100',
        __meta_dns_name: 'node1.scrape.test',
      },
      {
        source: 'node2.scrape.test',
        __address__: '127.0.0.2:9100',
        __meta_dns_name: 'node2.scrape.test',
      },
    ]);
  });

  it('AAAA: IPv6 addresses bracketed', async () => {
    const { groups, errors } = await discoverer({
      names: ['node1.scrape.test', 'v6.scrape.test'],
      type: 'AAAA',
      port: 9100,
    }).refresh();
    expect(errors).toEqual([]);
    expect(byAddress(groups)).toEqual([
      {
        source: 'v6.scrape.test',
        __address__: '[2001:db8::1]:9100',
        __meta_dns_name: 'v6.scrape.test',
      },
      {
        source: 'node1.scrape.test',
        __address__: '[::1]:9100',
        __meta_dns_name: 'node1.scrape.test',
      },
    ]);
  });

  it('MX: exchange with the configured port, rooted target label', async () => {
    const { groups, errors } = await discoverer({
      names: ['scrape.test'],
      type: 'MX',
      port: 25,
    }).refresh();
    expect(errors).toEqual([]);
    expect(byAddress(groups)).toEqual(
      [1, 2].map((n) => ({
        source: 'scrape.test',
        __address__: `mail${n}.scrape.test:25`,
        __meta_dns_name: 'scrape.test',
        __meta_dns_mx_record_target: `mail${n}.scrape.test.`,
      })),
    );
  });

  it('NS: server with the configured port, rooted target label', async () => {
    const { groups, errors } = await discoverer({
      names: ['scrape.test'],
      type: 'NS',
      port: 9100,
    }).refresh();
    expect(errors).toEqual([]);
    expect(byAddress(groups)).toEqual(
      [1, 2].map((n) => ({
        source: 'scrape.test',
        __address__: `ns${n}.scrape.test:9100`,
        __meta_dns_name: 'scrape.test',
        __meta_dns_ns_record_target: `ns${n}.scrape.test.`,
      })),
    );
  });

  it('no such name and no records of the type give empty groups, not errors', async () => {
    const { groups, errors } = await discoverer({
      names: ['missing.scrape.test', 'node2.scrape.test'],
      type: 'AAAA',
      port: 1,
    }).refresh();
    expect(errors).toEqual([]);
    expect(groups).toEqual([
      { source: 'missing.scrape.test', targets: [], labels: {} },
      { source: 'node2.scrape.test', targets: [], labels: {} },
    ]);
  });

  it('a refused lookup with nothing before is an error and no group', async () => {
    const { groups, errors } = await discoverer({
      names: ['elsewhere.example', 'node2.scrape.test'],
      type: 'A',
      port: 1,
    }).refresh();
    expect(groups.map((g) => g.source)).toEqual(['node2.scrape.test']);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(DnsSdError);
    expect(errors[0]).toMatchObject({ code: DnsSdErrorCode.lookup, subject: 'elsewhere.example' });
    expect(errors[0]!.message).toContain('EREFUSED');
  });
});

describe.skipIf(!dnsmasqAvailable())('DnsDiscoverer across refreshes (§10.4)', () => {
  let server: RunningDnsmasq;

  beforeAll(async () => {
    server = await startDnsmasq([...ZONE, ...FLAKY_ZONE], 'node1.scrape.test');
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('a failing name keeps its previous targets while another name updates', async () => {
    const d = new DnsDiscoverer(
      parseDnsSdConfig({ names: ['web.flaky.test', 'node2.scrape.test'], type: 'A', port: 80 }),
      nodeDnsResolver({ servers: [server.server], timeoutMs: 500, tries: 1 }),
    );
    const first = await d.refresh();
    expect(first.errors).toEqual([]);
    expect(byAddress(first.groups).map((t) => t.__address__)).toEqual([
      '127.0.0.2:80',
      '127.0.0.9:80',
    ]);

    // flaky.test is no longer served (REFUSED); node2 moves.
    await server.restart([
      ...ZONE.filter((a) => !a.startsWith('--host-record=node2')),
      '--host-record=node2.scrape.test,127.0.0.22',
    ]);
    const second = await d.refresh();
    expect(second.errors.map((e) => [e.code, e.subject])).toEqual([
      [DnsSdErrorCode.lookup, 'web.flaky.test'],
    ]);
    expect(second.groups).toEqual([
      {
        source: 'web.flaky.test',
        targets: [{ __address__: '127.0.0.9:80', __meta_dns_name: 'web.flaky.test' }],
        labels: {},
      },
      {
        source: 'node2.scrape.test',
        targets: [{ __address__: '127.0.0.22:80', __meta_dns_name: 'node2.scrape.test' }],
        labels: {},
      },
    ]);

    // flaky.test answers again, but the name is gone: its group is cleared.
    await server.restart([...ZONE, '--local=/flaky.test/']);
    const third = await d.refresh();
    expect(third.errors).toEqual([]);
    expect(third.groups).toEqual([
      { source: 'web.flaky.test', targets: [], labels: {} },
      {
        source: 'node2.scrape.test',
        targets: [{ __address__: '127.0.0.2:80', __meta_dns_name: 'node2.scrape.test' }],
        labels: {},
      },
    ]);
  });

  it('plugs into JobDiscovery as a mechanism (sources prefixed, errors reported)', async () => {
    const mechanism: DiscoveryMechanism<DnsSdConfig> = {
      ...dnsMechanism,
      create: (configs) =>
        dnsMechanism.create(configs, {
          dns: { resolver: nodeDnsResolver({ servers: [server.server] }) },
        }),
    };
    const job = sdJob('dns_sd_configs', [{ names: ['_metrics._tcp.scrape.test'] }]);
    const { groups, errors } = await new JobDiscovery(job, {}, [mechanism]).refresh();
    expect(errors).toEqual([]);
    expect(groups.map((g) => [g.source, g.targets.length])).toEqual([
      ['dns_sd_configs/0/_metrics._tcp.scrape.test', 3],
    ]);
  });
});

if (!dnsmasqAvailable()) {
  describe('DnsDiscoverer against dnsmasq', () => {
    it.skip('skipped: /usr/sbin/dnsmasq is not installed (apt-get install -y dnsmasq)', () => {});
  });
}
