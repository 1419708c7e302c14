/**
 * The targets of one MSK node: the `__meta_msk_*` labels of Prometheus's MSK role
 * (discovery/aws/msk.go, `MSKDiscovery.refresh`). A broker or KRaft controller gives one target
 * per endpoint (`<endpoint>:<port>`, with its index); any other node gives none. Every input is
 * untrusted (`read.ts`).
 */
import { sanitizeTagName } from '../ec2/index.js';
import { joinHostPort, list, record, str } from './read.js';

/** Meta label prefix of the msk role. */
export const MSK_LABEL = '__meta_msk_';

/**
 * Go's `%.0f` of a number: rounded half to even, every digit written out. A missing or
 * non-numeric value is Go's zero, `0`, as Prometheus formats an absent broker ID.
 */
export function goFormatFloat0(value: unknown): string {
  if (typeof value !== 'number' || !Number.isFinite(value)) return '0';
  const floor = Math.floor(value);
  const diff = value - floor;
  const rounded = diff > 0.5 || (diff === 0.5 && floor % 2 !== 0) ? floor + 1 : floor;
  return Math.abs(rounded) >= 1e21 ? BigInt(rounded).toString() : rounded.toFixed(0);
}

/** An int64 as Go writes it, or undefined when the value is no integer. */
function int64(value: unknown): string | undefined {
  if (typeof value !== 'number' || !Number.isInteger(value)) return undefined;
  return Number.isSafeInteger(value) ? String(value) : BigInt(value).toString();
}

/** The targets of `node` of `cluster` (a DescribeClusterV2 / ListClustersV2 entry). */
export function mskNodeTargets(
  cluster: unknown,
  node: unknown,
  port: number,
): Record<string, string>[] {
  const c = record(cluster);
  const n = record(node);
  const provisioned = record(c.Provisioned);
  const software = record(provisioned.CurrentBrokerSoftwareInfo);
  const monitoring = record(record(provisioned.OpenMonitoring).Prometheus);
  const labels: Record<string, string> = {};
  const set = (name: string, value: string | undefined): void => {
    // Empty means absent (§10).
    if (value !== undefined && value !== '') labels[`${MSK_LABEL}${name}`] = value;
  };
  set('cluster_name', str(c.ClusterName));
  set('cluster_arn', str(c.ClusterArn));
  set('cluster_state', str(c.State));
  set('cluster_type', str(c.ClusterType));
  set('cluster_version', str(c.CurrentVersion));
  set('node_arn', str(n.NodeARN));
  set('node_added_time', str(n.AddedToClusterTime));
  set('node_instance_type', str(n.InstanceType));
  set('cluster_kafka_version', str(software.KafkaVersion));
  set('cluster_configuration_arn', str(software.ConfigurationArn));
  set('cluster_configuration_revision', int64(software.ConfigurationRevision));
  // Present (true or false) only when Open Monitoring is enabled on the cluster.
  if (typeof monitoring.JmxExporter === 'object' && monitoring.JmxExporter !== null) {
    set(
      'cluster_jmx_exporter_enabled',
      String(record(monitoring.JmxExporter).EnabledInBroker === true),
    );
  }
  for (const [key, value] of Object.entries(record(c.Tags))) {
    if (typeof value === 'string') set(`cluster_tag_${sanitizeTagName(key)}`, value);
  }

  let endpoints: readonly unknown[];
  let indexLabel: string;
  if (typeof n.BrokerNodeInfo === 'object' && n.BrokerNodeInfo !== null) {
    const broker = record(n.BrokerNodeInfo);
    set('node_type', 'BROKER');
    set('node_attached_eni', str(broker.AttachedENIId));
    set('broker_id', goFormatFloat0(broker.BrokerId));
    set('broker_client_subnet', str(broker.ClientSubnet));
    set('broker_client_vpc_ip', str(broker.ClientVpcIpAddress));
    if (typeof monitoring.NodeExporter === 'object' && monitoring.NodeExporter !== null) {
      set(
        'broker_node_exporter_enabled',
        String(record(monitoring.NodeExporter).EnabledInBroker === true),
      );
    }
    endpoints = list(broker.Endpoints);
    indexLabel = 'broker_endpoint_index';
  } else if (typeof n.ControllerNodeInfo === 'object' && n.ControllerNodeInfo !== null) {
    set('node_type', 'CONTROLLER');
    endpoints = list(record(n.ControllerNodeInfo).Endpoints);
    indexLabel = 'controller_endpoint_index';
  } else {
    return [];
  }
  const targets: Record<string, string>[] = [];
  endpoints.forEach((endpoint, index) => {
    // Prometheus writes `<endpoint>:<port>` for any string; an empty one is no target here.
    if (typeof endpoint !== 'string' || endpoint === '') return;
    targets.push({
      ...labels,
      [`${MSK_LABEL}${indexLabel}`]: String(index),
      __address__: joinHostPort(endpoint, port),
    });
  });
  return targets;
}
