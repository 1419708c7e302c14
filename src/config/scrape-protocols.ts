import { SCRAPE_PROTOCOLS, type ScrapeProtocol } from './types.js';

/** Offered when neither the job nor `global` lists protocols (§1.4). */
export const DEFAULT_SCRAPE_PROTOCOLS: readonly ScrapeProtocol[] = [
  'OpenMetricsText1.0.0',
  'OpenMetricsText0.0.1',
  'PrometheusText1.0.0',
  'PrometheusText0.0.4',
];

/** Offered instead when the job scrapes native histograms and `global` lists none (§1.4). */
export const PROTO_FIRST_SCRAPE_PROTOCOLS: readonly ScrapeProtocol[] = [
  'PrometheusProto',
  ...DEFAULT_SCRAPE_PROTOCOLS,
];

export function isScrapeProtocol(name: string): name is ScrapeProtocol {
  return (SCRAPE_PROTOCOLS as readonly string[]).includes(name);
}

/** Prometheus's message for a name that is not one of the 5 protocols (names are case-sensitive). */
export function unknownProtocolMessage(name: string): string {
  const supported = [...SCRAPE_PROTOCOLS].sort().join(' ');
  return `unknown scrape protocol ${name}, supported: [${supported}]`;
}

/**
 * Checks a written `scrape_protocols` list (§1.2, §1.4): non-empty, no duplicate (compared
 * case-insensitively), every name known. Returns the problem without its " for … config" suffix,
 * or undefined when the list is valid.
 */
export function checkScrapeProtocols(list: readonly string[]): string | undefined {
  if (list.length === 0) return 'scrape_protocols cannot be empty';
  const seen = new Set<string>();
  for (const name of list) {
    const key = name.toLowerCase();
    if (seen.has(key)) return `duplicated protocol in scrape_protocols, got [${list.join(' ')}]`;
    if (!isScrapeProtocol(name)) return `scrape_protocols: ${unknownProtocolMessage(name)}`;
    seen.add(key);
  }
  return undefined;
}
