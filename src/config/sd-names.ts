/**
 * The service-discovery lists Prometheus 3.x knows: `static_configs` plus one `<name>_sd_configs`
 * key per mechanism its `discovery/install` package registers. These keys, and no other, are
 * fields of a scrape config and of an alertmanager config; any other `*_sd_configs` key (a typo
 * such as `consult_sd_configs`) is an unknown field, as in Prometheus.
 *
 * Which of them lambdascrape runs is not decided here: that is the discovery registry's list
 * (`src/discovery/registry.ts`). Keep this list in step with Prometheus's when it adds one.
 */
export const PROMETHEUS_SD_NAMES = [
  'aws',
  'azure',
  'consul',
  'digitalocean',
  'dns',
  'docker',
  'dockerswarm',
  'ec2',
  'ecs',
  'elasticache',
  'eureka',
  'file',
  'gce',
  'hetzner',
  'http',
  'ionos',
  'kubernetes',
  'kuma',
  'lightsail',
  'linode',
  'marathon',
  'msk',
  'nerve',
  'nomad',
  'oci',
  'openstack',
  'outscale',
  'ovhcloud',
  'puppetdb',
  'rds',
  'scaleway',
  'serverset',
  'stackit',
  'triton',
  'uyuni',
  'vultr',
] as const;

/** The YAML keys of the lists above, `static_configs` included. */
export const SD_CONFIGS_KEYS: ReadonlySet<string> = new Set([
  'static_configs',
  ...PROMETHEUS_SD_NAMES.map((name) => `${name}_sd_configs`),
]);

/** True for `static_configs` and every `*_sd_configs` key Prometheus knows. */
export function isSdConfigsKey(key: string): boolean {
  return SD_CONFIGS_KEYS.has(key);
}
