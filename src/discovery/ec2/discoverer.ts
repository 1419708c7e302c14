/**
 * EC2 discovery (§10.5): one paginated DescribeInstances per refresh, with the configured
 * filters sent server-side, turned into ONE target group whose source is the region.
 *
 * A refresh that fails throws (wrapping the SDK error with the region); `JobDiscovery` then keeps
 * the previous targets (§10). The availability-zone-ID map (DescribeAvailabilityZones) is
 * fetched until it succeeds once, as in Prometheus; its failure never fails a refresh.
 */
import type {
  DescribeInstancesCommandOutput,
  EC2Client,
  EC2ClientConfig,
  Instance,
} from '@aws-sdk/client-ec2';
import type { Secret } from '../../config/types.js';
import { loadedOnFirstCall } from '../aws-credential-providers.js';
import type { Discoverer, DiscoveryRefresh, TargetGroup } from '../types.js';
import type { Ec2SdConfig } from './config.js';
import { Ec2SdError, Ec2SdErrorCode } from './error.js';

/** Meta label prefix (§10.5). */
export const EC2_LABEL = '__meta_ec2_';

/** Cap on DescribeInstances pages per refresh: a server repeating tokens cannot loop us. */
const MAX_PAGES = 10_000;

/**
 * Highest ENI device index placed in `primary_ipv6_addresses`. The list is indexed by device
 * index (gaps stay empty slots), so an answer claiming index 2^31-1 would otherwise allocate
 * two billion slots; real instances have a few dozen ENIs at most. A primary address above
 * the cap is still in `ipv6_addresses` (and may be the default address).
 */
const MAX_DEVICE_INDEX = 1023;

type Ec2Sdk = typeof import('./sdk.js');
let ec2Sdk: Promise<Ec2Sdk> | undefined;

/**
 * The EC2 client, loaded on the first refresh: a process that never runs EC2 discovery (the
 * scraper, dispatcher and outbox functions share this code) never loads it. A deployment bundle
 * built with `process.env.LAMBDASCRAPE_BUNDLE_EC2` defined as "false" (infra/, esbuild `define`)
 * leaves it out altogether: the condition folds to a constant and the import is dropped.
 */
function loadEc2Sdk(): Promise<Ec2Sdk> {
  ec2Sdk ??=
    process.env.LAMBDASCRAPE_BUNDLE_EC2 === 'false'
      ? Promise.reject(new Error('this function was bundled without the EC2 client'))
      : import('./sdk.js');
  return ec2Sdk;
}

/** Session name of the assumed role (visible in CloudTrail). */
const ROLE_SESSION_NAME = 'lambdascrape-ec2-sd';

export interface Ec2Deps {
  /**
   * Builds the EC2 client from the options derived from the config (region, endpoint,
   * credentials, profile). Called once per discoverer. @default `new EC2Client(opts)`
   */
  readonly createClient?: (opts: EC2ClientConfig) => EC2Client;
}

export interface Ec2DiscovererOptions {
  /**
   * Abort a refresh (all its pages) after this long.
   * @default the refresh interval, at least 10 s
   */
  readonly timeoutMs?: number;
}

/**
 * Characters outside `[a-zA-Z0-9_]` become `_` (Prometheus `strutil.SanitizeLabelName`, §10.5),
 * one per code point as Go's regexp replaces runes: `a😀b` → `a_b`, not `a__b`.
 */
export function sanitizeTagName(key: string): string {
  return key.replace(/[^a-zA-Z0-9_]/gu, '_');
}

/** `,a,b,` (§10, §10.5); undefined for an empty list (empty means absent). */
function joinList(items: readonly string[]): string | undefined {
  return items.length === 0 ? undefined : `,${items.join(',')},`;
}

/** What an AWS client's credentials are made of (§10.5), in ec2_sd_configs and aws_sd_configs. */
export interface AwsCredentialsConfig {
  readonly region: string | undefined;
  readonly accessKey: string | undefined;
  readonly secretKey: Secret | undefined;
  readonly profile: string | undefined;
  readonly roleArn: string | undefined;
  readonly externalId: string | undefined;
}

type AwsCredentials = NonNullable<EC2ClientConfig['credentials']>;

/**
 * The credentials option of an AWS SDK client (§10.5 `access_key`/`secret_key`, `profile`,
 * `role_arn`): static keys if set, else the profile, else the SDK's default chain; with
 * `role_arn`, that role assumed with them under `sessionName` (visible in CloudTrail).
 *
 * A provider other than static keys loads `@aws-sdk/credential-providers` on its first call
 * (`loadedOnFirstCall`), not with this module.
 */
export function awsCredentials(config: AwsCredentialsConfig, sessionName: string): AwsCredentials {
  // The AWS SDK's default chains (env, shared files, container and instance metadata) are the
  // one documented exception to "read no environment" (src/discovery/README.md): they are how
  // a Lambda function or an EC2 host gets its credentials and region, exactly as in Prometheus.
  const staticKeys =
    config.accessKey !== undefined && config.secretKey !== undefined
      ? { accessKeyId: config.accessKey, secretAccessKey: config.secretKey.reveal() }
      : undefined;
  if (staticKeys !== undefined && config.roleArn === undefined) return staticKeys;
  return loadedOnFirstCall((providers) => {
    const base: AwsCredentials =
      staticKeys ??
      (config.profile !== undefined
        ? providers.fromIni({ profile: config.profile })
        : providers.fromNodeProviderChain());
    if (config.roleArn === undefined) return base;
    return providers.fromTemporaryCredentials({
      masterCredentials: base,
      params: {
        RoleArn: config.roleArn,
        RoleSessionName: sessionName,
        ...(config.externalId === undefined ? {} : { ExternalId: config.externalId }),
      },
      ...(config.region === undefined ? {} : { clientConfig: { region: config.region } }),
    });
  });
}

/** The EC2 client options a config asks for. */
export function ec2ClientOptions(config: Ec2SdConfig): EC2ClientConfig {
  return {
    ...(config.region === undefined ? {} : { region: config.region }),
    ...(config.endpoint === undefined ? {} : { endpoint: config.endpoint }),
    ...(config.profile === undefined ? {} : { profile: config.profile }),
    credentials: awsCredentials(config, ROLE_SESSION_NAME),
  };
}

/** An SDK error as `Name: message` (the name only when the message lacks it). */
export function errorText(err: unknown): string {
  if (err instanceof Error) {
    return err.name !== 'Error' && !err.message.startsWith(err.name)
      ? `${err.name}: ${err.message}`
      : err.message;
  }
  return String(err);
}

interface Ipv6Info {
  readonly defaultAddress: string | undefined;
  readonly primary: readonly string[];
  readonly all: readonly string[];
}

/**
 * IPv6 addresses of a VPC instance's ENIs (§10.5): every address in ENI order; the primary ones
 * at their ENI's device index (gaps stay empty slots); the default one is the first non-empty
 * primary, else the first of any ENI. ENIs without a subnet are skipped, as in Prometheus.
 */
function ipv6Of(inst: Instance): Ipv6Info {
  const primary: string[] = [];
  const all: string[] = [];
  if (inst.VpcId !== undefined) {
    for (const eni of inst.NetworkInterfaces ?? []) {
      if (eni.SubnetId === undefined) continue;
      for (const addr of eni.Ipv6Addresses ?? []) {
        const ip = addr.Ipv6Address;
        if (ip === undefined || ip === '') continue;
        all.push(ip);
        const index = eni.Attachment?.DeviceIndex;
        if (addr.IsPrimaryIpv6 !== true || index === undefined) continue;
        if (index < 0 || index > MAX_DEVICE_INDEX) continue;
        while (primary.length <= index) primary.push('');
        primary[index] = ip;
      }
    }
  }
  const defaultAddress = [...primary, ...all].find((ip) => ip !== '');
  return { defaultAddress, primary, all };
}

/** The label set of one instance, or undefined when it has no address (§10.5). */
export function instanceTarget(
  inst: Instance,
  ownerId: string | undefined,
  region: string,
  port: number,
  azIds: ReadonlyMap<string, string> | undefined,
): Record<string, string> | undefined {
  const ipv6 = ipv6Of(inst);
  const privateIp = inst.PrivateIpAddress === '' ? undefined : inst.PrivateIpAddress;
  if (privateIp === undefined && ipv6.defaultAddress === undefined) return undefined;

  const labels: Record<string, string> = {};
  const set = (name: string, value: string | undefined): void => {
    // Empty means absent (§10).
    if (value !== undefined && value !== '') labels[`${EC2_LABEL}${name}`] = value;
  };
  // §2.4: the port is the configured one; IPv6 is bracketed. The public IP is never used.
  labels.__address__ =
    privateIp !== undefined ? `${privateIp}:${port}` : `[${ipv6.defaultAddress}]:${port}`;
  set('instance_id', inst.InstanceId);
  set('region', region);
  set('owner_id', ownerId);
  set('default_ipv6_address', ipv6.defaultAddress);
  set('private_ip', privateIp);
  set('private_dns_name', inst.PrivateDnsName);
  set('platform', inst.Platform);
  if (inst.PublicIpAddress !== undefined && inst.PublicIpAddress !== '') {
    set('public_ip', inst.PublicIpAddress);
    set('public_dns_name', inst.PublicDnsName);
  }
  set('primary_ipv6_addresses', joinList(ipv6.primary));
  set('ipv6_addresses', joinList(ipv6.all));
  set('ami', inst.ImageId);
  const az = inst.Placement?.AvailabilityZone;
  set('availability_zone', az);
  set(
    'availability_zone_id',
    (az === undefined ? undefined : azIds?.get(az)) ?? inst.Placement?.AvailabilityZoneId,
  );
  set('instance_state', inst.State?.Name);
  set('instance_type', inst.InstanceType);
  set('instance_lifecycle', inst.InstanceLifecycle);
  set('architecture', inst.Architecture);
  if (inst.VpcId !== undefined && inst.VpcId !== '') {
    set('vpc_id', inst.VpcId);
    set('primary_subnet_id', inst.SubnetId);
    // A set, in first-seen order: linear in the ENIs (a list lookup per ENI was quadratic).
    const subnets = new Set<string>();
    for (const eni of inst.NetworkInterfaces ?? []) {
      const id = eni.SubnetId;
      if (id !== undefined && id !== '') subnets.add(id);
    }
    set('subnet_id', joinList([...subnets]));
  }
  for (const tag of inst.Tags ?? []) {
    if (tag.Key === undefined || tag.Value === undefined) continue;
    set(`tag_${sanitizeTagName(tag.Key)}`, tag.Value);
  }
  return labels;
}

export class Ec2Discoverer implements Discoverer {
  /** How often the registry should refresh this discoverer (§10.5 `refresh_interval`). */
  readonly refreshIntervalMs: number;
  private readonly createClient: ((opts: EC2ClientConfig) => EC2Client) | undefined;
  /** Built on the first refresh and reused: credentials and connections are cached. */
  private client: EC2Client | undefined;
  private readonly timeoutMs: number;
  /** Zone name → zone ID; undefined until DescribeAvailabilityZones succeeded once. */
  private azIds: Map<string, string> | undefined;

  constructor(
    readonly config: Ec2SdConfig,
    deps: Ec2Deps = {},
    options: Ec2DiscovererOptions = {},
  ) {
    this.refreshIntervalMs = config.refreshIntervalMs;
    this.timeoutMs = options.timeoutMs ?? Math.max(config.refreshIntervalMs, 10_000);
    this.createClient = deps.createClient;
  }

  private clientFor(sdk: Ec2Sdk): EC2Client {
    this.client ??= (this.createClient ?? ((opts) => new sdk.EC2Client(opts)))(
      ec2ClientOptions(this.config),
    );
    return this.client;
  }

  async refresh(): Promise<DiscoveryRefresh> {
    const signal = AbortSignal.timeout(this.timeoutMs);
    let region = this.config.region ?? '<default>';
    try {
      const sdk = await loadEc2Sdk();
      const client = this.clientFor(sdk);
      region = this.config.region ?? (await client.config.region());
      if (this.azIds === undefined) await this.loadAzIds(sdk, client, signal);
      const targets: Record<string, string>[] = [];
      let nextToken: string | undefined;
      const seen = new Set<string>();
      for (let page = 0; ; page++) {
        if (page >= MAX_PAGES) throw new Error(`more than ${MAX_PAGES} pages`);
        const out: DescribeInstancesCommandOutput = await client.send(
          new sdk.DescribeInstancesCommand({
            ...(this.config.filters.length === 0
              ? {}
              : {
                  Filters: this.config.filters.map((f) => ({
                    Name: f.name,
                    Values: [...f.values],
                  })),
                }),
            ...(nextToken === undefined ? {} : { NextToken: nextToken }),
          }),
          { abortSignal: signal },
        );
        for (const reservation of out.Reservations ?? []) {
          for (const inst of reservation.Instances ?? []) {
            const target = instanceTarget(
              inst,
              reservation.OwnerId,
              region,
              this.config.port,
              this.azIds,
            );
            if (target !== undefined) targets.push(target);
          }
        }
        nextToken = out.NextToken === '' ? undefined : out.NextToken;
        if (nextToken === undefined) break;
        if (seen.has(nextToken)) throw new Error(`DescribeInstances repeated page token`);
        seen.add(nextToken);
      }
      const group: TargetGroup = { source: region, targets, labels: {} };
      return { groups: [group], errors: [] };
    } catch (err) {
      throw new Ec2SdError(
        Ec2SdErrorCode.describe,
        `cannot describe EC2 instances in region ${region}: ${errorText(err)}`,
        { cause: err },
      );
    }
  }

  /** Tolerant, as in Prometheus: without the map, `availability_zone_id` comes from Placement. */
  private async loadAzIds(sdk: Ec2Sdk, client: EC2Client, signal: AbortSignal): Promise<void> {
    try {
      const out = await client.send(new sdk.DescribeAvailabilityZonesCommand({}), {
        abortSignal: signal,
      });
      const map = new Map<string, string>();
      for (const zone of out.AvailabilityZones ?? []) {
        if (zone.ZoneName !== undefined && zone.ZoneId !== undefined) {
          map.set(zone.ZoneName, zone.ZoneId);
        }
      }
      this.azIds = map;
    } catch {
      // Retried on the next refresh.
    }
  }
}
