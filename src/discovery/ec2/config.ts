/**
 * `ec2_sd_configs` entries (§10.5), read with the config loader's reader: Prometheus's fields,
 * Go type names and wording (`field x not found in type aws.EC2SDConfig`), at `file:line:col`.
 *
 * Differences from Prometheus, all rejected at load time instead of failing at the first refresh:
 * - the inline HTTP client fields other than `follow_redirects` / `enable_http2` (lambdascrape
 *   calls EC2 through the AWS SDK's own HTTP client, which they cannot configure); they are
 *   still read with the loader's HTTP client parser first, so a mistyped one reads as anywhere
 *   else;
 * - `access_key` without `secret_key` or the reverse;
 * - a filter without a `name`; an `endpoint` that is not an http(s) URL; `refresh_interval: 0`;
 *   a `port` outside 0–65535.
 *
 * The connection fields and their rules ({@link readAwsConnection}, {@link checkAwsConnection})
 * and the filters are shared with aws_sd_configs and the per-service AWS keys
 * (src/discovery/aws/config.ts).
 */
import type { Node } from 'yaml';
import { HTTP_CLIENT_FIELDS, parseHttpClientConfig } from '../../config/http-client.js';
import type { Secret } from '../../config/types.js';
import {
  refuseUnsupported,
  type UnsupportedBlock,
  type UnsupportedSetting,
} from '../../config/unsupported.js';
import type { Struct, YamlReader } from '../../config/yaml-reader.js';

/** `refresh_interval` default (§10.5), ms. */
export const DEFAULT_EC2_SD_REFRESH_INTERVAL = 60_000;
/** `port` default (§10.5). */
export const DEFAULT_EC2_SD_PORT = 80;

export interface Ec2Filter {
  readonly name: string;
  /** Never empty (§10.5). */
  readonly values: readonly string[];
}

/**
 * Where and as whom an AWS discovery entry calls AWS: the fields every AWS key shares
 * (ec2_sd_configs, aws_sd_configs and the per-service keys such as ecs_sd_configs).
 */
export interface AwsConnectionConfig {
  /** undefined: the AWS SDK's default region chain decides (see the discoverers). */
  readonly region: string | undefined;
  /** The service's endpoint; undefined: the SDK's. */
  readonly endpoint: string | undefined;
  readonly accessKey: string | undefined;
  readonly secretKey: Secret | undefined;
  readonly profile: string | undefined;
  readonly roleArn: string | undefined;
  readonly externalId: string | undefined;
}

export interface Ec2SdConfig extends AwsConnectionConfig {
  readonly refreshIntervalMs: number;
  readonly port: number;
  /** Passed verbatim as DescribeInstances filters (server-side). */
  readonly filters: readonly Ec2Filter[];
}

export const GO_TYPE = 'aws.EC2SDConfig';
export const FILTER_GO_TYPE = 'aws.Filter';

/** The fields of {@link readAwsConnection} (besides the inline HTTP client's). */
export const AWS_CONNECTION_FIELDS: readonly string[] = [
  'region',
  'endpoint',
  'access_key',
  'secret_key',
  'profile',
  'role_arn',
  'external_id',
  'refresh_interval',
  'port',
];

export const FIELDS: ReadonlySet<string> = new Set([
  ...AWS_CONNECTION_FIELDS,
  'filters',
  ...HTTP_CLIENT_FIELDS,
]);
export const FILTER_FIELDS: ReadonlySet<string> = new Set(['name', 'values']);

/** What {@link readAwsConnection} reads: the connection, and the two timing fields as written. */
export interface AwsConnectionFields extends AwsConnectionConfig {
  /** ms; undefined when not written. */
  readonly refreshInterval: number | undefined;
  readonly port: number | undefined;
}

/**
 * Reads the fields every AWS key shares ({@link AWS_CONNECTION_FIELDS}, {@link HTTP_CLIENT_FIELDS}) from an entry: the
 * inline HTTP client fields with the loader's parser, those `block` refuses through the table of
 * src/config/unsupported.ts (all but follow_redirects and enable_http2, the AWS SDK's HTTP client
 * being used), then the connection. Type errors are recorded on `s`; see
 * {@link checkAwsConnection} for the rules between the fields.
 */
export function readAwsConnection(
  s: Struct,
  block: UnsupportedBlock,
  /** Settings of the table the caller handles itself. */
  except?: (setting: UnsupportedSetting) => boolean,
): AwsConnectionFields {
  parseHttpClientConfig(s, { enableHttp2: true });
  refuseUnsupported(s, block, except);
  const text = (key: string) => s.string(key) || undefined;
  return {
    region: text('region'),
    endpoint: text('endpoint'),
    accessKey: text('access_key'),
    secretKey: s.secret('secret_key'),
    profile: text('profile'),
    roleArn: text('role_arn'),
    externalId: text('external_id'),
    refreshInterval: s.duration('refresh_interval'),
    port: s.integer('port', 'int'),
  };
}

/**
 * The rules every AWS key refuses at load time (Prometheus checks none of them; a mistake
 * would fail at the first refresh): `access_key` without `secret_key` or the reverse, an
 * `endpoint` that is not an http(s) URL, `external_id` without `role_arn`, a `port` outside
 * 0–65535. Records the first broken one on `s` (never with the secret key's value); returns
 * whether none is.
 */
export function checkAwsConnection(s: Struct, c: AwsConnectionFields): boolean {
  if ((c.accessKey === undefined) !== (c.secretKey === undefined)) {
    s.fail(
      c.accessKey === undefined ? 'secret_key' : 'access_key',
      'access_key and secret_key must be set together',
    );
  } else if (c.endpoint !== undefined && !isHttpUrl(c.endpoint)) {
    s.fail('endpoint', `endpoint ${JSON.stringify(c.endpoint)} is not an http or https URL`);
  } else if (c.externalId !== undefined && c.roleArn === undefined) {
    s.fail('external_id', 'external_id requires role_arn');
  } else if (c.port !== undefined && (c.port < 0 || c.port > 65535)) {
    s.fail('port', `port ${c.port} is out of range 0-65535`);
  } else {
    return true;
  }
  return false;
}

/** The connection alone, without the timing fields. */
export function awsConnection({
  refreshInterval: _interval,
  port: _port,
  ...connection
}: AwsConnectionFields): AwsConnectionConfig {
  return connection;
}

/**
 * Reads one `ec2_sd_configs` entry. Problems are recorded on `reader` as `file:line:col: message`
 * (never with the secret key's value) and give undefined.
 */
export function parseEc2SdConfig(reader: YamlReader, node: Node): Ec2SdConfig | undefined {
  const errorsBefore = reader.errors.length;
  const s = reader.struct(node, GO_TYPE, FIELDS);
  if (s === undefined) return undefined;
  const c = readAwsConnection(s, 'ec2_sd_configs');
  const filters = parseFilters(reader, s);
  if (reader.errors.length > errorsBefore || !checkAwsConnection(s, c)) return undefined;
  if (c.refreshInterval === 0) {
    s.fail('refresh_interval', 'refresh_interval must be greater than 0');
    return undefined;
  }
  return {
    ...awsConnection(c),
    refreshIntervalMs: c.refreshInterval ?? DEFAULT_EC2_SD_REFRESH_INTERVAL,
    port: c.port ?? DEFAULT_EC2_SD_PORT,
    filters,
  };
}

/** The entry's `filters` list (`[]*aws.Filter`); a bad item is recorded and left out. */
export function parseFilters(reader: YamlReader, s: Struct): Ec2Filter[] {
  const filters: Ec2Filter[] = [];
  for (const item of reader.items(s.value('filters'), `[]*${FILTER_GO_TYPE}`) ?? []) {
    const filter = parseFilter(reader, item.value ?? item.at);
    if (filter !== undefined) filters.push(filter);
  }
  return filters;
}

/** Whether `text` is an http or https URL (the `endpoint` rule, shared with aws_sd_configs). */
export function isHttpUrl(text: string): boolean {
  if (!URL.canParse(text)) return false;
  const { protocol } = new URL(text);
  return protocol === 'http:' || protocol === 'https:';
}

/**
 * One `filters` item (`aws.Filter`): a name and at least one value. Shared with
 * aws_sd_configs (`role: ec2`), whose filters are the same list.
 */
export function parseFilter(reader: YamlReader, node: Node): Ec2Filter | undefined {
  const errorsBefore = reader.errors.length;
  const s = reader.struct(node, FILTER_GO_TYPE, FILTER_FIELDS);
  if (s === undefined) return undefined;
  const name = s.string('name') ?? '';
  const values = s.stringList('values') ?? [];
  if (reader.errors.length > errorsBefore) return undefined;
  // §10.5, Prometheus's wording.
  if (name === '') {
    s.fail(s.has('name') ? 'name' : undefined, 'ec2 SD configuration filter name cannot be empty');
    return undefined;
  }
  if (values.length === 0) {
    s.fail(
      s.has('values') ? 'values' : undefined,
      'ec2 SD configuration filter values cannot be empty',
    );
    return undefined;
  }
  return { name, values };
}
