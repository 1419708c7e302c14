import type { EscapingScheme, ScrapeProtocol } from '../config/types.js';
import { SCRAPE_PROTOCOLS } from '../config/types.js';

const MEDIA_TYPES: Record<ScrapeProtocol, string> = {
  PrometheusProto:
    'application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited',
  'PrometheusText0.0.4': 'text/plain;version=0.0.4',
  'PrometheusText1.0.0': 'text/plain;version=1.0.0',
  'OpenMetricsText0.0.1': 'application/openmetrics-text;version=0.0.1',
  'OpenMetricsText1.0.0': 'application/openmetrics-text;version=1.0.0',
};

/**
 * The Accept header for a job's scrape_protocols, built exactly as §1.4 describes: q-weights
 * counting down from (number of known protocols + 1) / 10, `;escaping=` on the 1.0.0 formats,
 * and a final `*\/*` entry.
 */
export function buildAcceptHeader(
  protocols: readonly ScrapeProtocol[],
  escaping: EscapingScheme,
): string {
  let weight = SCRAPE_PROTOCOLS.length + 1;
  const parts: string[] = [];
  for (const p of protocols) {
    let part = MEDIA_TYPES[p];
    if (p === 'PrometheusText1.0.0' || p === 'OpenMetricsText1.0.0') {
      part += `;escaping=${escaping}`;
    }
    parts.push(`${part};q=0.${weight}`);
    weight--;
  }
  parts.push(`*/*;q=0.${weight}`);
  return parts.join(',');
}
