import { describe, expect, it } from 'vitest';
import type { ScrapeConfig } from '../../src/config/types.js';
import type { TargetGroup } from '../../src/discovery/types.js';
import { compareLabelNames, type Labels, labelsToRecord } from '../../src/model/labels.js';
import { buildTargets, TargetErrorCode } from '../../src/targets/index.js';
import { rule, scrapeConfig } from './scrape-config.js';

const SEED = 0n;

/** Every label a target of the default test job gets before relabeling (§2.1). */
function discovered(address: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    __address__: address,
    __always_scrape_classic_histograms__: 'false',
    __convert_classic_histograms_to_nhcb__: 'false',
    __metrics_path__: '/metrics',
    __scheme__: 'http',
    __scrape_interval__: '1m',
    __scrape_native_histograms__: 'false',
    __scrape_timeout__: '10s',
    job: 'job1',
    ...extra,
  };
}

/** The internal labels after §2.2 when relabeling changed nothing. */
function internal(
  address: string,
  extra: Record<string, string | undefined> = {},
): Record<string, string | undefined> {
  return { ...discovered(address), instance: address, ...extra };
}

function group(
  targets: readonly (string | Record<string, string>)[],
  labels: Record<string, string> = {},
  source = '0',
): TargetGroup {
  return {
    source,
    targets: targets.map((t) => (typeof t === 'string' ? { __address__: t } : t)),
    labels,
  };
}

function withoutUndefined(record: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(record)) if (v !== undefined) out[k] = v;
  return out;
}

function isSorted(labels: Labels): boolean {
  return labels.every((l, i) => i === 0 || compareLabelNames(labels[i - 1]!, l) < 0);
}

interface ActiveCase {
  readonly name: string;
  readonly config?: Partial<ScrapeConfig>;
  readonly groups: readonly TargetGroup[];
  /** Complete internal label sets (undefined values: label absent), in order. */
  readonly labels: readonly Record<string, string | undefined>[];
  readonly urls: readonly string[];
  /** Complete discovered label sets, when the case is about them. */
  readonly discovered?: readonly Record<string, string>[];
}

describe('buildTargets: active targets (§2.1–§2.5)', () => {
  const cases: ActiveCase[] = [
    {
      name: 'defaults are filled in; instance defaults to the address; no port is added',
      groups: [group(['a:9100', 'b'])],
      labels: [internal('a:9100'), internal('b')],
      urls: ['http://a:9100/metrics', 'http://b/metrics'],
      discovered: [discovered('a:9100'), discovered('b')],
    },
    {
      name: 'job settings become the defaults',
      config: {
        jobName: 'node',
        scrapeInterval: 90_000,
        scrapeTimeout: 1_500,
        metricsPath: '/m',
        scheme: 'https',
        scrapeNativeHistograms: true,
        alwaysScrapeClassicHistograms: true,
        convertClassicHistogramsToNhcb: true,
      },
      groups: [group(['a:1'])],
      labels: [
        {
          __address__: 'a:1',
          __always_scrape_classic_histograms__: 'true',
          __convert_classic_histograms_to_nhcb__: 'true',
          __metrics_path__: '/m',
          __scheme__: 'https',
          __scrape_interval__: '1m30s',
          __scrape_native_histograms__: 'true',
          __scrape_timeout__: '1s500ms',
          instance: 'a:1',
          job: 'node',
        },
      ],
      urls: ['https://a:1/m'],
    },
    {
      name: 'target labels win over group labels; group labels fill the rest',
      groups: [group([{ __address__: 'a:1', env: 'target' }], { env: 'group', team: 'x' })],
      labels: [internal('a:1', { env: 'target', team: 'x' })],
      urls: ['http://a:1/metrics'],
    },
    {
      name: 'a target key with an empty value blocks the group label',
      groups: [group([{ __address__: 'a:1', env: '' }], { env: 'group' })],
      labels: [internal('a:1')],
      urls: ['http://a:1/metrics'],
    },
    {
      name: 'SD overrides job, __scheme__, __metrics_path__ and the interval',
      groups: [
        group(['a:1'], {
          job: 'from-sd',
          __scheme__: 'https',
          __metrics_path__: '/federate',
          __scrape_interval__: '30s',
        }),
      ],
      labels: [
        internal('a:1', {
          job: 'from-sd',
          __scheme__: 'https',
          __metrics_path__: '/federate',
          __scrape_interval__: '30s',
        }),
      ],
      urls: ['https://a:1/federate'],
    },
    {
      name: 'params: first value as __param_*, all values in the URL, keys sorted',
      config: { params: { target: ['10.0.0.1'], module: ['if_mib', 'second'], empty: [] } },
      groups: [group(['snmp:9116'])],
      labels: [internal('snmp:9116', { __param_module: 'if_mib', __param_target: '10.0.0.1' })],
      urls: ['http://snmp:9116/metrics?module=if_mib&module=second&target=10.0.0.1'],
      discovered: [
        discovered('snmp:9116', { __param_module: 'if_mib', __param_target: '10.0.0.1' }),
      ],
    },
    {
      name: 'SD-provided __param_* wins over the config default',
      config: { params: { module: ['a', 'b'] } },
      groups: [group(['x:1'], { __param_module: 'sd' })],
      labels: [internal('x:1', { __param_module: 'sd' })],
      urls: ['http://x:1/metrics?module=sd&module=b'],
    },
    {
      name: 'relabeled __param_* replaces the first value only; new ones are added',
      config: {
        params: { module: ['if_mib', 'keep'] },
        relabelConfigs: [
          rule({ action: 'replace', targetLabel: '__param_module', replacement: 'other' }),
          rule({ action: 'replace', targetLabel: '__param_extra', replacement: 'a b' }),
        ],
      },
      groups: [group(['x:1'])],
      labels: [internal('x:1', { __param_module: 'other', __param_extra: 'a b' })],
      urls: ['http://x:1/metrics?extra=a+b&module=other&module=keep'],
    },
    {
      name: 'query values and keys are form-escaped; the path is path-escaped',
      config: {
        metricsPath: '/probe me?(x)',
        params: { q: ['a b&c=d/é'], 'we ird': ['+~'] },
      },
      groups: [group(['x:1'])],
      labels: [
        {
          ...internal('x:1', { __param_q: 'a b&c=d/é', '__param_we ird': '+~' }),
          __metrics_path__: '/probe me?(x)',
        },
      ],
      urls: ['http://x:1/probe%20me%3F%28x%29?q=a+b%26c%3Dd%2F%C3%A9&we+ird=%2B~'],
    },
    {
      // Inputs and URL as a real Prometheus (2.42) shows them in /api/v1/targets.
      name: 'URL as Prometheus renders it: IPv6 zone, odd path, multi-valued params',
      config: {
        metricsPath: "/a:b@c&d=e+f$g,h;i/j?k#l%m n!'()*~é",
        params: { module: ['m1', 'm1b'], q: ['a b&c=d/é', '+~'], 'we ird': ['x'] },
        relabelConfigs: [
          rule({ action: 'replace', targetLabel: '__param_module', replacement: 'm2' }),
          rule({ action: 'replace', targetLabel: '__param_new', replacement: 'n v' }),
        ],
      },
      groups: [group(['[fe80::1%eth0]:9100'])],
      labels: [
        {
          ...internal('[fe80::1%eth0]:9100', {
            __param_module: 'm2',
            __param_new: 'n v',
            __param_q: 'a b&c=d/é',
            '__param_we ird': 'x',
          }),
          __metrics_path__: "/a:b@c&d=e+f$g,h;i/j?k#l%m n!'()*~é",
        },
      ],
      urls: [
        'http://[fe80::1%25eth0]:9100/a:b@c&d=e+f$g,h;i/j%3Fk%23l%25m%20n%21%27%28%29%2A~%C3%A9?module=m2&module=m1b&new=n+v&q=a+b%26c%3Dd%2F%C3%A9&q=%2B~&we+ird=x',
      ],
    },
    {
      name: 'a metrics path without a leading slash gets one',
      config: { metricsPath: 'metrics' },
      groups: [group(['x:1'])],
      labels: [internal('x:1', { __metrics_path__: 'metrics' })],
      urls: ['http://x:1/metrics'],
    },
    {
      name: 'an explicit instance is kept',
      config: {
        relabelConfigs: [
          rule({
            action: 'replace',
            sourceLabels: ['__address__'],
            regex: '([^:]+):.*',
            targetLabel: 'instance',
          }),
        ],
      },
      groups: [group(['host.example:9100'])],
      labels: [internal('host.example:9100', { instance: 'host.example' })],
      urls: ['http://host.example:9100/metrics'],
    },
    {
      name: 'instance follows the relabeled address',
      config: {
        relabelConfigs: [
          rule({ action: 'replace', targetLabel: '__address__', replacement: 'exporter:9115' }),
        ],
      },
      groups: [group(['probe.example'])],
      labels: [internal('exporter:9115')],
      urls: ['http://exporter:9115/metrics'],
    },
    {
      name: '__meta_* labels are removed after relabeling, and usable before',
      config: {
        relabelConfigs: [
          rule({ action: 'replace', sourceLabels: ['__meta_az'], targetLabel: 'zone' }),
        ],
      },
      groups: [group(['a:1'], { __meta_az: 'eu-1a', __meta_other: 'x' })],
      labels: [internal('a:1', { zone: 'eu-1a' })],
      urls: ['http://a:1/metrics'],
      discovered: [discovered('a:1', { __meta_az: 'eu-1a', __meta_other: 'x' })],
    },
    {
      name: '__tmp and other __ labels stay internal',
      config: {
        relabelConfigs: [rule({ action: 'replace', targetLabel: '__tmp_shard', replacement: '3' })],
      },
      groups: [group(['a:1'], { __custom: 'y' })],
      labels: [internal('a:1', { __tmp_shard: '3', __custom: 'y' })],
      urls: ['http://a:1/metrics'],
    },
    {
      name: 'labelkeep of only __ labels still leaves instance public',
      config: { relabelConfigs: [rule({ action: 'labelkeep', regex: '__.*' })] },
      groups: [group(['a:1'], { team: 'x' })],
      labels: [internal('a:1', { job: undefined })],
      urls: ['http://a:1/metrics'],
    },
    {
      name: 'histogram flags accept every Go boolean spelling',
      groups: [group(['a:1'], { __scrape_native_histograms__: 'T' })],
      labels: [internal('a:1', { __scrape_native_histograms__: 'T' })],
      urls: ['http://a:1/metrics'],
    },
    {
      name: 'an IPv6 address is used as given',
      groups: [group(['[::1]:9100'])],
      labels: [internal('[::1]:9100')],
      urls: ['http://[::1]:9100/metrics'],
    },
  ];

  it.each(cases)('$name', (c) => {
    const result = buildTargets(scrapeConfig(c.config), c.groups, { offsetSeed: SEED });
    expect(result.errors.map((e) => e.message)).toEqual([]);
    expect(result.dropped).toEqual([]);
    expect(result.active.map((t) => labelsToRecord(t.labels))).toEqual(
      c.labels.map(withoutUndefined),
    );
    expect(result.active.map((t) => t.url)).toEqual(c.urls);
    for (const t of result.active) {
      expect(isSorted(t.labels)).toBe(true);
      expect(isSorted(t.publicLabels)).toBe(true);
      expect(t.publicLabels).toEqual(t.labels.filter((l) => !l.name.startsWith('__')));
      expect(t.job).toBe(c.config?.jobName ?? 'job1');
    }
    if (c.discovered !== undefined) {
      expect(result.active.map((t) => labelsToRecord(t.discoveredLabels))).toEqual(c.discovered);
    }
  });

  it('takes interval and timeout per target from the labels', () => {
    const { active } = buildTargets(
      scrapeConfig(),
      [group(['a:1'], { __scrape_interval__: '15s', __scrape_timeout__: '5s' }), group(['b:1'])],
      { offsetSeed: SEED },
    );
    expect(active.map((t) => [t.intervalMs, t.timeoutMs])).toEqual([
      [15_000, 5_000],
      [60_000, 10_000],
    ]);
  });

  it('public labels of a default target are exactly instance and job', () => {
    const { active } = buildTargets(scrapeConfig(), [group(['a:1'], { env: 'prod' })], {
      offsetSeed: SEED,
    });
    expect(labelsToRecord(active[0]!.publicLabels)).toEqual({
      env: 'prod',
      instance: 'a:1',
      job: 'job1',
    });
  });
});

describe('buildTargets: errors (§2.2 steps 2–8)', () => {
  const cases: {
    name: string;
    config?: Partial<ScrapeConfig>;
    target: Record<string, string>;
    groupLabels?: Record<string, string>;
    code: string;
    message: string;
  }[] = [
    {
      name: 'no address',
      target: { __address__: '' },
      code: TargetErrorCode.noAddress,
      message: 'instance 0 in group 0: no address',
    },
    {
      name: 'address removed by relabeling',
      config: { relabelConfigs: [rule({ action: 'labeldrop', regex: '__address__' })] },
      target: { __address__: 'a:1' },
      code: TargetErrorCode.noAddress,
      message: 'instance 0 in group 0: no address',
    },
    {
      name: 'address with a slash',
      target: { __address__: 'http://a:1' },
      code: TargetErrorCode.invalidAddress,
      message: 'instance 0 in group 0: "http://a:1" is not a valid hostname',
    },
    {
      name: 'unparsable interval',
      target: { __address__: 'a:1' },
      groupLabels: { __scrape_interval__: '1.5m' },
      code: TargetErrorCode.invalidInterval,
      message:
        'instance 0 in group 0: error parsing scrape interval: not a valid duration string: "1.5m"',
    },
    {
      name: 'interval removed by relabeling',
      config: { relabelConfigs: [rule({ action: 'labeldrop', regex: '__scrape_interval__' })] },
      target: { __address__: 'a:1' },
      code: TargetErrorCode.invalidInterval,
      message: 'instance 0 in group 0: error parsing scrape interval: empty duration string',
    },
    {
      name: 'zero interval',
      target: { __address__: 'a:1' },
      groupLabels: { __scrape_interval__: '0s' },
      code: TargetErrorCode.invalidInterval,
      message: 'instance 0 in group 0: scrape interval cannot be 0',
    },
    {
      name: 'unparsable timeout',
      target: { __address__: 'a:1' },
      groupLabels: { __scrape_timeout__: '10' },
      code: TargetErrorCode.invalidTimeout,
      message:
        'instance 0 in group 0: error parsing scrape timeout: not a valid duration string: "10"',
    },
    {
      name: 'zero timeout',
      target: { __address__: 'a:1' },
      groupLabels: { __scrape_timeout__: '0' },
      code: TargetErrorCode.invalidTimeout,
      message: 'instance 0 in group 0: scrape timeout cannot be 0',
    },
    {
      name: 'timeout above interval',
      target: { __address__: 'a:1' },
      groupLabels: { __scrape_timeout__: '2m' },
      code: TargetErrorCode.timeoutAboveInterval,
      message:
        'instance 0 in group 0: scrape timeout cannot be greater than scrape interval ("2m" > "1m")',
    },
    {
      name: 'histogram flag that is not a boolean',
      target: { __address__: 'a:1' },
      groupLabels: { __always_scrape_classic_histograms__: 'yes' },
      code: TargetErrorCode.invalidFlag,
      message:
        'instance 0 in group 0: error parsing __always_scrape_classic_histograms__: "yes" is not a boolean',
    },
    {
      name: 'label value that is not valid UTF-8',
      target: { __address__: 'a:1', bad: 'x\ud800' },
      code: TargetErrorCode.invalidLabelValue,
      message: 'instance 0 in group 0: invalid label value for "bad": "x\\ufffd"',
    },
  ];

  it.each(cases)('$name', (c) => {
    const config = scrapeConfig(c.config);
    const result = buildTargets(config, [group([c.target], c.groupLabels)], { offsetSeed: SEED });
    expect(result.active).toEqual([]);
    expect(result.dropped).toEqual([]);
    expect(result.errors).toHaveLength(1);
    const err = result.errors[0]!;
    expect(err.message).toBe(c.message);
    expect(err.code).toBe(c.code);
    expect(err.job).toBe('job1');
    expect(err.source).toBe('0');
    expect(err.index).toBe(0);
    expect(err.discoveredLabels.length).toBeGreaterThan(0);
  });

  it('names the index of the failing target and keeps the good ones', () => {
    const result = buildTargets(
      scrapeConfig(),
      [group(['a:1']), group(['b:1', 'bad/x', 'c:1'], {}, 'file.json:3')],
      { offsetSeed: SEED },
    );
    expect(result.active.map((t) => t.url)).toEqual([
      'http://a:1/metrics',
      'http://b:1/metrics',
      'http://c:1/metrics',
    ]);
    expect(result.errors.map((e) => e.message)).toEqual([
      'instance 1 in group file.json:3: "bad/x" is not a valid hostname',
    ]);
  });
});

describe('buildTargets: dropped targets, dedup, target_limit (§2.2, §2.3, §2.6)', () => {
  const dropAll = rule({ action: 'drop', sourceLabels: ['drop'], regex: 'yes' });

  it('a relabel drop lists the target as dropped with its discovered labels', () => {
    const result = buildTargets(
      scrapeConfig({ relabelConfigs: [dropAll] }),
      [group([{ __address__: 'a:1', drop: 'yes' }, 'b:1'])],
      { offsetSeed: SEED },
    );
    expect(result.active.map((t) => t.url)).toEqual(['http://b:1/metrics']);
    expect(result.dropped.map((d) => [d.job, labelsToRecord(d.discoveredLabels)])).toEqual([
      ['job1', discovered('a:1', { drop: 'yes' })],
    ]);
    expect(result.droppedCount).toBe(1);
  });

  it.each([
    { keep: 0, listed: 5 },
    { keep: 2, listed: 2 },
    { keep: 10, listed: 5 },
  ])('keep_dropped_targets $keep lists $listed of 5 dropped', ({ keep, listed }) => {
    const targets = [1, 2, 3, 4, 5].map((i) => ({ __address__: `h${i}:1`, drop: 'yes' }));
    const result = buildTargets(
      scrapeConfig({ relabelConfigs: [dropAll], keepDroppedTargets: keep }),
      [group(targets)],
      { offsetSeed: SEED },
    );
    expect(result.dropped).toHaveLength(listed);
    // The first ones are kept, in discovery order.
    expect(result.dropped.map((d) => labelsToRecord(d.discoveredLabels).__address__)).toEqual(
      targets.slice(0, listed).map((t) => t.__address__),
    );
    expect(result.droppedCount).toBe(5);
  });

  it('equal targets from different groups collapse; the first wins', () => {
    const result = buildTargets(
      scrapeConfig(),
      [group(['a:1'], { __meta_x: '1' }, 'g1'), group(['a:1', 'b:1'], { __meta_x: '2' }, 'g2')],
      { offsetSeed: SEED },
    );
    expect(result.active.map((t) => t.url)).toEqual(['http://a:1/metrics', 'http://b:1/metrics']);
    expect(labelsToRecord(result.active[0]!.discoveredLabels).__meta_x).toBe('1');
  });

  it('targets differing in any internal label stay separate', () => {
    const result = buildTargets(
      scrapeConfig(),
      [group(['a:1'], { env: 'a' }), group(['a:1'], { __tmp_x: 'b' }), group(['a:1'])],
      { offsetSeed: SEED },
    );
    expect(result.active).toHaveLength(3);
    expect(new Set(result.active.map((t) => t.id)).size).toBe(3);
  });

  it.each([
    { limit: 0, count: 3, error: undefined },
    { limit: 3, count: 3, error: undefined },
    {
      limit: 2,
      count: 3,
      error: 'target_limit exceeded (number of targets: 3, limit: 2)',
    },
  ])('target_limit $limit with $count targets', ({ limit, count, error }) => {
    const result = buildTargets(
      scrapeConfig({ targetLimit: limit }),
      // Four entries, one a duplicate: the limit applies after dedup.
      [group(['a:1', 'b:1', 'c:1', 'a:1'].slice(0, count + 1))],
      { offsetSeed: SEED },
    );
    expect(result.active).toHaveLength(count);
    expect(result.targetLimitError).toBe(error);
  });
});

describe('buildTargets: identity and phase (§2.6, §9)', () => {
  const build = (groups: TargetGroup[], config: Partial<ScrapeConfig> = {}, seed = SEED) =>
    buildTargets(scrapeConfig(config), groups, { offsetSeed: seed }).active;

  it('the same input gives the same id and offset', () => {
    const a = build([group(['a:1'], { env: 'x' })]);
    const b = build([group(['a:1'], { env: 'x' }, 'other-source')]);
    expect(a[0]!.id).toMatch(/^[0-9a-f]{16}$/);
    expect(b[0]!.id).toBe(a[0]!.id);
    expect(b[0]!.offsetMs).toBe(a[0]!.offsetMs);
  });

  it.each<{ name: string; labels: Record<string, string>; config: Partial<ScrapeConfig> }>([
    { name: 'a __tmp_ label', labels: { __tmp_x: '1' }, config: {} },
    { name: 'a public label', labels: { env: 'y' }, config: {} },
    { name: 'a param (URL only)', labels: {}, config: { params: { a: ['1'] } } },
    { name: 'the scheme', labels: { __scheme__: 'https' }, config: {} },
  ])('$name changes the id', ({ labels, config }) => {
    const base = build([group(['a:1'])]);
    const changed = build([group(['a:1'], labels)], config);
    expect(changed[0]!.id).not.toBe(base[0]!.id);
  });

  it('a __meta_ label does not change the id (it is gone after relabeling)', () => {
    const base = build([group(['a:1'])]);
    const withMeta = build([group(['a:1'], { __meta_x: 'y' })]);
    expect(withMeta[0]!.id).toBe(base[0]!.id);
  });

  it('offsets lie in [0, interval) and depend on the seed', () => {
    const targets = Array.from({ length: 200 }, (_, i) => `host-${i}:9100`);
    const withSeedA = build([group(targets, { __scrape_interval__: '15s' })], {}, 1n);
    const withSeedB = build([group(targets, { __scrape_interval__: '15s' })], {}, 2n ** 63n + 7n);
    for (const t of [...withSeedA, ...withSeedB]) {
      expect(Number.isInteger(t.offsetMs)).toBe(true);
      expect(t.offsetMs).toBeGreaterThanOrEqual(0);
      expect(t.offsetMs).toBeLessThan(15_000);
    }
    expect(withSeedA.map((t) => t.offsetMs)).not.toEqual(withSeedB.map((t) => t.offsetMs));
    // Spread over the interval, not bunched up.
    expect(new Set(withSeedA.map((t) => Math.floor(t.offsetMs / 1500))).size).toBe(10);
  });
});
