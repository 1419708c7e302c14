import { describe, expect, it } from 'vitest';
import type { GlobalConfig, ScrapeConfig } from '../../src/config/types.js';
import { load, onlyJob, yaml } from './helpers.js';

const DEFAULT_LIST = [
  'OpenMetricsText1.0.0',
  'OpenMetricsText0.0.1',
  'PrometheusText1.0.0',
  'PrometheusText0.0.4',
];
/** Prometheus 3's list for a job that scrapes native histograms. */
const PROTO_FIRST_LIST = ['PrometheusProto', ...DEFAULT_LIST];

const DEFAULT_GLOBAL: GlobalConfig = {
  scrapeInterval: 60_000,
  scrapeTimeout: 10_000,
  evaluationInterval: 60_000,
  externalLabels: {},
  scrapeProtocols: undefined,
  bodySizeLimit: 0,
  sampleLimit: 0,
  targetLimit: 0,
  labelLimit: 0,
  labelNameLengthLimit: 0,
  labelValueLengthLimit: 0,
  keepDroppedTargets: 0,
  metricNameValidationScheme: 'utf8',
  metricNameEscapingScheme: 'allow-utf-8',
  scrapeNativeHistograms: false,
  convertClassicHistogramsToNhcb: false,
  alwaysScrapeClassicHistograms: false,
  extraScrapeMetrics: false,
  scrapeFailureLogFile: '',
};

describe('global defaults (§1.2)', () => {
  it.each([
    { name: 'empty file', text: '' },
    { name: 'comment only', text: '# nothing here\n' },
    { name: 'null global', text: 'global:\n' },
    { name: 'empty global map', text: 'global: {}\n' },
    { name: 'zero durations', text: 'global: {scrape_interval: 0s, evaluation_interval: 0}\n' },
  ])('$name gives every default', ({ text }) => {
    const config = load(text);
    expect(config.global).toEqual(DEFAULT_GLOBAL);
    expect(config.scrapeConfigs).toEqual([]);
    expect(config.remoteWrite).toEqual([]);
    expect(config.sourcePath).toBe('prometheus.yml');
  });

  it.each([
    { interval: '5s', timeout: undefined, want: [5_000, 5_000] },
    { interval: '30s', timeout: undefined, want: [30_000, 10_000] },
    { interval: '30s', timeout: '30s', want: [30_000, 30_000] },
    { interval: undefined, timeout: '20s', want: [60_000, 20_000] },
    { interval: '2m', timeout: '0s', want: [120_000, 10_000] },
  ])(
    'scrape_interval $interval, scrape_timeout $timeout → $want ms',
    ({ interval, timeout, want }) => {
      const lines = ['global:'];
      if (interval) lines.push(`  scrape_interval: ${interval}`);
      if (timeout) lines.push(`  scrape_timeout: ${timeout}`);
      const { global } = load(`${lines.join('\n')}\n`);
      expect([global.scrapeInterval, global.scrapeTimeout]).toEqual(want);
    },
  );

  it.each([
    { validation: 'legacy', escaping: undefined, want: ['legacy', 'underscores'] },
    { validation: 'utf8', escaping: undefined, want: ['utf8', 'allow-utf-8'] },
    { validation: '""', escaping: undefined, want: ['utf8', 'allow-utf-8'] },
    { validation: 'legacy', escaping: 'dots', want: ['legacy', 'dots'] },
    { validation: undefined, escaping: 'values', want: ['utf8', 'values'] },
  ])('validation $validation + escaping $escaping → $want', ({ validation, escaping, want }) => {
    const lines = ['global:'];
    if (validation) lines.push(`  metric_name_validation_scheme: ${validation}`);
    if (escaping) lines.push(`  metric_name_escaping_scheme: ${escaping}`);
    const { global } = load(`${lines.join('\n')}\n`);
    expect([global.metricNameValidationScheme, global.metricNameEscapingScheme]).toEqual(want);
  });

  it('reads every global field', () => {
    const { global } = load(yaml`
      global:
        scrape_interval: 20s
        scrape_timeout: 15s
        evaluation_interval: 30s
        rule_query_offset: 1m
        query_log_file: q.log
        scrape_protocols: [PrometheusText0.0.4, OpenMetricsText1.0.0]
        body_size_limit: 10MB
        sample_limit: 1
        target_limit: 2
        label_limit: 3
        label_name_length_limit: 4
        label_value_length_limit: 5
        keep_dropped_targets: 6
        scrape_native_histograms: true
        convert_classic_histograms_to_nhcb: true
        always_scrape_classic_histograms: true
        extra_scrape_metrics: true
    `);
    expect(global).toEqual({
      ...DEFAULT_GLOBAL,
      scrapeInterval: 20_000,
      scrapeTimeout: 15_000,
      evaluationInterval: 30_000,
      scrapeProtocols: ['PrometheusText0.0.4', 'OpenMetricsText1.0.0'],
      bodySizeLimit: 10 * 1024 * 1024,
      sampleLimit: 1,
      targetLimit: 2,
      labelLimit: 3,
      labelNameLengthLimit: 4,
      labelValueLengthLimit: 5,
      keepDroppedTargets: 6,
      scrapeNativeHistograms: true,
      convertClassicHistogramsToNhcb: true,
      alwaysScrapeClassicHistograms: true,
      extraScrapeMetrics: true,
    });
  });
});

describe('scrape config defaults and inheritance (§1.3)', () => {
  it('fills every default of a minimal job', () => {
    const job = onlyJob('scrape_configs:\n  - job_name: x\n');
    const expected: Partial<ScrapeConfig> = {
      jobName: 'x',
      scrapeInterval: 60_000,
      scrapeTimeout: 10_000,
      metricsPath: '/metrics',
      scheme: 'http',
      params: {},
      honorLabels: false,
      honorTimestamps: true,
      trackTimestampsStaleness: false,
      enableCompression: true,
      bodySizeLimit: 0,
      sampleLimit: 0,
      scrapeProtocols: DEFAULT_LIST as ScrapeConfig['scrapeProtocols'],
      fallbackScrapeProtocol: undefined,
      scrapeNativeHistograms: false,
      alwaysScrapeClassicHistograms: false,
      convertClassicHistogramsToNhcb: false,
      nativeHistogramBucketLimit: 0,
      nativeHistogramMinBucketFactor: 0,
      metricNameValidationScheme: 'utf8',
      metricNameEscapingScheme: 'allow-utf-8',
      extraScrapeMetrics: false,
      relabelConfigs: [],
      metricRelabelConfigs: [],
      staticConfigs: [],
      fileSdConfigs: [],
      otherSdConfigs: {},
    };
    expect(job).toMatchObject(expected);
    expect(job.httpClient).toMatchObject({
      basicAuth: undefined,
      authorization: undefined,
      oauth2: undefined,
      followRedirects: true,
      enableHttp2: true,
      proxyFromEnvironment: false,
      httpHeaders: {},
    });
  });

  it.each([
    // [global interval, global timeout, job interval, job timeout] → [interval, timeout]
    { g: ['30s', '20s'], j: [undefined, undefined], want: [30_000, 20_000] },
    { g: ['30s', '20s'], j: ['15s', undefined], want: [15_000, 15_000] },
    { g: ['30s', '20s'], j: ['1m', undefined], want: [60_000, 20_000] },
    { g: ['30s', '20s'], j: ['0s', undefined], want: [30_000, 20_000] },
    { g: ['30s', '20s'], j: ['10s', '3s'], want: [10_000, 3_000] },
    { g: ['30s', '20s'], j: [undefined, '25s'], want: [30_000, 25_000] },
    { g: [undefined, undefined], j: ['5s', undefined], want: [5_000, 5_000] },
    { g: [undefined, undefined], j: ['2m', undefined], want: [120_000, 10_000] },
  ])('global $g, job $j → $want ms', ({ g, j, want }) => {
    const lines = ['global:'];
    if (g[0]) lines.push(`  scrape_interval: ${g[0]}`);
    if (g[1]) lines.push(`  scrape_timeout: ${g[1]}`);
    lines.push('scrape_configs:', '  - job_name: x');
    if (j[0]) lines.push(`    scrape_interval: ${j[0]}`);
    if (j[1]) lines.push(`    scrape_timeout: ${j[1]}`);
    const job = onlyJob(`${lines.join('\n')}\n`);
    expect([job.scrapeInterval, job.scrapeTimeout]).toEqual(want);
  });

  it.each([
    { field: 'sample_limit', key: 'sampleLimit' },
    { field: 'target_limit', key: 'targetLimit' },
    { field: 'label_limit', key: 'labelLimit' },
    { field: 'label_name_length_limit', key: 'labelNameLengthLimit' },
    { field: 'label_value_length_limit', key: 'labelValueLengthLimit' },
    { field: 'keep_dropped_targets', key: 'keepDroppedTargets' },
    // A size needs its unit (B); the others are plain numbers.
    { field: 'body_size_limit', key: 'bodySizeLimit', unit: 'B' },
  ] as const)('$field: a zero job value inherits, a non-zero one wins', (c) => {
    const { field, key } = c;
    const unit = 'unit' in c ? c.unit : '';
    const config = load(yaml`
      global:
        ${field}: 100${unit}
      scrape_configs:
        - job_name: inherits
        - job_name: zero
          ${field}: 0
        - job_name: own
          ${field}: 7${unit}
    `);
    expect(config.scrapeConfigs.map((j) => j[key])).toEqual([100, 100, 7]);
  });

  it.each([
    { name: 'default list', global: '', job: '', want: DEFAULT_LIST },
    {
      name: 'protobuf first when the job scrapes native histograms',
      global: '',
      job: 'scrape_native_histograms: true',
      want: PROTO_FIRST_LIST,
    },
    {
      name: 'protobuf first when native histograms are inherited from global',
      global: 'scrape_native_histograms: true',
      job: '',
      want: PROTO_FIRST_LIST,
    },
    {
      name: 'a global list wins over native histograms',
      global: 'scrape_protocols: [PrometheusText0.0.4]',
      job: 'scrape_native_histograms: true',
      want: ['PrometheusText0.0.4'],
    },
    {
      name: 'the job list wins',
      global: 'scrape_protocols: [PrometheusText0.0.4]',
      job: 'scrape_protocols: [OpenMetricsText1.0.0]',
      want: ['OpenMetricsText1.0.0'],
    },
  ])('scrape_protocols: $name (§1.4)', ({ global, job, want }) => {
    const text = `global: {${global}}\nscrape_configs:\n  - {job_name: x${job ? `, ${job}` : ''}}\n`;
    expect(onlyJob(text).scrapeProtocols).toEqual(want);
  });

  it.each([
    { global: '', job: '', want: ['utf8', 'allow-utf-8'] },
    { global: 'metric_name_validation_scheme: legacy', job: '', want: ['legacy', 'underscores'] },
    { global: '', job: 'metric_name_validation_scheme: legacy', want: ['legacy', 'underscores'] },
    {
      global: 'metric_name_escaping_scheme: dots',
      job: '',
      want: ['utf8', 'dots'],
    },
    {
      // A job that sets its own validation scheme derives escaping from it, not from global.
      global: 'metric_name_escaping_scheme: dots',
      job: 'metric_name_validation_scheme: utf8',
      want: ['utf8', 'allow-utf-8'],
    },
    {
      global: 'metric_name_validation_scheme: legacy',
      job: 'metric_name_validation_scheme: utf8',
      want: ['utf8', 'allow-utf-8'],
    },
    { global: '', job: 'metric_name_escaping_scheme: values', want: ['utf8', 'values'] },
  ])('validation/escaping: global {$global} job {$job} → $want', ({ global, job, want }) => {
    const text = `global: {${global}}\nscrape_configs:\n  - {job_name: x${job ? `, ${job}` : ''}}\n`;
    const j = onlyJob(text);
    expect([j.metricNameValidationScheme, j.metricNameEscapingScheme]).toEqual(want);
  });

  it.each([
    { field: 'scrape_native_histograms', key: 'scrapeNativeHistograms' },
    { field: 'always_scrape_classic_histograms', key: 'alwaysScrapeClassicHistograms' },
    { field: 'convert_classic_histograms_to_nhcb', key: 'convertClassicHistogramsToNhcb' },
    { field: 'extra_scrape_metrics', key: 'extraScrapeMetrics' },
  ] as const)('$field is inherited from global unless the job sets it', ({ field, key }) => {
    const config = load(yaml`
      global:
        ${field}: true
      scrape_configs:
        - job_name: inherits
        - job_name: own
          ${field}: false
    `);
    expect(config.scrapeConfigs.map((j) => j[key])).toEqual([true, false]);
  });

  it('reads the other job fields', () => {
    const job = onlyJob(yaml`
      scrape_configs:
        - job_name: x
          metrics_path: /probe
          scheme: https
          params:
            module: [http_2xx, other]
            target: [example.com]
          honor_labels: true
          honor_timestamps: false
          track_timestamps_staleness: true
          enable_compression: false
          fallback_scrape_protocol: PrometheusText0.0.4
          native_histogram_bucket_limit: 160
          native_histogram_min_bucket_factor: 1.1
          follow_redirects: false
          enable_http2: false
    `);
    expect(job).toMatchObject({
      metricsPath: '/probe',
      scheme: 'https',
      params: { module: ['http_2xx', 'other'], target: ['example.com'] },
      honorLabels: true,
      honorTimestamps: false,
      trackTimestampsStaleness: true,
      enableCompression: false,
      fallbackScrapeProtocol: 'PrometheusText0.0.4',
      nativeHistogramBucketLimit: 160,
      nativeHistogramMinBucketFactor: 1.1,
    });
    expect(job.httpClient).toMatchObject({ followRedirects: false, enableHttp2: false });
  });
});

describe('YAML decoding as go-yaml v2 does it', () => {
  it.each([
    { value: 'yes', want: true },
    { value: 'on', want: true },
    { value: 'Y', want: true },
    { value: 'True', want: true },
    { value: 'no', want: false },
    { value: 'OFF', want: false },
    { value: 'n', want: false },
  ])('YAML 1.1 boolean $value → $want', ({ value, want }) => {
    expect(
      onlyJob(`scrape_configs:\n  - {job_name: x, honor_labels: ${value}}\n`).honorLabels,
    ).toBe(want);
  });

  it.each([
    { value: '1_000', want: 1000 },
    { value: '0x10', want: 16 },
    { value: '010', want: 8 },
    { value: '0o17', want: 15 },
    { value: '0b101', want: 5 },
    { value: '1e3', want: 1000 },
    { value: '+42', want: 42 },
  ])('integer $value → $want', ({ value, want }) => {
    expect(
      onlyJob(`scrape_configs:\n  - {job_name: x, sample_limit: ${value}}\n`).sampleLimit,
    ).toBe(want);
  });

  it('takes any scalar as a string and keeps its text', () => {
    const job = onlyJob(yaml`
      scrape_configs:
        - job_name: 0x10
          static_configs:
            - targets: [1.50]
              labels: {on: yes, n: 007}
    `);
    expect(job.jobName).toBe('0x10');
    expect(job.staticConfigs).toEqual([{ targets: ['1.50'], labels: { on: 'yes', n: '007' } }]);
  });

  it('applies anchors and << merge keys, explicit keys winning', () => {
    const config = load(yaml`
      scrape_configs:
        - &base
          job_name: a
          scrape_interval: 10s
          honor_labels: true
        - <<: *base
          job_name: b
          scrape_interval: 20s
    `);
    expect(config.scrapeConfigs.map((j) => [j.jobName, j.scrapeInterval, j.honorLabels])).toEqual([
      ['a', 10_000, true],
      ['b', 20_000, true],
    ]);
  });

  it('treats a written null as the zero value, not the default', () => {
    const job = onlyJob(yaml`
      scrape_configs:
        - job_name: x
          honor_timestamps:
          enable_compression: ~
          metrics_path:
          sample_limit:
    `);
    expect([job.honorTimestamps, job.enableCompression, job.metricsPath, job.sampleLimit]).toEqual([
      false,
      false,
      '',
      0,
    ]);
  });

  it('carries other *_sd_configs as plain data decoded the same way', () => {
    const job = onlyJob(yaml`
      scrape_configs:
        - job_name: x
          consul_sd_configs:
            - &consul {server: "consul:8500", allow_stale: no, services: [a, b], tags: ~}
          dns_sd_configs:
            - {names: [_prom._tcp.example.com], type: SRV, port: 0x23F0, refresh_interval: 30s}
          nomad_sd_configs:
            - <<: *consul
              server: other:8500
    `);
    expect(job.otherSdConfigs).toEqual({
      consul_sd_configs: [
        { server: 'consul:8500', allow_stale: false, services: ['a', 'b'], tags: null },
      ],
      dns_sd_configs: [
        { names: ['_prom._tcp.example.com'], type: 'SRV', port: 9200, refresh_interval: '30s' },
      ],
      nomad_sd_configs: [
        { server: 'other:8500', allow_stale: false, services: ['a', 'b'], tags: null },
      ],
    });
  });

  it('ignores the sections Prometheus uses for other things', () => {
    const config = load(yaml`
      runtime: {gogc: 50}
      alerting: {alertmanagers: [{static_configs: [{targets: [am:9093]}]}]}
      rule_files: [rules/*.yml, alerts.yml]
      storage: {tsdb: {out_of_order_time_window: 10m}}
      tracing: {endpoint: localhost:4317}
      remote_read: [{url: http://thanos/api/v1/read}]
      otlp: {promote_resource_attributes: [service.name]}
    `);
    expect(config.scrapeConfigs).toEqual([]);
  });
});
