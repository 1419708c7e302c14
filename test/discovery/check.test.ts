/**
 * The discovery half of `check config` (src/discovery/check.ts): entries of mechanisms
 * lambdascrape lacks are validated by their fields, and a job left without a mechanism that runs
 * is refused, or skipped on request.
 */
import { describe, expect, it } from 'vitest';
import { PROMETHEUS_SD_NAMES } from '../../src/config/sd-names.js';
import { checkDiscovery } from '../../src/discovery/check.js';
import { DISCOVERY_MECHANISMS } from '../../src/discovery/registry.js';
import { UNSUPPORTED_MECHANISMS } from '../../src/discovery/unsupported.js';
import { load, yaml } from '../config/helpers.js';

const SUPPORTED =
  'static_configs, file_sd_configs, ec2_sd_configs, dns_sd_configs, http_sd_configs, consul_sd_configs, aws_sd_configs, ecs_sd_configs, elasticache_sd_configs, lightsail_sd_configs, msk_sd_configs, rds_sd_configs, kubernetes_sd_configs';
const refused = (job: string, what: string) =>
  `job "${job}" has no discovery lambdascrape supports: ${what} (supported: ${SUPPORTED}); skip such jobs with --skip-unsupported-discovery (CDK context skipUnsupportedDiscovery=true)`;

interface Case {
  readonly name: string;
  readonly text: string;
  readonly skip?: boolean;
  readonly errors?: readonly string[];
  readonly warnings?: readonly string[];
  /** Jobs left in the config (when there is no error). */
  readonly jobs?: readonly string[];
}

describe('jobs and the discovery lambdascrape runs', () => {
  const JOBS = yaml`
    scrape_configs:
      - job_name: k8s
        openstack_sd_configs: [{role: instance, region: r}]
      - job_name: mixed
        static_configs: [{targets: ['a:1']}]
        openstack_sd_configs: [{role: hypervisor, region: r}]
        azure_sd_configs: [{subscription_id: s}]
      - job_name: ec2-and-gce
        ec2_sd_configs: [{region: eu-west-1}]
        gce_sd_configs: [{project: p, zone: z}]
      - job_name: nothing
      - job_name: two-lacking
        docker_sd_configs: [{host: 'unix:///var/run/docker.sock'}]
        nomad_sd_configs: [{server: 'http://nomad:4646'}]
      - job_name: empty-lists
        static_configs: []
        openstack_sd_configs: []
  `;
  const cases: Case[] = [
    {
      name: 'refused when only mechanisms lambdascrape lacks are left; ignored lists warned',
      text: JOBS,
      errors: [
        `prometheus.yml:3:28: ${refused('k8s', 'openstack_sd_configs is not supported yet')}`,
        `prometheus.yml:13:25: ${refused('two-lacking', 'docker_sd_configs and nomad_sd_configs are not supported yet')}`,
      ],
    },
    {
      name: 'skipped on request, with a warning each',
      text: JOBS,
      skip: true,
      jobs: ['mixed', 'ec2-and-gce', 'nothing', 'empty-lists'],
      warnings: [
        'prometheus.yml:3:28: job "k8s" is skipped: openstack_sd_configs is not supported yet, and it has no other discovery',
        'prometheus.yml:6:28: job "mixed": openstack_sd_configs is not supported yet and is ignored',
        'prometheus.yml:7:24: job "mixed": azure_sd_configs is not supported yet and is ignored',
        'prometheus.yml:10:22: job "ec2-and-gce": gce_sd_configs is not supported yet and is ignored',
        'prometheus.yml:13:25: job "two-lacking" is skipped: docker_sd_configs and nomad_sd_configs are not supported yet, and it has no other discovery',
      ],
    },
  ];
  // Every aws_sd_configs role runs: an entry of a role lambdascrape lacks is checked in
  // aws-lacking-role.test.ts (the config module mocked to lack one).
  cases.push({
    name: 'aws_sd_configs: every role runs',
    text: yaml`
      scrape_configs:
        - job_name: cache
          aws_sd_configs: [{role: elasticache, region: r}]
        - job_name: db-and-cache
          aws_sd_configs: [{role: rds, region: r}, {role: elasticache, region: r, clusters: [c]}]
    `,
    jobs: ['cache', 'db-and-cache'],
  });
  it.each(cases)('$name', ({ text, skip, errors = [], warnings = [], jobs }) => {
    const result = checkDiscovery(load(text), { skipUnsupportedDiscovery: skip === true });
    expect(result.errors).toEqual(errors);
    if (errors.length > 0) return;
    expect(result.config.warnings).toEqual(warnings);
    expect(result.config.scrapeConfigs.map((j) => j.jobName)).toEqual(jobs);
  });
});

describe('entries of mechanisms lambdascrape lacks are validated as Prometheus decodes them', () => {
  /** Each entry is written on line 4 of a job that also has static targets. */
  const cases = [
    {
      key: 'kubernetes_sd_configs',
      entry: '{role: pod, namespace: default}',
      error: '4:21: field namespace not found in type kubernetes.SDConfig',
    },
    {
      key: 'kubernetes_sd_configs',
      entry: '{role: pod, selectors: [{role: pod, labels: a=b}]}',
      error: '4:45: field labels not found in type kubernetes.SelectorConfig',
    },
    {
      key: 'kubernetes_sd_configs',
      entry: '{role: pod, namespaces: {names: default}}',
      error: '4:41: cannot unmarshal !!str `default` into []string',
    },
    {
      key: 'kubernetes_sd_configs',
      entry: '{role: pod, attach_metadata: {node: yes, pods: true}}',
      error: '4:50: field pods not found in type kubernetes.AttachMetadataConfig',
    },
    {
      key: 'kubernetes_sd_configs',
      entry: '{role: pod, api_server: "http://[::1"}',
      error: '4:33: parse "http://[::1": invalid URL',
    },
    {
      key: 'hetzner_sd_configs',
      entry: '{role: hcloud, basic_auth: {username: u}, authorization: {credentials: t}}',
      error: '4:66: at most one of basic_auth, oauth2 & authorization must be configured',
    },
    {
      key: 'gce_sd_configs',
      entry: '{project: p, zone: z, tls_config: {}}',
      error: '4:31: field tls_config not found in type gce.SDConfig',
    },
    {
      key: 'eureka_sd_configs',
      entry: '{server: "http://eureka:8761/eureka", refresh_interval: 30 seconds}',
      error: '4:65: not a valid duration string: "30 seconds"',
    },
    {
      key: 'docker_sd_configs',
      entry: '{host: "unix:///d.sock", filters: [{name: label, value: [x]}]}',
      error: '4:58: field value not found in type moby.Filter',
    },
    {
      key: 'openstack_sd_configs',
      entry: '{role: instance, region: r, port: nine}',
      error: '4:43: cannot unmarshal !!str `nine` into int',
    },
    {
      key: 'dockerswarm_sd_configs',
      entry: '{host: "tcp://swarm:2375", role: tasks, tls_config: {ca: x, ca_file: y}}',
      error: '4:78: at most one of ca, ca_file & ca_ref must be configured',
    },
  ];
  it.each(cases)('$key $entry', ({ key, entry, error }) => {
    const text = `scrape_configs:\n  - job_name: j\n    ${key}:\n      - ${entry}\n    static_configs: [{targets: ['a:1']}]\n`;
    expect(checkDiscovery(load(text)).errors).toEqual([`prometheus.yml:${error}`]);
  });

  it('the documented example of every mechanism lambdascrape lacks passes', () => {
    const text = yaml`
      scrape_configs:
        - job_name: j
          static_configs: [{targets: ['a:1']}]
          nomad_sd_configs:
            - server: http://nomad:4646
              namespace: default
              allow_stale: true
              tls_config: {ca_file: /var/run/secrets/ca.crt}
              bearer_token_file: /var/run/secrets/token
          docker_sd_configs:
            - host: unix:///var/run/docker.sock
              filters: [{name: label, values: [prometheus]}]
              refresh_interval: 30s
          serverset_sd_configs: [{servers: [zk:2181], paths: [/a], timeout: 10s}]
    `;
    const result = checkDiscovery(load(text));
    expect(result.errors).toEqual([]);
    expect(result.config.warnings).toHaveLength(3);
  });

  it('every mechanism Prometheus registers is run or described', () => {
    const run = DISCOVERY_MECHANISMS.map((m) => m.name);
    const described = Object.keys(UNSUPPORTED_MECHANISMS);
    expect([...run, ...described].sort()).toEqual(
      ['static_configs', ...PROMETHEUS_SD_NAMES.map((n) => `${n}_sd_configs`)].sort(),
    );
  });
});

describe('alertmanagers’ discovery', () => {
  it('is validated like a job’s, and never refused for lacking a mechanism', () => {
    const text = yaml`
      alerting:
        alertmanagers:
          - kubernetes_sd_configs: [{role: pod, namespace: x}]
          - dns_sd_configs: [{names: [am.example.com], type: A}]
          - kubernetes_sd_configs: [{role: pod}]
    `;
    expect(checkDiscovery(load(text)).errors).toEqual([
      'prometheus.yml:3:43: field namespace not found in type kubernetes.SDConfig',
      'prometheus.yml:4:24: a port is required in DNS-SD configs for all record types except SRV',
    ]);
  });
});
