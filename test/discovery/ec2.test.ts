import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EC2Client } from '@aws-sdk/client-ec2';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/errors.js';
import type { ScrapeConfig } from '../../src/config/types.js';
import {
  DEFAULT_EC2_SD_PORT,
  DEFAULT_EC2_SD_REFRESH_INTERVAL,
  type Ec2Deps,
  Ec2Discoverer,
  type Ec2SdConfig,
  Ec2SdError,
  ec2ClientOptions,
  ec2Mechanism,
} from '../../src/discovery/ec2/index.js';
import {
  type DiscoveryMechanism,
  JobDiscovery,
  validMechanismConfigs,
} from '../../src/discovery/registry.js';
import { scrapeConfig } from '../targets/scrape-config.js';
import { parseEntry, sdJob } from './sd-config.js';

const parseEc2SdConfig = (raw: unknown) => parseEntry(ec2Mechanism, raw);
const createEc2Discoverers = (job: ScrapeConfig, deps: Ec2Deps = {}) =>
  ec2Mechanism.create(validMechanismConfigs(job, ec2Mechanism), { ec2: deps }) as Ec2Discoverer[];

// ---------------------------------------------------------------------------------------------
// A local stand-in for the EC2 Query API (docs/testing.md): the real @aws-sdk/client-ec2 parses it.
// ---------------------------------------------------------------------------------------------

interface Recorded {
  readonly action: string;
  readonly params: URLSearchParams;
  readonly authorization: string;
}

const NS = 'http://ec2.amazonaws.com/doc/2016-11-15/';

const PAGE_1 = `<reservationSet>
  <item>
    <reservationId>r-1</reservationId>
    <ownerId>111122223333</ownerId>
    <instancesSet>
      <item>
        <instanceId>i-vpc-public</instanceId>
        <imageId>ami-0001</imageId>
        <instanceState><code>16</code><name>running</name></instanceState>
        <privateDnsName>ip-10-0-0-1.ec2.internal</privateDnsName>
        <dnsName>ec2-54-1-2-3.compute-1.amazonaws.com</dnsName>
        <instanceType>t3.micro</instanceType>
        <placement><availabilityZone>us-east-1a</availabilityZone><tenancy>default</tenancy></placement>
        <platform>windows</platform>
        <subnetId>subnet-a</subnetId>
        <vpcId>vpc-1</vpcId>
        <privateIpAddress>10.0.0.1</privateIpAddress>
        <ipAddress>54.1.2.3</ipAddress>
        <architecture>x86_64</architecture>
        <tagSet>
          <item><key>Name</key><value>web</value></item>
          <item><key>aws:cloudformation:stack-name</key><value>stack-1</value></item>
          <item><key>Team-Name.x</key><value>ops</value></item>
          <item><key>ümlaut key</key><value>yes</value></item>
        </tagSet>
        <networkInterfaceSet>
          <item>
            <networkInterfaceId>eni-0</networkInterfaceId>
            <subnetId>subnet-a</subnetId>
            <attachment><deviceIndex>0</deviceIndex></attachment>
            <ipv6AddressesSet>
              <item><ipv6Address>2001:db8::a2</ipv6Address></item>
              <item><ipv6Address>2001:db8::a1</ipv6Address><isPrimaryIpv6>true</isPrimaryIpv6></item>
            </ipv6AddressesSet>
          </item>
          <item>
            <networkInterfaceId>eni-2</networkInterfaceId>
            <subnetId>subnet-b</subnetId>
            <attachment><deviceIndex>2</deviceIndex></attachment>
            <ipv6AddressesSet>
              <item><ipv6Address>2001:db8::b1</ipv6Address><isPrimaryIpv6>true</isPrimaryIpv6></item>
            </ipv6AddressesSet>
          </item>
          <item>
            <networkInterfaceId>eni-1</networkInterfaceId>
            <subnetId>subnet-a</subnetId>
            <attachment><deviceIndex>1</deviceIndex></attachment>
          </item>
        </networkInterfaceSet>
      </item>
      <item>
        <instanceId>i-classic</instanceId>
        <imageId>ami-0002</imageId>
        <instanceState><code>80</code><name>stopped</name></instanceState>
        <privateDnsName>ip-10-1-0-5.ec2.internal</privateDnsName>
        <dnsName>ec2-3-3-3-3.compute-1.amazonaws.com</dnsName>
        <instanceType>m6g.large</instanceType>
        <placement><availabilityZone>us-east-1b</availabilityZone></placement>
        <privateIpAddress>10.1.0.5</privateIpAddress>
        <ipAddress>3.3.3.3</ipAddress>
        <architecture>arm64</architecture>
        <instanceLifecycle>spot</instanceLifecycle>
        <tagSet>
          <item><key>Name</key><value>batch</value></item>
          <item><key>empty</key><value></value></item>
        </tagSet>
      </item>
    </instancesSet>
  </item>
</reservationSet>
<nextToken>page-2</nextToken>`;

const PAGE_2 = `<reservationSet>
  <item>
    <reservationId>r-2</reservationId>
    <ownerId>111122223333</ownerId>
    <instancesSet>
      <item>
        <instanceId>i-ipv6-only</instanceId>
        <imageId>ami-0003</imageId>
        <instanceState><code>16</code><name>running</name></instanceState>
        <instanceType>t4g.nano</instanceType>
        <placement><availabilityZone>us-east-1b</availabilityZone></placement>
        <subnetId>subnet-c</subnetId>
        <vpcId>vpc-2</vpcId>
        <networkInterfaceSet>
          <item>
            <networkInterfaceId>eni-3</networkInterfaceId>
            <subnetId>subnet-c</subnetId>
            <attachment><deviceIndex>0</deviceIndex></attachment>
            <ipv6AddressesSet>
              <item><ipv6Address>2001:db8::c1</ipv6Address><isPrimaryIpv6>false</isPrimaryIpv6></item>
            </ipv6AddressesSet>
          </item>
        </networkInterfaceSet>
      </item>
      <item>
        <instanceId>i-no-address</instanceId>
        <imageId>ami-0004</imageId>
        <instanceState><code>48</code><name>terminated</name></instanceState>
        <instanceType>t3.micro</instanceType>
        <placement><availabilityZone>us-east-1a</availabilityZone></placement>
      </item>
    </instancesSet>
  </item>
  <item>
    <reservationId>r-3</reservationId>
    <ownerId>444455556666</ownerId>
    <instancesSet>
      <item>
        <instanceId>i-private-only</instanceId>
        <imageId>ami-0005</imageId>
        <instanceState><code>0</code><name>pending</name></instanceState>
        <privateDnsName>ip-10-0-0-9.ec2.internal</privateDnsName>
        <dnsName></dnsName>
        <instanceType>c7i.xlarge</instanceType>
        <placement><availabilityZone>us-east-1c</availabilityZone><availabilityZoneId>use1-az9</availabilityZoneId></placement>
        <subnetId>subnet-d</subnetId>
        <vpcId>vpc-1</vpcId>
        <privateIpAddress>10.0.0.9</privateIpAddress>
        <networkInterfaceSet>
          <item>
            <networkInterfaceId>eni-4</networkInterfaceId>
            <subnetId>subnet-d</subnetId>
            <attachment><deviceIndex>0</deviceIndex></attachment>
          </item>
        </networkInterfaceSet>
      </item>
    </instancesSet>
  </item>
</reservationSet>`;

const AZS = `<availabilityZoneInfo>
  <item><zoneName>us-east-1a</zoneName><zoneId>use1-az1</zoneId></item>
  <item><zoneName>us-east-1b</zoneName><zoneId>use1-az2</zoneId></item>
</availabilityZoneInfo>`;

function errorXml(code: string, message: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<Response><Errors><Error><Code>${code}</Code><Message>${message}</Message></Error></Errors><RequestID>req-err</RequestID></Response>`;
}

interface Behaviour {
  describeInstancesError?: { status: number; code: string; message: string };
  azError?: boolean;
}

let server: Server;
let endpoint: string;
let requests: Recorded[] = [];
let behaviour: Behaviour = {};

function respond(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': 'text/xml;charset=UTF-8' });
  res.end(body);
}

function handle(req: IncomingMessage, body: string, res: ServerResponse): void {
  const params = new URLSearchParams(body);
  const action = params.get('Action') ?? '';
  requests.push({ action, params, authorization: String(req.headers.authorization ?? '') });
  if (action === 'DescribeAvailabilityZones') {
    if (behaviour.azError === true) {
      respond(res, 403, errorXml('UnauthorizedOperation', 'no DescribeAvailabilityZones'));
      return;
    }
    respond(
      res,
      200,
      `<DescribeAvailabilityZonesResponse xmlns="${NS}"><requestId>r</requestId>${AZS}</DescribeAvailabilityZonesResponse>`,
    );
    return;
  }
  if (action === 'DescribeInstances') {
    const e = behaviour.describeInstancesError;
    if (e !== undefined) {
      respond(res, e.status, errorXml(e.code, e.message));
      return;
    }
    const page = params.get('NextToken') === 'page-2' ? PAGE_2 : PAGE_1;
    respond(
      res,
      200,
      `<DescribeInstancesResponse xmlns="${NS}"><requestId>r</requestId>${page}</DescribeInstancesResponse>`,
    );
    return;
  }
  respond(res, 400, errorXml('InvalidAction', `unknown action ${action}`));
}

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => handle(req, Buffer.concat(chunks).toString('utf8'), res));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(() => {
  requests = [];
  behaviour = {};
});

function config(extra: Record<string, unknown> = {}): Ec2SdConfig {
  return parseEc2SdConfig({
    region: 'us-east-1',
    endpoint,
    access_key: 'AKIDTESTKEY',
    secret_key: 'not-a-real-secret',
    port: 9100,
    ...extra,
  });
}

/** No retries, so error tests are quick and the server sees each call once. */
const noRetry = { createClient: (opts: object) => new EC2Client({ ...opts, maxAttempts: 1 }) };

const SUBNET_LABELS = {
  __meta_ec2_vpc_id: 'vpc-1',
  __meta_ec2_primary_subnet_id: 'subnet-a',
  __meta_ec2_subnet_id: ',subnet-a,subnet-b,',
};

const EXPECTED_TARGETS = [
  {
    __address__: '10.0.0.1:9100',
    __meta_ec2_instance_id: 'i-vpc-public',
    __meta_ec2_region: 'us-east-1',
    __meta_ec2_owner_id: '111122223333',
    __meta_ec2_default_ipv6_address: '2001:db8::a1',
    __meta_ec2_private_ip: '10.0.0.1',
    __meta_ec2_private_dns_name: 'ip-10-0-0-1.ec2.internal',
    __meta_ec2_platform: 'windows',
    __meta_ec2_public_ip: '54.1.2.3',
    __meta_ec2_public_dns_name: 'ec2-54-1-2-3.compute-1.amazonaws.com',
    // Indexed by device index: eni-1 (index 1) has no IPv6, so its slot is empty.
    __meta_ec2_primary_ipv6_addresses: ',2001:db8::a1,,2001:db8::b1,',
    __meta_ec2_ipv6_addresses: ',2001:db8::a2,2001:db8::a1,2001:db8::b1,',
    __meta_ec2_ami: 'ami-0001',
    __meta_ec2_availability_zone: 'us-east-1a',
    __meta_ec2_availability_zone_id: 'use1-az1',
    __meta_ec2_instance_state: 'running',
    __meta_ec2_instance_type: 't3.micro',
    __meta_ec2_architecture: 'x86_64',
    ...SUBNET_LABELS,
    __meta_ec2_tag_Name: 'web',
    __meta_ec2_tag_aws_cloudformation_stack_name: 'stack-1',
    __meta_ec2_tag_Team_Name_x: 'ops',
    __meta_ec2_tag__mlaut_key: 'yes',
  },
  {
    // EC2-Classic: no VPC labels; spot; the public IP is a label, never the address.
    __address__: '10.1.0.5:9100',
    __meta_ec2_instance_id: 'i-classic',
    __meta_ec2_region: 'us-east-1',
    __meta_ec2_owner_id: '111122223333',
    __meta_ec2_private_ip: '10.1.0.5',
    __meta_ec2_private_dns_name: 'ip-10-1-0-5.ec2.internal',
    __meta_ec2_public_ip: '3.3.3.3',
    __meta_ec2_public_dns_name: 'ec2-3-3-3-3.compute-1.amazonaws.com',
    __meta_ec2_ami: 'ami-0002',
    __meta_ec2_availability_zone: 'us-east-1b',
    __meta_ec2_availability_zone_id: 'use1-az2',
    __meta_ec2_instance_state: 'stopped',
    __meta_ec2_instance_type: 'm6g.large',
    __meta_ec2_instance_lifecycle: 'spot',
    __meta_ec2_architecture: 'arm64',
    __meta_ec2_tag_Name: 'batch',
  },
  {
    // IPv6 only: the address is the first IPv6 (no primary one), bracketed.
    __address__: '[2001:db8::c1]:9100',
    __meta_ec2_instance_id: 'i-ipv6-only',
    __meta_ec2_region: 'us-east-1',
    __meta_ec2_owner_id: '111122223333',
    __meta_ec2_default_ipv6_address: '2001:db8::c1',
    __meta_ec2_ipv6_addresses: ',2001:db8::c1,',
    __meta_ec2_ami: 'ami-0003',
    __meta_ec2_availability_zone: 'us-east-1b',
    __meta_ec2_availability_zone_id: 'use1-az2',
    __meta_ec2_instance_state: 'running',
    __meta_ec2_instance_type: 't4g.nano',
    __meta_ec2_vpc_id: 'vpc-2',
    __meta_ec2_primary_subnet_id: 'subnet-c',
    __meta_ec2_subnet_id: ',subnet-c,',
  },
  // i-no-address (no private IPv4, no IPv6) is skipped.
  {
    // No public IP: neither public label; AZ ID from the placement (zone not in the AZ map).
    __address__: '10.0.0.9:9100',
    __meta_ec2_instance_id: 'i-private-only',
    __meta_ec2_region: 'us-east-1',
    __meta_ec2_owner_id: '444455556666',
    __meta_ec2_private_ip: '10.0.0.9',
    __meta_ec2_private_dns_name: 'ip-10-0-0-9.ec2.internal',
    __meta_ec2_ami: 'ami-0005',
    __meta_ec2_availability_zone: 'us-east-1c',
    __meta_ec2_availability_zone_id: 'use1-az9',
    __meta_ec2_instance_state: 'pending',
    __meta_ec2_instance_type: 'c7i.xlarge',
    __meta_ec2_vpc_id: 'vpc-1',
    __meta_ec2_primary_subnet_id: 'subnet-d',
    __meta_ec2_subnet_id: ',subnet-d,',
  },
];

describe('Ec2Discoverer against a local EC2 Query API', () => {
  it('returns one group, source = region, with the complete label set of every target', async () => {
    const d = new Ec2Discoverer(config(), noRetry);
    const { groups, errors } = await d.refresh();
    expect(errors).toEqual([]);
    expect(groups).toEqual([{ source: 'us-east-1', labels: {}, targets: EXPECTED_TARGETS }]);
    // toEqual ignores key order but not extra keys; check the key sets exactly as well.
    groups[0]!.targets.forEach((t, i) => {
      expect(Object.keys(t).sort()).toEqual(Object.keys(EXPECTED_TARGETS[i]!).sort());
    });
  });

  it('pages with nextToken and signs with the static access key', async () => {
    await new Ec2Discoverer(config(), noRetry).refresh();
    const describes = requests.filter((r) => r.action === 'DescribeInstances');
    expect(describes.map((r) => r.params.get('NextToken'))).toEqual([null, 'page-2']);
    for (const r of requests) {
      expect(r.authorization).toMatch(
        /^AWS4-HMAC-SHA256 Credential=AKIDTESTKEY\/\d{8}\/us-east-1\/ec2\/aws4_request,/,
      );
      expect(r.authorization).not.toContain('not-a-real-secret');
    }
  });

  it('sends the configured filters as DescribeInstances parameters', async () => {
    const d = new Ec2Discoverer(
      config({
        filters: [
          { name: 'tag:Env', values: ['prod', 'staging'] },
          { name: 'instance-state-name', values: ['running'] },
        ],
      }),
      noRetry,
    );
    await d.refresh();
    const describes = requests.filter((r) => r.action === 'DescribeInstances');
    expect(describes).toHaveLength(2);
    for (const r of describes) {
      const filterParams = [...r.params.entries()].filter(([k]) => k.startsWith('Filter.'));
      expect(Object.fromEntries(filterParams)).toEqual({
        'Filter.1.Name': 'tag:Env',
        'Filter.1.Value.1': 'prod',
        'Filter.1.Value.2': 'staging',
        'Filter.2.Name': 'instance-state-name',
        'Filter.2.Value.1': 'running',
      });
    }
  });

  it('sends no filter parameters when none are configured', async () => {
    await new Ec2Discoverer(config(), noRetry).refresh();
    const first = requests.find((r) => r.action === 'DescribeInstances')!;
    expect([...first.params.keys()].filter((k) => k.startsWith('Filter'))).toEqual([]);
  });

  it('uses the default port 80', async () => {
    const raw = { region: 'us-east-1', endpoint, access_key: 'AKIDTESTKEY', secret_key: 's' };
    const d = new Ec2Discoverer(parseEc2SdConfig(raw), noRetry);
    const { groups } = await d.refresh();
    expect(groups[0]!.targets.map((t) => t.__address__)).toEqual([
      '10.0.0.1:80',
      '10.1.0.5:80',
      '[2001:db8::c1]:80',
      '10.0.0.9:80',
    ]);
  });

  it('throws with the cause on an error response (UnauthorizedOperation)', async () => {
    behaviour.describeInstancesError = {
      status: 403,
      code: 'UnauthorizedOperation',
      message: 'You are not authorized to perform this operation.',
    };
    const d = new Ec2Discoverer(config(), noRetry);
    const err = await d.refresh().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(Ec2SdError);
    expect((err as Ec2SdError).code).toBe('EC2_SD_DESCRIBE_FAILED');
    expect((err as Error).message).toBe(
      'cannot describe EC2 instances in region us-east-1: UnauthorizedOperation: You are not authorized to perform this operation.',
    );
    expect(((err as Error).cause as Error).name).toBe('UnauthorizedOperation');
    expect((err as Error).message).not.toContain('not-a-real-secret');
  });

  it('tolerates a failing DescribeAvailabilityZones and retries it on the next refresh', async () => {
    behaviour.azError = true;
    const d = new Ec2Discoverer(config(), noRetry);
    const first = await d.refresh();
    const ids = first.groups[0]!.targets.map((t) => t.__meta_ec2_availability_zone_id);
    expect(ids).toEqual([undefined, undefined, undefined, 'use1-az9']);
    behaviour.azError = false;
    const second = await d.refresh();
    expect(second.groups[0]!.targets).toEqual(EXPECTED_TARGETS);
    // Once the map is known it is not fetched again.
    await d.refresh();
    expect(requests.filter((r) => r.action === 'DescribeAvailabilityZones')).toHaveLength(2);
  });

  it('builds the client once and reuses it', async () => {
    let created = 0;
    const d = new Ec2Discoverer(config(), {
      createClient: (opts) => {
        created++;
        return new EC2Client({ ...opts, maxAttempts: 1 });
      },
    });
    await d.refresh();
    await d.refresh();
    expect(created).toBe(1);
  });

  it('takes the region from the SDK when the config has none', async () => {
    const d = new Ec2Discoverer(
      parseEc2SdConfig({ endpoint, access_key: 'AKIDTESTKEY', secret_key: 's' }),
      {
        // Stands in for the SDK's default region chain (AWS_REGION etc.).
        createClient: (opts) => new EC2Client({ ...opts, region: 'eu-west-1', maxAttempts: 1 }),
      },
    );
    const { groups } = await d.refresh();
    expect(groups[0]!.source).toBe('eu-west-1');
    expect(new Set(groups[0]!.targets.map((t) => t.__meta_ec2_region))).toEqual(
      new Set(['eu-west-1']),
    );
    expect(requests[0]!.authorization).toContain('/eu-west-1/ec2/aws4_request');
  });

  it('keeps the previous targets in JobDiscovery when a refresh fails', async () => {
    const job = sdJob('ec2_sd_configs', [rawConfig()], { jobName: 'test' });
    const mechanism: DiscoveryMechanism<Ec2SdConfig> = {
      ...ec2Mechanism,
      create: (configs) => ec2Mechanism.create(configs, { ec2: noRetry }),
    };
    const discovery = new JobDiscovery(job, {}, [mechanism]);
    const first = await discovery.refresh();
    expect(first.errors).toEqual([]);
    expect(first.groups.map((g) => g.source)).toEqual(['ec2_sd_configs/0/us-east-1']);
    behaviour.describeInstancesError = { status: 503, code: 'Unavailable', message: 'down' };
    const second = await discovery.refresh({ force: true });
    expect(second.groups).toEqual(first.groups);
    expect(second.errors.map((e) => e.message)).toEqual([
      'discovery ec2_sd_configs/0 of job "test" failed: cannot describe EC2 instances in region us-east-1: Unavailable: down',
    ]);
  });
});

function rawConfig(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    region: 'us-east-1',
    endpoint,
    access_key: 'AKIDTESTKEY',
    secret_key: 'not-a-real-secret',
    port: 9100,
    ...extra,
  };
}

describe('createEc2Discoverers', () => {
  const job = (configs: unknown[]): ScrapeConfig =>
    sdJob('ec2_sd_configs', configs, { jobName: 'node', sourcePath: 'prometheus.yml' });

  it('makes one discoverer per entry, exposing its refresh interval', () => {
    const ds = createEc2Discoverers(job([rawConfig(), rawConfig({ refresh_interval: '5m' })]));
    expect(ds.map((d) => d.refreshIntervalMs)).toEqual([60_000, 300_000]);
  });

  it('makes none for a job without ec2_sd_configs', () => {
    expect(createEc2Discoverers(scrapeConfig())).toEqual([]);
  });

  it('throws a config error naming the job and entry', () => {
    expect(() => createEc2Discoverers(job([rawConfig(), { regoin: 'x' }]))).toThrow(
      'prometheus.yml:9:9: field regoin not found in type aws.EC2SDConfig',
    );
  });
});

describe('ec2ClientOptions', () => {
  it('uses static keys when set', async () => {
    const opts = ec2ClientOptions(config());
    expect(opts).toMatchObject({ region: 'us-east-1', endpoint });
    expect(opts.credentials).toEqual({
      accessKeyId: 'AKIDTESTKEY',
      secretAccessKey: 'not-a-real-secret',
    });
  });

  it('uses a provider (profile, default chain, assumed role) otherwise', () => {
    const base = { region: 'us-east-1' };
    expect(typeof ec2ClientOptions(parseEc2SdConfig({ ...base, profile: 'p' })).credentials).toBe(
      'function',
    );
    expect(ec2ClientOptions(parseEc2SdConfig({ ...base, profile: 'p' })).profile).toBe('p');
    expect(typeof ec2ClientOptions(parseEc2SdConfig(base)).credentials).toBe('function');
    const role = parseEc2SdConfig({
      ...base,
      role_arn: 'arn:aws:iam::1:role/r',
      external_id: 'ext',
    });
    expect(typeof ec2ClientOptions(role).credentials).toBe('function');
  });
});

describe('awsCredentials: providers load on their first call', () => {
  const saved = { ...process.env };
  afterEach(() => {
    for (const k of [
      'AWS_ACCESS_KEY_ID',
      'AWS_SECRET_ACCESS_KEY',
      'AWS_SHARED_CREDENTIALS_FILE',
      'AWS_CONFIG_FILE',
      'AWS_PROFILE',
    ]) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
  });

  it('the default chain resolves the environment keys', async () => {
    process.env.AWS_ACCESS_KEY_ID = 'AKIDFROMENV';
    process.env.AWS_SECRET_ACCESS_KEY = 'env-secret';
    const credentials = ec2ClientOptions(parseEc2SdConfig({ region: 'us-east-1' })).credentials;
    if (typeof credentials !== 'function') throw new Error('expected a provider');
    await expect(credentials()).resolves.toMatchObject({
      accessKeyId: 'AKIDFROMENV',
      secretAccessKey: 'env-secret',
    });
  });

  it('a profile resolves from the shared credentials file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ls-ec2-creds-'));
    try {
      const file = join(dir, 'credentials');
      await writeFile(
        file,
        '[p]\naws_access_key_id = AKIDPROFILE\naws_secret_access_key = profile-secret\n',
      );
      process.env.AWS_SHARED_CREDENTIALS_FILE = file;
      process.env.AWS_CONFIG_FILE = join(dir, 'missing-config');
      const credentials = ec2ClientOptions(
        parseEc2SdConfig({ region: 'us-east-1', profile: 'p' }),
      ).credentials;
      if (typeof credentials !== 'function') throw new Error('expected a provider');
      await expect(credentials()).resolves.toMatchObject({ accessKeyId: 'AKIDPROFILE' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('parseEc2SdConfig', () => {
  it('applies the defaults', () => {
    const c = parseEc2SdConfig({});
    expect(c).toEqual({
      region: undefined,
      endpoint: undefined,
      accessKey: undefined,
      secretKey: undefined,
      profile: undefined,
      roleArn: undefined,
      externalId: undefined,
      refreshIntervalMs: DEFAULT_EC2_SD_REFRESH_INTERVAL,
      port: DEFAULT_EC2_SD_PORT,
      filters: [],
    });
    expect(DEFAULT_EC2_SD_REFRESH_INTERVAL).toBe(60_000);
    expect(DEFAULT_EC2_SD_PORT).toBe(80);
  });

  it('reads every field; the secret key is a Secret', () => {
    const c = parseEc2SdConfig({
      region: 'eu-central-1',
      endpoint: 'https://ec2.example.test',
      access_key: 'AK',
      secret_key: 'SK',
      profile: 'prof',
      role_arn: 'arn:aws:iam::1:role/r',
      external_id: 'ext',
      refresh_interval: '1m30s',
      port: 9100,
      filters: [{ name: 'tag:a', values: ['x', 1] }],
      follow_redirects: true,
      enable_http2: false,
    });
    expect({ ...c, secretKey: c.secretKey?.reveal() }).toEqual({
      region: 'eu-central-1',
      endpoint: 'https://ec2.example.test',
      accessKey: 'AK',
      secretKey: 'SK',
      profile: 'prof',
      roleArn: 'arn:aws:iam::1:role/r',
      externalId: 'ext',
      refreshIntervalMs: 90_000,
      port: 9100,
      filters: [{ name: 'tag:a', values: ['x', '1'] }],
    });
    expect(String(c.secretKey)).toBe('<secret>');
    expect(JSON.stringify(c)).not.toContain('SK"');
  });

  it.each<[string, unknown, string]>([
    ['unknown field', { regoin: 'x' }, 'field regoin not found in type aws.EC2SDConfig'],
    ['not a mapping', ['x'], 'cannot unmarshal !!seq into aws.EC2SDConfig'],
    ['null entry', null, 'empty or null section in ec2_sd_configs'],
    ['bad duration', { refresh_interval: '1.5m' }, 'not a valid duration string: "1.5m"'],
    ['empty duration', { refresh_interval: '' }, 'empty duration string'],
    [
      'zero refresh interval',
      { refresh_interval: '0s' },
      'refresh_interval must be greater than 0',
    ],
    ['port not an integer', { port: 'http' }, 'cannot unmarshal !!str `http` into int'],
    ['port out of range', { port: 70000 }, 'port 70000 is out of range 0-65535'],
    ['region as a mapping', { region: { a: 1 } }, 'cannot unmarshal !!map into string'],
    [
      'empty filter values',
      { filters: [{ name: 'tag:a', values: [] }] },
      'ec2 SD configuration filter values cannot be empty',
    ],
    [
      'missing filter values',
      { filters: [{ name: 'tag:a' }] },
      'ec2 SD configuration filter values cannot be empty',
    ],
    [
      'missing filter name',
      { filters: [{ values: ['a'] }] },
      'ec2 SD configuration filter name cannot be empty',
    ],
    [
      'unknown filter field',
      { filters: [{ name: 'a', values: ['a'], value: 'b' }] },
      'field value not found in type aws.Filter',
    ],
    ['filters not a list', { filters: { name: 'a' } }, 'cannot unmarshal !!map into []*aws.Filter'],
    ['access key alone', { access_key: 'AK' }, 'access_key and secret_key must be set together'],
    ['bad endpoint', { endpoint: 'ftp://x' }, 'endpoint "ftp://x" is not an http or https URL'],
    ['external_id without role_arn', { external_id: 'e' }, 'external_id requires role_arn'],
    [
      'tls_config',
      { tls_config: { insecure_skip_verify: true } },
      'tls_config in ec2_sd_configs is not supported by lambdascrape',
    ],
    [
      'basic_auth',
      { basic_auth: { username: 'u' } },
      'basic_auth in ec2_sd_configs is not supported by lambdascrape',
    ],
    [
      'proxy_url',
      { proxy_url: 'http://p' },
      'proxy_url in ec2_sd_configs is not supported by lambdascrape',
    ],
    [
      'follow_redirects not a bool',
      { follow_redirects: 'no' },
      'cannot unmarshal !!str `no` into bool',
    ],
  ])('rejects %s', (_name, raw, message) => {
    let err: unknown;
    try {
      parseEc2SdConfig(raw);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).errors[0]).toMatch(/^<config>:\d+:\d+: /);
    expect(
      (err as ConfigError).errors[0]!.replace(/^<config>:\d+:\d+: /, '').startsWith(message),
    ).toBe(true);
  });

  it('never puts the secret key into a message', () => {
    expect(() => parseEc2SdConfig({ secret_key: 'TOPSECRET' })).toThrow(
      /^<config>:\d+:\d+: access_key and secret_key must be set together$/,
    );
    expect(() => parseEc2SdConfig({ secret_key: { TOPSECRET: 1 }, access_key: 'a' })).toThrow(
      /^<config>:\d+:\d+: cannot unmarshal !!map into config\.Secret$/,
    );
  });
});
