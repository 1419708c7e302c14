/**
 * The `ingress` role (Prometheus discovery/kubernetes/ingress.go): one group per ingress, source
 * `ingress/<namespace>/<name>`, one target per rule and path with the rule's host as
 * `__address__`; the scheme is `https` when a TLS entry's host (or `*.` wildcard) matches it.
 */
import type { TargetGroup } from '../../types.js';
import { addObjectMeta, finishGroup, type Labels, META, NAMESPACE_LABEL } from '../labels.js';
import type { Ingress } from '../objects.js';
import type { RoleContext } from './context.js';
import { addNamespaceLabels } from './metadata.js';

export const INGRESS_LABEL = {
  scheme: `${META}ingress_scheme`,
  host: `${META}ingress_host`,
  path: `${META}ingress_path`,
  className: `${META}ingress_class_name`,
} as const;

export function ingressSource(namespace: string, name: string): string {
  return `ingress/${namespace}/${name}`;
}

/** Equal, or a `*.rest` pattern whose dot-separated parts after the first equal the host's. */
export function matchesHostnamePattern(pattern: string, host: string): boolean {
  if (pattern === host) return true;
  const p = pattern.split('.');
  const h = host.split('.');
  if (p[0] !== '*' || p.length !== h.length) return false;
  return p.every((part, i) => i === 0 || part === h[i]);
}

export function buildIngressGroup(ingress: Ingress, ctx: RoleContext): TargetGroup {
  const { namespace, name } = ingress.metadata;
  const labels: Labels = { [NAMESPACE_LABEL]: namespace };
  if (ingress.ingressClassName !== undefined) {
    labels[INGRESS_LABEL.className] = ingress.ingressClassName;
  }
  addObjectMeta(labels, ingress.metadata, 'ingress');
  if (ctx.attach.namespace) addNamespaceLabels(labels, ctx, namespace);

  const targets: Labels[] = [];
  for (const rule of ingress.rules) {
    const https = ingress.tlsHosts.some((pattern) => matchesHostnamePattern(pattern, rule.host));
    // No http block: the root path; an empty path is the root path too.
    const paths = rule.paths === undefined ? ['/'] : rule.paths.map((p) => (p === '' ? '/' : p));
    for (const path of paths) {
      targets.push({
        __address__: rule.host,
        [INGRESS_LABEL.scheme]: https ? 'https' : 'http',
        [INGRESS_LABEL.host]: rule.host,
        [INGRESS_LABEL.path]: path,
      });
    }
  }
  return finishGroup(ingressSource(namespace, name), labels, targets);
}
