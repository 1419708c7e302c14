import { isSeq, type Node } from 'yaml';
import { escapingSchemesList, isEscapingScheme, readValidationScheme } from './global.js';
import { HTTP_CLIENT_FIELDS, parseHttpClientConfig } from './http-client.js';
import { parseRelabelConfigs } from './relabel-config.js';
import {
  checkScrapeProtocols,
  DEFAULT_SCRAPE_PROTOCOLS,
  isScrapeProtocol,
  PROTO_FIRST_SCRAPE_PROTOCOLS,
  unknownProtocolMessage,
} from './scrape-protocols.js';
import { isSdConfigsKey } from './sd-names.js';
import { parseServiceDiscovery } from './service-discovery.js';
import type {
  EscapingScheme,
  GlobalConfig,
  ScrapeConfig,
  ScrapeProtocol,
  ValidationScheme,
} from './types.js';
import { refuseUnsupported } from './unsupported.js';
import type { Struct, YamlReader } from './yaml-reader.js';

export const FIELDS = new Set([
  'job_name',
  'honor_labels',
  'honor_timestamps',
  'track_timestamps_staleness',
  'params',
  'scrape_interval',
  'scrape_timeout',
  'scrape_protocols',
  'fallback_scrape_protocol',
  'scrape_native_histograms',
  'always_scrape_classic_histograms',
  'convert_classic_histograms_to_nhcb',
  'scrape_failure_log_file',
  'metrics_path',
  'scheme',
  'enable_compression',
  'body_size_limit',
  'sample_limit',
  'target_limit',
  'label_limit',
  'label_name_length_limit',
  'label_value_length_limit',
  'native_histogram_bucket_limit',
  'native_histogram_min_bucket_factor',
  'keep_dropped_targets',
  'metric_name_validation_scheme',
  'metric_name_escaping_scheme',
  'extra_scrape_metrics',
  'relabel_configs',
  'metric_relabel_configs',
]);

export function isScrapeField(key: string): boolean {
  return FIELDS.has(key) || HTTP_CLIENT_FIELDS.has(key) || isSdConfigsKey(key);
}

/**
 * One job as read: its config when valid, and always its name and the node of the name, so that
 * duplicate names are found even among invalid jobs.
 */
export interface ParsedScrapeConfig {
  readonly config: ScrapeConfig | undefined;
  readonly jobName: string;
  readonly jobNameNode: Node | null;
}

/**
 * Parses a `scrape_configs` list (§1.3) against the effective global config. Job-name
 * uniqueness is checked by the caller, across the main file and `scrape_config_files`.
 * A job with any error is reported and has no `config`.
 */
export function parseScrapeConfigs(
  reader: YamlReader,
  node: Node | null,
  global: GlobalConfig,
): ParsedScrapeConfig[] {
  const out: ParsedScrapeConfig[] = [];
  for (const item of reader.items(node, '[]*config.ScrapeConfig') ?? []) {
    if (item.value === null) {
      reader.fail(item.at, 'empty or null scrape config section');
      continue;
    }
    const parsed = parseScrapeConfig(reader, item.value, global);
    if (parsed) out.push(parsed);
  }
  return out;
}

/**
 * `ScrapeConfig` decoding plus `Validate(global)` (§1.3): defaults, inheritance from `global`
 * (a zero interval or limit inherits), timeout derivation and the cross-field checks.
 * Cross-field checks run only when every field of the job decoded, so one typo gives one error.
 */
function parseScrapeConfig(
  reader: YamlReader,
  node: Node,
  global: GlobalConfig,
): ParsedScrapeConfig | undefined {
  const errorsBefore = reader.errors.length;
  const s = reader.struct(node, 'config.ScrapeConfig', isScrapeField);
  if (s === undefined) return undefined;

  const jobName = s.string('job_name') ?? '';
  if (jobName === '') s.fail(s.has('job_name') ? 'job_name' : undefined, 'job_name is empty');
  const invalid = { config: undefined, jobName, jobNameNode: s.at('job_name') };
  const jobRef = `scrape config with job name ${JSON.stringify(jobName)}`;

  const localValidation = readValidationScheme(s);
  const validation = localValidation ?? global.metricNameValidationScheme;
  const scheme = readScheme(s);
  const httpClient = parseHttpClientConfig(s, { enableHttp2: true });
  const relabelConfigs = parseRelabelConfigs(
    reader,
    s.value('relabel_configs'),
    validation,
    'empty or null target relabeling rule in scrape config',
  );
  const metricRelabelConfigs = parseRelabelConfigs(
    reader,
    s.value('metric_relabel_configs'),
    validation,
    'empty or null metric relabeling rule in scrape config',
  );
  // Prometheus's check counts written rules; `relabel_configs: []` disables it too.
  const relabelNode = s.value('relabel_configs');
  const hasRelabelRules = isSeq(relabelNode) && relabelNode.items.length > 0;
  const sd = parseServiceDiscovery(s, !hasRelabelRules);

  const scrapeNativeHistograms =
    s.bool('scrape_native_histograms') ?? global.scrapeNativeHistograms;
  const writtenProtocols = readProtocols(s, jobRef);
  const fallbackScrapeProtocol = readFallbackProtocol(s, jobRef);
  const params = readParams(s);
  const scrapeInterval = s.duration('scrape_interval') || global.scrapeInterval;
  const writtenTimeout = s.duration('scrape_timeout') ?? 0;
  const escapingText = s.string('metric_name_escaping_scheme') ?? '';
  const ownFailureLogFile = s.filePath('scrape_failure_log_file') ?? '';
  refuseUnsupported(s, 'scrape_config');
  const read = {
    metricsPath: stringWithDefault(s, 'metrics_path', '/metrics'),
    honorLabels: s.bool('honor_labels') ?? false,
    honorTimestamps: boolWithDefault(s, 'honor_timestamps', true),
    trackTimestampsStaleness: s.bool('track_timestamps_staleness') ?? false,
    enableCompression: boolWithDefault(s, 'enable_compression', true),
    bodySizeLimit: s.size('body_size_limit') || global.bodySizeLimit,
    sampleLimit: s.integer('sample_limit', 'uint') || global.sampleLimit,
    targetLimit: s.integer('target_limit', 'uint') || global.targetLimit,
    labelLimit: s.integer('label_limit', 'uint') || global.labelLimit,
    labelNameLengthLimit:
      s.integer('label_name_length_limit', 'uint') || global.labelNameLengthLimit,
    labelValueLengthLimit:
      s.integer('label_value_length_limit', 'uint') || global.labelValueLengthLimit,
    keepDroppedTargets: s.integer('keep_dropped_targets', 'uint') || global.keepDroppedTargets,
    alwaysScrapeClassicHistograms:
      s.bool('always_scrape_classic_histograms') ?? global.alwaysScrapeClassicHistograms,
    convertClassicHistogramsToNhcb:
      s.bool('convert_classic_histograms_to_nhcb') ?? global.convertClassicHistogramsToNhcb,
    nativeHistogramBucketLimit: s.integer('native_histogram_bucket_limit', 'uint') ?? 0,
    nativeHistogramMinBucketFactor: s.float('native_histogram_min_bucket_factor') ?? 0,
    extraScrapeMetrics: s.bool('extra_scrape_metrics') ?? global.extraScrapeMetrics,
  };
  if (reader.errors.length > errorsBefore) return invalid;

  // Validate(global), in Prometheus's order.
  if (writtenTimeout > scrapeInterval) {
    s.fail('scrape_timeout', `scrape timeout greater than scrape interval for ${jobRef}`);
    return invalid;
  }
  const scrapeTimeout = writtenTimeout || Math.min(global.scrapeTimeout, scrapeInterval);
  const scrapeProtocols =
    writtenProtocols ?? global.scrapeProtocols ?? defaultProtocols(scrapeNativeHistograms);
  const escaping = deriveEscaping(s, escapingText, localValidation, validation, global);
  if (escaping === undefined) return invalid;

  const config: ScrapeConfig = {
    jobName,
    scrapeInterval,
    scrapeTimeout,
    metricsPath: read.metricsPath,
    scheme,
    params,
    honorLabels: read.honorLabels,
    honorTimestamps: read.honorTimestamps,
    trackTimestampsStaleness: read.trackTimestampsStaleness,
    enableCompression: read.enableCompression,
    bodySizeLimit: read.bodySizeLimit,
    sampleLimit: read.sampleLimit,
    targetLimit: read.targetLimit,
    labelLimit: read.labelLimit,
    labelNameLengthLimit: read.labelNameLengthLimit,
    labelValueLengthLimit: read.labelValueLengthLimit,
    keepDroppedTargets: read.keepDroppedTargets,
    scrapeProtocols,
    fallbackScrapeProtocol,
    scrapeNativeHistograms,
    alwaysScrapeClassicHistograms: read.alwaysScrapeClassicHistograms,
    convertClassicHistogramsToNhcb: read.convertClassicHistogramsToNhcb,
    nativeHistogramBucketLimit: read.nativeHistogramBucketLimit,
    nativeHistogramMinBucketFactor: read.nativeHistogramMinBucketFactor,
    metricNameValidationScheme: validation,
    metricNameEscapingScheme: escaping,
    extraScrapeMetrics: read.extraScrapeMetrics,
    scrapeFailureLogFile: ownFailureLogFile || global.scrapeFailureLogFile,
    relabelConfigs,
    metricRelabelConfigs,
    httpClient,
    staticConfigs: sd.staticConfigs,
    fileSdConfigs: sd.fileSdConfigs,
    otherSdConfigs: sd.otherSdConfigs,
    sdConfigNodes: sd.sdConfigNodes,
  };
  return { ...invalid, config };
}

/** A string field whose default is not ''; written null is '' (go-yaml's zero value). */
function stringWithDefault(s: Struct, name: string, fallback: string): string {
  return s.has(name) ? (s.string(name) ?? '') : fallback;
}

/** A bool field defaulting to true; written null is false (go-yaml's zero value). */
function boolWithDefault(s: Struct, name: string, fallback: boolean): boolean {
  return s.has(name) ? (s.bool(name) ?? false) : fallback;
}

/**
 * `scheme` must be `http` or `https`. Prometheus accepts any string here and fails every scrape
 * later; rejecting it at load is the clearer of the two.
 */
function readScheme(s: Struct): 'http' | 'https' {
  const text = stringWithDefault(s, 'scheme', 'http');
  if (text === 'http' || text === 'https') return text;
  s.fail('scheme', `scheme must be "http" or "https", got ${JSON.stringify(text)}`);
  return 'http';
}

function readProtocols(s: Struct, jobRef: string): readonly ScrapeProtocol[] | undefined {
  if (s.value('scrape_protocols') === null) return undefined;
  const list = s.stringList('scrape_protocols', '[]config.ScrapeProtocol');
  if (list === undefined) return undefined;
  const problem = checkScrapeProtocols(list);
  if (problem) {
    s.fail('scrape_protocols', `${problem} for ${jobRef}`);
    return undefined;
  }
  return list as ScrapeProtocol[];
}

function readFallbackProtocol(s: Struct, jobRef: string): ScrapeProtocol | undefined {
  const text = s.string('fallback_scrape_protocol') ?? '';
  if (text === '') return undefined;
  if (isScrapeProtocol(text)) return text;
  s.fail(
    'fallback_scrape_protocol',
    `invalid fallback_scrape_protocol for ${jobRef}: ${unknownProtocolMessage(text)}`,
  );
  return undefined;
}

/**
 * The job's scrape_protocols when neither it nor `global` lists them (§1.4): PrometheusProto
 * first when the job scrapes native histograms, as in Prometheus 3.
 */
function defaultProtocols(scrapeNativeHistograms: boolean): readonly ScrapeProtocol[] {
  return scrapeNativeHistograms ? PROTO_FIRST_SCRAPE_PROTOCOLS : DEFAULT_SCRAPE_PROTOCOLS;
}

/** `params`: url.Values, name → list of values (only the first is used, §2.1). */
function readParams(s: Struct): Readonly<Record<string, readonly string[]>> {
  const entries = s.reader.entries(s.value('params'), 'url.Values') ?? [];
  return Object.fromEntries(entries.map((e) => [e.key, s.reader.stringList(e.value) ?? []]));
}

/**
 * The job's escaping scheme (§1.3): written, else the global one when the job does not set a
 * validation scheme, else derived from the job's validation scheme. `allow-utf-8` requires
 * UTF-8 validation.
 */
function deriveEscaping(
  s: Struct,
  written: string,
  localValidation: ValidationScheme | undefined,
  validation: ValidationScheme,
  global: GlobalConfig,
): EscapingScheme | undefined {
  let escaping: string = written;
  if (escaping === '') {
    if (localValidation === undefined) escaping = global.metricNameEscapingScheme;
    else escaping = validation === 'legacy' ? 'underscores' : 'allow-utf-8';
  }
  if (!isEscapingScheme(escaping)) {
    s.fail(
      'metric_name_escaping_scheme',
      `unknown scrape config name escaping method specified, must be one of ${escapingSchemesList()}, got ${JSON.stringify(escaping)}`,
    );
    return undefined;
  }
  if (escaping === 'allow-utf-8' && validation !== 'utf8') {
    s.fail(
      written !== '' ? 'metric_name_escaping_scheme' : 'metric_name_validation_scheme',
      'utf8 metric names requested but validation scheme is not set to UTF8',
    );
    return undefined;
  }
  return escaping;
}
