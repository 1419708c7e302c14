/**
 * `kubernetes_sd_configs` entries, read with the config loader's reader. Fields, checks and
 * their messages follow Prometheus's `kubernetes.SDConfig` (discovery/kubernetes/kubernetes.go):
 * `role` required and one of six, `api_server` and `kubeconfig_file` exclusive, HTTP client
 * settings only with `api_server`, `own_namespace` only in-cluster, one selector per role and
 * only the roles each discovery role lists. Kubernetes SD has no `refresh_interval` field (it
 * watches); lambdascrape lists every {@link KUBERNETES_SD_REFRESH_INTERVAL_MS}.
 */
import type { Node } from 'yaml';
import {
  DEFAULT_TLS_CONFIG,
  HTTP_CLIENT_FIELDS,
  parseHttpClientConfig,
} from '../../config/http-client.js';
import type { HttpClientConfig } from '../../config/types.js';
import type { YamlReader } from '../../config/yaml-reader.js';
import { fieldSelectorProblem, labelSelectorProblem } from './selector.js';

/** How often a discoverer lists (ms): the scraper's discovery cadence, one minute. */
export const KUBERNETES_SD_REFRESH_INTERVAL_MS = 60_000;

export const KUBERNETES_ROLES = [
  'node',
  'pod',
  'service',
  'endpoints',
  'endpointslice',
  'ingress',
] as const;
export type KubernetesRole = (typeof KUBERNETES_ROLES)[number];

/** The selector roles each discovery role accepts (Prometheus's `allowedSelectors`). */
export const ALLOWED_SELECTORS: Readonly<Record<KubernetesRole, readonly KubernetesRole[]>> = {
  pod: ['pod', 'node'],
  service: ['service'],
  endpointslice: ['pod', 'service', 'endpointslice'],
  endpoints: ['pod', 'service', 'endpoints'],
  node: ['node'],
  ingress: ['ingress'],
};

export interface KubernetesSelector {
  /** Sent as `labelSelector` ('' = none). */
  readonly label: string;
  /** Sent as `fieldSelector` ('' = none). */
  readonly field: string;
}

export interface AttachMetadata {
  readonly node: boolean;
  readonly namespace: boolean;
  readonly deployment: boolean;
  readonly job: boolean;
  readonly cronjob: boolean;
}

export interface KubernetesSdConfig {
  readonly role: KubernetesRole;
  /** The API server URL; undefined = kubeconfig_file, else in-cluster. */
  readonly apiServer: string | undefined;
  /** Absolute (resolved against the config's folder), or undefined. */
  readonly kubeconfigFile: string | undefined;
  /** Only meaningful with `apiServer`. */
  readonly httpClient: HttpClientConfig;
  /** Empty with `ownNamespace` false = every namespace. */
  readonly namespaces: readonly string[];
  readonly ownNamespace: boolean;
  /** By the role of the objects they select; absent = no selector. */
  readonly selectors: Readonly<Partial<Record<KubernetesRole, KubernetesSelector>>>;
  readonly attachMetadata: AttachMetadata;
}

/** The keys of each mapping of an entry (docs/config-fields.md lists them). */
export const SD_FIELDS: ReadonlySet<string> = new Set([
  'api_server',
  'role',
  'kubeconfig_file',
  'namespaces',
  'selectors',
  'attach_metadata',
  ...HTTP_CLIENT_FIELDS,
]);
export const NAMESPACE_FIELDS: ReadonlySet<string> = new Set(['own_namespace', 'names']);
export const SELECTOR_FIELDS: ReadonlySet<string> = new Set(['role', 'label', 'field']);
export const ATTACH_FIELDS: ReadonlySet<string> = new Set([
  'node',
  'namespace',
  'deployment',
  'job',
  'cronjob',
]);

function isRole(text: string): text is KubernetesRole {
  return (KUBERNETES_ROLES as readonly string[]).includes(text);
}

/** Prometheus compares the client config with its defaults (`reflect.DeepEqual`). */
function isDefaultHttpClient(c: HttpClientConfig): boolean {
  const tls = c.tlsConfig as unknown as Record<string, unknown>;
  const defaults = DEFAULT_TLS_CONFIG as unknown as Record<string, unknown>;
  return (
    c.basicAuth === undefined &&
    c.authorization === undefined &&
    c.oauth2 === undefined &&
    c.followRedirects &&
    c.enableHttp2 &&
    c.proxyUrl === undefined &&
    (c.noProxy ?? '') === '' &&
    !c.proxyFromEnvironment &&
    Object.keys(c.proxyConnectHeader).length === 0 &&
    Object.keys(c.httpHeaders).length === 0 &&
    Object.keys(defaults).every((k) => tls[k] === defaults[k])
  );
}

/**
 * Reads one `kubernetes_sd_configs` entry. Problems are recorded on `reader` as
 * `file:line:col: message` and give undefined.
 */
export function parseKubernetesSdConfig(
  reader: YamlReader,
  node: Node,
): KubernetesSdConfig | undefined {
  const errorsBefore = reader.errors.length;
  const s = reader.struct(node, 'kubernetes.SDConfig', SD_FIELDS);
  if (s === undefined) return undefined;
  const roleText = s.string('role') ?? '';
  if (roleText !== '' && !isRole(roleText)) {
    s.fail('role', `unknown Kubernetes SD role ${JSON.stringify(roleText)}`);
  }
  const apiServerText = s.string('api_server');
  const kubeconfigFile = s.filePath('kubeconfig_file');
  const httpClient = parseHttpClientConfig(s, { enableHttp2: true });

  const ns = s.has('namespaces')
    ? reader.struct(s.value('namespaces'), 'kubernetes.NamespaceDiscovery', NAMESPACE_FIELDS)
    : undefined;
  const ownNamespace = ns?.bool('own_namespace') ?? false;
  const namespaces = ns?.stringList('names') ?? [];

  const attach = s.has('attach_metadata')
    ? reader.struct(s.value('attach_metadata'), 'kubernetes.AttachMetadataConfig', ATTACH_FIELDS)
    : undefined;
  const attachMetadata: AttachMetadata = {
    node: attach?.bool('node') ?? false,
    namespace: attach?.bool('namespace') ?? false,
    deployment: attach?.bool('deployment') ?? false,
    job: attach?.bool('job') ?? false,
    cronjob: attach?.bool('cronjob') ?? false,
  };

  const selectorItems: { role: string; label: string; field: string; at: Node | null }[] = [];
  for (const item of reader.items(s.value('selectors'), '[]kubernetes.SelectorConfig') ?? []) {
    const sel = reader.struct(item.value, 'kubernetes.SelectorConfig', SELECTOR_FIELDS);
    if (sel === undefined) continue;
    const role = sel.string('role') ?? '';
    if (role !== '' && !isRole(role)) {
      sel.fail('role', `unknown Kubernetes SD role ${JSON.stringify(role)}`);
    }
    selectorItems.push({
      role,
      label: sel.string('label') ?? '',
      field: sel.string('field') ?? '',
      at: item.at,
    });
  }
  if (reader.errors.length > errorsBefore) return undefined;

  const fail = (field: string | undefined, message: string) => {
    s.fail(field, message);
    return undefined;
  };
  if (!isRole(roleText)) {
    return fail(
      s.has('role') ? 'role' : undefined,
      'role missing (one of: pod, service, endpoints, endpointslice, node, ingress)',
    );
  }
  const role = roleText;
  const apiServer = apiServerText === undefined || apiServerText === '' ? undefined : apiServerText;
  if (apiServer !== undefined) {
    let url: URL | undefined;
    try {
      url = new URL(apiServer);
    } catch {
      url = undefined;
    }
    if (url === undefined)
      return fail('api_server', `parse ${JSON.stringify(apiServer)}: invalid URL`);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      return fail('api_server', `${JSON.stringify(apiServer)} is not an http or https URL`);
    }
  }
  const customClient = !isDefaultHttpClient(httpClient);
  if (apiServer !== undefined && kubeconfigFile !== undefined) {
    return fail('kubeconfig_file', "cannot use 'kubeconfig_file' and 'api_server' simultaneously");
  }
  if (kubeconfigFile !== undefined && customClient) {
    return fail(
      'kubeconfig_file',
      "cannot use a custom HTTP client configuration together with 'kubeconfig_file'",
    );
  }
  if (apiServer === undefined && customClient) {
    return fail(
      undefined,
      "to use custom HTTP client configuration please provide the 'api_server' URL explicitly",
    );
  }
  if (apiServer !== undefined && ownNamespace) {
    return fail(
      'namespaces',
      "cannot use 'api_server' and 'namespaces.own_namespace' simultaneously",
    );
  }
  if (kubeconfigFile !== undefined && ownNamespace) {
    return fail(
      'namespaces',
      "cannot use 'kubeconfig_file' and 'namespaces.own_namespace' simultaneously",
    );
  }
  const selectors: Partial<Record<KubernetesRole, KubernetesSelector>> = {};
  const allowed = ALLOWED_SELECTORS[role];
  for (const item of selectorItems) {
    if (Object.hasOwn(selectors, item.role)) {
      reader.fail(item.at, `duplicated selector role: ${item.role}`);
      return undefined;
    }
    if (!(allowed as readonly string[]).includes(item.role)) {
      reader.fail(item.at, `${role} role supports only ${allowed.join(', ')} selectors`);
      return undefined;
    }
    const problem = fieldSelectorProblem(item.field) ?? labelSelectorProblem(item.label);
    if (problem !== undefined) {
      reader.fail(item.at, problem);
      return undefined;
    }
    selectors[item.role as KubernetesRole] = { label: item.label, field: item.field };
  }
  return {
    role,
    apiServer,
    kubeconfigFile,
    httpClient,
    namespaces,
    ownNamespace,
    selectors,
    attachMetadata,
  };
}
