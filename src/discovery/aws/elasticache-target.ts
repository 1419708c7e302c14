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
import { sanitizeTagName } from '../ec2/index.js';
import { rfc3339 } from './rds-target.js';
import { ec2Tags, joinHostPort, list, record, str } from './read.js';

/** Meta label prefix of the elasticache role. */
export const ELASTICACHE_LABEL = '__meta_elasticache_';
const CLUSTER = `${ELASTICACHE_LABEL}cache_cluster_`;
const SERVERLESS = `${ELASTICACHE_LABEL}serverless_cache_`;

type Kind = 's' | 'b' | 'i' | 't';
type Fields = readonly (readonly [string, string, Kind])[];

/** [label suffix, CacheCluster field, kind] of the plain fields (elasticache.go's order). */
const CLUSTER_FIELDS: Fields = [
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

const PENDING_FIELDS: Fields = [
  ['auth_token_status', 'AuthTokenStatus', 's'],
  ['cache_node_type', 'CacheNodeType', 's'],
  ['engine_version', 'EngineVersion', 's'],
  ['num_cache_nodes', 'NumCacheNodes', 'i'],
  ['transit_encryption_enabled', 'TransitEncryptionEnabled', 'b'],
  ['transit_encryption_mode', 'TransitEncryptionMode', 's'],
];

const NODE_FIELDS: Fields = [
  ['id', 'CacheNodeId', 's'],
  ['status', 'CacheNodeStatus', 's'],
  ['create_time', 'CacheNodeCreateTime', 't'],
  ['availability_zone', 'CustomerAvailabilityZone', 's'],
  ['customer_outpost_arn', 'CustomerOutpostArn', 's'],
  ['source_cache_node_id', 'SourceCacheNodeId', 's'],
  ['parameter_group_status', 'ParameterGroupStatus', 's'],
];

const SERVERLESS_FIELDS: Fields = [
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

const ENDPOINT: Fields = [
  ['address', 'Address', 's'],
  ['port', 'Port', 'i'],
];

/** An integer as Go's strconv writes it, or undefined when the value is no integer. */
function integer(value: unknown): string | undefined {
  if (typeof value !== 'number' || !Number.isInteger(value)) return undefined;
  return Number.isSafeInteger(value) ? String(value) : BigInt(value).toString();
}

function text(value: unknown, kind: Kind): string | undefined {
  switch (kind) {
    case 's':
      return str(value);
    case 'b':
      return typeof value === 'boolean' ? String(value) : undefined;
    case 'i':
      return integer(value);
    case 't':
      return rfc3339(value);
  }
}

/** Sets `name` when the value is present and not empty (empty means absent, §10). */
function set(labels: Record<string, string>, name: string, value: string | undefined): void {
  if (value !== undefined && value !== '') labels[name] = value;
}

function put(
  labels: Record<string, string>,
  prefix: string,
  fields: Fields,
  from: Readonly<Record<string, unknown>>,
  suffix = '',
): void {
  for (const [name, field, kind] of fields) {
    set(labels, `${prefix}${name}${suffix}`, text(from[field], kind));
  }
}

/** The tags' labels; as in Prometheus a later tag of the same sanitized name wins, empty or not. */
function putTags(labels: Record<string, string>, prefix: string, tags: unknown): void {
  for (const [key, value] of ec2Tags(tags)) {
    const name = `${prefix}${sanitizeTagName(key)}`;
    if (value === '') delete labels[name];
    else labels[name] = value;
  }
}

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
  put(labels, SERVERLESS, SERVERLESS_FIELDS, c);
  const endpoint = record(c.Endpoint);
  put(labels, `${SERVERLESS}endpoint_`, ENDPOINT, endpoint);
  put(
    labels,
    `${SERVERLESS}endpoint_`,
    [
      ['reader_address', 'Address', 's'],
      ['reader_port', 'Port', 'i'],
    ],
    record(c.ReaderEndpoint),
  );
  list(c.SecurityGroupIds).forEach((id, i) => {
    set(labels, `${SERVERLESS}security_group_id_${i}`, str(id));
  });
  list(c.SubnetIds).forEach((id, i) => {
    set(labels, `${SERVERLESS}subnet_id_${i}`, str(id));
  });
  const limits = record(c.CacheUsageLimits);
  // Prometheus's constants concatenate without a separator here.
  put(
    labels,
    `${SERVERLESS}cache_usage_limit_data_storage`,
    [
      ['maximum', 'Maximum', 'i'],
      ['minimum', 'Minimum', 'i'],
      ['unit', 'Unit', 's'],
    ],
    record(limits.DataStorage),
  );
  put(
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
  put(labels, CLUSTER, CLUSTER_FIELDS, c);
  set(
    labels,
    `${CLUSTER}cache_parameter_group`,
    str(record(c.CacheParameterGroup).CacheParameterGroupName),
  );
  put(labels, `${CLUSTER}configuration_endpoint_`, ENDPOINT, record(c.ConfigurationEndpoint));
  const notification = record(c.NotificationConfiguration);
  set(labels, `${CLUSTER}notification_topic_arn`, str(notification.TopicArn));
  set(labels, `${CLUSTER}notification_topic_status`, str(notification.TopicStatus));
  list(c.LogDeliveryConfigurations).forEach((item, i) => {
    const d = record(item);
    const p = `${CLUSTER}log_delivery_configuration_`;
    put(
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
    set(labels, `${p}log_group_${i}`, str(record(details.CloudWatchLogsDetails).LogGroup));
    set(
      labels,
      `${p}delivery_stream_${i}`,
      str(record(details.KinesisFirehoseDetails).DeliveryStream),
    );
  });
  if (c.PendingModifiedValues !== undefined) {
    const pending = record(c.PendingModifiedValues);
    const p = `${CLUSTER}pending_modified_values_`;
    put(labels, p, PENDING_FIELDS, pending);
    const remove = list(pending.CacheNodeIdsToRemove).filter(
      (id): id is string => typeof id === 'string',
    );
    if (remove.length > 0) set(labels, `${p}cache_node_ids_to_remove`, remove.join(','));
  }
  list(c.SecurityGroups).forEach((item, i) => {
    const sg = record(item);
    set(labels, `${CLUSTER}security_group_membership_id_${i}`, str(sg.SecurityGroupId));
    set(labels, `${CLUSTER}security_group_membership_status_${i}`, str(sg.Status));
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
    put(labels, `${CLUSTER}node_`, NODE_FIELDS, node);
    const endpoint = record(node.Endpoint);
    put(labels, `${CLUSTER}node_endpoint_`, ENDPOINT, endpoint);
    const target = address(endpoint);
    if (target !== undefined) labels.__address__ = target;
    return labels;
  });
}
