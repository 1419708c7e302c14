import { describe, expect, it } from 'vitest';
import { buildAcceptHeader } from '../../src/scrape/accept.js';

describe('buildAcceptHeader (§1.4)', () => {
  it.each([
    {
      name: 'default list, utf8',
      protocols: [
        'OpenMetricsText1.0.0',
        'OpenMetricsText0.0.1',
        'PrometheusText1.0.0',
        'PrometheusText0.0.4',
      ] as const,
      escaping: 'allow-utf-8' as const,
      want: 'application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,application/openmetrics-text;version=0.0.1;q=0.5,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2',
    },
    {
      name: 'proto first',
      protocols: [
        'PrometheusProto',
        'OpenMetricsText1.0.0',
        'OpenMetricsText0.0.1',
        'PrometheusText1.0.0',
        'PrometheusText0.0.4',
      ] as const,
      escaping: 'allow-utf-8' as const,
      want: 'application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0.6,application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.5,application/openmetrics-text;version=0.0.1;q=0.4,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.3,text/plain;version=0.0.4;q=0.2,*/*;q=0.1',
    },
    {
      name: 'one protocol, legacy escaping',
      protocols: ['PrometheusText1.0.0'] as const,
      escaping: 'underscores' as const,
      want: 'text/plain;version=1.0.0;escaping=underscores;q=0.6,*/*;q=0.5',
    },
  ])('$name', ({ protocols, escaping, want }) => {
    expect(buildAcceptHeader(protocols, escaping)).toBe(want);
  });
});
