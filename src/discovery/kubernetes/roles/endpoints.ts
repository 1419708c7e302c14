/**
 * The `endpoints` role (Prometheus discovery/kubernetes/endpoints.go): one group per Endpoints
 * object, source `endpoints/<namespace>/<name>`, group labels of the namespace, the service of
 * the same name and the Endpoints object itself. Per subset, per port: one target per ready
 * address (`endpoint_ready="true"`) then per not-ready address (`"false"`). An address whose
 * target is a pod of the namespace also gets the pod's labels and, when a container declares
 * that port, the container's; then every declared container port of those pods that no
 * endpoint port covered becomes a target of its own (pod labels, no endpoint labels).
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
} from '../labels.js';
import type { EndpointAddress, Endpoints, ObjectReference, Pod } from '../objects.js';
import type { RoleContext } from './context.js';
import { addNamespaceLabels, addNodeLabels } from './metadata.js';
import { POD_LABEL, podContainers, podLabels } from './pod.js';
import { serviceLabels } from './service.js';

export const ENDPOINT_LABEL = {
  nodeName: `${META}endpoint_node_name`,
  hostname: `${META}endpoint_hostname`,
  ready: `${META}endpoint_ready`,
  portName: `${META}endpoint_port_name`,
  portProtocol: `${META}endpoint_port_protocol`,
  targetKind: `${META}endpoint_address_target_kind`,
  targetName: `${META}endpoint_address_target_name`,
} as const;

export function endpointsSource(namespace: string, name: string): string {
  return `endpoints/${namespace}/${name}`;
}

/**
 * The pods endpoint addresses point at, with the ports the endpoints cover: a target whose
 * address is one of the listed pods gets the pod's labels and its container's for the port;
 * {@link uncoveredPortTargets} then gives the pods' other declared container ports. One per group.
 */
export class EndpointPods {
  private readonly seen = new Map<string, { pod: Pod; ports: number[] }>();

  constructor(private readonly ctx: RoleContext) {}

  /**
   * `target` as it is when `ref` is no listed pod; else a copy with the pod's labels and, when
   * `port` is given, the labels of the first container (init containers last) declaring it,
   * `port` then counting as covered. `protocol` is what Prometheus writes as the port protocol:
   * the endpoint port's for the endpoints role, the container port's for endpointslice.
   */
  withPod(
    target: Labels,
    ref: ObjectReference | undefined,
    port: number | undefined,
    protocol: (containerProtocol: string) => string,
  ): Labels {
    if (ref === undefined || ref.kind !== 'Pod') return target;
    const pod = this.ctx.pods?.get(namespacedName(ref.namespace, ref.name));
    if (pod === undefined) return target;
    const key = namespacedName(pod.metadata.namespace, pod.metadata.name);
    let entry = this.seen.get(key);
    if (entry === undefined) {
      entry = { pod, ports: [] };
      this.seen.set(key, entry);
    }
    const withPod = { ...target, ...podLabels(pod, this.ctx) };
    if (port !== undefined) {
      addContainerPortLabels(withPod, pod, port, protocol);
      entry.ports.push(port);
    }
    return withPod;
  }

  /**
   * Targets for the declared container ports of the pods seen that no endpoint port covered:
   * `<podIP>:<containerPort>` with the container's and the pod's labels.
   */
  uncoveredPortTargets(): Labels[] {
    const targets: Labels[] = [];
    for (const { pod, ports } of this.seen.values()) {
      if (pod.podIP === '') continue;
      for (const { container, init } of podContainers(pod)) {
        for (const cport of container.ports) {
          if (ports.includes(cport.containerPort)) continue;
          targets.push({
            __address__: joinHostPort(pod.podIP, cport.containerPort),
            [POD_LABEL.containerName]: container.name,
            [POD_LABEL.containerImage]: container.image,
            [POD_LABEL.portName]: cport.name,
            [POD_LABEL.portNumber]: String(cport.containerPort),
            [POD_LABEL.portProtocol]: cport.protocol,
            [POD_LABEL.containerInit]: String(init),
            ...podLabels(pod, this.ctx),
          });
        }
      }
    }
    return targets;
  }
}

/** Sets the container labels of the first container (init containers last) declaring `port`. */
function addContainerPortLabels(
  target: Labels,
  pod: Pod,
  port: number,
  protocol: (containerProtocol: string) => string,
): void {
  for (const { container, init } of podContainers(pod)) {
    const cport = container.ports.find((p) => p.containerPort === port);
    if (cport === undefined) continue;
    target[POD_LABEL.containerName] = container.name;
    target[POD_LABEL.containerImage] = container.image;
    target[POD_LABEL.portName] = cport.name;
    target[POD_LABEL.portNumber] = String(port);
    target[POD_LABEL.portProtocol] = protocol(cport.protocol);
    target[POD_LABEL.containerInit] = String(init);
    return;
  }
}

export function buildEndpointsGroup(eps: Endpoints, ctx: RoleContext): TargetGroup {
  const { namespace, name } = eps.metadata;
  const service = ctx.services?.get(namespacedName(namespace, name));
  const labels: Labels = {
    [NAMESPACE_LABEL]: namespace,
    ...(service === undefined ? {} : serviceLabels(service)),
  };
  addObjectMeta(labels, eps.metadata, 'endpoints');
  if (ctx.attach.namespace) addNamespaceLabels(labels, ctx, namespace);

  const pods = new EndpointPods(ctx);
  const targets: Labels[] = [];
  const add = (
    addr: EndpointAddress,
    port: { name: string; port: number; protocol: string },
    ready: string,
  ) => {
    const target: Labels = {
      __address__: joinHostPort(addr.ip, port.port),
      [ENDPOINT_LABEL.portName]: port.name,
      [ENDPOINT_LABEL.portProtocol]: port.protocol,
      [ENDPOINT_LABEL.ready]: ready,
    };
    if (addr.targetRef !== undefined) {
      target[ENDPOINT_LABEL.targetKind] = addr.targetRef.kind;
      target[ENDPOINT_LABEL.targetName] = addr.targetRef.name;
    }
    if (addr.nodeName !== undefined) target[ENDPOINT_LABEL.nodeName] = addr.nodeName;
    if (addr.hostname !== '') target[ENDPOINT_LABEL.hostname] = addr.hostname;
    if (ctx.attach.node) {
      if (addr.nodeName !== undefined) addNodeLabels(target, ctx, addr.nodeName);
      else if (addr.targetRef?.kind === 'Node') addNodeLabels(target, ctx, addr.targetRef.name);
    }
    targets.push(pods.withPod(target, addr.targetRef, port.port, () => port.protocol));
  };
  for (const subset of eps.subsets) {
    for (const port of subset.ports) {
      for (const addr of subset.addresses) add(addr, port, 'true');
      for (const addr of subset.notReadyAddresses) add(addr, port, 'false');
    }
  }
  targets.push(...pods.uncoveredPortTargets());
  return finishGroup(endpointsSource(namespace, name), labels, targets);
}
