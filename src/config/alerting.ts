import { isSeq, type Node } from 'yaml';
import { HTTP_CLIENT_FIELDS, parseHttpClientConfig } from './http-client.js';
import { parseRelabelConfigs } from './relabel-config.js';
import { readSigV4 } from './remote-write.js';
import { isSdConfigsKey } from './sd-names.js';
import { parseServiceDiscovery } from './service-discovery.js';
import type { AlertmanagerDiscovery, ValidationScheme } from './types.js';
import type { YamlReader } from './yaml-reader.js';

/**
 * The `alerting` section, validated as Prometheus validates it (config.go `AlertingConfig`,
 * `AlertmanagerConfig`) and otherwise ignored: lambdascrape sends no alerts. Relabel rules are
 * checked with the global name validation scheme, static targets like a job's (no `/` unless
 * there is relabeling). The alertmanagers' discovery entries other than static and file are
 * returned for the discovery mechanisms to check, as a job's are.
 */

export const ALERTING_FIELDS = new Set(['alert_relabel_configs', 'alertmanagers']);

export const ALERTMANAGER_FIELDS = new Set([
  'sigv4',
  'scheme',
  'path_prefix',
  'timeout',
  'api_version',
  'relabel_configs',
  'alert_relabel_configs',
]);

/** Alertmanager API versions Prometheus 3 can talk to (`v1` is gone). */
const API_VERSIONS = ['v2'];

export function parseAlertingConfig(
  reader: YamlReader,
  node: Node | null,
  scheme: ValidationScheme,
): AlertmanagerDiscovery[] {
  const s = reader.struct(node, 'config.AlertingConfig', ALERTING_FIELDS);
  if (s === undefined) return [];
  parseRelabelConfigs(
    reader,
    s.value('alert_relabel_configs'),
    scheme,
    'empty or null alert relabeling rule',
  );
  const out: AlertmanagerDiscovery[] = [];
  const items = reader.items(s.value('alertmanagers'), 'config.AlertmanagerConfigs') ?? [];
  for (const [index, item] of items.entries()) {
    // A null entry decodes to the defaults in Prometheus (a pointer it then fills in).
    const discovery = parseAlertmanagerConfig(reader, item.value, scheme, index);
    if (discovery !== undefined) out.push(discovery);
  }
  return out;
}

export function isAlertmanagerField(key: string): boolean {
  return ALERTMANAGER_FIELDS.has(key) || HTTP_CLIENT_FIELDS.has(key) || isSdConfigsKey(key);
}

function parseAlertmanagerConfig(
  reader: YamlReader,
  node: Node | null,
  scheme: ValidationScheme,
  index: number,
): AlertmanagerDiscovery | undefined {
  const s = reader.struct(node, 'config.AlertmanagerConfig', isAlertmanagerField);
  if (s === undefined) return undefined;
  const http = parseHttpClientConfig(s, { enableHttp2: true });
  const sigv4 = readSigV4(reader, s.value('sigv4'));
  if (sigv4 !== undefined && (http.basicAuth || http.authorization || http.oauth2)) {
    s.fail('sigv4', 'at most one of basic_auth, authorization, oauth2, & sigv4 must be configured');
  }
  s.string('scheme');
  s.string('path_prefix');
  s.duration('timeout');
  const apiVersion = s.string('api_version');
  if (apiVersion !== undefined && !API_VERSIONS.includes(apiVersion)) {
    s.fail(
      'api_version',
      `expected Alertmanager api version to be one of [${API_VERSIONS.join(' ')}] but got ${apiVersion}`,
    );
  }
  const relabelNode = s.value('relabel_configs');
  parseRelabelConfigs(
    reader,
    relabelNode,
    scheme,
    'empty or null Alertmanager target relabeling rule',
  );
  parseRelabelConfigs(
    reader,
    s.value('alert_relabel_configs'),
    scheme,
    'empty or null Alertmanager alert relabeling rule',
  );
  const hasRelabelRules = isSeq(relabelNode) && relabelNode.items.length > 0;
  const sd = parseServiceDiscovery(s, !hasRelabelRules);
  return {
    jobName: `alertmanagers[${index}]`,
    staticConfigs: sd.staticConfigs,
    fileSdConfigs: sd.fileSdConfigs,
    sdConfigNodes: sd.sdConfigNodes,
  };
}
