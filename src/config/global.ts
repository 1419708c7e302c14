import type { Node } from 'yaml';
import { expandEnv } from './expand-env.js';
import { isValidLabelName, isValidLabelValue } from './label-names.js';
import { checkScrapeProtocols } from './scrape-protocols.js';
import type { EscapingScheme, GlobalConfig, ScrapeProtocol, ValidationScheme } from './types.js';
import { refuseUnsupported } from './unsupported.js';
import type { Struct, YamlReader } from './yaml-reader.js';

/** Defaults of `global` (§1.2). Durations in ms. */
export const DEFAULT_GLOBAL_CONFIG: GlobalConfig = {
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

export const ESCAPING_SCHEMES: readonly EscapingScheme[] = [
  'allow-utf-8',
  'underscores',
  'dots',
  'values',
];

export const FIELDS = new Set([
  'scrape_interval',
  'scrape_timeout',
  'scrape_protocols',
  'evaluation_interval',
  'rule_query_offset',
  'query_log_file',
  'scrape_failure_log_file',
  'external_labels',
  'body_size_limit',
  'sample_limit',
  'target_limit',
  'label_limit',
  'label_name_length_limit',
  'label_value_length_limit',
  'keep_dropped_targets',
  'metric_name_validation_scheme',
  'metric_name_escaping_scheme',
  'scrape_native_histograms',
  'convert_classic_histograms_to_nhcb',
  'always_scrape_classic_histograms',
  'extra_scrape_metrics',
]);

export function isEscapingScheme(name: string): name is EscapingScheme {
  return (ESCAPING_SCHEMES as readonly string[]).includes(name);
}

export function escapingSchemesList(): string {
  return ESCAPING_SCHEMES.map((s) => `'${s}'`)
    .join(', ')
    .replace(/, ('values')$/, ', or $1');
}

/**
 * Reads `metric_name_validation_scheme`: '' or null → undefined (unset); `utf8` / `legacy`;
 * anything else is an error, as common/model's `ValidationScheme.UnmarshalYAML` rejects it.
 */
export function readValidationScheme(s: Struct): ValidationScheme | undefined {
  const text = s.reader.string(s.value('metric_name_validation_scheme'), 'model.ValidationScheme');
  if (text === undefined || text === '') return undefined;
  if (text === 'utf8' || text === 'legacy') return text;
  s.fail('metric_name_validation_scheme', `unrecognized ValidationScheme: ${JSON.stringify(text)}`);
  return undefined;
}

/**
 * Parses `global` (§1.2). Absent, null and empty blocks all give {@link DEFAULT_GLOBAL_CONFIG};
 * a zero duration or limit means "default". External label values are expanded from `env`
 * after their names and values were validated (§1.2), then sorted by name.
 *
 * Differs from Prometheus in one place: an unknown `metric_name_escaping_scheme` is reported
 * here even when there is no scrape config (Prometheus finds it while validating jobs).
 */
export function parseGlobalConfig(
  reader: YamlReader,
  node: Node | null,
  env: Readonly<Record<string, string | undefined>>,
): GlobalConfig {
  const s = reader.struct(node, 'config.GlobalConfig', FIELDS);
  if (s === undefined) return DEFAULT_GLOBAL_CONFIG;
  const d = DEFAULT_GLOBAL_CONFIG;

  const validation = readValidationScheme(s) ?? d.metricNameValidationScheme;
  const externalLabels = readExternalLabels(s, validation, env);

  const errorsBefore = reader.errors.length;
  const scrapeInterval = s.duration('scrape_interval') || d.scrapeInterval;
  let scrapeTimeout = s.duration('scrape_timeout') ?? 0;
  if (reader.errors.length === errorsBefore && scrapeTimeout > scrapeInterval) {
    s.fail('scrape_timeout', 'global scrape timeout greater than scrape interval');
  }
  if (scrapeTimeout === 0) scrapeTimeout = Math.min(d.scrapeTimeout, scrapeInterval);
  s.duration('rule_query_offset');
  s.string('query_log_file');
  const scrapeFailureLogFile = s.filePath('scrape_failure_log_file') ?? '';

  let scrapeProtocols: ScrapeProtocol[] | undefined;
  if (s.value('scrape_protocols') !== null) {
    const list = s.stringList('scrape_protocols', '[]config.ScrapeProtocol');
    if (list !== undefined) {
      const problem = checkScrapeProtocols(list);
      if (problem) s.fail('scrape_protocols', `${problem} for global config`);
      else scrapeProtocols = list as ScrapeProtocol[];
    }
  }

  const escapingText = s.string('metric_name_escaping_scheme') ?? '';
  let escaping: EscapingScheme = validation === 'legacy' ? 'underscores' : 'allow-utf-8';
  if (escapingText !== '') {
    if (isEscapingScheme(escapingText)) escaping = escapingText;
    else {
      s.fail(
        'metric_name_escaping_scheme',
        `unknown global name escaping method specified, must be one of ${escapingSchemesList()}, got ${JSON.stringify(escapingText)}`,
      );
    }
  }

  refuseUnsupported(s, 'global');
  return {
    scrapeInterval,
    scrapeTimeout,
    evaluationInterval: s.duration('evaluation_interval') || d.evaluationInterval,
    externalLabels,
    scrapeProtocols,
    bodySizeLimit: s.size('body_size_limit') ?? 0,
    sampleLimit: s.integer('sample_limit', 'uint') ?? 0,
    targetLimit: s.integer('target_limit', 'uint') ?? 0,
    labelLimit: s.integer('label_limit', 'uint') ?? 0,
    labelNameLengthLimit: s.integer('label_name_length_limit', 'uint') ?? 0,
    labelValueLengthLimit: s.integer('label_value_length_limit', 'uint') ?? 0,
    keepDroppedTargets: s.integer('keep_dropped_targets', 'uint') ?? 0,
    metricNameValidationScheme: validation,
    metricNameEscapingScheme: escaping,
    scrapeNativeHistograms: s.bool('scrape_native_histograms') ?? false,
    convertClassicHistogramsToNhcb: s.bool('convert_classic_histograms_to_nhcb') ?? false,
    alwaysScrapeClassicHistograms: s.bool('always_scrape_classic_histograms') ?? false,
    extraScrapeMetrics: s.bool('extra_scrape_metrics') ?? false,
    scrapeFailureLogFile,
  };
}

function readExternalLabels(
  s: Struct,
  scheme: ValidationScheme,
  env: Readonly<Record<string, string | undefined>>,
): Readonly<Record<string, string>> {
  const entries = s.reader.stringMap(s.value('external_labels'), 'labels.Labels') ?? [];
  const expanded: [string, string][] = [];
  for (const e of entries) {
    if (!isValidLabelName(e.key, scheme)) {
      s.reader.fail(e.keyNode, `${JSON.stringify(e.key)} is not a valid label name`);
    } else if (!isValidLabelValue(e.value)) {
      s.reader.fail(
        e.valueNode ?? e.keyNode,
        `${JSON.stringify(e.value)} is not a valid label value`,
      );
    } else {
      // An unset variable gives an empty value; the label is still kept (§1.2).
      expanded.push([e.key, expandEnv(e.value, env)]);
    }
  }
  expanded.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return Object.fromEntries(expanded);
}
