import { isMap, isSeq, type Node } from 'yaml';
import { parseAlertingConfig } from './alerting.js';
import { parseTlsConfig } from './http-client.js';
import { parseRemoteReadConfigs } from './remote-read.js';
import { RESERVED_HEADERS } from './reserved-headers.js';
import type { AlertmanagerDiscovery, GlobalConfig } from './types.js';
import type { Struct, YamlReader } from './yaml-reader.js';

/**
 * The top-level sections Prometheus accepts and lambdascrape does not act on. Each is validated
 * as Prometheus validates it (known keys, types, durations, sizes, URLs, and the checks of its
 * `UnmarshalYAML`), so `check config` accepts exactly the files Prometheus accepts; then, when it
 * holds anything, a warning at its key says that it is ignored and why.
 *
 * A section written as null (`tracing:`) is the zero value in go-yaml, which Prometheus does not
 * validate; it is accepted silently here too.
 */

/** Why each section is ignored, in the order of Prometheus's `Config` struct. */
export const IGNORED_SECTIONS = {
  runtime: 'it tunes the Go runtime of Prometheus',
  alerting: 'lambdascrape evaluates no rules and sends no alerts',
  rule_files: 'lambdascrape evaluates no rules',
  storage: 'lambdascrape keeps no TSDB (remote_write delivers the samples)',
  tracing: 'lambdascrape exports no traces',
  remote_read: 'lambdascrape answers no queries',
  otlp: 'lambdascrape has no OTLP receiver',
} as const;

export type IgnoredSection = keyof typeof IGNORED_SECTIONS;

/**
 * Validates every ignored section of `root` and warns about those that hold something. Returns
 * the alertmanagers' discovery, for the discovery mechanisms to check.
 */
export function parseIgnoredSections(
  root: Struct,
  global: GlobalConfig,
): readonly AlertmanagerDiscovery[] {
  const reader = root.reader;
  const value = (name: IgnoredSection) => root.value(name);
  parseRuntime(reader, value('runtime'));
  const alertmanagers = parseAlertingConfig(
    reader,
    value('alerting'),
    global.metricNameValidationScheme,
  );
  parseStorage(reader, value('storage'));
  parseTracing(reader, value('tracing'));
  parseRemoteReadConfigs(reader, value('remote_read'));
  parseOtlp(reader, value('otlp'), global);
  // rule_files patterns are checked by the loader with scrape_config_files'.
  for (const [name, why] of Object.entries(IGNORED_SECTIONS)) {
    if (holdsSomething(root.value(name))) {
      reader.warn(root.at(name), `${name} is validated but ignored: ${why}`);
    }
  }
  return alertmanagers;
}

function holdsSomething(node: Node | null): boolean {
  if (node === null) return false;
  if (isSeq(node) || isMap(node)) return node.items.length > 0;
  return true;
}

export const RUNTIME_FIELDS = new Set(['gogc']);

function parseRuntime(reader: YamlReader, node: Node | null): void {
  reader.struct(node, 'config.RuntimeConfig', RUNTIME_FIELDS)?.integer('gogc', 'int');
}

export const STORAGE_FIELDS = new Set(['tsdb', 'exemplars']);
export const TSDB_FIELDS = new Set([
  'out_of_order_time_window',
  'stale_series_compaction_threshold',
  'chunk_encoding',
  'retention',
]);
export const RETENTION_FIELDS = new Set(['time', 'size', 'percentage']);
export const CHUNK_ENCODING_FIELDS = new Set(['floats']);
export const EXEMPLARS_FIELDS = new Set(['max_exemplars']);
const CHUNK_ENCODINGS = ['xor', 'xor2'];

function parseStorage(reader: YamlReader, node: Node | null): void {
  const s = reader.struct(node, 'config.StorageConfig', STORAGE_FIELDS);
  if (s === undefined) return;
  const tsdb = reader.struct(s.value('tsdb'), 'config.TSDBConfig', TSDB_FIELDS);
  if (tsdb !== undefined) {
    tsdb.duration('out_of_order_time_window');
    tsdb.float('stale_series_compaction_threshold');
    const encoding = reader.struct(
      tsdb.value('chunk_encoding'),
      'config.ChunkEncodingConfig',
      CHUNK_ENCODING_FIELDS,
    );
    const floats = encoding?.string('floats') ?? '';
    if (floats !== '' && !CHUNK_ENCODINGS.includes(floats)) {
      encoding?.fail(
        'floats',
        `'storage.tsdb.chunk_encoding.floats' must be 'xor' or 'xor2', or the field must be omitted entirely, got ${JSON.stringify(floats)}`,
      );
    }
    const retention = reader.struct(
      tsdb.value('retention'),
      'config.TSDBRetentionConfig',
      RETENTION_FIELDS,
    );
    retention?.duration('time');
    retention?.size('size');
    const percentage = retention?.float('percentage') ?? 0;
    if (percentage < 0 || percentage > 100) {
      retention?.fail(
        'percentage',
        `'storage.tsdb.retention.percentage' must be in the range [0, 100], got ${percentage}`,
      );
    }
  }
  reader
    .struct(s.value('exemplars'), 'config.ExemplarsConfig', EXEMPLARS_FIELDS)
    ?.integer('max_exemplars', 'int');
}

export const TRACING_FIELDS = new Set([
  'client_type',
  'endpoint',
  'sampling_fraction',
  'insecure',
  'tls_config',
  'headers',
  'compression',
  'timeout',
]);
const TRACING_CLIENT_TYPES = ['http', 'grpc'];

function parseTracing(reader: YamlReader, node: Node | null): void {
  // A null block is the zero value, which Prometheus does not validate.
  if (node === null) return;
  const s = reader.struct(node, 'config.TracingConfig', TRACING_FIELDS);
  if (s === undefined) return;
  const clientType = s.string('client_type');
  if (clientType !== undefined && !TRACING_CLIENT_TYPES.includes(clientType)) {
    s.fail(
      'client_type',
      `expected tracing client type to be to be http or grpc, but got ${clientType}`,
    );
  }
  s.float('sampling_fraction');
  s.bool('insecure');
  parseTlsConfig(reader, s.value('tls_config'));
  s.duration('timeout');
  for (const e of reader.stringMap(s.value('headers')) ?? []) {
    const lower = e.key.toLowerCase();
    if (lower === 'authorization') {
      reader.fail(e.keyNode, 'custom authorization header configuration is not yet supported');
    } else if (RESERVED_HEADERS.has(lower)) {
      reader.fail(e.keyNode, `${e.key} is a reserved header. It must not be changed`);
    }
  }
  if ((s.string('endpoint') ?? '') === '') {
    s.fail(s.has('endpoint') ? 'endpoint' : undefined, 'tracing endpoint must be set');
  }
  const compression = s.string('compression') ?? '';
  if (compression !== '' && compression !== 'gzip') {
    s.fail('compression', `invalid compression type ${compression} provided, valid options: gzip`);
  }
}

const OTLP_BOOLEANS = [
  'promote_all_resource_attributes',
  'keep_identifying_resource_attributes',
  'convert_histograms_to_nhcb',
  'promote_scope_metadata',
  'label_name_underscore_sanitization',
  'label_name_preserve_multiple_underscores',
];
export const OTLP_FIELDS = new Set([
  ...OTLP_BOOLEANS,
  'promote_resource_attributes',
  'ignore_resource_attributes',
  'translation_strategy',
]);
/** otlptranslator's strategies; the last two keep UTF-8 names, so they need UTF-8 validation. */
const UNDERSCORE_STRATEGIES = [
  'UnderscoreEscapingWithSuffixes',
  'UnderscoreEscapingWithoutSuffixes',
];
const UTF8_STRATEGIES = ['NoUTF8EscapingWithSuffixes', 'NoTranslation'];

function parseOtlp(reader: YamlReader, node: Node | null, global: GlobalConfig): void {
  const s = reader.struct(node, 'config.OTLPConfig', OTLP_FIELDS);
  if (s === undefined) return;
  for (const name of OTLP_BOOLEANS) s.bool(name);
  const promoteAll = s.bool('promote_all_resource_attributes') ?? false;
  const promote = s.stringList('promote_resource_attributes') ?? [];
  const ignore = s.stringList('ignore_resource_attributes') ?? [];
  if (node !== null) {
    if (promoteAll && promote.length > 0) {
      s.fail(
        'promote_resource_attributes',
        "'promote_all_resource_attributes' and 'promote_resource_attributes' cannot be configured simultaneously",
      );
    } else if (promoteAll) {
      checkAttributes(s, 'ignore_resource_attributes', ignore, 'ignored');
    } else if (ignore.length > 0) {
      s.fail(
        'ignore_resource_attributes',
        "'ignore_resource_attributes' cannot be configured unless 'promote_all_resource_attributes' is true",
      );
    } else {
      checkAttributes(s, 'promote_resource_attributes', promote, 'promoted');
    }
  }
  const strategy = s.string('translation_strategy') ?? '';
  if (strategy === '' || UNDERSCORE_STRATEGIES.includes(strategy)) return;
  if (!UTF8_STRATEGIES.includes(strategy)) {
    s.fail(
      'translation_strategy',
      `unsupported OTLP translation strategy ${JSON.stringify(strategy)}`,
    );
  } else if (global.metricNameValidationScheme === 'legacy') {
    s.fail(
      'translation_strategy',
      `OTLP translation strategy ${JSON.stringify(strategy)} is not allowed when UTF8 is disabled`,
    );
  }
}

/** Prometheus's `sanitizeAttributes`: every problem, each with the field's prefix. */
function checkAttributes(
  s: Struct,
  field: string,
  attributes: readonly string[],
  adjective: string,
) {
  const seen = new Set<string>();
  for (const raw of attributes) {
    const attr = raw.trim();
    if (attr === '') {
      s.fail(field, `invalid '${field}': empty ${adjective} OTel resource attribute`);
    } else if (seen.has(attr)) {
      s.fail(
        field,
        `invalid '${field}': duplicated ${adjective} OTel resource attribute ${JSON.stringify(attr)}`,
      );
    }
    seen.add(attr);
  }
}
