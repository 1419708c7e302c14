/**
 * Sections lambdascrape does not act on are validated as Prometheus validates them, then
 * reported as ignored (src/config/ignored-sections.ts).
 */
import { describe, expect, it } from 'vitest';
import { load, loadErrors, yaml } from './helpers.js';

describe('ignored sections that are valid', () => {
  it('load, with one warning per section that holds something', () => {
    const config = load(yaml`
      runtime: {gogc: 50}
      alerting:
        alert_relabel_configs: [{action: labeldrop, regex: replica}]
        alertmanagers:
          - scheme: https
            path_prefix: /am
            timeout: 5s
            api_version: v2
            basic_auth: {username: u, password_file: pw}
            static_configs: [{targets: ['am:9093']}]
            dns_sd_configs: [{names: [am.example.com], type: A, port: 9093}]
      rule_files: [rules/*.yml, alerts.yml]
      storage:
        tsdb:
          out_of_order_time_window: 10m
          retention: {time: 15d, size: 10GiB, percentage: 80}
          chunk_encoding: {floats: xor2}
        exemplars: {max_exemplars: 1000}
      tracing:
        endpoint: localhost:4317
        client_type: http
        sampling_fraction: 0.1
        headers: {X-Tenant: a}
        compression: gzip
        timeout: 5s
        tls_config: {insecure_skip_verify: true}
      remote_read:
        - url: http://thanos/api/v1/read
          name: thanos
          read_recent: true
          required_matchers: {job: node}
          headers: {X-Scope-OrgID: t}
      otlp:
        promote_resource_attributes: [service.name, " k8s.pod.name "]
        translation_strategy: NoUTF8EscapingWithSuffixes
    `);
    expect(config.warnings).toEqual([
      'prometheus.yml:1:10: runtime is validated but ignored: it tunes the Go runtime of Prometheus',
      'prometheus.yml:3:3: alerting is validated but ignored: lambdascrape evaluates no rules and sends no alerts',
      'prometheus.yml:12:13: rule_files is validated but ignored: lambdascrape evaluates no rules',
      'prometheus.yml:14:3: storage is validated but ignored: lambdascrape keeps no TSDB (remote_write delivers the samples)',
      'prometheus.yml:20:3: tracing is validated but ignored: lambdascrape exports no traces',
      'prometheus.yml:28:3: remote_read is validated but ignored: lambdascrape answers no queries',
      'prometheus.yml:34:3: otlp is validated but ignored: lambdascrape has no OTLP receiver',
    ]);
    expect(config.alertmanagers?.map((a) => Object.keys(a.sdConfigNodes))).toEqual([
      ['dns_sd_configs'],
    ]);
  });

  it('load silently when null or empty, as in Prometheus’s example prometheus.yml', () => {
    const config = load(yaml`
      alerting:
      rule_files:
      storage:
      tracing:
      remote_read: []
      otlp: {}
      runtime:
    `);
    expect(config.warnings).toEqual([]);
  });
});

describe('ignored sections that Prometheus refuses', () => {
  const cases = [
    {
      name: 'unknown keys in every section',
      text: yaml`
        runtime: {gc: 1}
        alerting: {alertmanager: []}
        storage: {tsdb: {retention_time: 1d}, exemplar: {}}
        tracing: {endpoint: a, sampling: 1}
        remote_read: [{url: http://a, read_recently: true}]
        otlp: {promote_attributes: []}
      `,
      errors: [
        'prometheus.yml:1:11: field gc not found in type config.RuntimeConfig',
        'prometheus.yml:2:12: field alertmanager not found in type config.AlertingConfig',
        'prometheus.yml:3:18: field retention_time not found in type config.TSDBConfig',
        'prometheus.yml:3:39: field exemplar not found in type config.StorageConfig',
        'prometheus.yml:4:24: field sampling not found in type config.TracingConfig',
        'prometheus.yml:5:31: field read_recently not found in type config.RemoteReadConfig',
        'prometheus.yml:6:8: field promote_attributes not found in type config.OTLPConfig',
      ],
    },
    {
      name: 'an alertmanager with a typo, a v1 API, a URL as target, sigv4 with basic_auth',
      text: yaml`
        alerting:
          alertmanagers:
            - api_version: v1
              timeout: 10 s
              basic_auth: {username: u}
              sigv4: {region: eu-west-1}
              static_configs: [{targets: ['http://am:9093']}]
              kubernetes_sd_config: []
      `,
      errors: [
        'prometheus.yml:3:20: expected Alertmanager api version to be one of [v2] but got v1',
        'prometheus.yml:4:16: not a valid duration string: "10 s"',
        'prometheus.yml:6:14: at most one of basic_auth, authorization, oauth2, & sigv4 must be configured',
        'prometheus.yml:7:35: "http://am:9093" is not a valid hostname',
        'prometheus.yml:8:7: field kubernetes_sd_config not found in type config.AlertmanagerConfig',
      ],
    },
    {
      name: 'null relabel rules and a bad relabel action under alerting',
      text: yaml`
        alerting:
          alert_relabel_configs: [~]
          alertmanagers:
            - relabel_configs: [~]
              alert_relabel_configs: [{action: keepit}]
      `,
      errors: [
        'prometheus.yml:2:27: empty or null alert relabeling rule',
        'prometheus.yml:4:25: empty or null Alertmanager target relabeling rule',
        'prometheus.yml:5:40: unknown relabel action "keepit"',
      ],
    },
    {
      name: 'storage values out of range',
      text: yaml`
        storage:
          tsdb:
            out_of_order_time_window: 1.5h
            chunk_encoding: {floats: gorilla}
            retention: {size: 10, percentage: 101}
          exemplars: {max_exemplars: lots}
      `,
      errors: [
        'prometheus.yml:3:31: not a valid duration string: "1.5h"',
        "prometheus.yml:4:30: 'storage.tsdb.chunk_encoding.floats' must be 'xor' or 'xor2', or the field must be omitted entirely, got \"gorilla\"",
        'prometheus.yml:5:23: units: unknown unit  in 10',
        "prometheus.yml:5:39: 'storage.tsdb.retention.percentage' must be in the range [0, 100], got 101",
        'prometheus.yml:6:30: cannot unmarshal !!str `lots` into int',
      ],
    },
    {
      name: 'tracing without endpoint, with a bad client, compression and headers',
      text: yaml`
        tracing:
          client_type: udp
          compression: zstd
          headers: {Authorization: x, Content-Type: y}
      `,
      errors: [
        'prometheus.yml:2:3: tracing endpoint must be set',
        'prometheus.yml:2:16: expected tracing client type to be to be http or grpc, but got udp',
        'prometheus.yml:3:16: invalid compression type zstd provided, valid options: gzip',
        'prometheus.yml:4:13: custom authorization header configuration is not yet supported',
        'prometheus.yml:4:31: Content-Type is a reserved header. It must not be changed',
      ],
    },
    {
      name: 'remote_read without url, with duplicate names and a reserved header',
      text: yaml`
        remote_read:
          - {name: a}
          - {url: http://b, name: a, headers: {User-Agent: x}}
          - {url: "http://[::1"}
          - ~
      `,
      errors: [
        'prometheus.yml:2:5: url for remote_read is empty',
        'prometheus.yml:3:27: found multiple remote read configs with job name "a"',
        'prometheus.yml:3:40: User-Agent is a reserved header. It must not be changed',
        'prometheus.yml:4:11: parse "http://[::1": invalid URL',
        'prometheus.yml:5:5: empty or null remote read config section',
      ],
    },
    {
      name: 'otlp attribute rules and translation strategies',
      text: yaml`
        global: {metric_name_validation_scheme: legacy}
        otlp:
          promote_all_resource_attributes: true
          promote_resource_attributes: [a]
          translation_strategy: NoTranslation
      `,
      errors: [
        "prometheus.yml:4:32: 'promote_all_resource_attributes' and 'promote_resource_attributes' cannot be configured simultaneously",
        'prometheus.yml:5:25: OTLP translation strategy "NoTranslation" is not allowed when UTF8 is disabled',
      ],
    },
    {
      name: 'otlp attributes that are empty or repeated, and an unknown strategy',
      text: yaml`
        otlp:
          ignore_resource_attributes: [a]
          translation_strategy: Dots
      `,
      errors: [
        "prometheus.yml:2:31: 'ignore_resource_attributes' cannot be configured unless 'promote_all_resource_attributes' is true",
        'prometheus.yml:3:25: unsupported OTLP translation strategy "Dots"',
      ],
    },
    {
      name: 'otlp promoted attributes that are empty or repeated',
      text: "otlp: {promote_resource_attributes: [a, ' ', ' a']}\n",
      errors: [
        "prometheus.yml:1:37: invalid 'promote_resource_attributes': empty promoted OTel resource attribute",
        'prometheus.yml:1:37: invalid \'promote_resource_attributes\': duplicated promoted OTel resource attribute "a"',
      ],
    },
    {
      name: 'a rule_files pattern with a * before the last element',
      text: "rule_files: ['rules/*/a.yml']\n",
      errors: ['prometheus.yml:1:13: invalid rule file path "rules/*/a.yml"'],
    },
  ];
  it.each(cases)('$name', ({ text, errors }) => {
    expect(loadErrors(text)).toEqual(errors);
  });
});
