/**
 * The `attach_metadata` labels: a node's name, labels and annotations (`__meta_kubernetes_node_*`)
 * and a namespace's labels and annotations (`__meta_kubernetes_namespace_label_*`, …). An
 * object missing from the store adds nothing.
 */
import { addLabelsAndAnnotations, addObjectMeta, type Labels } from '../labels.js';
import type { RoleContext } from './context.js';

export function addNodeLabels(out: Labels, ctx: RoleContext, nodeName: string | undefined): void {
  if (nodeName === undefined) return;
  const node = ctx.nodes?.get(nodeName);
  if (node !== undefined) addObjectMeta(out, node.metadata, 'node');
}

export function addNamespaceLabels(out: Labels, ctx: RoleContext, namespace: string): void {
  const ns = ctx.namespaces?.get(namespace);
  if (ns !== undefined) addLabelsAndAnnotations(out, ns.metadata, 'namespace');
}
