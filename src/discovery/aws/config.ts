/**
 * `aws_sd_configs` entries, read with the config loader's reader: the fields, Go type names and
 * wording of Prometheus's `aws.SDConfig` (discovery/aws/aws.go), at `file:line:col`.
 *
 * One flat list of fields serves every role; as in Prometheus, a field a role does not use is
 * accepted and ignored (`filters` outside ec2 and rds, `clusters` outside ecs, msk, rds and
 * elasticache), and `port: 0` or `refresh_interval: 0` mean the role's default.
 *
 * Differences from Prometheus, all refused at load time instead of failing at the first refresh:
 * - a role lambdascrape does not run (none now: every role of Prometheus runs), through the
 *   table of src/config/unsupported.ts;
 * - the inline HTTP client fields other than `follow_redirects` / `enable_http2`, as in
 *   ec2_sd_configs (the AWS SDK's HTTP client is used);
 * - `access_key` without `secret_key` or the reverse, `external_id` without `role_arn`, an
 *   `endpoint` that is not an http(s) URL, a `port` outside 0–65535, and (role ec2) a filter
 *   without a name or values (Prometheus checks none of these under aws_sd_configs).
 */
import { isMap, type Node } from 'yaml';
import { HTTP_CLIENT_FIELDS, parseHttpClientConfig } from '../../config/http-client.js';
import type { Secret } from '../../config/types.js';
import { refuseUnsupported } from '../../config/unsupported.js';
import type { YamlReader } from '../../config/yaml-reader.js';
import {
  type AwsCredentialsConfig,
  type Ec2Filter,
  type Ec2SdConfig,
  isHttpUrl,
  parseFilter,
} from '../ec2/index.js';

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

export const FIELDS: ReadonlySet<string> = new Set([
  'role',
  'region',
  'endpoint',
  'access_key',
  'secret_key',
  'profile',
  'role_arn',
  'external_id',
  'refresh_interval',
  'port',
  'filters',
  'clusters',
  ...HTTP_CLIENT_FIELDS,
]);

/** The fields every role reads. */
export interface AwsCommonConfig extends AwsCredentialsConfig {
  /** undefined: the AWS SDK's default region chain decides. */
  readonly region: string | undefined;
  /** The service's endpoint (ECS for `ecs`, EC2 for `ec2`); undefined: the SDK's. */
  readonly endpoint: string | undefined;
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
  const errorsBefore = reader.errors.length;
  // The type name written out: the config-fields catalogue finds struct() calls by it.
  const s = reader.struct(node, 'aws.SDConfig', FIELDS);
  if (s === undefined) return undefined;
  parseHttpClientConfig(s, { enableHttp2: true });
  // The HTTP client fields other than follow_redirects and enable_http2, and the roles that do
  // not run yet (src/config/unsupported.ts).
  refuseUnsupported(
    s,
    'aws_sd_configs',
    options.lackingRoles === 'validate' ? (setting) => setting.field === 'role' : undefined,
  );
  const role = s.string('role') ?? '';
  const text = (key: string) => s.string(key) || undefined;
  const region = text('region');
  const endpoint = text('endpoint');
  const accessKey = text('access_key');
  const secretKey: Secret | undefined = s.secret('secret_key');
  const profile = text('profile');
  const roleArn = text('role_arn');
  const externalId = text('external_id');
  const interval = s.duration('refresh_interval');
  const port = s.integer('port', 'int');
  const clusters = s.stringList('clusters') ?? [];
  const filters: Ec2Filter[] = [];
  for (const item of reader.items(s.value('filters'), '[]*aws.Filter') ?? []) {
    // Checked for every role (a mistyped filter is a mistake wherever it is); used by ec2.
    const filter = parseFilter(reader, item.value ?? item.at);
    if (filter !== undefined) filters.push(filter);
  }
  if (reader.errors.length > errorsBefore) return undefined;

  if (!isRole(role)) {
    // Prometheus's wording, for a missing role too.
    s.fail(s.has('role') ? 'role' : undefined, `unknown AWS SD role ${JSON.stringify(role)}`);
  } else if ((accessKey === undefined) !== (secretKey === undefined)) {
    s.fail(
      accessKey === undefined ? 'secret_key' : 'access_key',
      'access_key and secret_key must be set together',
    );
  } else if (endpoint !== undefined && !isHttpUrl(endpoint)) {
    s.fail('endpoint', `endpoint ${JSON.stringify(endpoint)} is not an http or https URL`);
  } else if (externalId !== undefined && roleArn === undefined) {
    s.fail('external_id', 'external_id requires role_arn');
  } else if (port !== undefined && (port < 0 || port > 65535)) {
    s.fail('port', `port ${port} is out of range 0-65535`);
  }
  if (reader.errors.length > errorsBefore) return undefined;

  const common: AwsCommonConfig = {
    region,
    endpoint,
    accessKey,
    secretKey,
    profile,
    roleArn,
    externalId,
    // 0 keeps the role's default, as in Prometheus (`if c.RefreshInterval != 0`).
    refreshIntervalMs:
      interval === undefined || interval === 0 ? DEFAULT_AWS_SD_REFRESH_INTERVAL : interval,
    port: port === undefined || port === 0 ? DEFAULT_AWS_SD_PORT : port,
  };
  switch (role) {
    case 'ecs':
      return { role, ecs: { ...common, clusters } };
    case 'ec2':
      return { role, ec2: { ...common, filters } };
    case 'elasticache':
      return { role, elasticache: { ...common, clusters } };
    case 'lightsail':
      return { role, lightsail: common };
    case 'msk':
      return { role, msk: { ...common, clusters } };
    case 'rds':
      return { role, rds: { ...common, clusters, filters } };
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
