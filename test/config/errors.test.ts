import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/errors.js';
import { loadConfig } from '../../src/config/load.js';
import { loadErrors, yaml } from './helpers.js';

interface Case {
  readonly name: string;
  readonly text: string;
  /** Every message, in order; positions are 1-based line:column in `text`. */
  readonly errors: readonly string[];
}

describe('unknown fields and type errors', () => {
  const cases: Case[] = [
    {
      name: 'unknown top-level key',
      text: 'scrape_config: []\n',
      errors: ['prometheus.yml:1:1: field scrape_config not found in type config.Config'],
    },
    {
      name: 'unknown global field',
      text: 'global:\n  scrape_intervall: 1m\n',
      errors: ['prometheus.yml:2:3: field scrape_intervall not found in type config.GlobalConfig'],
    },
    {
      name: 'unknown scrape config field',
      text: yaml`
        scrape_configs:
          - job_name: x
            honour_labels: true
      `,
      errors: ['prometheus.yml:3:5: field honour_labels not found in type config.ScrapeConfig'],
    },
    {
      name: 'unknown fields in nested blocks',
      text: yaml`
        scrape_configs:
          - job_name: x
            basic_auth: {user: a}
            tls_config: {ca_path: x}
            oauth2: {client_id: a, token_url: http://t, scope: x}
            relabel_configs:
              - {action: keep, regexp: a}
            static_configs:
              - {targets: [a], label: {}}
            file_sd_configs:
              - {files: [a.json], interval: 1m}
            http_headers:
              X-A: {value: [a]}
        remote_write:
          - url: http://rw
            queue_config: {shards: 1}
            metadata_config: {enabled: true}
            sigv4: {key: a}
      `,
      errors: [
        'prometheus.yml:3:18: field user not found in type config.BasicAuth',
        'prometheus.yml:4:18: field ca_path not found in type config.TLSConfig',
        'prometheus.yml:5:49: field scope not found in type config.OAuth2',
        'prometheus.yml:7:24: field regexp not found in type relabel.Config',
        'prometheus.yml:9:24: field label not found in type targetgroup.Group',
        'prometheus.yml:11:27: field interval not found in type file.SDConfig',
        'prometheus.yml:13:13: field value not found in type config.Header',
        'prometheus.yml:16:20: field shards not found in type config.QueueConfig',
        'prometheus.yml:17:23: field enabled not found in type config.MetadataConfig',
        'prometheus.yml:18:13: field key not found in type sigv4.SigV4Config',
      ],
    },
    {
      name: 'a map where a list belongs',
      text: 'scrape_configs: {job_name: x}\n',
      errors: ['prometheus.yml:1:17: cannot unmarshal !!map into []*config.ScrapeConfig'],
    },
    {
      name: 'wrong scalar types, with go-yaml wording',
      text: yaml`
        global:
          sample_limit: -1
          scrape_native_histograms: maybe
          label_limit: 1.5
        scrape_configs:
          - job_name: x
            target_limit: "10"
            honor_labels: [true]
            static_configs: {targets: [a]}
            params: {a: b}
            native_histogram_min_bucket_factor: abc
            keep_dropped_targets: a-very-long-value
      `,
      errors: [
        'prometheus.yml:2:17: cannot unmarshal !!int `-1` into uint',
        'prometheus.yml:3:29: cannot unmarshal !!str `maybe` into bool',
        'prometheus.yml:4:16: cannot unmarshal !!float `1.5` into uint',
        'prometheus.yml:7:19: cannot unmarshal !!str `10` into uint',
        'prometheus.yml:8:19: cannot unmarshal !!seq into bool',
        'prometheus.yml:9:21: cannot unmarshal !!map into []*targetgroup.Group',
        'prometheus.yml:10:17: cannot unmarshal !!str `b` into []string',
        'prometheus.yml:11:41: cannot unmarshal !!str `abc` into float64',
        'prometheus.yml:12:27: cannot unmarshal !!str `a-very-...` into uint',
      ],
    },
    {
      name: 'duplicate keys',
      text: 'global:\n  scrape_interval: 1m\n  scrape_interval: 2m\n',
      errors: ['prometheus.yml:3:3: key "scrape_interval" already set in map'],
    },
    {
      name: 'YAML syntax error',
      text: 'scrape_configs:\n  - job_name: [x\n',
      errors: [
        'prometheus.yml:3:1: Flow sequence in block collection must be sufficiently indented and end with a ]',
      ],
    },
    {
      name: 'an error inside an anchor is reported once, however often it is merged',
      text: yaml`
        scrape_configs:
          - &base {job_name: a, honor: x}
          - <<: *base
            job_name: b
      `,
      errors: ['prometheus.yml:2:25: field honor not found in type config.ScrapeConfig'],
    },
    {
      name: 'a quoted "<<" is an ordinary key',
      text: 'global:\n  "<<": {}\n',
      errors: ['prometheus.yml:2:3: field << not found in type config.GlobalConfig'],
    },
    {
      name: 'unknown alias',
      text: 'global: *nowhere\n',
      errors: ["prometheus.yml:1:9: unknown anchor 'nowhere' referenced"],
    },
    {
      name: 'top level that is not a map',
      text: '- a\n',
      errors: ['prometheus.yml:1:1: cannot unmarshal !!seq into config.Config'],
    },
  ];
  it.each(cases)('$name', ({ text, errors }) => {
    expect(loadErrors(text)).toEqual(errors);
  });
});

describe('global and scrape config validation (§1.2, §1.3)', () => {
  const cases: Case[] = [
    {
      name: 'global timeout above interval',
      text: 'global:\n  scrape_interval: 10s\n  scrape_timeout: 11s\n',
      errors: ['prometheus.yml:3:19: global scrape timeout greater than scrape interval'],
    },
    {
      name: 'global timeout above the default interval',
      text: 'global:\n  scrape_timeout: 2m\n',
      errors: ['prometheus.yml:2:19: global scrape timeout greater than scrape interval'],
    },
    {
      name: 'job timeout above job interval',
      text: yaml`
        scrape_configs:
          - job_name: node
            scrape_interval: 5s
            scrape_timeout: 6s
      `,
      errors: [
        'prometheus.yml:4:21: scrape timeout greater than scrape interval for scrape config with job name "node"',
      ],
    },
    {
      name: 'job timeout above the inherited interval',
      text: yaml`
        global: {scrape_interval: 15s}
        scrape_configs:
          - job_name: node
            scrape_timeout: 20s
      `,
      errors: [
        'prometheus.yml:4:21: scrape timeout greater than scrape interval for scrape config with job name "node"',
      ],
    },
    {
      name: 'bad durations',
      text: yaml`
        global:
          scrape_interval: 1h30
          evaluation_interval: 90
        scrape_configs:
          - job_name: x
            scrape_timeout: 30m1h
      `,
      errors: [
        'prometheus.yml:2:20: not a valid duration string: "1h30"',
        'prometheus.yml:3:24: not a valid duration string: "90"',
        'prometheus.yml:6:21: not a valid duration string: "30m1h"',
      ],
    },
    {
      name: 'missing, empty and duplicate job names',
      text: yaml`
        scrape_configs:
          - scrape_interval: 1m
          - job_name: ""
          - job_name: node
          - job_name: node
          -
      `,
      errors: [
        'prometheus.yml:2:5: job_name is empty',
        'prometheus.yml:3:15: job_name is empty',
        'prometheus.yml:5:15: found multiple scrape configs with job name "node"',
        'prometheus.yml:6:4: empty or null scrape config section',
      ],
    },
    {
      name: 'duplicate job names are found even when the first job is invalid',
      text: yaml`
        scrape_configs:
          - job_name: node
            sample_limit: x
          - job_name: node
      `,
      errors: [
        'prometheus.yml:3:19: cannot unmarshal !!str `x` into uint',
        'prometheus.yml:4:15: found multiple scrape configs with job name "node"',
      ],
    },
    {
      name: 'scrape_protocols problems',
      text: yaml`
        global:
          scrape_protocols: []
        scrape_configs:
          - job_name: a
            scrape_protocols: [PrometheusText1.0.0, prometheustext1.0.0]
          - job_name: b
            scrape_protocols: [OpenMetrics]
          - job_name: c
            fallback_scrape_protocol: text/plain
      `,
      errors: [
        'prometheus.yml:2:21: scrape_protocols cannot be empty for global config',
        'prometheus.yml:5:23: duplicated protocol in scrape_protocols, got [PrometheusText1.0.0 prometheustext1.0.0] for scrape config with job name "a"',
        'prometheus.yml:7:23: scrape_protocols: unknown scrape protocol OpenMetrics, supported: [OpenMetricsText0.0.1 OpenMetricsText1.0.0 PrometheusProto PrometheusText0.0.4 PrometheusText1.0.0] for scrape config with job name "b"',
        'prometheus.yml:9:31: invalid fallback_scrape_protocol for scrape config with job name "c": unknown scrape protocol text/plain, supported: [OpenMetricsText0.0.1 OpenMetricsText1.0.0 PrometheusProto PrometheusText0.0.4 PrometheusText1.0.0]',
      ],
    },
    {
      name: 'validation and escaping schemes',
      text: yaml`
        global:
          metric_name_validation_scheme: strict
        scrape_configs:
          - job_name: a
            metric_name_validation_scheme: legacy
            metric_name_escaping_scheme: allow-utf-8
          - job_name: b
            metric_name_escaping_scheme: hyphens
      `,
      errors: [
        'prometheus.yml:2:34: unrecognized ValidationScheme: "strict"',
        'prometheus.yml:6:34: utf8 metric names requested but validation scheme is not set to UTF8',
        `prometheus.yml:8:34: unknown scrape config name escaping method specified, must be one of 'allow-utf-8', 'underscores', 'dots', or 'values', got "hyphens"`,
      ],
    },
    {
      name: 'global escaping scheme',
      text: 'global:\n  metric_name_escaping_scheme: Dots\n',
      errors: [
        `prometheus.yml:2:32: unknown global name escaping method specified, must be one of 'allow-utf-8', 'underscores', 'dots', or 'values', got "Dots"`,
      ],
    },
    {
      name: 'legacy global validation with explicit allow-utf-8 escaping fails in jobs',
      text: yaml`
        global:
          metric_name_validation_scheme: legacy
          metric_name_escaping_scheme: allow-utf-8
        scrape_configs:
          - job_name: a
      `,
      errors: [
        'prometheus.yml:5:5: utf8 metric names requested but validation scheme is not set to UTF8',
      ],
    },
    {
      name: 'URL as a static target without relabel_configs',
      text: yaml`
        scrape_configs:
          - job_name: a
            static_configs:
              - targets: [ok:80, "http://host:9100/metrics"]
          - job_name: b
            relabel_configs:
              - {source_labels: [__address__], target_label: __param_target}
            static_configs:
              - targets: ["http://fine/with/relabeling"]
      `,
      errors: ['prometheus.yml:4:26: "http://host:9100/metrics" is not a valid hostname'],
    },
    {
      name: 'null sections and bad labels in service discovery',
      text: yaml`
        scrape_configs:
          - job_name: a
            static_configs:
              -
              - targets: [a]
                labels: {"": x}
            file_sd_configs:
              - files: []
              - files: [targets/*.txt]
              - files: ["a/*/b.json"]
            dns_sd_configs:
              -
      `,
      errors: [
        'prometheus.yml:4:8: empty or null section in static_configs',
        'prometheus.yml:6:18: "" is not a valid label name',
        'prometheus.yml:8:16: file service discovery config must contain at least one path name',
        'prometheus.yml:9:16: path name "targets/*.txt" is not valid for file discovery',
        'prometheus.yml:10:16: path name "a/*/b.json" is not valid for file discovery',
        'prometheus.yml:12:8: empty or null section in dns_sd_configs',
      ],
    },
    {
      name: 'scheme',
      text: 'scrape_configs:\n  - {job_name: a, scheme: ftp}\n',
      errors: ['prometheus.yml:2:27: scheme must be "http" or "https", got "ftp"'],
    },
    {
      name: 'bad file patterns',
      text: 'rule_files: ["a/*/b.yml"]\nscrape_config_files: ["*/x.yml"]\n',
      errors: [
        'prometheus.yml:1:13: invalid rule file path "a/*/b.yml"',
        'prometheus.yml:2:22: invalid scrape config file path "*/x.yml"',
      ],
    },
    {
      name: 'external labels',
      text: yaml`
        global:
          metric_name_validation_scheme: legacy
          external_labels:
            ok: a
            not-legacy: b
      `,
      errors: ['prometheus.yml:5:5: "not-legacy" is not a valid label name'],
    },
    {
      name: 'sizes',
      text: yaml`
        global:
          body_size_limit: 10mb
        scrape_configs:
          - job_name: a
            body_size_limit: 1KiB1KB
      `,
      errors: [
        'prometheus.yml:2:20: units: unknown unit mb in 10mb',
        'prometheus.yml:5:22: units: unknown unit KiB in 1KiB1KB',
      ],
    },
  ];
  it.each(cases)('$name', ({ text, errors }) => {
    expect(loadErrors(text)).toEqual(errors);
  });
});

describe('ConfigError', () => {
  it('has a stable code, every message in .errors and all of them in .message', () => {
    let caught: unknown;
    try {
      loadConfig('a: 1\nb: 2\n', { sourcePath: 'p.yml' });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    const err = caught as ConfigError;
    expect(err.code).toBe('INVALID_CONFIG');
    expect(err.errors).toEqual([
      'p.yml:1:1: field a not found in type config.Config',
      'p.yml:2:1: field b not found in type config.Config',
    ]);
    expect(err.message).toBe(err.errors.join('\n'));
  });

  it('names a string source <config>', () => {
    expect(() => loadConfig('x: 1\n')).toThrow(
      '<config>:1:1: field x not found in type config.Config',
    );
  });
});
