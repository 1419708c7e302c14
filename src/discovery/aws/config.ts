/**
 * AWS discovery entries, read with the config loader's reader at `file:line:col`, under two
 * kinds of key that give the same {@link AwsSdConfig} (so discoverers, IAM and everything
 * downstream are the role's whichever key an entry is written under):
 * - `aws_sd_configs`: Prometheus's `aws.SDConfig` (discovery/aws/aws.go), one entry per `role`;
 * - the per-service keys of Prometheus's discovery/aws/*.go, one role each, with their Go
 *   struct's fields and no `role`: `ecs_sd_configs` (`aws.ECSSDConfig`), `elasticache_sd_configs`
 *   (`aws.ElasticacheSDConfig`), `lightsail_sd_configs` (`aws.LightsailSDConfig`, no `clusters`),
 *   `msk_sd_configs` (`aws.MSKSDConfig`), `rds_sd_configs` (`aws.RDSSDConfig`, the only one with
 *   `filters`).
 *
 * Under aws_sd_configs one flat list of fields serves every role; as in Prometheus, a field a
 * role does not use is accepted and ignored (`filters` outside ec2 and rds, `clusters` outside
 * ecs, msk, rds and elasticache), `port: 0` or `refresh_interval: 0` mean the role's default,
 * and `request_concurrency` is no field (the role's default applies). Under a per-service key,
 * as in Prometheus, `port: 0` is port 0 and `request_concurrency` (ecs, elasticache, msk, rds)
 * sets the requests in flight per refresh, a negative value meaning no limit.
 *
 * Differences from Prometheus, all refused at load time instead of failing at the first refresh:
 * - a role lambdascrape does not run (none now: every role of Prometheus runs), through the
 *   table of src/config/unsupported.ts;
 * - the inline HTTP client fields other than `follow_redirects` / `enable_http2`, as in
 *   ec2_sd_configs (the AWS SDK's HTTP client is used);
 * - `access_key` without `secret_key` or the reverse, `external_id` without `role_arn`, an
 *   `endpoint` that is not an http(s) URL, a `port` outside 0–65535, and (roles ec2 and rds) a
 *   filter without a name or values (Prometheus checks none of these);
 * - under a per-service key, `refresh_interval: 0` (Prometheus's refresh loop panics on it) and
 *   `request_concurrency: 0` (Prometheus's refresh then waits forever).
 */
import { isMap, type Node } from 'yaml';
import { HTTP_CLIENT_FIELDS } from '../../config/http-client.js';
import type { YamlReader } from '../../config/yaml-reader.js';
import {
  AWS_CONNECTION_FIELDS,
  type AwsConnectionConfig,
  awsConnection,
  checkAwsConnection,
  type Ec2Filter,
  type Ec2SdConfig,
  parseFilters,
  readAwsConnection,
} from '../ec2/config.js';

export const GO_TYPE = 'aws.SDConfig';

/** Every role of Prometheus's aws_sd_configs. */
export const AWS_SD_ROLES = ['ec2', 'ecs', 'elasticache', 'lightsail', 'msk', 'rds'] as const;
export type AwsSdRole = (typeof AWS_SD_ROLES)[number];

/** The roles lambdascrape runs; the others are refused (src/config/unsupported.ts). */
export const RUNNING_AWS_SD_ROLES: readonly AwsSdRole[] = [
  'ecs',
  'ec2',
  'elasticache',
  'lightsail',
  'msk',
  'rds',
];

/** The roles of Prometheus's aws_sd_configs lambdascrape does not run yet (none now). */
export const LACKING_AWS_SD_ROLES: readonly AwsSdRole[] = AWS_SD_ROLES.filter(
  (role) => !RUNNING_AWS_SD_ROLES.includes(role),
);

/**
 * `role: <role>` when the entry's role is one lambdascrape lacks, else undefined (an entry
 * that is no map, or whose role is not a known one, is left to {@link parseAwsSdConfig}).
 */
export function lackingAwsSdRole(node: Node): string | undefined {
  if (!isMap(node)) return undefined;
  const role = node.get('role');
  return typeof role === 'string' && (LACKING_AWS_SD_ROLES as readonly string[]).includes(role)
    ? `role: ${role}`
    : undefined;
}

/** Defaults of every role (Prometheus's `Default<Role>SDConfig`). */
export const DEFAULT_AWS_SD_REFRESH_INTERVAL = 60_000;
export const DEFAULT_AWS_SD_PORT = 80;

/**
 * Requests in flight per refresh when `request_concurrency` is not written (always under
 * aws_sd_configs): Prometheus's `Default<Role>SDConfig`. The ec2 and lightsail roles make their
 * calls one after another.
 */
export const DEFAULT_REQUEST_CONCURRENCY = { ecs: 20, elasticache: 10, msk: 10, rds: 10 } as const;

export const FIELDS: ReadonlySet<string> = new Set([
  'role',
  ...AWS_CONNECTION_FIELDS,
  'filters',
  'clusters',
  ...HTTP_CLIENT_FIELDS,
]);

/** The fields every role reads. */
export interface AwsCommonConfig extends AwsConnectionConfig {
  readonly refreshIntervalMs: number;
  readonly port: number;
}

/** The config of the rds role: clusters and the filters of DescribeDBInstances. */
export interface RdsSdConfig extends EcsSdConfig {
  readonly filters: readonly Ec2Filter[];
}

/** The config of a role that reads clusters (ecs, msk; elasticache: ARNs). */
export interface EcsSdConfig extends AwsCommonConfig {
  /** Cluster names or ARNs (msk: ARNs); empty: every cluster of the region. */
  readonly clusters: readonly string[];
  /** Requests in flight per refresh, at least 1; `Infinity`: no limit. */
  readonly requestConcurrency: number;
}

export type AwsSdConfig =
  | { readonly role: 'ecs'; readonly ecs: EcsSdConfig }
  | { readonly role: 'ec2'; readonly ec2: Ec2SdConfig }
  | { readonly role: 'elasticache'; readonly elasticache: EcsSdConfig }
  | { readonly role: 'lightsail'; readonly lightsail: AwsCommonConfig }
  | { readonly role: 'msk'; readonly msk: EcsSdConfig }
  | { readonly role: 'rds'; readonly rds: RdsSdConfig };

function isRole(text: string): text is AwsSdRole {
  return (AWS_SD_ROLES as readonly string[]).includes(text);
}

/** A scrape_config key whose entries are read into {@link AwsSdConfig}. */
export interface AwsSdKey {
  readonly name:
    | 'aws_sd_configs'
    | 'ecs_sd_configs'
    | 'elasticache_sd_configs'
    | 'lightsail_sd_configs'
    | 'msk_sd_configs'
    | 'rds_sd_configs';
  /** Prometheus's Go type of an entry, as the loader's messages name it. */
  readonly goType: string;
  readonly fields: ReadonlySet<string>;
  /** The key's one role; undefined: each entry's `role` field (aws_sd_configs). */
  readonly role?: AwsSdRole;
}

export const AWS_SD_KEY: AwsSdKey = { name: 'aws_sd_configs', goType: GO_TYPE, fields: FIELDS };

const serviceKey = (
  name: AwsSdKey['name'],
  goType: string,
  role: AwsSdRole,
  ...own: string[]
): AwsSdKey => ({
  name,
  goType,
  role,
  fields: new Set([...AWS_CONNECTION_FIELDS, ...own, ...HTTP_CLIENT_FIELDS]),
});

/** The per-service keys, with the fields of their Go structs. */
export const AWS_SERVICE_SD_KEYS: readonly AwsSdKey[] = [
  serviceKey('ecs_sd_configs', 'aws.ECSSDConfig', 'ecs', 'clusters', 'request_concurrency'),
  serviceKey(
    'elasticache_sd_configs',
    'aws.ElasticacheSDConfig',
    'elasticache',
    'clusters',
    'request_concurrency',
  ),
  serviceKey('lightsail_sd_configs', 'aws.LightsailSDConfig', 'lightsail'),
  serviceKey('msk_sd_configs', 'aws.MSKSDConfig', 'msk', 'clusters', 'request_concurrency'),
  serviceKey(
    'rds_sd_configs',
    'aws.RDSSDConfig',
    'rds',
    'clusters',
    'filters',
    'request_concurrency',
  ),
];

/** A per-service key's config reader: the `parse` of its mechanism, and of parsers.ts. */
export interface AwsServiceSdReader {
  readonly name: AwsSdKey['name'];
  parse(reader: YamlReader, node: Node): AwsSdConfig | undefined;
}

export const AWS_SERVICE_SD_READERS: readonly AwsServiceSdReader[] = AWS_SERVICE_SD_KEYS.map(
  (key) => ({ name: key.name, parse: (reader, node) => parseAwsSdEntry(reader, node, key) }),
);

export interface AwsSdParseOptions {
  /**
   * `validate`: an entry of a role lambdascrape lacks ({@link lackingAwsSdRole}) is checked
   * field by field and gives undefined without an error (the discovery check decides what
   * becomes of its job). @default `refuse`: such an entry is an error
   */
  readonly lackingRoles?: 'refuse' | 'validate';
}

/**
 * Reads one `aws_sd_configs` entry. Problems are recorded on `reader` as `file:line:col: message`
 * (never with the secret key's value) and give undefined.
 */
export function parseAwsSdConfig(
  reader: YamlReader,
  node: Node,
  options: AwsSdParseOptions = {},
): AwsSdConfig | undefined {
  return parseAwsSdEntry(reader, node, AWS_SD_KEY, options);
}

/** Reads one entry of `key` (see the file comment for what differs between the keys). */
function parseAwsSdEntry(
  reader: YamlReader,
  node: Node,
  key: AwsSdKey,
  options: AwsSdParseOptions = {},
): AwsSdConfig | undefined {
  const errorsBefore = reader.errors.length;
  // key.goType is one of the keys' Go types: test/config/config-fields-doc.test.ts lists them.
  const s = reader.struct(node, key.goType, key.fields);
  if (s === undefined) return undefined;
  // The roles that do not run yet are refused through the table too, unless validated only.
  const c = readAwsConnection(
    s,
    key.name,
    options.lackingRoles === 'validate' ? (setting) => setting.field === 'role' : undefined,
  );
  const role = key.role ?? s.string('role') ?? '';
  const clusters = s.stringList('clusters') ?? [];
  // Checked for every role (a mistyped filter is a mistake wherever it is); used by ec2 and rds.
  const filters = parseFilters(reader, s);
  const concurrency = s.integer('request_concurrency', 'int');
  if (reader.errors.length > errorsBefore) return undefined;

  if (!isRole(role)) {
    // Prometheus's wording, for a missing role too.
    s.fail(s.has('role') ? 'role' : undefined, `unknown AWS SD role ${JSON.stringify(role)}`);
    return undefined;
  }
  if (!checkAwsConnection(s, c)) return undefined;
  // Under aws_sd_configs 0 keeps the role's default, as in Prometheus (`if c.Port != 0`).
  const zeroIsDefault = key.role === undefined;
  if (!zeroIsDefault && c.refreshInterval === 0) {
    s.fail('refresh_interval', 'refresh_interval must be greater than 0');
    return undefined;
  }
  if (concurrency === 0) {
    s.fail(
      'request_concurrency',
      'request_concurrency must not be 0 (at least 1, or negative for no limit)',
    );
    return undefined;
  }

  const common: AwsCommonConfig = {
    ...awsConnection(c),
    refreshIntervalMs:
      c.refreshInterval === undefined || c.refreshInterval === 0
        ? DEFAULT_AWS_SD_REFRESH_INTERVAL
        : c.refreshInterval,
    port: c.port === undefined || (c.port === 0 && zeroIsDefault) ? DEFAULT_AWS_SD_PORT : c.port,
  };
  const inFlight = (defaultConcurrency: number) => ({
    ...common,
    clusters,
    requestConcurrency:
      concurrency === undefined ? defaultConcurrency : concurrency < 0 ? Infinity : concurrency,
  });
  switch (role) {
    case 'ecs':
      return { role, ecs: inFlight(DEFAULT_REQUEST_CONCURRENCY.ecs) };
    case 'ec2':
      return { role, ec2: { ...common, filters } };
    case 'elasticache':
      return { role, elasticache: inFlight(DEFAULT_REQUEST_CONCURRENCY.elasticache) };
    case 'lightsail':
      return { role, lightsail: common };
    case 'msk':
      return { role, msk: inFlight(DEFAULT_REQUEST_CONCURRENCY.msk) };
    case 'rds':
      return { role, rds: { ...inFlight(DEFAULT_REQUEST_CONCURRENCY.rds), filters } };
    default:
      if (options.lackingRoles === 'validate') return undefined;
      // Refused above through the unsupported table; this keeps an entry from being dropped
      // silently should the table and RUNNING_AWS_SD_ROLES ever disagree.
      s.fail('role', `role: ${role} in aws_sd_configs is not supported by lambdascrape`);
      return undefined;
  }
}

/** Checks an entry of a role lambdascrape lacks field by field (no error for the role itself). */
export function validateLackingAwsSdConfig(reader: YamlReader, node: Node): void {
  parseAwsSdConfig(reader, node, { lackingRoles: 'validate' });
}
