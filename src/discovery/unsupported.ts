/**
 * The discovery mechanisms Prometheus 3.x registers that lambdascrape does not run, described
 * by their fields so that their entries are still validated the way Prometheus decodes them:
 * known keys (`field x not found in type kubernetes.SDConfig`), value types (durations, ints,
 * lists, nested blocks) and the inline HTTP client settings with their own checks. The
 * mechanisms' further checks (required fields, allowed roles, …) are not repeated: the entries
 * are never used, and the job is either refused or skipped for lacking a mechanism that works
 * (check.ts).
 *
 * Field names and types follow each mechanism's `SDConfig` struct in Prometheus's `discovery/`
 * tree; keep them in step when Prometheus adds a field.
 */
import type { Node } from 'yaml';
import { goRefusesUrl } from '../config/go-url.js';
import {
  HTTP_CLIENT_FIELDS,
  parseHttpClientConfig,
  parseTlsConfig,
} from '../config/http-client.js';
import type { Struct, YamlReader } from '../config/yaml-reader.js';

export type Scalar = 'string' | 'secret' | 'bool' | 'int' | 'duration' | 'strings' | 'tls' | 'url';

/** A nested block: one mapping, or (`list`) a sequence of them. */
export interface Block {
  readonly goType: string;
  readonly fields: Readonly<Record<string, FieldType>>;
  /** The inline HTTP client settings (basic_auth, tls_config, proxy_url, …) are fields too. */
  readonly httpClient?: boolean;
  readonly list?: boolean;
}

export type FieldType = Scalar | Block;

const MOBY_FILTER: Block = {
  goType: 'moby.Filter',
  list: true,
  fields: { name: 'string', values: 'strings' },
};

const sd = (goType: string, fields: Block['fields'], httpClient = true): Block => ({
  goType,
  fields,
  httpClient,
});

/** By `<name>_sd_configs` key. */
export const UNSUPPORTED_MECHANISMS: Readonly<Record<string, Block>> = {
  azure_sd_configs: sd('azure.SDConfig', {
    environment: 'string',
    port: 'int',
    subscription_id: 'string',
    tenant_id: 'string',
    client_id: 'string',
    client_secret: 'secret',
    refresh_interval: 'duration',
    authentication_method: 'string',
    resource_group: 'string',
  }),
  digitalocean_sd_configs: sd('digitalocean.SDConfig', {
    refresh_interval: 'duration',
    port: 'int',
    role: 'string',
  }),
  docker_sd_configs: sd('moby.DockerSDConfig', {
    host: 'string',
    port: 'int',
    filters: MOBY_FILTER,
    host_networking_host: 'string',
    refresh_interval: 'duration',
    match_first_network: 'bool',
  }),
  dockerswarm_sd_configs: sd('moby.DockerSwarmSDConfig', {
    host: 'string',
    role: 'string',
    port: 'int',
    filters: MOBY_FILTER,
    refresh_interval: 'duration',
  }),
  eureka_sd_configs: sd('eureka.SDConfig', { server: 'string', refresh_interval: 'duration' }),
  gce_sd_configs: sd(
    'gce.SDConfig',
    {
      project: 'string',
      zone: 'string',
      filter: 'string',
      refresh_interval: 'duration',
      port: 'int',
      tag_separator: 'string',
    },
    false,
  ),
  hetzner_sd_configs: sd('hetzner.SDConfig', {
    refresh_interval: 'duration',
    port: 'int',
    role: 'string',
    label_selector: 'string',
  }),
  ionos_sd_configs: sd('ionos.SDConfig', {
    datacenter_id: 'string',
    refresh_interval: 'duration',
    port: 'int',
  }),
  kuma_sd_configs: sd('xds.SDConfig', {
    refresh_interval: 'duration',
    fetch_timeout: 'duration',
    server: 'string',
    client_id: 'string',
  }),
  linode_sd_configs: sd('linode.SDConfig', {
    refresh_interval: 'duration',
    port: 'int',
    tag_separator: 'string',
    region: 'string',
  }),
  marathon_sd_configs: sd('marathon.SDConfig', {
    servers: 'strings',
    refresh_interval: 'duration',
    auth_token: 'secret',
    auth_token_file: 'string',
  }),
  nerve_sd_configs: sd(
    'zookeeper.NerveSDConfig',
    { servers: 'strings', paths: 'strings', timeout: 'duration' },
    false,
  ),
  nomad_sd_configs: sd('nomad.SDConfig', {
    allow_stale: 'bool',
    namespace: 'string',
    refresh_interval: 'duration',
    region: 'string',
    server: 'string',
    tag_separator: 'string',
  }),
  oci_sd_configs: sd('oci.SDConfig', {
    auth: 'string',
    tenancy: 'string',
    user: 'string',
    fingerprint: 'string',
    key_file: 'string',
    key_passphrase: 'secret',
    key_passphrase_file: 'string',
    region: 'string',
    compartments: 'strings',
    port: 'int',
    refresh_interval: 'duration',
  }),
  openstack_sd_configs: sd(
    'openstack.SDConfig',
    {
      identity_endpoint: 'string',
      username: 'string',
      userid: 'string',
      password: 'secret',
      project_name: 'string',
      project_id: 'string',
      domain_name: 'string',
      domain_id: 'string',
      application_credential_name: 'string',
      application_credential_id: 'string',
      application_credential_secret: 'secret',
      role: 'string',
      region: 'string',
      refresh_interval: 'duration',
      port: 'int',
      all_tenants: 'bool',
      tls_config: 'tls',
      availability: 'string',
    },
    false,
  ),
  outscale_sd_configs: sd('outscale.SDConfig', {
    endpoint: 'string',
    region: 'string',
    access_key: 'string',
    secret_key: 'secret',
    secret_key_file: 'string',
    refresh_interval: 'duration',
    port: 'int',
  }),
  ovhcloud_sd_configs: sd(
    'ovhcloud.SDConfig',
    {
      endpoint: 'string',
      application_key: 'string',
      application_secret: 'secret',
      consumer_key: 'secret',
      refresh_interval: 'duration',
      service: 'string',
    },
    false,
  ),
  puppetdb_sd_configs: sd('puppetdb.SDConfig', {
    refresh_interval: 'duration',
    url: 'string',
    query: 'string',
    include_parameters: 'bool',
    port: 'int',
  }),
  scaleway_sd_configs: sd('scaleway.SDConfig', {
    project_id: 'string',
    api_url: 'string',
    zone: 'string',
    access_key: 'string',
    secret_key: 'secret',
    secret_key_file: 'string',
    name_filter: 'string',
    tags_filter: 'strings',
    refresh_interval: 'duration',
    port: 'int',
    role: 'string',
  }),
  serverset_sd_configs: sd(
    'zookeeper.ServersetSDConfig',
    { servers: 'strings', paths: 'strings', timeout: 'duration' },
    false,
  ),
  stackit_sd_configs: sd('stackit.SDConfig', {
    project: 'string',
    refresh_interval: 'duration',
    port: 'int',
    region: 'string',
    endpoint: 'string',
    service_account_key: 'secret',
    private_key: 'secret',
    service_account_key_path: 'string',
    private_key_path: 'string',
    credentials_file_path: 'string',
  }),
  triton_sd_configs: sd(
    'triton.SDConfig',
    {
      account: 'string',
      role: 'string',
      dns_suffix: 'string',
      endpoint: 'string',
      groups: 'strings',
      port: 'int',
      refresh_interval: 'duration',
      tls_config: 'tls',
      version: 'int',
    },
    false,
  ),
  uyuni_sd_configs: sd('uyuni.SDConfig', {
    server: 'string',
    username: 'string',
    password: 'secret',
    entitlement: 'string',
    separator: 'string',
    refresh_interval: 'duration',
  }),
  vultr_sd_configs: sd('vultr.SDConfig', { refresh_interval: 'duration', port: 'int' }),
};

/**
 * Validates one entry of an unsupported mechanism's list (`key` must be in
 * {@link UNSUPPORTED_MECHANISMS}); problems are recorded on `reader`.
 */
export function checkUnsupportedEntry(reader: YamlReader, key: string, node: Node): void {
  const block = UNSUPPORTED_MECHANISMS[key];
  if (block !== undefined) checkBlock(reader, node, block);
}

function checkBlock(reader: YamlReader, node: Node | null, block: Block): void {
  const known = (k: string) =>
    Object.hasOwn(block.fields, k) || (block.httpClient === true && HTTP_CLIENT_FIELDS.has(k));
  const s = reader.struct(node, block.goType, known);
  if (s === undefined) return;
  if (block.httpClient === true) parseHttpClientConfig(s, { enableHttp2: true });
  for (const [name, type] of Object.entries(block.fields)) checkField(s, name, type);
}

function checkField(s: Struct, name: string, type: FieldType): void {
  const reader = s.reader;
  const value = s.value(name);
  if (typeof type === 'object') {
    if (type.list !== true) {
      checkBlock(reader, value, type);
      return;
    }
    for (const item of reader.items(value, `[]${type.goType}`) ?? []) {
      checkBlock(reader, item.value, type);
    }
    return;
  }
  switch (type) {
    case 'string':
      s.string(name);
      return;
    case 'secret':
      s.secret(name);
      return;
    case 'bool':
      s.bool(name);
      return;
    case 'int':
      s.integer(name, 'int');
      return;
    case 'duration':
      s.duration(name);
      return;
    case 'strings':
      s.stringList(name);
      return;
    case 'tls':
      parseTlsConfig(reader, value);
      return;
    case 'url': {
      const text = s.string(name);
      if (text !== undefined && goRefusesUrl(text)) {
        s.fail(name, `parse ${JSON.stringify(text)}: invalid URL`);
      }
    }
  }
}
