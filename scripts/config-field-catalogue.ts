/**
 * Every (Go type, field) the config loader accepts, with its status, for docs/config-fields.md.
 *
 * The field sets are the loader's own (imported, never copied), so a field added to a set shows
 * up here at once; test/config/config-fields-doc.test.ts fails until the document is
 * regenerated, and checks that every `reader.struct(…, '<go type>', …)` call in src/ has an
 * entry below. A status comes from where the field is read (an ignored section, an
 * unimplemented discovery mechanism, the refusal table of src/config/unsupported.ts, the
 * `*_ref` rule of the HTTP client reader), else from {@link OVERRIDES}, else it is supported.
 */
import { ALERTING_FIELDS, ALERTMANAGER_FIELDS } from '../src/config/alerting.js';
import { FIELDS as GLOBAL_FIELDS } from '../src/config/global.js';
import {
  AUTHORIZATION_FIELDS,
  BASIC_AUTH_FIELDS,
  HEADER_FIELDS,
  HTTP_CLIENT_FIELDS,
  OAUTH2_FIELDS,
  TLS_FIELDS,
} from '../src/config/http-client.js';
import {
  CHUNK_ENCODING_FIELDS,
  EXEMPLARS_FIELDS,
  IGNORED_SECTIONS,
  type IgnoredSection,
  OTLP_FIELDS,
  RETENTION_FIELDS,
  RUNTIME_FIELDS,
  STORAGE_FIELDS,
  TRACING_FIELDS,
  TSDB_FIELDS,
} from '../src/config/ignored-sections.js';
import { SCRAPE_CONFIG_FILE_FIELDS, TOP_LEVEL_FIELDS } from '../src/config/load.js';
import { FIELDS as RELABEL_FIELDS } from '../src/config/relabel-config.js';
import { FIELDS as REMOTE_READ_FIELDS } from '../src/config/remote-read.js';
import {
  METADATA_FIELDS,
  QUEUE_FIELDS,
  FIELDS as REMOTE_WRITE_FIELDS,
  SIGV4_FIELDS,
} from '../src/config/remote-write.js';
import { FIELDS as SCRAPE_FIELDS } from '../src/config/scrape-config.js';
import { SD_CONFIGS_KEYS } from '../src/config/sd-names.js';
import { FILE_SD_FIELDS, STATIC_FIELDS } from '../src/config/service-discovery.js';
import { UNSUPPORTED_SETTINGS, type UnsupportedBlock } from '../src/config/unsupported.js';
import {
  FIELDS as AWS_FIELDS,
  GO_TYPE as AWS_GO_TYPE,
  AWS_SERVICE_SD_KEYS,
} from '../src/discovery/aws/config.js';
import { SD_FIELDS as CONSUL_FIELDS } from '../src/discovery/consul/config.js';
import { FIELDS as DNS_FIELDS } from '../src/discovery/dns/config.js';
import {
  FIELDS as EC2_FIELDS,
  FILTER_FIELDS as EC2_FILTER_FIELDS,
  FILTER_GO_TYPE as EC2_FILTER_GO_TYPE,
  GO_TYPE as EC2_GO_TYPE,
} from '../src/discovery/ec2/config.js';
import { HTTP_SD_FIELDS } from '../src/discovery/http/config.js';
import {
  ATTACH_FIELDS as K8S_ATTACH_FIELDS,
  SD_FIELDS as K8S_FIELDS,
  NAMESPACE_FIELDS as K8S_NAMESPACE_FIELDS,
  SELECTOR_FIELDS as K8S_SELECTOR_FIELDS,
} from '../src/discovery/kubernetes/config.js';
import { type Block, UNSUPPORTED_MECHANISMS } from '../src/discovery/unsupported.js';

export type Status = 'supported' | 'difference' | 'unused' | 'ignored' | 'refused';

export const STATUS_TEXT: Readonly<Record<Status, string>> = {
  supported: 'supported',
  difference: 'supported, with a difference',
  unused: 'read and unused',
  ignored: 'validated and ignored',
  refused: 'refused',
};

export interface FieldEntry {
  readonly field: string;
  readonly status: Status;
  /** Why, or what differs; empty when the status says it all. */
  readonly note: string;
}

export interface StructEntry {
  /** Prometheus's Go type name, as the loader's messages give it. */
  readonly goType: string;
  /** Where the mapping is written. */
  readonly where: string;
  /** Set when the whole mapping is validated and ignored: why. */
  readonly ignored?: string;
  readonly fields: readonly FieldEntry[];
}

const COMPAT = 'compatibility.md';
const link = (text: string, anchor: string) => `[${text}](${anchor})`;
const OTHER_DIFFERENCES = link('other differences', `${COMPAT}#other-differences`);
const CONFIGURATION = link('configuration', `${COMPAT}#configuration-1`);
const SCRAPING = link('scraping', `${COMPAT}#scraping-4-6-7-8`);
const REMOTE_WRITE = link('remote write', 'remote-write.md#supported-remote_write-fields');
const K8S_DIFFERENCES = link('differences', 'discovery-kubernetes.md#differences-from-prometheus');
const AWS_SERVICE_KEYS = link('per-service AWS keys', 'discovery.md#per-service-aws-keys');

/**
 * What the code alone cannot tell: fields read and then not acted on, and fields that work
 * with a difference, by `goType.field`. The test fails for an entry naming no known field.
 */
export const OVERRIDES: Readonly<Record<string, { status: Status; note: string }>> = {
  'config.GlobalConfig.evaluation_interval': { status: 'unused', note: 'no rule evaluation' },
  'config.GlobalConfig.rule_query_offset': { status: 'unused', note: 'no rule evaluation' },
  'config.GlobalConfig.query_log_file': { status: 'unused', note: 'no query engine' },
  'config.GlobalConfig.scrape_failure_log_file': {
    status: 'difference',
    note: `\`run\` only; the Lambda functions log failed scrapes instead (${CONFIGURATION})`,
  },
  'config.GlobalConfig.body_size_limit': {
    status: 'difference',
    note: `0 gets a memory-based ceiling in the Lambda functions (${SCRAPING})`,
  },
  'config.ScrapeConfig.scrape_failure_log_file': {
    status: 'difference',
    note: `\`run\` only; the Lambda functions log failed scrapes instead (${CONFIGURATION})`,
  },
  'config.ScrapeConfig.body_size_limit': {
    status: 'difference',
    note: `0 gets a memory-based ceiling in the Lambda functions (${SCRAPING})`,
  },
  'kubernetes.SDConfig.role': {
    status: 'difference',
    note: `listed every 60 s, not watched (${K8S_DIFFERENCES})`,
  },
  'kubernetes.SDConfig.api_server': {
    status: 'difference',
    note: `an absolute http(s) URL (${K8S_DIFFERENCES})`,
  },
  'kubernetes.SDConfig.kubeconfig_file': {
    status: 'difference',
    note: `credential plugins: only \`aws eks get-token\`, made natively (${K8S_DIFFERENCES})`,
  },
  'config.OAuth2.token_url': {
    status: 'difference',
    note: `a 401 drops the token; a token request gives up after 10 s (${OTHER_DIFFERENCES})`,
  },
  'config.TLSConfig.ca_file': { status: 'difference', note: `read once (${OTHER_DIFFERENCES})` },
  'config.TLSConfig.cert_file': { status: 'difference', note: `read once (${OTHER_DIFFERENCES})` },
  'config.TLSConfig.key_file': { status: 'difference', note: `read once (${OTHER_DIFFERENCES})` },
  'config.RemoteWriteConfig.name': {
    status: 'difference',
    note: `a generated name differs from Prometheus's (${OTHER_DIFFERENCES})`,
  },
  'config.RemoteWriteConfig.protobuf_message': {
    status: 'difference',
    note: `2.0 falls back to 1.0 on a 415 and stays there (${REMOTE_WRITE})`,
  },
  'config.RemoteWriteConfig.round_robin_dns': { status: 'unused', note: 'not implemented' },
  'config.RemoteWriteConfig.failed_request_logging': { status: 'unused', note: 'not implemented' },
  'config.QueueConfig.max_shards': {
    status: 'difference',
    note: `caps the requests in flight, at most 8 (${REMOTE_WRITE})`,
  },
  'config.QueueConfig.capacity': { status: 'unused', note: 'no in-memory queue' },
  'config.QueueConfig.min_shards': { status: 'unused', note: 'no shards' },
  'config.QueueConfig.batch_send_deadline': {
    status: 'unused',
    note: "each scrape's samples are sent as one unit",
  },
  'config.QueueConfig.sample_age_limit': { status: 'unused', note: 'not implemented' },
  'config.MetadataConfig.send_interval': {
    status: 'unused',
    note: 'metadata is sent with the samples',
  },
  ...Object.fromEntries(
    AWS_SERVICE_SD_KEYS.flatMap((key) => [
      [
        `${key.goType}.refresh_interval`,
        { status: 'difference', note: `0 is refused (${AWS_SERVICE_KEYS})` },
      ],
      ...(key.fields.has('request_concurrency')
        ? [
            [
              `${key.goType}.request_concurrency`,
              {
                status: 'difference',
                note: `one limit for every call of a refresh; 0 is refused (${AWS_SERVICE_KEYS})`,
              },
            ],
          ]
        : []),
    ]),
  ),
};

/** The goType of the mapping each block of the refusal table is read from. */
const REFUSAL_BLOCKS: Readonly<Record<UnsupportedBlock, string>> = {
  global: 'config.GlobalConfig',
  scrape_config: 'config.ScrapeConfig',
  remote_write: 'config.RemoteWriteConfig',
  ec2_sd_configs: EC2_GO_TYPE,
  aws_sd_configs: AWS_GO_TYPE,
  ...Object.fromEntries(AWS_SERVICE_SD_KEYS.map((key) => [key.name, key.goType])),
} as Readonly<Record<UnsupportedBlock, string>>;

const REF_NOTE = 'a secret manager reference: none is wired in (Prometheus wires none either)';
const UNSUPPORTED_SD_NOTE =
  'no such discovery here: entries are validated; a job with only these is an error unless skipped';

interface Source {
  readonly goType: string;
  readonly where: string;
  readonly fields: Iterable<string>[];
  readonly ignored?: string;
}

const section = (name: IgnoredSection) => `${name}: ${IGNORED_SECTIONS[name]}`;

/** The loader's mappings, in the order a reader meets them in prometheus.yml. */
function configSources(): Source[] {
  const job = [SCRAPE_FIELDS, HTTP_CLIENT_FIELDS, SD_CONFIGS_KEYS];
  return [
    { goType: 'config.Config', where: 'the file', fields: [TOP_LEVEL_FIELDS] },
    { goType: 'config.GlobalConfig', where: '`global`', fields: [GLOBAL_FIELDS] },
    {
      goType: 'config.ScrapeConfigs',
      where: 'a file of `scrape_config_files`',
      fields: [SCRAPE_CONFIG_FILE_FIELDS],
    },
    { goType: 'config.ScrapeConfig', where: '`scrape_configs[]`', fields: job },
    {
      goType: 'config.BasicAuth',
      where: '`basic_auth` of an HTTP client',
      fields: [BASIC_AUTH_FIELDS],
    },
    {
      goType: 'config.Authorization',
      where: '`authorization` of an HTTP client',
      fields: [AUTHORIZATION_FIELDS],
    },
    { goType: 'config.OAuth2', where: '`oauth2` of an HTTP client', fields: [OAUTH2_FIELDS] },
    {
      goType: 'config.TLSConfig',
      where: '`tls_config` (HTTP clients, oauth2, tracing, some SDs)',
      fields: [TLS_FIELDS],
    },
    {
      goType: 'config.Header',
      where: 'each entry of `http_headers`',
      fields: [HEADER_FIELDS],
    },
    {
      goType: 'relabel.Config',
      where: '`relabel_configs[]`, `metric_relabel_configs[]`, `write_relabel_configs[]`, …',
      fields: [RELABEL_FIELDS],
    },
    { goType: 'targetgroup.Group', where: '`static_configs[]`', fields: [STATIC_FIELDS] },
    { goType: 'file.SDConfig', where: '`file_sd_configs[]`', fields: [FILE_SD_FIELDS] },
    { goType: EC2_GO_TYPE, where: '`ec2_sd_configs[]`', fields: [EC2_FIELDS] },
    { goType: EC2_FILTER_GO_TYPE, where: '`filters[]` of EC2 SD', fields: [EC2_FILTER_FIELDS] },
    { goType: AWS_GO_TYPE, where: '`aws_sd_configs[]`', fields: [AWS_FIELDS] },
    ...AWS_SERVICE_SD_KEYS.map((key) => ({
      goType: key.goType,
      where: `\`${key.name}[]\``,
      fields: [key.fields],
    })),
    { goType: 'dns.SDConfig', where: '`dns_sd_configs[]`', fields: [DNS_FIELDS] },
    { goType: 'http.SDConfig', where: '`http_sd_configs[]`', fields: [HTTP_SD_FIELDS] },
    { goType: 'consul.SDConfig', where: '`consul_sd_configs[]`', fields: [CONSUL_FIELDS] },
    { goType: 'kubernetes.SDConfig', where: '`kubernetes_sd_configs[]`', fields: [K8S_FIELDS] },
    {
      goType: 'kubernetes.NamespaceDiscovery',
      where: '`namespaces` of Kubernetes SD',
      fields: [K8S_NAMESPACE_FIELDS],
    },
    {
      goType: 'kubernetes.SelectorConfig',
      where: '`selectors[]` of Kubernetes SD',
      fields: [K8S_SELECTOR_FIELDS],
    },
    {
      goType: 'kubernetes.AttachMetadataConfig',
      where: '`attach_metadata` of Kubernetes SD',
      fields: [K8S_ATTACH_FIELDS],
    },
    {
      goType: 'config.RemoteWriteConfig',
      where: '`remote_write[]`',
      fields: [REMOTE_WRITE_FIELDS],
    },
    {
      goType: 'config.QueueConfig',
      where: '`queue_config` of remote write',
      fields: [QUEUE_FIELDS],
    },
    {
      goType: 'config.MetadataConfig',
      where: '`metadata_config` of remote write',
      fields: [METADATA_FIELDS],
    },
    {
      goType: 'sigv4.SigV4Config',
      where: '`sigv4` of remote write (and of alertmanagers)',
      fields: [SIGV4_FIELDS],
    },
    {
      goType: 'config.AlertingConfig',
      where: '`alerting`',
      fields: [ALERTING_FIELDS],
      ignored: section('alerting'),
    },
    {
      goType: 'config.AlertmanagerConfig',
      where: '`alerting.alertmanagers[]`',
      fields: [ALERTMANAGER_FIELDS, HTTP_CLIENT_FIELDS, SD_CONFIGS_KEYS],
      ignored: section('alerting'),
    },
    {
      goType: 'config.RemoteReadConfig',
      where: '`remote_read[]`',
      fields: [REMOTE_READ_FIELDS],
      ignored: section('remote_read'),
    },
    {
      goType: 'config.RuntimeConfig',
      where: '`runtime`',
      fields: [RUNTIME_FIELDS],
      ignored: section('runtime'),
    },
    {
      goType: 'config.StorageConfig',
      where: '`storage`',
      fields: [STORAGE_FIELDS],
      ignored: section('storage'),
    },
    {
      goType: 'config.TSDBConfig',
      where: '`storage.tsdb`',
      fields: [TSDB_FIELDS],
      ignored: section('storage'),
    },
    {
      goType: 'config.ChunkEncodingConfig',
      where: '`storage.tsdb.chunk_encoding`',
      fields: [CHUNK_ENCODING_FIELDS],
      ignored: section('storage'),
    },
    {
      goType: 'config.TSDBRetentionConfig',
      where: '`storage.tsdb.retention`',
      fields: [RETENTION_FIELDS],
      ignored: section('storage'),
    },
    {
      goType: 'config.ExemplarsConfig',
      where: '`storage.exemplars`',
      fields: [EXEMPLARS_FIELDS],
      ignored: section('storage'),
    },
    {
      goType: 'config.TracingConfig',
      where: '`tracing`',
      fields: [TRACING_FIELDS],
      ignored: section('tracing'),
    },
    {
      goType: 'config.OTLPConfig',
      where: '`otlp`',
      fields: [OTLP_FIELDS],
      ignored: section('otlp'),
    },
  ];
}

/** The unimplemented mechanisms' tables (src/discovery/unsupported.ts), nested blocks included. */
export function mechanismSources(): Source[] {
  const out: Source[] = [];
  const visit = (block: Block, where: string) => {
    const fields: Iterable<string>[] = [Object.keys(block.fields)];
    if (block.httpClient === true) fields.push(HTTP_CLIENT_FIELDS);
    out.push({
      goType: block.goType,
      where,
      fields,
      ignored: 'lambdascrape has no such discovery mechanism yet',
    });
    for (const [name, type] of Object.entries(block.fields)) {
      if (typeof type === 'object')
        visit(type, `${where.slice(0, -1)}.${name}${type.list ? '[]' : ''}\``);
    }
  };
  for (const [key, block] of Object.entries(UNSUPPORTED_MECHANISMS)) visit(block, `\`${key}[]\``);
  return out;
}

function fieldEntry(source: Source, field: string): FieldEntry {
  const refusals = UNSUPPORTED_SETTINGS.filter(
    (s) => REFUSAL_BLOCKS[s.block] === source.goType && s.field === field,
  );
  if (refusals.length > 0) {
    const note = refusals
      .map((s) => (s.refuses === undefined ? s.why : `when ${s.what ?? s.field}: ${s.why}`))
      .join('; ');
    return { field, status: 'refused', note };
  }
  if (field.endsWith('_ref')) return { field, status: 'refused', note: REF_NOTE };
  if (source.ignored !== undefined) return { field, status: 'ignored', note: '' };
  if (source.goType === 'config.Config' && Object.hasOwn(IGNORED_SECTIONS, field)) {
    return { field, status: 'ignored', note: IGNORED_SECTIONS[field as IgnoredSection] };
  }
  if (Object.hasOwn(UNSUPPORTED_MECHANISMS, field)) {
    return { field, status: 'ignored', note: UNSUPPORTED_SD_NOTE };
  }
  const override = OVERRIDES[`${source.goType}.${field}`];
  if (override !== undefined) return { field, ...override };
  return { field, status: 'supported', note: '' };
}

/** Every mapping once (the first source of a goType names it), with its fields' statuses. */
export function catalogue(): StructEntry[] {
  const out: StructEntry[] = [];
  const seen = new Set<string>();
  for (const source of [...configSources(), ...mechanismSources()]) {
    if (seen.has(source.goType)) continue;
    seen.add(source.goType);
    const fields = [...new Set(source.fields.flatMap((set) => [...set]))];
    out.push({
      goType: source.goType,
      where: source.where,
      ...(source.ignored === undefined ? {} : { ignored: source.ignored }),
      fields: fields.map((field) => fieldEntry(source, field)),
    });
  }
  return out;
}

/** Every source, duplicates included, for the test's checks. */
export function allSources(): { goType: string; fields: Set<string> }[] {
  return [...configSources(), ...mechanismSources()].map((s) => ({
    goType: s.goType,
    fields: new Set(s.fields.flatMap((set) => [...set])),
  }));
}
