/**
 * The targets of ElastiCache discovery: the `__meta_elasticache_*` labels of Prometheus's
 * elasticache role (discovery/aws/elasticache.go, `addServerlessCacheTargets` and
 * `addCacheClusterTargets`). A serverless cache is one target (`deployment_option`
 * `serverless`), its `__address__` the endpoint's address and port; every node of a cache
 * cluster is one target (`node`), carrying the cluster's labels and tags and its own, its
 * `__address__` the node endpoint's address and port. Neither uses the configured `port`, as in
 * Prometheus. The label names are Prometheus's constants as they concatenate, including
 * `…_data_storagemaximum` and `…_endpoint_reader_address` (its documentation writes other
 * names). Every input is untrusted (`read.ts`): a field of the wrong type is absent.
 */
import { type FieldTable, putFields, putTags, setLabel } from './field-labels.js';
import { joinHostPort, list, record, str } from './read.js';

/** Meta label prefix of the elasticache role. */
export const ELASTICACHE_LABEL = '__meta_elasticache_';
const CLUSTER = `${ELASTICACHE_LABEL}cache_cluster_`;
const SERVERLESS = `${ELASTICACHE_LABEL}serverless_cache_`;

/** [label suffix, CacheCluster field, kind] of the plain fields (elasticache.go's order). */
const CLUSTER_FIELDS: FieldTable = [
  ['arn', 'ARN', 's'],
  ['cache_cluster_id', 'CacheClusterId', 's'],
  ['cache_cluster_status', 'CacheClusterStatus', 's'],
  ['at_rest_encryption_enabled', 'AtRestEncryptionEnabled', 'b'],
  ['auth_token_enabled', 'AuthTokenEnabled', 'b'],
  ['auth_token_last_modified', 'AuthTokenLastModifiedDate', 't'],
  ['auto_minor_version_upgrade', 'AutoMinorVersionUpgrade', 'b'],
  ['cache_cluster_create_time', 'CacheClusterCreateTime', 't'],
  ['cache_node_type', 'CacheNodeType', 's'],
  ['cache_subnet_group_name', 'CacheSubnetGroupName', 's'],
  ['client_download_landing_page', 'ClientDownloadLandingPage', 's'],
  ['engine', 'Engine', 's'],
  ['engine_version', 'EngineVersion', 's'],
  ['ip_discovery', 'IpDiscovery', 's'],
  ['network_type', 'NetworkType', 's'],
  ['num_cache_nodes', 'NumCacheNodes', 'i'],
  ['preferred_availability_zone', 'PreferredAvailabilityZone', 's'],
  ['preferred_maintenance_window', 'PreferredMaintenanceWindow', 's'],
  ['preferred_outpost_arn', 'PreferredOutpostArn', 's'],
  ['replication_group_id', 'ReplicationGroupId', 's'],
  ['replication_group_log_delivery_enabled', 'ReplicationGroupLogDeliveryEnabled', 'b'],
  ['snapshot_retention_limit', 'SnapshotRetentionLimit', 'i'],
  ['snapshot_window', 'SnapshotWindow', 's'],
  ['transit_encryption_enabled', 'TransitEncryptionEnabled', 'b'],
  ['transit_encryption_mode', 'TransitEncryptionMode', 's'],
];

const PENDING_FIELDS: FieldTable = [
  ['auth_token_status', 'AuthTokenStatus', 's'],
  ['cache_node_type', 'CacheNodeType', 's'],
  ['engine_version', 'EngineVersion', 's'],
  ['num_cache_nodes', 'NumCacheNodes', 'i'],
  ['transit_encryption_enabled', 'TransitEncryptionEnabled', 'b'],
  ['transit_encryption_mode', 'TransitEncryptionMode', 's'],
];

const NODE_FIELDS: FieldTable = [
  ['id', 'CacheNodeId', 's'],
  ['status', 'CacheNodeStatus', 's'],
  ['create_time', 'CacheNodeCreateTime', 't'],
  ['availability_zone', 'CustomerAvailabilityZone', 's'],
  ['customer_outpost_arn', 'CustomerOutpostArn', 's'],
  ['source_cache_node_id', 'SourceCacheNodeId', 's'],
  ['parameter_group_status', 'ParameterGroupStatus', 's'],
];

const SERVERLESS_FIELDS: FieldTable = [
  ['arn', 'ARN', 's'],
  ['name', 'ServerlessCacheName', 's'],
  ['status', 'Status', 's'],
  ['engine', 'Engine', 's'],
  ['full_engine_version', 'FullEngineVersion', 's'],
  ['major_engine_version', 'MajorEngineVersion', 's'],
  ['description', 'Description', 's'],
  ['create_time', 'CreateTime', 't'],
  ['kms_key_id', 'KmsKeyId', 's'],
  ['user_group_id', 'UserGroupId', 's'],
  ['daily_snapshot_time', 'DailySnapshotTime', 's'],
  ['snapshot_retention_limit', 'SnapshotRetentionLimit', 'i'],
];

const ENDPOINT: FieldTable = [
  ['address', 'Address', 's'],
  ['port', 'Port', 'i'],
];

/** The `host:port` of an endpoint with both an address and an integer port, else undefined. */
function address(endpoint: Readonly<Record<string, unknown>>): string | undefined {
  const host = str(endpoint.Address);
  const port = endpoint.Port;
  if (host === undefined || typeof port !== 'number' || !Number.isSafeInteger(port)) {
    return undefined;
  }
  return joinHostPort(host, port);
}

/** The target of a DescribeServerlessCaches entry; `tags` is its ListTagsForResource TagList. */
export function serverlessCacheTarget(cache: unknown, tags: unknown): Record<string, string> {
  const c = record(cache);
  const labels: Record<string, string> = {
    [`${ELASTICACHE_LABEL}deployment_option`]: 'serverless',
  };
  putFields(labels, SERVERLESS, SERVERLESS_FIELDS, c);
  const endpoint = record(c.Endpoint);
  putFields(labels, `${SERVERLESS}endpoint_`, ENDPOINT, endpoint);
  putFields(
    labels,
    `${SERVERLESS}endpoint_`,
    [
      ['reader_address', 'Address', 's'],
      ['reader_port', 'Port', 'i'],
    ],
    record(c.ReaderEndpoint),
  );
  list(c.SecurityGroupIds).forEach((id, i) => {
    setLabel(labels, `${SERVERLESS}security_group_id_${i}`, str(id));
  });
  list(c.SubnetIds).forEach((id, i) => {
    setLabel(labels, `${SERVERLESS}subnet_id_${i}`, str(id));
  });
  const limits = record(c.CacheUsageLimits);
  // Prometheus's constants concatenate without a separator here.
  putFields(
    labels,
    `${SERVERLESS}cache_usage_limit_data_storage`,
    [
      ['maximum', 'Maximum', 'i'],
      ['minimum', 'Minimum', 'i'],
      ['unit', 'Unit', 's'],
    ],
    record(limits.DataStorage),
  );
  putFields(
    labels,
    `${SERVERLESS}cache_usage_limit_ecpu_per_second`,
    [
      ['maximum', 'Maximum', 'i'],
      ['minimum', 'Minimum', 'i'],
    ],
    record(limits.ECPUPerSecond),
  );
  putTags(labels, `${SERVERLESS}tag_`, tags);
  const target = address(endpoint);
  if (target !== undefined) labels.__address__ = target;
  return labels;
}

/** The labels every node of a DescribeCacheClusters entry carries; `tags` as above. */
export function cacheClusterLabels(cluster: unknown, tags: unknown): Record<string, string> {
  const c = record(cluster);
  const labels: Record<string, string> = { [`${ELASTICACHE_LABEL}deployment_option`]: 'node' };
  putFields(labels, CLUSTER, CLUSTER_FIELDS, c);
  setLabel(
    labels,
    `${CLUSTER}cache_parameter_group`,
    str(record(c.CacheParameterGroup).CacheParameterGroupName),
  );
  putFields(labels, `${CLUSTER}configuration_endpoint_`, ENDPOINT, record(c.ConfigurationEndpoint));
  const notification = record(c.NotificationConfiguration);
  setLabel(labels, `${CLUSTER}notification_topic_arn`, str(notification.TopicArn));
  setLabel(labels, `${CLUSTER}notification_topic_status`, str(notification.TopicStatus));
  list(c.LogDeliveryConfigurations).forEach((item, i) => {
    const d = record(item);
    const p = `${CLUSTER}log_delivery_configuration_`;
    putFields(
      labels,
      p,
      [
        ['destination_type', 'DestinationType', 's'],
        ['log_format', 'LogFormat', 's'],
        ['log_type', 'LogType', 's'],
        ['status', 'Status', 's'],
        ['message', 'Message', 's'],
      ],
      d,
      `_${i}`,
    );
    const details = record(d.DestinationDetails);
    setLabel(labels, `${p}log_group_${i}`, str(record(details.CloudWatchLogsDetails).LogGroup));
    setLabel(
      labels,
      `${p}delivery_stream_${i}`,
      str(record(details.KinesisFirehoseDetails).DeliveryStream),
    );
  });
  if (c.PendingModifiedValues !== undefined) {
    const pending = record(c.PendingModifiedValues);
    const p = `${CLUSTER}pending_modified_values_`;
    putFields(labels, p, PENDING_FIELDS, pending);
    const remove = list(pending.CacheNodeIdsToRemove).filter(
      (id): id is string => typeof id === 'string',
    );
    if (remove.length > 0) setLabel(labels, `${p}cache_node_ids_to_remove`, remove.join(','));
  }
  list(c.SecurityGroups).forEach((item, i) => {
    const sg = record(item);
    setLabel(labels, `${CLUSTER}security_group_membership_id_${i}`, str(sg.SecurityGroupId));
    setLabel(labels, `${CLUSTER}security_group_membership_status_${i}`, str(sg.Status));
  });
  putTags(labels, `${CLUSTER}tag_`, tags);
  return labels;
}

/** One target per entry of the cluster's `CacheNodes`, with `clusterLabels` (above). */
export function cacheNodeTargets(
  cluster: unknown,
  clusterLabels: Readonly<Record<string, string>>,
): Record<string, string>[] {
  return list(record(cluster).CacheNodes).map((item) => {
    const node = record(item);
    const labels: Record<string, string> = { ...clusterLabels };
    putFields(labels, `${CLUSTER}node_`, NODE_FIELDS, node);
    const endpoint = record(node.Endpoint);
    putFields(labels, `${CLUSTER}node_endpoint_`, ENDPOINT, endpoint);
    const target = address(endpoint);
    if (target !== undefined) labels.__address__ = target;
    return labels;
  });
}
