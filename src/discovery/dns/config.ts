/**
 * `dns_sd_configs` entries (§10.4), read with the config loader's reader and Prometheus's rules
 * and wording (discovery/dns/dns.go `SDConfig.UnmarshalYAML`):
 * - `names`: list of strings, at least one;
 * - `type`: `SRV` (default), `A`, `AAAA`, `MX` or `NS`, matched case-insensitively;
 * - `port`: an integer, required (non-zero) for every type except SRV, where it is ignored;
 * - `refresh_interval`: a duration, default 30s (0 also means the default);
 * - any other field is an error, as Go's strict YAML decoding makes it.
 *
 * A `null` field is its zero value, as in Go (so `type: null` is an invalid type).
 */
import type { Node } from 'yaml';
import type { YamlReader } from '../../config/yaml-reader.js';

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

export const FIELDS = new Set(['names', 'type', 'port', 'refresh_interval']);

/**
 * Reads one `dns_sd_configs` entry. Problems are recorded on `reader` as `file:line:col: message`
 * and give undefined.
 */
export function parseDnsSdConfig(reader: YamlReader, node: Node): DnsSdConfig | undefined {
  const errorsBefore = reader.errors.length;
  const s = reader.struct(node, 'dns.SDConfig', FIELDS);
  if (s === undefined) return undefined;
  const names = s.stringList('names') ?? [];
  const writtenType = s.has('type') ? (s.string('type') ?? '') : 'SRV';
  const type = writtenType.toUpperCase();
  const port = s.integer('port', 'int') ?? 0;
  // 0 means the default, as for file_sd (Prometheus cannot run with 0).
  const refreshInterval = s.duration('refresh_interval') || DEFAULT_DNS_SD_REFRESH_INTERVAL;
  if (reader.errors.length > errorsBefore) return undefined;

  // Checks in Prometheus's order: names first, then type and port.
  if (names.length === 0) {
    s.fail(
      s.has('names') ? 'names' : undefined,
      'DNS-SD config must contain at least one SRV record name',
    );
    return undefined;
  }
  if (!(DNS_RECORD_TYPES as readonly string[]).includes(type)) {
    s.fail('type', `invalid DNS-SD records type ${writtenType}`);
    return undefined;
  }
  if (type !== 'SRV' && port === 0) {
    s.fail(
      s.has('port') ? 'port' : undefined,
      'a port is required in DNS-SD configs for all record types except SRV',
    );
    return undefined;
  }
  // Stricter than Prometheus (a Go int): a port outside 0..65535 can never be scraped.
  if (port < 0 || port > 65535) {
    s.fail('port', `port ${port} is out of range 0-65535`);
    return undefined;
  }
  return { names, type: type as DnsRecordType, port, refreshInterval };
}
