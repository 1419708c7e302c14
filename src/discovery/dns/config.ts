/**
 * `dns_sd_configs` entries (§10.4). The config loader carries them as plain data
 * (`ScrapeConfig.otherSdConfigs['dns_sd_configs']`); they are validated here with Prometheus's
 * rules and wording (discovery/dns/dns.go `SDConfig.UnmarshalYAML`):
 * - `names`: list of strings, at least one;
 * - `type`: `SRV` (default), `A`, `AAAA`, `MX` or `NS`, matched case-insensitively;
 * - `port`: an integer, required (non-zero) for every type except SRV, where it is ignored;
 * - `refresh_interval`: a duration, default 30s;
 * - any other field is an error, as Go's strict YAML decoding makes it.
 *
 * A `null` field is its zero value, as in Go (so `type: null` is an invalid type).
 */
import { parseDuration } from '../../config/duration.js';
import { DnsSdError, DnsSdErrorCode } from './error.js';

/** dns_sd `refresh_interval` default (§10.4), ms. */
export const DEFAULT_DNS_SD_REFRESH_INTERVAL = 30_000;

export const DNS_RECORD_TYPES = ['SRV', 'A', 'AAAA', 'MX', 'NS'] as const;
export type DnsRecordType = (typeof DNS_RECORD_TYPES)[number];

export interface DnsSdConfig {
  /** Names to query, as configured (each is also its group's source and `__meta_dns_name`). */
  readonly names: readonly string[];
  /** Record type, upper case. */
  readonly type: DnsRecordType;
  /** Port for A/AAAA/MX/NS targets; 0 (and unused) for SRV unless configured. */
  readonly port: number;
  /** ms. */
  readonly refreshInterval: number;
}

const FIELDS = new Set(['names', 'type', 'port', 'refresh_interval']);

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return `${typeof value} ${JSON.stringify(value)}`;
}

/**
 * Validates one raw `dns_sd_configs` entry. `where` prefixes every message (e.g.
 * `job "dns" dns_sd_configs[0]`). Throws {@link DnsSdError} with code `DNS_SD_CONFIG`.
 */
export function parseDnsSdConfig(raw: unknown, where: string): DnsSdConfig {
  const fail = (detail: string): never => {
    throw new DnsSdError(DnsSdErrorCode.config, where, `${where}: ${detail}`);
  };
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return fail(`expected a dns.SDConfig mapping, got ${describe(raw)}`);
  }
  const entry = raw as Record<string, unknown>;
  for (const key of Object.keys(entry)) {
    if (!FIELDS.has(key)) fail(`field ${key} not found in type dns.SDConfig`);
  }

  const names: string[] = [];
  const rawNames = entry.names ?? [];
  if (!Array.isArray(rawNames)) fail(`names must be a list of strings, got ${describe(rawNames)}`);
  for (const name of rawNames as unknown[]) {
    // Go decodes a null list item into the empty string.
    if (name === null) names.push('');
    else if (typeof name === 'string') names.push(name);
    else fail(`names must be a list of strings, got ${describe(name)} in it`);
  }

  const rawType = entry.type === undefined ? 'SRV' : (entry.type ?? '');
  if (typeof rawType !== 'string') fail(`type must be a string, got ${describe(rawType)}`);
  const type = (rawType as string).toUpperCase();

  const rawPort = entry.port ?? 0;
  if (typeof rawPort !== 'number' || !Number.isInteger(rawPort)) {
    return fail(`port must be an integer, got ${describe(rawPort)}`);
  }
  // Stricter than Prometheus (a Go int): a port outside 0..65535 can never be scraped.
  if (rawPort < 0 || rawPort > 65535) fail(`port ${rawPort} is out of range 0-65535`);

  let refreshInterval = DEFAULT_DNS_SD_REFRESH_INTERVAL;
  const rawInterval = entry.refresh_interval;
  if (rawInterval !== undefined && rawInterval !== null) {
    if (typeof rawInterval !== 'string' && typeof rawInterval !== 'number') {
      fail(`refresh_interval must be a duration, got ${describe(rawInterval)}`);
    }
    try {
      // 0 means the default, as for file_sd in the config loader (Prometheus cannot run with 0).
      refreshInterval = parseDuration(String(rawInterval)) || DEFAULT_DNS_SD_REFRESH_INTERVAL;
    } catch (err) {
      fail(`refresh_interval: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  // Checks in Prometheus's order: names first, then type and port.
  if (names.length === 0) fail('DNS-SD config must contain at least one SRV record name');
  if (!(DNS_RECORD_TYPES as readonly string[]).includes(type)) {
    fail(`invalid DNS-SD records type ${rawType as string}`);
  }
  if (type !== 'SRV' && rawPort === 0) {
    fail('a port is required in DNS-SD configs for all record types except SRV');
  }
  return { names, type: type as DnsRecordType, port: rawPort, refreshInterval };
}
