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
 */
import type { Node } from 'yaml';
import { HTTP_CLIENT_FIELDS, parseHttpClientConfig } from '../../config/http-client.js';
import type { Secret } from '../../config/types.js';
import { refuseUnsupported } from '../../config/unsupported.js';
import type { YamlReader } from '../../config/yaml-reader.js';

/** `refresh_interval` default (§10.5), ms. */
export const DEFAULT_EC2_SD_REFRESH_INTERVAL = 60_000;
/** `port` default (§10.5). */
export const DEFAULT_EC2_SD_PORT = 80;

export interface Ec2Filter {
  readonly name: string;
  /** Never empty (§10.5). */
  readonly values: readonly string[];
}

export interface Ec2SdConfig {
  /** undefined: the AWS SDK's default region chain decides (see the discoverer). */
  readonly region: string | undefined;
  readonly endpoint: string | undefined;
  readonly accessKey: string | undefined;
  readonly secretKey: Secret | undefined;
  readonly profile: string | undefined;
  readonly roleArn: string | undefined;
  readonly externalId: string | undefined;
  readonly refreshIntervalMs: number;
  readonly port: number;
  /** Passed verbatim as DescribeInstances filters (server-side). */
  readonly filters: readonly Ec2Filter[];
}

export const GO_TYPE = 'aws.EC2SDConfig';
export const FILTER_GO_TYPE = 'aws.Filter';

export const FIELDS: ReadonlySet<string> = new Set([
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
  ...HTTP_CLIENT_FIELDS,
]);
export const FILTER_FIELDS: ReadonlySet<string> = new Set(['name', 'values']);

/**
 * Reads one `ec2_sd_configs` entry. Problems are recorded on `reader` as `file:line:col: message`
 * (never with the secret key's value) and give undefined.
 */
export function parseEc2SdConfig(reader: YamlReader, node: Node): Ec2SdConfig | undefined {
  const errorsBefore = reader.errors.length;
  const s = reader.struct(node, GO_TYPE, FIELDS);
  if (s === undefined) return undefined;
  parseHttpClientConfig(s, { enableHttp2: true });
  // The HTTP client fields other than follow_redirects and enable_http2 (src/config/unsupported.ts).
  refuseUnsupported(s, 'ec2_sd_configs');
  const text = (key: string) => s.string(key) || undefined;
  const region = text('region');
  const endpoint = text('endpoint');
  const accessKey = text('access_key');
  const secretKey = s.secret('secret_key');
  const profile = text('profile');
  const roleArn = text('role_arn');
  const externalId = text('external_id');
  const interval = s.duration('refresh_interval');
  const port = s.integer('port', 'int') ?? DEFAULT_EC2_SD_PORT;
  const filters: Ec2Filter[] = [];
  for (const item of reader.items(s.value('filters'), `[]*${FILTER_GO_TYPE}`) ?? []) {
    const filter = parseFilter(reader, item.value ?? item.at);
    if (filter !== undefined) filters.push(filter);
  }
  if (reader.errors.length > errorsBefore) return undefined;

  if ((accessKey === undefined) !== (secretKey === undefined)) {
    s.fail(
      accessKey === undefined ? 'secret_key' : 'access_key',
      'access_key and secret_key must be set together',
    );
  } else if (endpoint !== undefined && !isHttpUrl(endpoint)) {
    s.fail('endpoint', `endpoint ${JSON.stringify(endpoint)} is not an http or https URL`);
  } else if (externalId !== undefined && roleArn === undefined) {
    s.fail('external_id', 'external_id requires role_arn');
  } else if (interval === 0) {
    s.fail('refresh_interval', 'refresh_interval must be greater than 0');
  } else if (port < 0 || port > 65535) {
    s.fail('port', `port ${port} is out of range 0-65535`);
  }
  if (reader.errors.length > errorsBefore) return undefined;
  return {
    region,
    endpoint,
    accessKey,
    secretKey,
    profile,
    roleArn,
    externalId,
    refreshIntervalMs: interval ?? DEFAULT_EC2_SD_REFRESH_INTERVAL,
    port,
    filters,
  };
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
