/**
 * `ec2_sd_configs` entries (§10.5). The config loader carries them as plain data
 * (`ScrapeConfig.otherSdConfigs`); this module validates one entry with Prometheus's rules and
 * wording (`field x not found in type aws.EC2SDConfig`), prefixed with where the entry is.
 *
 * Differences from Prometheus, all rejected at load time instead of failing at the first refresh:
 * - the inline HTTP client fields other than `follow_redirects` / `enable_http2` (lambdascrape
 *   calls EC2 through the AWS SDK's own HTTP client, which they cannot configure);
 * - `access_key` without `secret_key` or the reverse;
 * - a filter without a `name`; an `endpoint` that is not an http(s) URL; `refresh_interval: 0`;
 *   a `port` outside 0–65535.
 */
import { parseDuration } from '../../config/duration.js';
import { createSecret } from '../../config/secret.js';
import type { Secret } from '../../config/types.js';
import { Ec2SdError, Ec2SdErrorCode } from './error.js';

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

const GO_TYPE = 'aws.EC2SDConfig';
const FILTER_GO_TYPE = 'aws.Filter';

const STRING_FIELDS = {
  region: 'region',
  endpoint: 'endpoint',
  access_key: 'accessKey',
  profile: 'profile',
  role_arn: 'roleArn',
  external_id: 'externalId',
} as const;

/** Inline HTTP client fields Prometheus accepts in an EC2 SD config but that do nothing here. */
const IGNORED_HTTP_FIELDS = new Set(['follow_redirects', 'enable_http2']);
/** Inline HTTP client fields Prometheus accepts but lambdascrape cannot honour: rejected. */
export const UNSUPPORTED_HTTP_FIELDS: ReadonlySet<string> = new Set([
  'basic_auth',
  'authorization',
  'oauth2',
  'bearer_token',
  'bearer_token_file',
  'tls_config',
  'proxy_url',
  'no_proxy',
  'proxy_from_environment',
  'proxy_connect_header',
  'http_headers',
]);

const KNOWN_FIELDS = new Set([
  ...Object.keys(STRING_FIELDS),
  'secret_key',
  'refresh_interval',
  'port',
  'filters',
  ...IGNORED_HTTP_FIELDS,
  ...UNSUPPORTED_HTTP_FIELDS,
]);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** YAML kind of a plain value, for Go-like type errors. */
function yamlKind(value: unknown): string {
  if (Array.isArray(value)) return '!!seq';
  if (isRecord(value)) return '!!map';
  if (typeof value === 'number') return Number.isInteger(value) ? '!!int' : '!!float';
  if (typeof value === 'boolean') return '!!bool';
  return '!!str';
}

/**
 * Validates one raw `ec2_sd_configs` entry. `where` (e.g. `job "node" ec2_sd_configs[0]`) starts
 * every error message. Throws {@link Ec2SdError} with code `EC2_SD_INVALID_CONFIG`.
 */
export function parseEc2SdConfig(raw: unknown, where: string): Ec2SdConfig {
  const fail = (message: string): never => {
    throw new Ec2SdError(Ec2SdErrorCode.config, `${where}: ${message}`);
  };
  if (raw === null || raw === undefined) fail('empty or null section in ec2_sd_configs');
  if (!isRecord(raw)) fail(`cannot unmarshal ${yamlKind(raw)} into ${GO_TYPE}`);
  const entry = raw as Record<string, unknown>;
  for (const key of Object.keys(entry)) {
    if (!KNOWN_FIELDS.has(key)) fail(`field ${key} not found in type ${GO_TYPE}`);
  }
  for (const key of Object.keys(entry)) {
    if (UNSUPPORTED_HTTP_FIELDS.has(key) && entry[key] !== null && entry[key] !== undefined) {
      fail(
        `${key} is not supported in ec2_sd_configs: lambdascrape calls the EC2 API through the AWS SDK's HTTP client, which it cannot configure (only follow_redirects and enable_http2 are accepted, and ignored)`,
      );
    }
  }

  for (const key of IGNORED_HTTP_FIELDS) {
    const value = entry[key];
    if (value !== null && value !== undefined && typeof value !== 'boolean') {
      fail(`cannot unmarshal ${yamlKind(value)} into ${key} (bool)`);
    }
  }

  // Go yaml decodes any scalar into a string field; a mapping or list is a type error.
  const str = (key: string, secret = false): string | undefined => {
    const value = entry[key];
    if (value === null || value === undefined) return undefined;
    if (typeof value === 'string') return value === '' ? undefined : value;
    if (typeof value === 'number' || typeof value === 'boolean') return String(value);
    // The message names the field and the YAML kind only, never the value (secret_key).
    return fail(
      `cannot unmarshal ${yamlKind(value)} into ${key} (${secret ? 'config.Secret' : 'string'})`,
    );
  };

  const strings: Record<(typeof STRING_FIELDS)[keyof typeof STRING_FIELDS], string | undefined> = {
    region: undefined,
    endpoint: undefined,
    accessKey: undefined,
    profile: undefined,
    roleArn: undefined,
    externalId: undefined,
  };
  for (const [key, field] of Object.entries(STRING_FIELDS)) strings[field] = str(key);
  const secretText = str('secret_key', true);

  if ((strings.accessKey === undefined) !== (secretText === undefined)) {
    fail('access_key and secret_key must be set together');
  }
  if (strings.endpoint !== undefined) {
    let url: URL | undefined;
    try {
      url = new URL(strings.endpoint);
    } catch {
      url = undefined;
    }
    if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
      fail(`endpoint ${JSON.stringify(strings.endpoint)} is not an http or https URL`);
    }
  }
  if (strings.externalId !== undefined && strings.roleArn === undefined) {
    fail('external_id requires role_arn');
  }

  let refreshIntervalMs = DEFAULT_EC2_SD_REFRESH_INTERVAL;
  const interval = entry.refresh_interval;
  if (interval !== null && interval !== undefined) {
    const text = typeof interval === 'number' ? String(interval) : interval;
    if (typeof text !== 'string') {
      fail(`cannot unmarshal ${yamlKind(interval)} into refresh_interval (model.Duration)`);
    }
    try {
      refreshIntervalMs = parseDuration(text as string);
    } catch (err) {
      fail(`refresh_interval: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (refreshIntervalMs === 0) fail('refresh_interval must be greater than 0');
  }

  let port = DEFAULT_EC2_SD_PORT;
  const rawPort = entry.port;
  if (rawPort !== null && rawPort !== undefined) {
    if (typeof rawPort !== 'number' || !Number.isInteger(rawPort)) {
      fail(`cannot unmarshal ${yamlKind(rawPort)} into port (int)`);
    }
    port = rawPort as number;
    if (port < 0 || port > 65535) fail(`port ${port} is out of range 0-65535`);
  }

  const filters: Ec2Filter[] = [];
  const rawFilters = entry.filters;
  if (rawFilters !== null && rawFilters !== undefined) {
    if (!Array.isArray(rawFilters)) {
      fail(`cannot unmarshal ${yamlKind(rawFilters)} into filters ([]*${FILTER_GO_TYPE})`);
    }
    for (const [i, f] of (rawFilters as unknown[]).entries()) {
      filters.push(parseFilter(f, `filters[${i}]`, fail));
    }
  }

  return {
    ...strings,
    secretKey: secretText === undefined ? undefined : createSecret(secretText),
    refreshIntervalMs,
    port,
    filters,
  };
}

function parseFilter(raw: unknown, at: string, fail: (message: string) => never): Ec2Filter {
  if (!isRecord(raw))
    return fail(`${at}: cannot unmarshal ${yamlKind(raw)} into ${FILTER_GO_TYPE}`);
  for (const key of Object.keys(raw)) {
    if (key !== 'name' && key !== 'values') {
      fail(`${at}: field ${key} not found in type ${FILTER_GO_TYPE}`);
    }
  }
  const name = raw.name;
  if (typeof name !== 'string' || name === '') {
    return fail(`${at}: ec2 SD configuration filter name cannot be empty`);
  }
  const rawValues = raw.values;
  if (rawValues !== null && rawValues !== undefined && !Array.isArray(rawValues)) {
    fail(`${at}: cannot unmarshal ${yamlKind(rawValues)} into values ([]string)`);
  }
  const values = ((rawValues as unknown[] | null | undefined) ?? []).map((v) => {
    if (typeof v === 'string') return v;
    if (typeof v === 'number' || typeof v === 'boolean') return String(v);
    if (v === null) return '';
    return fail(`${at}: cannot unmarshal ${yamlKind(v)} into values ([]string)`);
  });
  // §10.5, Prometheus's wording.
  if (values.length === 0) fail(`${at}: ec2 SD configuration filter values cannot be empty`);
  return { name, values };
}
