/**
 * The `node` role (Prometheus discovery/kubernetes/node.go): one group per node, source
 * `node/<name>`, one target `<address>:<kubelet port>` with `instance` set to the node name. The
 * address is the first of InternalIP, InternalDNS, ExternalIP, ExternalDNS, LegacyHostIP,
 * Hostname; a node with none of them gives no group (Prometheus sends nothing for it).
 */
import type { TargetGroup } from '../../types.js';
import {
  addObjectMeta,
  finishGroup,
  joinHostPort,
  type Labels,
  META,
  sanitizeLabelName,
} from '../labels.js';
import type { KubeNode } from '../objects.js';

export const NODE_LABEL = {
  providerId: `${META}node_provider_id`,
  conditionPrefix: `${META}node_condition_`,
  addressPrefix: `${META}node_address_`,
} as const;

const ADDRESS_PRIORITY = [
  'InternalIP',
  'InternalDNS',
  'ExternalIP',
  'ExternalDNS',
  'LegacyHostIP',
  'Hostname',
] as const;

export function nodeSource(name: string): string {
  return `node/${name}`;
}

/** The node's group, or undefined when it has no usable address. */
export function buildNodeGroup(node: KubeNode): TargetGroup | undefined {
  const byType = new Map<string, string>();
  for (const a of node.addresses) if (!byType.has(a.type)) byType.set(a.type, a.address);
  const type = ADDRESS_PRIORITY.find((t) => byType.has(t));
  if (type === undefined) return undefined;

  const labels: Labels = { [NODE_LABEL.providerId]: node.providerID };
  for (const c of node.conditions) {
    labels[NODE_LABEL.conditionPrefix + sanitizeLabelName(c.type.toLowerCase())] =
      c.status.toLowerCase();
  }
  addObjectMeta(labels, node.metadata, 'node');

  const target: Labels = {
    __address__: joinHostPort(byType.get(type)!, node.kubeletPort),
    instance: node.metadata.name,
  };
  for (const [t, address] of byType) {
    target[sanitizeLabelName(NODE_LABEL.addressPrefix + t)] = address;
  }
  return finishGroup(nodeSource(node.metadata.name), labels, [target]);
}
