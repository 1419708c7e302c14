/**
 * What AWS access a prometheus.yml needs, derived from the config alone (no CDK here), so the
 * construct grants exactly that (least privilege) and tests can check the derivation directly.
 *
 * Credentials follow the code that uses them (src/remotewrite/sigv4.ts,
 * src/discovery/ec2/discoverer.ts, src/discovery/aws/clients.ts):
 * - no `access_key`, no `profile`, no `role_arn`: the function's own role signs, so the role
 *   needs the service permission itself (`ec2:Describe*`, the ECS calls, `lightsail:GetInstances`, …
 *   `aps:RemoteWrite`);
 * - `role_arn`: the function's role only assumes that role (`sts:AssumeRole` on exactly it);
 *   the assumed role carries the service permission (it is the operator's, not ours);
 * - `access_key` + `secret_key` or `profile`: the role is not used; nothing is granted (and the
 *   construct refuses inline keys unless told otherwise, see config-files.ts).
 *
 * Below, an aws_sd_configs `role: <r>` entry stands for an entry of the per-service key
 * `<r>_sd_configs` (ecs_sd_configs, …) too: it is read into the same config and gets the same
 * grants.
 */

import type { Config } from '../src/config/types.js';
import { awsMechanism, awsServiceMechanisms } from '../src/discovery/aws/index.js';
import { ec2Mechanism } from '../src/discovery/ec2/index.js';
import { validMechanismConfigs } from '../src/discovery/registry.js';
import { DEFAULT_SIGV4_SERVICE } from '../src/remotewrite/sigv4.js';

/** An Amazon Managed Service for Prometheus workspace a remote write signs for. */
export interface ApsWorkspace {
  /** The remote_write's name (config order). */
  readonly remoteWrite: string;
  /** Region of the workspace; undefined → the stack's region (the signer's default, AWS_REGION). */
  readonly region: string | undefined;
  /**
   * Workspace id (`ws-…`) from the URL path; undefined when the URL does not name one (a proxy
   * or custom domain in front of AMP): then every workspace of the account in `region`.
   */
  readonly workspaceId: string | undefined;
}

export interface ConfigAccess {
  /** Some ec2_sd_configs or aws_sd_configs `role: ec2` entry calls EC2 with the function's own role. */
  readonly ec2DescribeWithOwnRole: boolean;
  /** role_arn of ec2_sd_configs entries (sorted, unique): sts:AssumeRole for discovery. */
  readonly ec2RoleArns: readonly string[];
  /**
   * The actions aws_sd_configs `role: ecs` entries call with the function's own role (sorted;
   * empty when none does): see {@link ECS_DISCOVERY_ACTIONS}.
   */
  readonly ecsActionsWithOwnRole: readonly string[];
  /** Some aws_sd_configs `role: lightsail` entry calls lightsail:GetInstances with the function's role. */
  readonly lightsailWithOwnRole: boolean;
  /**
   * The Kafka actions aws_sd_configs `role: msk` entries call with the function's role (sorted;
   * empty when none does): ListNodes, and ListClustersV2 or DescribeClusterV2 (with `clusters`).
   */
  readonly mskActionsWithOwnRole: readonly string[];
  /**
   * Some aws_sd_configs `role: rds` entry calls rds:DescribeDBClusters and
   * rds:DescribeDBInstances with the function's role: see {@link RDS_DISCOVERY_ACTIONS}.
   */
  readonly rdsWithOwnRole: boolean;
  /**
   * Some aws_sd_configs `role: elasticache` entry calls ElastiCache with the function's role:
   * see {@link ELASTICACHE_DISCOVERY_ACTIONS}.
   */
  readonly elastiCacheWithOwnRole: boolean;
  /** role_arn of aws_sd_configs entries (sorted, unique): sts:AssumeRole for discovery. */
  readonly awsSdRoleArns: readonly string[];
  /** role_arn of remote_write sigv4 (sorted, unique): sts:AssumeRole for every function. */
  readonly remoteWriteRoleArns: readonly string[];
  /** AMP workspaces signed for with the function's own role: aps:RemoteWrite. */
  readonly apsWorkspaces: readonly ApsWorkspace[];
  /** Things the operator must know (permissions we cannot derive). */
  readonly warnings: readonly string[];
}

/**
 * Amazon Managed Service for Prometheus remote-write URL:
 * `https://aps-workspaces[-fips].<region>.amazonaws.com[.cn]/workspaces/<id>/api/v1/remote_write`.
 */
const AMP_HOST = /^aps-workspaces(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?$/;
const AMP_PATH = /^\/workspaces\/(ws-[A-Za-z0-9-]+)\/api\/v1\/remote_write\/?$/;
/** The workspace id in any path that follows AMP's layout (VPC endpoint DNS names, proxies). */
const WORKSPACE_IN_PATH = /\/workspaces\/(ws-[A-Za-z0-9-]+)\//;

/** Region and workspace id of an AMP remote-write URL, or undefined when it is not one. */
export function parseAmpRemoteWriteUrl(
  url: string,
): { readonly region: string; readonly workspaceId: string } | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return undefined;
  }
  const host = AMP_HOST.exec(u.hostname);
  const path = AMP_PATH.exec(u.pathname);
  if (u.protocol !== 'https:' || host === null || path === null) return undefined;
  return { region: host[1]!, workspaceId: path[1]! };
}

const sortedUnique = (xs: readonly string[]) => [...new Set(xs)].sort();

/**
 * What ECS discovery calls (src/discovery/aws/ecs-api.ts): the ECS reads, and the EC2 reads of
 * the container hosts and of the tasks' network interfaces. `ecs:ListServices` is not called
 * (services are described by the names the tasks carry); `ecs:ListClusters` only by an entry
 * without `clusters`.
 */
export const ECS_DISCOVERY_ACTIONS = [
  'ecs:DescribeClusters',
  'ecs:ListTasks',
  'ecs:DescribeTasks',
  'ecs:DescribeServices',
  'ecs:DescribeContainerInstances',
  'ec2:DescribeInstances',
  'ec2:DescribeNetworkInterfaces',
] as const;
export const ECS_LIST_CLUSTERS_ACTION = 'ecs:ListClusters';

/** What RDS discovery calls (Prometheus's discovery/aws/rds.go), with or without `clusters`. */
export const RDS_DISCOVERY_ACTIONS = ['rds:DescribeDBClusters', 'rds:DescribeDBInstances'] as const;

/**
 * What ElastiCache discovery calls (Prometheus's discovery/aws/elasticache.go), with or without
 * `clusters`.
 */
export const ELASTICACHE_DISCOVERY_ACTIONS = [
  'elasticache:DescribeCacheClusters',
  'elasticache:DescribeServerlessCaches',
  'elasticache:ListTagsForResource',
] as const;

const profileWarning = (where: string, profile: string) =>
  `${where}: profile ${JSON.stringify(profile)} is read from ~/.aws files, which Lambda does not have; remove it to use the function's role`;

export function accessFromConfig(config: Config): ConfigAccess {
  let ec2DescribeWithOwnRole = false;
  const ec2RoleArns: string[] = [];
  const ecsActions = new Set<string>();
  let lightsailWithOwnRole = false;
  const mskActions = new Set<string>();
  let rdsWithOwnRole = false;
  let elastiCacheWithOwnRole = false;
  const awsSdRoleArns: string[] = [];
  const warnings: string[] = [];
  for (const job of config.scrapeConfigs) {
    // Already validated by loadCheckedConfig; parsing again gives the typed entries.
    validMechanismConfigs(job, ec2Mechanism).forEach((sd, i) => {
      const where = `job ${JSON.stringify(job.jobName)} ec2_sd_configs[${i}]`;
      if (sd.roleArn !== undefined) ec2RoleArns.push(sd.roleArn);
      else if (sd.accessKey === undefined && sd.profile === undefined)
        ec2DescribeWithOwnRole = true;
      if (sd.profile !== undefined) warnings.push(profileWarning(where, sd.profile));
    });
    // An entry of a per-service key (ecs_sd_configs, …) is its role's aws_sd_configs entry.
    for (const mechanism of [awsMechanism, ...awsServiceMechanisms]) {
      validMechanismConfigs(job, mechanism).forEach((sd, i) => {
        const where = `job ${JSON.stringify(job.jobName)} ${mechanism.name}[${i}]`;
        const c =
          sd.role === 'ecs'
            ? sd.ecs
            : sd.role === 'ec2'
              ? sd.ec2
              : sd.role === 'msk'
                ? sd.msk
                : sd.role === 'rds'
                  ? sd.rds
                  : sd.role === 'elasticache'
                    ? sd.elasticache
                    : sd.lightsail;
        if (c.profile !== undefined) warnings.push(profileWarning(where, c.profile));
        if (c.roleArn !== undefined) {
          awsSdRoleArns.push(c.roleArn);
          return;
        }
        if (c.accessKey !== undefined || c.profile !== undefined) return;
        if (sd.role === 'ec2') {
          ec2DescribeWithOwnRole = true;
          return;
        }
        if (sd.role === 'lightsail') {
          lightsailWithOwnRole = true;
          return;
        }
        if (sd.role === 'msk') {
          mskActions.add(
            sd.msk.clusters.length === 0 ? 'kafka:ListClustersV2' : 'kafka:DescribeClusterV2',
          );
          mskActions.add('kafka:ListNodes');
          return;
        }
        if (sd.role === 'rds') {
          rdsWithOwnRole = true;
          return;
        }
        if (sd.role === 'elasticache') {
          elastiCacheWithOwnRole = true;
          return;
        }
        for (const action of ECS_DISCOVERY_ACTIONS) ecsActions.add(action);
        if (sd.ecs.clusters.length === 0) ecsActions.add(ECS_LIST_CLUSTERS_ACTION);
      });
    }
  }

  const remoteWriteRoleArns: string[] = [];
  const apsWorkspaces: ApsWorkspace[] = [];
  for (const rw of config.remoteWrite) {
    const sigv4 = rw.sigv4;
    if (sigv4 === undefined) continue;
    const where = `remote_write ${JSON.stringify(rw.name)} sigv4`;
    if (sigv4.profile !== undefined) warnings.push(profileWarning(where, sigv4.profile));
    if (sigv4.roleArn !== undefined) {
      remoteWriteRoleArns.push(sigv4.roleArn);
      continue;
    }
    if (sigv4.accessKey !== undefined || sigv4.profile !== undefined) continue;
    const service = sigv4.service ?? DEFAULT_SIGV4_SERVICE;
    if (service !== DEFAULT_SIGV4_SERVICE) {
      warnings.push(
        `${where}: signs for service ${JSON.stringify(service)}; no permission is derived for it: grant it to the functions' roles yourself (LambdaScraper.functions)`,
      );
      continue;
    }
    const amp = parseAmpRemoteWriteUrl(rw.url);
    if (amp !== undefined) {
      apsWorkspaces.push({
        remoteWrite: rw.name,
        region: amp.region,
        workspaceId: amp.workspaceId,
      });
      continue;
    }
    let pathWorkspace: string | undefined;
    let host = '';
    try {
      const u = new URL(rw.url);
      pathWorkspace = WORKSPACE_IN_PATH.exec(u.pathname)?.[1];
      host = u.hostname;
    } catch {
      pathWorkspace = undefined;
    }
    const hostRegion = /\.([a-z]{2}(?:-[a-z]+)+-\d+)\./.exec(host)?.[1];
    const region = sigv4.region ?? hostRegion;
    if (pathWorkspace === undefined) {
      warnings.push(
        `${where}: the URL names no AMP workspace, so aps:RemoteWrite is granted on every workspace of the account in ${region ?? 'the stack region'}`,
      );
    }
    apsWorkspaces.push({ remoteWrite: rw.name, region, workspaceId: pathWorkspace });
  }
  return {
    ec2DescribeWithOwnRole,
    ec2RoleArns: sortedUnique(ec2RoleArns),
    ecsActionsWithOwnRole: sortedUnique([...ecsActions]),
    lightsailWithOwnRole,
    mskActionsWithOwnRole: sortedUnique([...mskActions]),
    rdsWithOwnRole,
    elastiCacheWithOwnRole,
    awsSdRoleArns: sortedUnique(awsSdRoleArns),
    remoteWriteRoleArns: sortedUnique(remoteWriteRoleArns),
    apsWorkspaces,
    warnings,
  };
}
