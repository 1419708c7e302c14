/**
 * The `endpointslice` role (Prometheus discovery/kubernetes/endpointslice.go): one group per
 * EndpointSlice, source `endpointslice/<namespace>/<name>`, group labels of the namespace, the
 * slice, its address type and the service named by its `kubernetes.io/service-name` label. Per
 * endpoint, per port, per address one target; fields the API leaves unset give no label. Pod
 * targets and uncovered container ports as in the endpoints role. The secondary slice of a
 * dual-stack service (address type other than the service's first IP family) gives an empty
 * target list, as its targets repeat the primary slice's.
 */
import type { TargetGroup } from '../../types.js';
import {
  addObjectMeta,
  finishGroup,
  joinHostPort,
  type Labels,
  META,
  NAMESPACE_LABEL,
  namespacedName,
  sanitizeLabelName,
} from '../labels.js';
import type { EndpointSlice, Service, SliceEndpoint, SlicePort } from '../objects.js';
import type { RoleContext } from './context.js';
import { EndpointPods } from './endpoints.js';
import { addNamespaceLabels, addNodeLabels } from './metadata.js';
import { serviceLabels } from './service.js';

const P = `${META}endpointslice_`;
export const ENDPOINTSLICE_LABEL = {
  addressType: `${P}address_type`,
  portName: `${P}port_name`,
  portProtocol: `${P}port_protocol`,
  port: `${P}port`,
  appProtocol: `${P}port_app_protocol`,
  ready: `${P}endpoint_conditions_ready`,
  serving: `${P}endpoint_conditions_serving`,
  terminating: `${P}endpoint_conditions_terminating`,
  zone: `${P}endpoint_zone`,
  hostname: `${P}endpoint_hostname`,
  nodeName: `${P}endpoint_node_name`,
  targetKind: `${P}address_target_kind`,
  targetName: `${P}address_target_name`,
  topologyPrefix: `${P}endpoint_topology_`,
  topologyPresentPrefix: `${P}endpoint_topology_present_`,
} as const;

/** The label naming a slice's service. */
export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

export function endpointSliceSource(namespace: string, name: string): string {
  return `endpointslice/${namespace}/${name}`;
}

function isSecondaryFamily(svc: Service | undefined, eps: EndpointSlice): boolean {
  if (svc === undefined) return false;
  const policy = svc.ipFamilyPolicy;
  if (policy !== 'PreferDualStack' && policy !== 'RequireDualStack') return false;
  if (svc.ipFamilies.length === 0) return false;
  return eps.addressType !== svc.ipFamilies[0];
}

function endpointTarget(addr: string, ep: SliceEndpoint, port: SlicePort, ctx: RoleContext) {
  const L = ENDPOINTSLICE_LABEL;
  const target: Labels = {
    __address__: port.port === undefined ? addr : joinHostPort(addr, port.port),
  };
  if (port.name !== undefined) target[L.portName] = port.name;
  if (port.protocol !== undefined) target[L.portProtocol] = port.protocol;
  if (port.port !== undefined) target[L.port] = String(port.port);
  if (port.appProtocol !== undefined) target[L.appProtocol] = port.appProtocol;
  if (ep.ready !== undefined) target[L.ready] = String(ep.ready);
  if (ep.serving !== undefined) target[L.serving] = String(ep.serving);
  if (ep.terminating !== undefined) target[L.terminating] = String(ep.terminating);
  if (ep.hostname !== undefined) target[L.hostname] = ep.hostname;
  if (ep.targetRef !== undefined) {
    target[L.targetKind] = ep.targetRef.kind;
    target[L.targetName] = ep.targetRef.name;
  }
  if (ep.nodeName !== undefined) target[L.nodeName] = ep.nodeName;
  if (ep.zone !== undefined) target[L.zone] = ep.zone;
  for (const [k, v] of Object.entries(ep.deprecatedTopology)) {
    const name = sanitizeLabelName(k);
    target[L.topologyPrefix + name] = v;
    target[L.topologyPresentPrefix + name] = 'true';
  }
  if (ctx.attach.node) {
    const node = ep.targetRef?.kind === 'Node' ? ep.targetRef.name : ep.nodeName;
    addNodeLabels(target, ctx, node);
  }
  return target;
}

export function buildEndpointSliceGroup(eps: EndpointSlice, ctx: RoleContext): TargetGroup {
  const { namespace, name } = eps.metadata;
  const source = endpointSliceSource(namespace, name);
  const labels: Labels = {
    [NAMESPACE_LABEL]: namespace,
    [ENDPOINTSLICE_LABEL.addressType]: eps.addressType,
  };
  addObjectMeta(labels, eps.metadata, 'endpointslice');
  const serviceName = eps.metadata.labels[SERVICE_NAME_LABEL];
  const service =
    serviceName === undefined
      ? undefined
      : ctx.services?.get(namespacedName(namespace, serviceName));
  if (service !== undefined) Object.assign(labels, serviceLabels(service));
  if (ctx.attach.namespace) addNamespaceLabels(labels, ctx, namespace);
  if (isSecondaryFamily(service, eps)) return finishGroup(source, labels, []);

  const pods = new EndpointPods(ctx);
  const targets: Labels[] = [];
  for (const ep of eps.endpoints) {
    for (const port of eps.ports) {
      for (const addr of ep.addresses) {
        const target = endpointTarget(addr, ep, port, ctx);
        targets.push(pods.withPod(target, ep.targetRef, port.port, (protocol) => protocol));
      }
    }
  }
  targets.push(...pods.uncoveredPortTargets());
  return finishGroup(source, labels, targets);
}
