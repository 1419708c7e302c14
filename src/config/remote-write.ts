import { createHash } from 'node:crypto';
import type { Node } from 'yaml';
import { HTTP_CLIENT_FIELDS, parseHttpClientConfig, redactUrl } from './http-client.js';
import { parseRelabelConfigs } from './relabel-config.js';
import { RESERVED_HEADERS } from './reserved-headers.js';
import type {
  MetadataConfig,
  QueueConfig,
  RemoteWriteConfig,
  SigV4Config,
  ValidationScheme,
} from './types.js';
import { refuseUnsupported } from './unsupported.js';
import type { Struct, YamlReader } from './yaml-reader.js';

/** queue_config defaults (§11.3). Durations in ms. */
export const DEFAULT_QUEUE_CONFIG: QueueConfig = {
  capacity: 10_000,
  maxShards: 50,
  minShards: 1,
  maxSamplesPerSend: 2000,
  batchSendDeadline: 5_000,
  minBackoff: 30,
  maxBackoff: 5_000,
  retryOnHttp429: false,
  sampleAgeLimit: 0,
};

/** metadata_config defaults (§11.3). */
export const DEFAULT_METADATA_CONFIG: MetadataConfig = {
  send: true,
  sendInterval: 60_000,
  maxSamplesPerSend: 2000,
};

export const DEFAULT_REMOTE_TIMEOUT_MS = 30_000;

const PROTOBUF_MESSAGES = ['prometheus.WriteRequest', 'io.prometheus.write.v2.Request'] as const;

export const FIELDS = new Set([
  'url',
  'remote_timeout',
  'headers',
  'write_relabel_configs',
  'name',
  'send_exemplars',
  'send_native_histograms',
  'round_robin_dns',
  'protobuf_message',
  'failed_request_logging',
  'queue_config',
  'metadata_config',
  'sigv4',
  'azuread',
  'google_iam',
  ...HTTP_CLIENT_FIELDS,
]);

export const QUEUE_FIELDS = new Set([
  'capacity',
  'max_shards',
  'min_shards',
  'max_samples_per_send',
  'batch_send_deadline',
  'min_backoff',
  'max_backoff',
  'retry_on_http_429',
  'sample_age_limit',
]);
export const METADATA_FIELDS = new Set(['send', 'send_interval', 'max_samples_per_send']);
export const SIGV4_FIELDS = new Set([
  'region',
  'access_key',
  'secret_key',
  'profile',
  'role_arn',
  'external_id',
  'service',
  'service_name',
  'use_fips_sts_endpoint',
]);

/**
 * Parses `remote_write` (§11.2, §11.3). Relabel rules are validated with the global name
 * validation scheme. Without a `name`, a config is named by the first 6 hex digits of a SHA-256
 * of its content, so the name is stable while the config is unchanged (Prometheus does the same
 * with an MD5 of its YAML form, so the names themselves differ from Prometheus's).
 * Two configs with identical content are an error, as in Prometheus.
 */
export function parseRemoteWriteConfigs(
  reader: YamlReader,
  node: Node | null,
  scheme: ValidationScheme,
): RemoteWriteConfig[] {
  const items = reader.items(node, '[]*config.RemoteWriteConfig');
  if (items === undefined) return [];
  const out: RemoteWriteConfig[] = [];
  const names = new Set<string>();
  const hashes = new Set<string>();
  for (const item of items) {
    if (item.value === null) {
      reader.fail(item.at, 'empty or null remote write config section');
      continue;
    }
    const parsed = parseRemoteWriteConfig(reader, item.value, scheme);
    if (parsed === undefined) continue;
    const { config, explicitName, hash, at } = parsed;
    if (explicitName) {
      if (names.has(config.name)) {
        reader.fail(
          at,
          `found multiple remote write configs with job name ${JSON.stringify(config.name)}`,
        );
        continue;
      }
      names.add(config.name);
    }
    if (hashes.has(hash)) {
      reader.fail(
        item.at,
        `duplicate remote write configs are not allowed, found duplicate for URL: ${redactUrl(config.url)}`,
      );
      continue;
    }
    hashes.add(hash);
    out.push(config);
  }
  return out;
}

interface Parsed {
  readonly config: RemoteWriteConfig;
  readonly explicitName: boolean;
  readonly hash: string;
  /** Node of the `name` value, for the duplicate-name error. */
  readonly at: Node | null;
}

function parseRemoteWriteConfig(
  reader: YamlReader,
  node: Node,
  scheme: ValidationScheme,
): Parsed | undefined {
  const errorsBefore = reader.errors.length;
  const s = reader.struct(node, 'config.RemoteWriteConfig', FIELDS);
  if (s === undefined) return undefined;

  const url = readUrl(s);
  const headers = readHeaders(s);
  const protobufMessage = readProtobufMessage(s);
  const httpClient = parseHttpClientConfig(s, { enableHttp2: false });
  const queueConfig = readQueueConfig(s);
  const metadataConfig = readMetadataConfig(s);
  const sigv4 = readSigV4(reader, s.value('sigv4'));
  refuseUnsupported(s, 'remote_write');
  s.bool('failed_request_logging');
  const writeRelabelConfigs = parseRelabelConfigs(
    reader,
    s.value('write_relabel_configs'),
    scheme,
    'empty or null relabeling rule in remote write config',
  );
  const content = {
    url: url ?? '',
    remoteTimeout: s.duration('remote_timeout') ?? DEFAULT_REMOTE_TIMEOUT_MS,
    headers,
    writeRelabelConfigs,
    sendExemplars: s.bool('send_exemplars') ?? false,
    sendNativeHistograms: s.bool('send_native_histograms') ?? false,
    roundRobinDns: s.bool('round_robin_dns') ?? false,
    protobufMessage,
    queueConfig,
    metadataConfig,
    sigv4,
    httpClient,
  };
  if (reader.errors.length > errorsBefore) return undefined;

  const configured = [
    httpClient.basicAuth ? 'basic_auth' : undefined,
    httpClient.authorization ? 'authorization' : undefined,
    httpClient.oauth2 ? 'oauth2' : undefined,
    sigv4 ? 'sigv4' : undefined,
  ].filter((a) => a !== undefined);
  if (configured.length > 1) {
    s.fail(
      undefined,
      `at most one of basic_auth, authorization, oauth2, sigv4, azuread or google_iam must be configured. Currently configured: [${configured.join(' ')}]`,
    );
    return undefined;
  }

  const writtenName = s.string('name') ?? '';
  const hash = createHash('sha256')
    .update(JSON.stringify({ name: writtenName, ...content }))
    .digest('hex');
  return {
    config: {
      ...content,
      name: writtenName || hash.slice(0, 6),
      displayName: writtenName || urlForPeople(content.url),
    },
    explicitName: writtenName !== '',
    hash,
    at: s.at('name'),
  };
}

function readUrl(s: Struct): string | undefined {
  const text = s.string('url');
  if (text === undefined || text === '') {
    s.fail(s.has('url') ? 'url' : undefined, 'url for remote_write is empty');
    return undefined;
  }
  let parsed: URL | undefined;
  try {
    parsed = new URL(text);
  } catch {
    parsed = undefined;
  }
  if (!parsed || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') || !parsed.host) {
    s.fail(
      'url',
      `invalid remote_write url ${JSON.stringify(redactUrl(text))}: must be an absolute http or https URL`,
    );
    return undefined;
  }
  return text;
}

/**
 * The `headers` of a remote write or remote read config, with Prometheus's `validateHeaders`:
 * Authorization and the headers it sets itself are refused.
 */
export function readHeaders(s: Struct): Readonly<Record<string, string>> {
  const headers: [string, string][] = [];
  const entries = s.reader.stringMap(s.value('headers')) ?? [];
  for (const e of entries) {
    const lower = e.key.toLowerCase();
    if (lower === 'authorization') {
      s.reader.fail(
        e.keyNode,
        'authorization header must be changed via the basic_auth, authorization, oauth2, sigv4, azuread or google_iam parameter',
      );
    } else if (RESERVED_HEADERS.has(lower)) {
      s.reader.fail(e.keyNode, `${e.key} is a reserved header. It must not be changed`);
    } else {
      headers.push([e.key, e.value]);
    }
  }
  return Object.fromEntries(headers);
}

function readProtobufMessage(s: Struct): RemoteWriteConfig['protobufMessage'] {
  const text = s.string('protobuf_message');
  if (text === undefined || text === '') return 'prometheus.WriteRequest';
  if ((PROTOBUF_MESSAGES as readonly string[]).includes(text)) {
    return text as RemoteWriteConfig['protobufMessage'];
  }
  s.fail(
    'protobuf_message',
    `invalid protobuf_message value: unknown type for remote write protobuf message ${text}, supported: ${PROTOBUF_MESSAGES.join(', ')}`,
  );
  return 'prometheus.WriteRequest';
}

/** Every field of a written-but-null `queue_config:` (go-yaml sets the zero value). */
const ZERO_QUEUE_CONFIG: QueueConfig = {
  capacity: 0,
  maxShards: 0,
  minShards: 0,
  maxSamplesPerSend: 0,
  batchSendDeadline: 0,
  minBackoff: 0,
  maxBackoff: 0,
  retryOnHttp429: false,
  sampleAgeLimit: 0,
};

/**
 * `queue_config`: absent keeps the defaults, written fields replace them, and a written null
 * (`queue_config:`) zeroes every field as go-yaml does, which then fails validation as in
 * Prometheus.
 */
function readQueueConfig(parent: Struct): QueueConfig {
  const reader = parent.reader;
  const node = parent.value('queue_config');
  const errorsBefore = reader.errors.length;
  let q: QueueConfig = DEFAULT_QUEUE_CONFIG;
  let s: Struct | undefined;
  if (node !== null) {
    s = reader.struct(node, 'config.QueueConfig', QUEUE_FIELDS);
    if (s === undefined) return DEFAULT_QUEUE_CONFIG;
    const d = DEFAULT_QUEUE_CONFIG;
    q = {
      capacity: s.integer('capacity', 'int') ?? d.capacity,
      maxShards: s.integer('max_shards', 'int') ?? d.maxShards,
      minShards: s.integer('min_shards', 'int') ?? d.minShards,
      maxSamplesPerSend: s.integer('max_samples_per_send', 'int') ?? d.maxSamplesPerSend,
      batchSendDeadline: s.duration('batch_send_deadline') ?? d.batchSendDeadline,
      minBackoff: s.duration('min_backoff') ?? d.minBackoff,
      maxBackoff: s.duration('max_backoff') ?? d.maxBackoff,
      retryOnHttp429: s.bool('retry_on_http_429') ?? d.retryOnHttp429,
      sampleAgeLimit: s.duration('sample_age_limit') ?? d.sampleAgeLimit,
    };
  } else if (parent.has('queue_config')) {
    q = ZERO_QUEUE_CONFIG;
  }
  if (reader.errors.length > errorsBefore) return q;
  // QueueConfig.Validate, first failure only.
  const checks: [boolean, string, string][] = [
    [q.maxShards <= 0, 'max_shards', 'remote write queue max_shards must be positive'],
    [q.minShards <= 0, 'min_shards', 'remote write queue min_shards must be positive'],
    [
      q.minShards > q.maxShards,
      'min_shards',
      'remote write queue min_shards must not be greater than max_shards',
    ],
    [
      q.maxSamplesPerSend <= 0,
      'max_samples_per_send',
      'remote write queue max_samples_per_send must be positive',
    ],
    [q.capacity <= 0, 'capacity', 'remote write queue capacity must be positive'],
    [
      q.maxBackoff < q.minBackoff,
      'max_backoff',
      'remote write queue max_backoff must not be less than min_backoff',
    ],
  ];
  const failed = checks.find(([bad]) => bad);
  if (failed) {
    if (s === undefined) parent.fail('queue_config', failed[2]);
    else s.fail(failed[1], failed[2]);
  }
  return q;
}

/**
 * `metadata_config`: absent keeps the defaults; a written null zeroes it (no metadata sent), as
 * go-yaml does in Prometheus.
 */
function readMetadataConfig(parent: Struct): MetadataConfig {
  const node = parent.value('metadata_config');
  if (node === null) {
    return parent.has('metadata_config')
      ? { send: false, sendInterval: 0, maxSamplesPerSend: 0 }
      : DEFAULT_METADATA_CONFIG;
  }
  const s = parent.reader.struct(node, 'config.MetadataConfig', METADATA_FIELDS);
  if (s === undefined) return DEFAULT_METADATA_CONFIG;
  const d = DEFAULT_METADATA_CONFIG;
  return {
    send: s.bool('send') ?? d.send,
    sendInterval: s.duration('send_interval') ?? d.sendInterval,
    maxSamplesPerSend: s.integer('max_samples_per_send', 'int') ?? d.maxSamplesPerSend,
  };
}

/**
 * `sigv4` (prometheus/sigv4). A null `sigv4:` means "not set", as in Prometheus; the documented
 * way to sign with the default AWS credential chain is `sigv4: {}`.
 */
export function readSigV4(reader: YamlReader, node: Node | null): SigV4Config | undefined {
  if (node === null) return undefined;
  const s = reader.struct(node, 'sigv4.SigV4Config', SIGV4_FIELDS);
  if (s === undefined) return undefined;
  const config: SigV4Config = {
    region: s.string('region') || undefined,
    accessKey: s.string('access_key') || undefined,
    secretKey: s.secret('secret_key'),
    profile: s.string('profile') || undefined,
    roleArn: s.string('role_arn') || undefined,
    externalId: s.string('external_id') || undefined,
    // Current Prometheus spells it service_name; older sigv4 releases read `service`.
    service: s.string('service_name') || s.string('service') || undefined,
    useFipsStsEndpoint: s.bool('use_fips_sts_endpoint') ?? false,
  };
  if ((config.accessKey === undefined) !== (config.secretKey === undefined)) {
    s.fail(
      config.accessKey === undefined ? 'secret_key' : 'access_key',
      'must provide a AWS SigV4 Access key and Secret Key if credentials are specified in the SigV4 config',
    );
  } else if (config.externalId !== undefined && config.roleArn === undefined) {
    s.fail('external_id', 'external_id can only be used with role_arn');
  }
  return config;
}

/** `url` without userinfo, query or fragment: safe to print, and what the config's author wrote. */
function urlForPeople(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return '(invalid url)';
  }
}
