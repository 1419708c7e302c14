import { describe, expect, it } from 'vitest';
import { DEFAULT_METADATA_CONFIG } from '../../src/config/remote-write.js';
import type { RemoteWriteConfig } from '../../src/config/types.js';
import { load, loadErrors, yaml } from './helpers.js';

function remoteWrite(text: string): readonly RemoteWriteConfig[] {
  return load(text).remoteWrite;
}

describe('remote_write defaults (§11.2, §11.3)', () => {
  it('fills every default', () => {
    const [rw] = remoteWrite('remote_write:\n  - url: https://mimir.example/api/v1/push\n');
    expect(rw).toMatchObject({
      url: 'https://mimir.example/api/v1/push',
      remoteTimeout: 30_000,
      headers: {},
      writeRelabelConfigs: [],
      sendExemplars: false,
      sendNativeHistograms: false,
      roundRobinDns: false,
      protobufMessage: 'prometheus.WriteRequest',
      queueConfig: {
        capacity: 10_000,
        maxShards: 50,
        minShards: 1,
        maxSamplesPerSend: 2000,
        batchSendDeadline: 5_000,
        minBackoff: 30,
        maxBackoff: 5_000,
        retryOnHttp429: false,
        sampleAgeLimit: 0,
      },
      metadataConfig: { send: true, sendInterval: 60_000, maxSamplesPerSend: 2000 },
      sigv4: undefined,
    });
    expect(rw?.httpClient).toMatchObject({ followRedirects: true, enableHttp2: false });
    expect(rw?.name).toMatch(/^[0-9a-f]{6}$/);
  });

  it('reads every field', () => {
    const [rw] = remoteWrite(yaml`
      remote_write:
        - url: http://receiver:9090/api/v1/write
          name: primary
          remote_timeout: 10s
          headers: {X-Scope-OrgID: tenant}
          send_exemplars: true
          send_native_histograms: true
          round_robin_dns: true
          protobuf_message: io.prometheus.write.v2.Request
          failed_request_logging: true
          enable_http2: true
          queue_config:
            capacity: 500
            max_shards: 4
            min_shards: 2
            max_samples_per_send: 100
            batch_send_deadline: 1s
            min_backoff: 100ms
            max_backoff: 10s
            retry_on_http_429: true
            sample_age_limit: 5m
          metadata_config: {send: false, send_interval: 30s, max_samples_per_send: 10}
          sigv4:
            region: eu-west-1
            access_key: AKIA
            secret_key: shh
            profile: p
            role_arn: arn:aws:iam::1:role/r
            external_id: ext
            service: aps
            use_fips_sts_endpoint: true
    `);
    expect(rw).toMatchObject({
      name: 'primary',
      remoteTimeout: 10_000,
      headers: { 'X-Scope-OrgID': 'tenant' },
      sendExemplars: true,
      sendNativeHistograms: true,
      roundRobinDns: true,
      protobufMessage: 'io.prometheus.write.v2.Request',
      queueConfig: {
        capacity: 500,
        maxShards: 4,
        minShards: 2,
        maxSamplesPerSend: 100,
        batchSendDeadline: 1_000,
        minBackoff: 100,
        maxBackoff: 10_000,
        retryOnHttp429: true,
        sampleAgeLimit: 300_000,
      },
      metadataConfig: { send: false, sendInterval: 30_000, maxSamplesPerSend: 10 },
      sigv4: {
        region: 'eu-west-1',
        accessKey: 'AKIA',
        profile: 'p',
        roleArn: 'arn:aws:iam::1:role/r',
        externalId: 'ext',
        service: 'aps',
        useFipsStsEndpoint: true,
      },
    });
    expect(rw?.sigv4?.secretKey?.reveal()).toBe('shh');
    expect(rw?.httpClient.enableHttp2).toBe(true);
  });

  it('reads the sigv4 service from service_name, as current Prometheus spells it', () => {
    const [rw] = remoteWrite(
      'remote_write:\n  - {url: http://a, sigv4: {region: r, service_name: svc}}\n',
    );
    expect(rw?.sigv4?.service).toBe('svc');
  });

  it('takes `sigv4: {}` as "sign with the default credentials" and `sigv4:` as unset', () => {
    const [withEmpty, withNull] = remoteWrite(
      'remote_write:\n  - {url: http://a, sigv4: {}}\n  - url: http://b\n    sigv4:\n',
    );
    expect(withEmpty?.sigv4).toMatchObject({ region: undefined, accessKey: undefined });
    expect(withNull?.sigv4).toBeUndefined();
  });

  it('derives a stable name from the content, which differs between configs', () => {
    const text = 'remote_write:\n  - url: http://a\n  - {url: http://a, send_exemplars: true}\n';
    const first = remoteWrite(text).map((rw) => rw.name);
    const second = remoteWrite(text).map((rw) => rw.name);
    expect(first).toEqual(second);
    expect(first[0]).not.toBe(first[1]);
    expect(remoteWrite('remote_write:\n  - url: http://b\n')[0]?.name).not.toBe(first[0]);
  });

  it('validates write relabel rules with the global validation scheme', () => {
    const errors = loadErrors(yaml`
      global: {metric_name_validation_scheme: legacy}
      remote_write:
        - url: http://a
          write_relabel_configs: [{target_label: "a.b"}]
    `);
    expect(errors).toEqual([
      `prometheus.yml:4:44: "a.b" is invalid 'target_label' for replace action`,
    ]);
  });
});

describe('remote_write validation (§11.2, §11.3)', () => {
  it.each([
    { rw: '{name: x}', error: '2:5: url for remote_write is empty' },
    { rw: '{url: ""}', error: '2:11: url for remote_write is empty' },
    {
      rw: '{url: "receiver:9090/write"}',
      error:
        '2:11: invalid remote_write url "receiver:9090/write": must be an absolute http or https URL',
    },
    {
      rw: '{url: "ftp://user:pw@host/write"}',
      error:
        '2:11: invalid remote_write url "ftp://user:xxxxx@host/write": must be an absolute http or https URL',
    },
    {
      rw: '{url: http://a, headers: {authorization: x}}',
      error:
        '2:31: authorization header must be changed via the basic_auth, authorization, oauth2, sigv4, azuread or google_iam parameter',
    },
    {
      rw: '{url: http://a, headers: {X-Amz-Date: x}}',
      error: '2:31: X-Amz-Date is a reserved header. It must not be changed',
    },
    {
      rw: '{url: http://a, headers: {user-agent: x}}',
      error: '2:31: user-agent is a reserved header. It must not be changed',
    },
    {
      rw: '{url: http://a, protobuf_message: v2}',
      error:
        '2:39: invalid protobuf_message value: unknown type for remote write protobuf message v2, supported: prometheus.WriteRequest, io.prometheus.write.v2.Request',
    },
    {
      rw: '{url: http://a, basic_auth: {username: u}, sigv4: {}}',
      error:
        '2:5: at most one of basic_auth, authorization, oauth2, sigv4, azuread or google_iam must be configured. Currently configured: [basic_auth sigv4]',
    },
    {
      rw: '{url: http://a, bearer_token: t, sigv4: {region: r}}',
      error:
        '2:5: at most one of basic_auth, authorization, oauth2, sigv4, azuread or google_iam must be configured. Currently configured: [authorization sigv4]',
    },
    {
      rw: '{url: http://a, sigv4: {access_key: a}}',
      error:
        '2:41: must provide a AWS SigV4 Access key and Secret Key if credentials are specified in the SigV4 config',
    },
    {
      rw: '{url: http://a, sigv4: {secret_key: s}}',
      error:
        '2:41: must provide a AWS SigV4 Access key and Secret Key if credentials are specified in the SigV4 config',
    },
    {
      rw: '{url: http://a, sigv4: {external_id: e}}',
      error: '2:42: external_id can only be used with role_arn',
    },
    {
      rw: '{url: http://a, azuread: {cloud: AzurePublic}}',
      error:
        '2:30: azuread is not supported by lambdascrape: remote writes authenticate with basic_auth, authorization or sigv4',
    },
    {
      rw: '{url: http://a, queue_config: {max_shards: 0}}',
      error: '2:48: remote write queue max_shards must be positive',
    },
    {
      rw: '{url: http://a, queue_config: {min_shards: -1}}',
      error: '2:48: remote write queue min_shards must be positive',
    },
    {
      rw: '{url: http://a, queue_config: {min_shards: 60}}',
      error: '2:48: remote write queue min_shards must not be greater than max_shards',
    },
    {
      rw: '{url: http://a, queue_config: {max_samples_per_send: 0}}',
      error: '2:58: remote write queue max_samples_per_send must be positive',
    },
    {
      rw: '{url: http://a, queue_config: {capacity: 0}}',
      error: '2:46: remote write queue capacity must be positive',
    },
    {
      rw: '{url: http://a, queue_config: {min_backoff: 1s, max_backoff: 500ms}}',
      error: '2:66: remote write queue max_backoff must not be less than min_backoff',
    },
    {
      // go-yaml zeroes a null block; Prometheus then finds max_shards 0.
      rw: '{url: http://a, queue_config: }',
      error: '2:21: remote write queue max_shards must be positive',
    },
  ])('$rw → $error', ({ rw, error }) => {
    expect(loadErrors(`remote_write:\n  - ${rw}\n`)).toEqual([`prometheus.yml:${error}`]);
  });

  it('a null metadata_config zeroes it, an empty one keeps the defaults', () => {
    const [zeroed, kept] = load(
      'remote_write:\n  - {url: http://a, metadata_config: }\n  - {url: http://b, metadata_config: {}}\n',
    ).remoteWrite;
    expect(zeroed!.metadataConfig).toEqual({ send: false, sendInterval: 0, maxSamplesPerSend: 0 });
    expect(kept!.metadataConfig).toEqual(DEFAULT_METADATA_CONFIG);
  });

  it('rejects duplicate names and duplicate unnamed configs', () => {
    const errors = loadErrors(yaml`
      remote_write:
        - {url: http://a, name: main}
        - {url: http://b, name: main}
        - {url: "http://u:pw@c"}
        - {url: "http://u:pw@c"}
        -
    `);
    expect(errors).toEqual([
      'prometheus.yml:3:27: found multiple remote write configs with job name "main"',
      'prometheus.yml:5:5: duplicate remote write configs are not allowed, found duplicate for URL: http://u:xxxxx@c',
      'prometheus.yml:6:4: empty or null remote write config section',
    ]);
  });
});
