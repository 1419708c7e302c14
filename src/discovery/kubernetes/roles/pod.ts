/**
 * The `pod` role (Prometheus discovery/kubernetes/pod.go): one group per pod, source
 * `pod/<namespace>/<name>`, one target per container port (`<podIP>:<port>`) and one per
 * container without ports (`<podIP>`), init containers after the others. A pod without an IP
 * gives an empty group. {@link podLabels} is shared with the endpoints roles.
 */
import type { TargetGroup } from '../../types.js';
import {
  addObjectMeta,
  controllerOf,
  finishGroup,
  joinHostPort,
  type Labels,
  META,
  NAMESPACE_LABEL,
  namespacedName,
} from '../labels.js';
import type { Container, Pod } from '../objects.js';
import type { RoleContext } from './context.js';
import { addNamespaceLabels, addNodeLabels } from './metadata.js';

export const POD_LABEL = {
  ip: `${META}pod_ip`,
  ready: `${META}pod_ready`,
  phase: `${META}pod_phase`,
  nodeName: `${META}pod_node_name`,
  hostIp: `${META}pod_host_ip`,
  uid: `${META}pod_uid`,
  controllerKind: `${META}pod_controller_kind`,
  controllerName: `${META}pod_controller_name`,
  deploymentName: `${META}pod_deployment_name`,
  jobName: `${META}pod_job_name`,
  cronjobName: `${META}pod_cronjob_name`,
  containerName: `${META}pod_container_name`,
  containerId: `${META}pod_container_id`,
  containerImage: `${META}pod_container_image`,
  containerInit: `${META}pod_container_init`,
  portName: `${META}pod_container_port_name`,
  portNumber: `${META}pod_container_port_number`,
  portProtocol: `${META}pod_container_port_protocol`,
} as const;

export function podSource(namespace: string, name: string): string {
  return `pod/${namespacedName(namespace, name)}`;
}

/** The Ready condition's status in lower case; `unknown` without one. */
function podReady(pod: Pod): string {
  const ready = pod.conditions.find((c) => c.type === 'Ready');
  return (ready?.status ?? 'Unknown').toLowerCase();
}

/**
 * The pod's own labels (no namespace, no container): IP, readiness, phase, node, host IP, UID,
 * name, labels and annotations, controller, and the deployment/job/cronjob names that
 * `attach_metadata` asks for.
 */
export function podLabels(pod: Pod, ctx: RoleContext): Labels {
  const ls: Labels = {
    [POD_LABEL.ip]: pod.podIP,
    [POD_LABEL.ready]: podReady(pod),
    [POD_LABEL.phase]: pod.phase,
    [POD_LABEL.nodeName]: pod.nodeName,
    [POD_LABEL.hostIp]: pod.hostIP,
    [POD_LABEL.uid]: pod.metadata.uid,
  };
  addObjectMeta(ls, pod.metadata, 'pod');
  const owner = controllerOf(pod.metadata);
  if (owner === undefined) return ls;
  if (owner.kind !== '') ls[POD_LABEL.controllerKind] = owner.kind;
  if (owner.name !== '') ls[POD_LABEL.controllerName] = owner.name;
  const key = namespacedName(pod.metadata.namespace, owner.name);
  if (owner.kind === 'ReplicaSet' && ctx.attach.deployment) {
    const rs = ctx.replicaSets?.get(key);
    const rsOwner = rs === undefined ? undefined : controllerOf(rs.metadata);
    if (rsOwner?.kind === 'Deployment') ls[POD_LABEL.deploymentName] = rsOwner.name;
  } else if (owner.kind === 'Job') {
    if (ctx.attach.job) ls[POD_LABEL.jobName] = owner.name;
    if (ctx.attach.cronjob) {
      const job = ctx.jobs?.get(key);
      const jobOwner = job === undefined ? undefined : controllerOf(job.metadata);
      if (jobOwner?.kind === 'CronJob') ls[POD_LABEL.cronjobName] = jobOwner.name;
    }
  }
  return ls;
}

/** The pod's containers then its init containers, each with whether it is an init container. */
export function podContainers(pod: Pod): { container: Container; init: boolean }[] {
  return [
    ...pod.containers.map((container) => ({ container, init: false })),
    ...pod.initContainers.map((container) => ({ container, init: true })),
  ];
}

export function buildPodGroup(pod: Pod, ctx: RoleContext): TargetGroup {
  const { namespace, name } = pod.metadata;
  const source = podSource(namespace, name);
  // No IP yet (starting) or any more (evicted): nothing to scrape.
  if (pod.podIP === '') return finishGroup(source, {}, []);
  // With node metadata, pods on nodes the node selector left out are left out too.
  if (ctx.attach.node && !ctx.nodes?.has(pod.nodeName)) return finishGroup(source, {}, []);

  const labels = podLabels(pod, ctx);
  labels[NAMESPACE_LABEL] = namespace;
  if (ctx.attach.node) addNodeLabels(labels, ctx, pod.nodeName);
  if (ctx.attach.namespace) addNamespaceLabels(labels, ctx, namespace);

  const targets: Labels[] = [];
  for (const { container, init } of podContainers(pod)) {
    const ids = init ? pod.initContainerIds : pod.containerIds;
    const common: Labels = {
      [POD_LABEL.containerName]: container.name,
      [POD_LABEL.containerId]: ids.get(container.name) ?? '',
      [POD_LABEL.containerImage]: container.image,
      [POD_LABEL.containerInit]: String(init),
    };
    if (container.ports.length === 0) {
      // No declared port: the pod IP alone; relabeling must add a port.
      targets.push({ __address__: pod.podIP, ...common });
      continue;
    }
    for (const port of container.ports) {
      targets.push({
        __address__: joinHostPort(pod.podIP, port.containerPort),
        ...common,
        [POD_LABEL.portNumber]: String(port.containerPort),
        [POD_LABEL.portName]: port.name,
        [POD_LABEL.portProtocol]: port.protocol,
      });
    }
  }
  return finishGroup(source, labels, targets);
}
