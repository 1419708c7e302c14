/**
 * The `service` role (Prometheus discovery/kubernetes/service.go): one group per service, source
 * `svc/<namespace>/<name>`, one target per port at `<name>.<namespace>.svc:<port>`.
 * {@link serviceLabels} is shared with the endpoints roles.
 */
import type { TargetGroup } from '../../types.js';
import {
  addObjectMeta,
  finishGroup,
  joinHostPort,
  type Labels,
  META,
  NAMESPACE_LABEL,
} from '../labels.js';
import type { Service } from '../objects.js';
import type { RoleContext } from './context.js';
import { addNamespaceLabels } from './metadata.js';

export const SERVICE_LABEL = {
  portName: `${META}service_port_name`,
  portNumber: `${META}service_port_number`,
  portProtocol: `${META}service_port_protocol`,
  clusterIp: `${META}service_cluster_ip`,
  loadBalancerIp: `${META}service_loadbalancer_ip`,
  externalName: `${META}service_external_name`,
  type: `${META}service_type`,
} as const;

export function serviceSource(namespace: string, name: string): string {
  return `svc/${namespace}/${name}`;
}

/** Namespace, `service_name`, and the service's labels and annotations. */
export function serviceLabels(svc: Service): Labels {
  const ls: Labels = { [NAMESPACE_LABEL]: svc.metadata.namespace };
  addObjectMeta(ls, svc.metadata, 'service');
  return ls;
}

/** status.loadBalancer.ingress IPs joined by `,`, else the deprecated spec.loadBalancerIP. */
function loadBalancerIps(svc: Service): string {
  const ips = svc.loadBalancerIngressIPs.filter((ip) => ip !== '');
  return ips.length > 0 ? ips.join(',') : svc.loadBalancerIP;
}

export function buildServiceGroup(svc: Service, ctx: RoleContext): TargetGroup {
  const { namespace, name } = svc.metadata;
  const labels = serviceLabels(svc);
  if (ctx.attach.namespace) addNamespaceLabels(labels, ctx, namespace);
  const targets = svc.ports.map((port) => {
    const target: Labels = {
      __address__: joinHostPort(`${name}.${namespace}.svc`, port.port),
      [SERVICE_LABEL.portName]: port.name,
      [SERVICE_LABEL.portNumber]: String(port.port),
      [SERVICE_LABEL.portProtocol]: port.protocol,
      [SERVICE_LABEL.type]: svc.type,
    };
    if (svc.type === 'ExternalName') target[SERVICE_LABEL.externalName] = svc.externalName;
    else target[SERVICE_LABEL.clusterIp] = svc.clusterIP;
    if (svc.type === 'LoadBalancer') target[SERVICE_LABEL.loadBalancerIp] = loadBalancerIps(svc);
    return target;
  });
  return finishGroup(serviceSource(namespace, name), labels, targets);
}
