/**
 * Test factories: a `ScrapeConfig` with Prometheus's defaults (§1.3) and relabel rules with the
 * YAML defaults (§1.6), so tables only spell out what a case is about. Independent of the
 * config loader on purpose.
 */
import type { HttpClientConfig, RelabelConfig, ScrapeConfig } from '../../src/config/types.js';

export function scrapeConfig(overrides: Partial<ScrapeConfig> = {}): ScrapeConfig {
  return {
    jobName: 'job1',
    scrapeInterval: 60_000,
    scrapeTimeout: 10_000,
    metricsPath: '/metrics',
    scheme: 'http',
    params: {},
    honorLabels: false,
    honorTimestamps: true,
    trackTimestampsStaleness: false,
    enableCompression: true,
    scrapeFailureLogFile: '',
    bodySizeLimit: 0,
    sampleLimit: 0,
    targetLimit: 0,
    labelLimit: 0,
    labelNameLengthLimit: 0,
    labelValueLengthLimit: 0,
    keepDroppedTargets: 0,
    scrapeProtocols: [
      'OpenMetricsText1.0.0',
      'OpenMetricsText0.0.1',
      'PrometheusText1.0.0',
      'PrometheusText0.0.4',
    ],
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
    // Target building never looks at the HTTP client config.
    httpClient: {} as HttpClientConfig,
    staticConfigs: [],
    fileSdConfigs: [],
    otherSdConfigs: {},
    sdConfigNodes: {},
    ...overrides,
  };
}

export function rule(
  partial: Partial<RelabelConfig> & Pick<RelabelConfig, 'action'>,
): RelabelConfig {
  return {
    sourceLabels: [],
    separator: ';',
    regex: '(.*)',
    regexSet: partial.regex !== undefined,
    modulus: 0,
    targetLabel: '',
    replacement: '$1',
    ...partial,
  };
}
