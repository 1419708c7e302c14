/**
 * The targets of one RDS cluster's instances: the `__meta_rds_*` labels of Prometheus's RDS role
 * (discovery/aws/rds.go, `RDSDiscovery.refresh`). Every instance of the cluster is one target,
 * carrying the cluster's labels and tags and its own; `__address__` is the instance endpoint's
 * address with the configured `port` (not the endpoint's port), set only when the endpoint has
 * both an address and a port, as in Prometheus. Every input is untrusted (`read.ts`): a field of
 * the wrong type is absent.
 */
import { type FieldTable, goInteger, putFields, putTags } from './field-labels.js';
import { joinHostPort, list, record, str } from './read.js';

/** Meta label prefix of the rds role. */
export const RDS_LABEL = '__meta_rds_';

/** [label suffix, DBCluster field, kind]: string, bool, integer, time (rds.go's order). */
const CLUSTER_FIELDS: FieldTable = [
  ['arn', 'DBClusterArn', 's'],
  ['identifier', 'DBClusterIdentifier', 's'],
  ['activity_stream_kinesis_stream_name', 'ActivityStreamKinesisStreamName', 's'],
  ['activity_stream_kms_key_id', 'ActivityStreamKmsKeyId', 's'],
  ['activity_stream_mode', 'ActivityStreamMode', 's'],
  ['activity_stream_status', 'ActivityStreamStatus', 's'],
  ['allocated_storage', 'AllocatedStorage', 'i'],
  ['auto_minor_version_upgrade', 'AutoMinorVersionUpgrade', 'b'],
  ['automatic_restart_time', 'AutomaticRestartTime', 't'],
  ['aws_backup_recovery_point_arn', 'AwsBackupRecoveryPointArn', 's'],
  ['backtrack_consumed_change_records', 'BacktrackConsumedChangeRecords', 'i'],
  ['backtrack_window', 'BacktrackWindow', 'i'],
  ['backup_retention_period', 'BackupRetentionPeriod', 'i'],
  ['capacity', 'Capacity', 'i'],
  ['character_set_name', 'CharacterSetName', 's'],
  ['clone_group_id', 'CloneGroupId', 's'],
  ['cluster_create_time', 'ClusterCreateTime', 't'],
  ['cluster_scalability_type', 'ClusterScalabilityType', 's'],
  ['copy_tags_to_snapshot', 'CopyTagsToSnapshot', 'b'],
  ['cross_account_clone', 'CrossAccountClone', 'b'],
  ['instance_class', 'DBClusterInstanceClass', 's'],
  ['parameter_group', 'DBClusterParameterGroup', 's'],
  ['subnet_group', 'DBSubnetGroup', 's'],
  ['db_system_id', 'DBSystemId', 's'],
  ['database_insights_mode', 'DatabaseInsightsMode', 's'],
  ['database_name', 'DatabaseName', 's'],
  ['resource_id', 'DbClusterResourceId', 's'],
  ['deletion_protection', 'DeletionProtection', 'b'],
  ['earliest_backtrack_time', 'EarliestBacktrackTime', 't'],
  ['earliest_restorable_time', 'EarliestRestorableTime', 't'],
  ['endpoint', 'Endpoint', 's'],
  ['engine', 'Engine', 's'],
  ['engine_lifecycle_support', 'EngineLifecycleSupport', 's'],
  ['engine_mode', 'EngineMode', 's'],
  ['engine_version', 'EngineVersion', 's'],
  ['global_cluster_identifier', 'GlobalClusterIdentifier', 's'],
  ['global_write_forwarding_requested', 'GlobalWriteForwardingRequested', 'b'],
  ['global_write_forwarding_status', 'GlobalWriteForwardingStatus', 's'],
  ['hosted_zone_id', 'HostedZoneId', 's'],
  ['http_endpoint_enabled', 'HttpEndpointEnabled', 'b'],
  ['iam_database_authentication_enabled', 'IAMDatabaseAuthenticationEnabled', 'b'],
  ['io_optimized_next_allowed_modification_time', 'IOOptimizedNextAllowedModificationTime', 't'],
  ['iops', 'Iops', 'i'],
  ['kms_key_id', 'KmsKeyId', 's'],
  ['latest_restorable_time', 'LatestRestorableTime', 't'],
  ['local_write_forwarding_status', 'LocalWriteForwardingStatus', 's'],
  ['master_username', 'MasterUsername', 's'],
  ['monitoring_interval', 'MonitoringInterval', 'i'],
  ['monitoring_role_arn', 'MonitoringRoleArn', 's'],
  ['multi_az', 'MultiAZ', 'b'],
  ['network_type', 'NetworkType', 's'],
  ['percent_progress', 'PercentProgress', 's'],
  ['performance_insights_enabled', 'PerformanceInsightsEnabled', 'b'],
  ['performance_insights_kms_key_id', 'PerformanceInsightsKMSKeyId', 's'],
  ['performance_insights_retention_period', 'PerformanceInsightsRetentionPeriod', 'i'],
  ['port', 'Port', 'i'],
  ['preferred_backup_window', 'PreferredBackupWindow', 's'],
  ['preferred_maintenance_window', 'PreferredMaintenanceWindow', 's'],
  ['publicly_accessible', 'PubliclyAccessible', 'b'],
  ['reader_endpoint', 'ReaderEndpoint', 's'],
  ['replication_source_identifier', 'ReplicationSourceIdentifier', 's'],
  ['serverless_v2_platform_version', 'ServerlessV2PlatformVersion', 's'],
  ['status', 'Status', 's'],
  ['storage_encrypted', 'StorageEncrypted', 'b'],
  ['storage_encryption_type', 'StorageEncryptionType', 's'],
  ['storage_throughput', 'StorageThroughput', 'i'],
  ['storage_type', 'StorageType', 's'],
  ['upgrade_rollout_order', 'UpgradeRolloutOrder', 's'],
];

/** [label suffix, DBInstance field, kind]; the endpoints and subnet group are read apart. */
const INSTANCE_FIELDS: FieldTable = [
  ['arn', 'DBInstanceArn', 's'],
  ['identifier', 'DBInstanceIdentifier', 's'],
  [
    'activity_stream_engine_native_audit_fields_included',
    'ActivityStreamEngineNativeAuditFieldsIncluded',
    'b',
  ],
  ['activity_stream_kinesis_stream_name', 'ActivityStreamKinesisStreamName', 's'],
  ['activity_stream_kms_key_id', 'ActivityStreamKmsKeyId', 's'],
  ['activity_stream_mode', 'ActivityStreamMode', 's'],
  ['activity_stream_policy_status', 'ActivityStreamPolicyStatus', 's'],
  ['activity_stream_status', 'ActivityStreamStatus', 's'],
  ['allocated_storage', 'AllocatedStorage', 'i'],
  ['auto_minor_version_upgrade', 'AutoMinorVersionUpgrade', 'b'],
  ['automatic_restart_time', 'AutomaticRestartTime', 't'],
  ['automation_mode', 'AutomationMode', 's'],
  ['availability_zone', 'AvailabilityZone', 's'],
  ['aws_backup_recovery_point_arn', 'AwsBackupRecoveryPointArn', 's'],
  ['backup_retention_period', 'BackupRetentionPeriod', 'i'],
  ['backup_target', 'BackupTarget', 's'],
  ['ca_certificate_identifier', 'CACertificateIdentifier', 's'],
  ['character_set_name', 'CharacterSetName', 's'],
  ['copy_tags_to_snapshot', 'CopyTagsToSnapshot', 'b'],
  ['custom_iam_instance_profile', 'CustomIamInstanceProfile', 's'],
  ['customer_owned_ip_enabled', 'CustomerOwnedIpEnabled', 'b'],
  ['db_cluster_identifier', 'DBClusterIdentifier', 's'],
  ['class', 'DBInstanceClass', 's'],
  ['status', 'DBInstanceStatus', 's'],
  ['db_name', 'DBName', 's'],
  ['port', 'DbInstancePort', 'i'],
  ['resource_id', 'DbiResourceId', 's'],
  ['dedicated_log_volume', 'DedicatedLogVolume', 'b'],
  ['deletion_protection', 'DeletionProtection', 'b'],
  ['engine', 'Engine', 's'],
  ['engine_lifecycle_support', 'EngineLifecycleSupport', 's'],
  ['engine_version', 'EngineVersion', 's'],
  ['enhanced_monitoring_resource_arn', 'EnhancedMonitoringResourceArn', 's'],
  ['iam_database_authentication_enabled', 'IAMDatabaseAuthenticationEnabled', 'b'],
  ['instance_create_time', 'InstanceCreateTime', 't'],
  ['iops', 'Iops', 'i'],
  ['is_storage_config_upgrade_available', 'IsStorageConfigUpgradeAvailable', 'b'],
  ['kms_key_id', 'KmsKeyId', 's'],
  ['latest_restorable_time', 'LatestRestorableTime', 't'],
  ['license_model', 'LicenseModel', 's'],
  ['master_username', 'MasterUsername', 's'],
  ['max_allocated_storage', 'MaxAllocatedStorage', 'i'],
  ['monitoring_interval', 'MonitoringInterval', 'i'],
  ['monitoring_role_arn', 'MonitoringRoleArn', 's'],
  ['multi_az', 'MultiAZ', 'b'],
  ['multi_tenant', 'MultiTenant', 'b'],
  ['nchar_character_set_name', 'NcharCharacterSetName', 's'],
  ['network_type', 'NetworkType', 's'],
  ['percent_progress', 'PercentProgress', 's'],
  ['performance_insights_enabled', 'PerformanceInsightsEnabled', 'b'],
  ['performance_insights_kms_key_id', 'PerformanceInsightsKMSKeyId', 's'],
  ['performance_insights_retention_period', 'PerformanceInsightsRetentionPeriod', 'i'],
  ['preferred_backup_window', 'PreferredBackupWindow', 's'],
  ['preferred_maintenance_window', 'PreferredMaintenanceWindow', 's'],
  ['promotion_tier', 'PromotionTier', 'i'],
  ['publicly_accessible', 'PubliclyAccessible', 'b'],
  ['read_replica_source_db_cluster_identifier', 'ReadReplicaSourceDBClusterIdentifier', 's'],
  ['read_replica_source_db_instance_identifier', 'ReadReplicaSourceDBInstanceIdentifier', 's'],
  ['replica_mode', 'ReplicaMode', 's'],
  ['resume_full_automation_mode_time', 'ResumeFullAutomationModeTime', 't'],
  ['secondary_availability_zone', 'SecondaryAvailabilityZone', 's'],
  ['storage_encrypted', 'StorageEncrypted', 'b'],
  ['storage_encryption_type', 'StorageEncryptionType', 's'],
  ['storage_throughput', 'StorageThroughput', 'i'],
  ['storage_type', 'StorageType', 's'],
  ['storage_volume_status', 'StorageVolumeStatus', 's'],
  ['tde_credential_arn', 'TdeCredentialArn', 's'],
  ['timezone', 'Timezone', 's'],
  ['upgrade_rollout_order', 'UpgradeRolloutOrder', 's'],
  ['db_system_id', 'DBSystemId', 's'],
  ['database_insights_mode', 'DatabaseInsightsMode', 's'],
];

/** The labels every instance of `cluster` (a DescribeDBClusters entry) carries. */
export function rdsClusterLabels(cluster: unknown): Record<string, string> {
  const c = record(cluster);
  const labels: Record<string, string> = {};
  putFields(labels, `${RDS_LABEL}cluster_`, CLUSTER_FIELDS, c);
  putTags(labels, `${RDS_LABEL}cluster_tag_`, c.TagList);
  return labels;
}

/**
 * The target of `instance` (a DescribeDBInstances entry) of the cluster whose labels are
 * `clusterLabels` (from {@link rdsClusterLabels}); `writers` maps the cluster's member instance
 * identifiers to their IsClusterWriter.
 */
export function rdsInstanceTarget(
  clusterLabels: Readonly<Record<string, string>>,
  writers: ReadonlyMap<string, boolean>,
  instance: unknown,
  port: number,
): Record<string, string> {
  const i = record(instance);
  const labels: Record<string, string> = { ...clusterLabels };
  const p = `${RDS_LABEL}instance_`;
  putFields(labels, p, INSTANCE_FIELDS, i);
  const id = str(i.DBInstanceIdentifier);
  const writer = id === undefined ? undefined : writers.get(id);
  if (writer !== undefined) labels[`${p}is_cluster_writer`] = String(writer);
  const endpoint = record(i.Endpoint);
  putFields(
    labels,
    `${p}endpoint_`,
    [
      ['address', 'Address', 's'],
      ['hosted_zone_id', 'HostedZoneId', 's'],
      ['port', 'Port', 'i'],
    ],
    endpoint,
  );
  putFields(
    labels,
    `${p}listener_endpoint_`,
    [
      ['address', 'Address', 's'],
      ['hosted_zone_id', 'HostedZoneId', 's'],
      ['port', 'Port', 'i'],
    ],
    record(i.ListenerEndpoint),
  );
  const subnetGroup = str(record(i.DBSubnetGroup).DBSubnetGroupName);
  if (subnetGroup !== undefined) labels[`${p}subnet_group`] = subnetGroup;
  putTags(labels, `${p}tag_`, i.TagList);
  // Prometheus: the endpoint's address with the configured port, when the endpoint has both.
  const address = str(endpoint.Address);
  if (address !== undefined && goInteger(endpoint.Port) !== undefined) {
    labels.__address__ = joinHostPort(address, port);
  }
  return labels;
}

/** The cluster's `DBClusterMembers`: instance identifier → IsClusterWriter. */
export function rdsWriters(cluster: unknown): Map<string, boolean> {
  const writers = new Map<string, boolean>();
  for (const member of list(record(cluster).DBClusterMembers)) {
    const m = record(member);
    const id = str(m.DBInstanceIdentifier);
    if (id !== undefined && typeof m.IsClusterWriter === 'boolean') {
      writers.set(id, m.IsClusterWriter);
    }
  }
  return writers;
}
