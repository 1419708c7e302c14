/**
 * Settings Prometheus accepts and lambdascrape's runtime cannot honour are refused at load,
 * from one table (src/config/unsupported.ts); those being implemented elsewhere are not.
 */
import { describe, expect, it } from 'vitest';
import { PROTO_FIRST_SCRAPE_PROTOCOLS } from '../../src/config/scrape-protocols.js';
import { load, loadErrors, yaml } from './helpers.js';

const AUTH_WHY = 'remote writes authenticate with basic_auth, authorization or sigv4';

describe('settings the runtime cannot honour', () => {
  const cases = [
    {
      name: 'Azure AD and Google IAM for remote write',
      text: yaml`
        remote_write:
          - url: http://a/w
            azuread: {cloud: AzurePublic, managed_identity: {client_id: x}}
          - url: http://b/w
            google_iam: {credentials_file: key.json}
      `,
      errors: [
        `prometheus.yml:3:14: azuread is not supported by lambdascrape: ${AUTH_WHY}`,
        `prometheus.yml:5:17: google_iam is not supported by lambdascrape: ${AUTH_WHY}`,
      ],
    },
  ];
  it.each(cases)('$name are refused', ({ text, errors }) => {
    expect(loadErrors(text)).toEqual(errors);
  });

  it('a false proxy_from_environment is no proxy', () => {
    const text = 'remote_write: [{url: http://a/w, proxy_from_environment: false}]\n';
    expect(load(text).remoteWrite).toHaveLength(1);
  });
});

describe('settings being implemented elsewhere are accepted', () => {
  it('oauth2 on a job, in service discovery and on remote write; remote write 2.0', () => {
    const oauth2 = '{client_id: c, client_secret_file: s, token_url: "https://idp/token"}';
    const config = load(yaml`
      scrape_configs:
        - job_name: a
          oauth2: ${oauth2}
          static_configs: [{targets: ['a:1']}]
          http_sd_configs: [{url: "http://sd/targets", oauth2: ${oauth2}}]
      remote_write:
        - url: http://rw/api/v1/write
          oauth2: ${oauth2}
          protobuf_message: io.prometheus.write.v2.Request
    `);
    expect(config.scrapeConfigs[0]!.httpClient.oauth2?.clientId).toBe('c');
    expect(config.remoteWrite[0]!.protobufMessage).toBe('io.prometheus.write.v2.Request');
  });
});

describe('PrometheusProto, now parsed', () => {
  it('is accepted listed globally, by a job, or as the fallback', () => {
    const config = load(yaml`
      global:
        scrape_protocols: [PrometheusProto, OpenMetricsText1.0.0]
      scrape_configs:
        - job_name: a
          scrape_protocols: [PrometheusText0.0.4, PrometheusProto]
        - job_name: b
          fallback_scrape_protocol: PrometheusProto
    `);
    expect(config.scrapeConfigs.map((j) => j.scrapeProtocols)).toEqual([
      ['PrometheusText0.0.4', 'PrometheusProto'],
      ['PrometheusProto', 'OpenMetricsText1.0.0'],
    ]);
    expect(config.scrapeConfigs[1]!.fallbackScrapeProtocol).toBe('PrometheusProto');
  });
});

describe('scrape_native_histograms: protobuf first, as Prometheus 3', () => {
  it.each([
    {
      name: 'set by the job',
      text: 'scrape_configs:\n  - job_name: a\n    scrape_native_histograms: true\n',
    },
    {
      name: 'inherited from global',
      text: 'global: {scrape_native_histograms: true}\nscrape_configs:\n  - job_name: a\n',
    },
  ])('$name', ({ text }) => {
    const config = load(text);
    expect(config.scrapeConfigs[0]!.scrapeProtocols).toEqual(PROTO_FIRST_SCRAPE_PROTOCOLS);
    expect(config.warnings).toEqual([]);
  });

  it('protocols listed in global win', () => {
    const text = yaml`
      global: {scrape_native_histograms: true, scrape_protocols: [OpenMetricsText1.0.0]}
      scrape_configs:
        - job_name: a
    `;
    const config = load(text);
    expect(config.scrapeConfigs[0]!.scrapeProtocols).toEqual(['OpenMetricsText1.0.0']);
    expect(config.warnings).toEqual([]);
  });
});
