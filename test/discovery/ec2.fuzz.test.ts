/**
 * Fuzzing of EC2 answers (§10.5, issue 13): `instanceTarget` fed arbitrary instances (missing
 * fields, odd strings, huge tag and interface lists) gives string labels bounded by the
 * instance, with tag names sanitized as Prometheus does; the real SDK client answered with
 * garbage or mutated XML by a local server gives an Ec2SdError and JobDiscovery keeps the
 * last targets.
 */
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EC2Client, type Instance } from '@aws-sdk/client-ec2';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  EC2_LABEL,
  Ec2Discoverer,
  Ec2SdError,
  ec2Mechanism,
  instanceTarget,
} from '../../src/discovery/ec2/index.js';
import { type DiscoveryMechanism, JobDiscovery } from '../../src/discovery/registry.js';
import type { TargetGroup } from '../../src/discovery/types.js';
import { errorOf, fuzzParams } from '../support/fuzz.js';
import { edits, expectBounded, mutate, oddString } from './fuzz-inputs.js';
import { parseEntry, sdJob } from './sd-config.js';

/** Each case is a few HTTP round trips: at LAMBDASCRAPE_FUZZ_SCALE=20 on a loaded machine
 * this property can outlast vitest's 30 s default timeout. */
const NETWORK_TIMEOUT_MS = 300_000;

const PORT = 9100;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Prometheus `SanitizeLabelName`: Go's regexp replaces each rune (code point), not each unit. */
function goSanitize(key: string): string {
  return [...key].map((c) => (/^[a-zA-Z0-9_]$/.test(c) ? c : '_')).join('');
}

/**
 * Label name and value bound for one instance: its own size, the labels' fixed part, and the
 * empty slots `primary_ipv6_addresses` keeps for device indexes up to the cap (1023).
 */
function sizeOf(inst: Instance): number {
  return JSON.stringify(inst).length + 64 + 1024;
}

function checkTarget(inst: Instance, region: string): void {
  const labels = instanceTarget(inst, 'owner', region, PORT, undefined);
  if (labels === undefined) return;
  const group: TargetGroup = { source: region, targets: [labels], labels: {} };
  expectBounded([group], 1, sizeOf(inst));
  const names = Object.keys(labels);
  for (const name of names) if (!LABEL_NAME.test(name)) expect(name).toMatch(LABEL_NAME);
  expect(labels.__address__?.endsWith(`:${PORT}`)).toBe(true);
  // At most the fixed labels plus one per tag.
  expect(names.length).toBeLessThanOrEqual(25 + (inst.Tags?.length ?? 0));
  for (const tag of inst.Tags ?? []) {
    if (tag.Key === undefined || tag.Value === undefined || tag.Value === '') continue;
    const name = `${EC2_LABEL}tag_${goSanitize(tag.Key)}`;
    if (!Object.hasOwn(labels, name)) expect(labels).toHaveProperty(name);
  }
}

const maybe = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined, freq: 3 });
const ip4 = fc.oneof(fc.ipV4(), oddString);
const ip6 = fc.oneof(fc.ipV6(), oddString);
const tagKey = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc.constantFrom('Name', 'aws:cloudformation:stack-name', 'ümlaut key', '😀', '__proto__', ''),
);
const eni = fc.record(
  {
    SubnetId: maybe(oddString),
    Attachment: maybe(fc.record({ DeviceIndex: maybe(fc.integer({ min: -2, max: 100_000 })) })),
    Ipv6Addresses: maybe(
      fc.array(fc.record({ Ipv6Address: maybe(ip6), IsPrimaryIpv6: maybe(fc.boolean()) }), {
        maxLength: 3,
      }),
    ),
  },
  { requiredKeys: [] },
);
const instance: fc.Arbitrary<Instance> = fc.record(
  {
    InstanceId: maybe(oddString),
    PrivateIpAddress: maybe(ip4),
    PrivateDnsName: maybe(oddString),
    Platform: maybe(oddString),
    PublicIpAddress: maybe(ip4),
    PublicDnsName: maybe(oddString),
    ImageId: maybe(oddString),
    Placement: maybe(
      fc.record(
        { AvailabilityZone: maybe(oddString), AvailabilityZoneId: maybe(oddString) },
        { requiredKeys: [] },
      ),
    ),
    State: maybe(fc.record({ Name: maybe(oddString) })),
    InstanceType: maybe(oddString),
    InstanceLifecycle: maybe(oddString),
    Architecture: maybe(oddString),
    VpcId: maybe(oddString),
    SubnetId: maybe(oddString),
    NetworkInterfaces: maybe(fc.array(eni, { maxLength: 4 })),
    Tags: maybe(
      fc.array(fc.record({ Key: maybe(tagKey), Value: maybe(oddString) }), { maxLength: 6 }),
    ),
  },
  { requiredKeys: [] },
) as fc.Arbitrary<Instance>;

describe('instanceTarget: arbitrary instances', () => {
  it('gives bounded string labels with valid names, one per tag', () => {
    fc.assert(
      fc.property(instance, oddString, (inst, region) => checkTarget(inst, region)),
      fuzzParams(500),
    );
  });

  it.each<[string, Instance]>([
    [
      'many tags',
      {
        PrivateIpAddress: '10.0.0.1',
        Tags: Array.from({ length: 50_000 }, (_, i) => ({ Key: `k-${i}`, Value: 'v' })),
      },
    ],
    [
      'many interfaces and subnets',
      {
        PrivateIpAddress: '10.0.0.1',
        VpcId: 'vpc-1',
        NetworkInterfaces: Array.from({ length: 100_000 }, (_, i) => ({
          SubnetId: `subnet-${i}`,
          Attachment: { DeviceIndex: i },
          Ipv6Addresses: [{ Ipv6Address: `2001:db8::${i.toString(16)}`, IsPrimaryIpv6: true }],
        })),
      },
    ],
    [
      'a huge device index',
      {
        VpcId: 'vpc-1',
        NetworkInterfaces: [
          {
            SubnetId: 's',
            Attachment: { DeviceIndex: 2 ** 31 - 1 },
            Ipv6Addresses: [{ Ipv6Address: '2001:db8::1', IsPrimaryIpv6: true }],
          },
        ],
      },
    ],
  ])('pathological instance: %s, bounded and in linear time', (_name, inst) => {
    const start = Date.now();
    checkTarget(inst, 'us-east-1');
    expect(Date.now() - start).toBeLessThan(5_000);
  });
});

describe('instanceTarget: regressions', () => {
  it('a huge primary IPv6 device index does not allocate a list that long (was 2^31 slots)', () => {
    const labels = instanceTarget(
      {
        VpcId: 'vpc-1',
        NetworkInterfaces: [
          {
            SubnetId: 's',
            Attachment: { DeviceIndex: 2 ** 31 - 1 },
            Ipv6Addresses: [{ Ipv6Address: '2001:db8::1', IsPrimaryIpv6: true }],
          },
        ],
      },
      undefined,
      'r',
      PORT,
      undefined,
    );
    expect(labels).toMatchObject({
      __address__: `[2001:db8::1]:${PORT}`,
      __meta_ec2_ipv6_addresses: ',2001:db8::1,',
    });
    expect(labels?.__meta_ec2_primary_ipv6_addresses).toBeUndefined();
  });

  it('sanitizes a tag key per code point, as Prometheus does (😀 → one _)', () => {
    const labels = instanceTarget(
      { PrivateIpAddress: '10.0.0.1', Tags: [{ Key: 'a😀b', Value: 'v' }] },
      undefined,
      'r',
      PORT,
      undefined,
    );
    expect(labels).toHaveProperty('__meta_ec2_tag_a_b', 'v');
  });
});

// -------------------------------------------------------------------------------------------
// The real SDK client against a local EC2 Query API answering what the case says.

const NS = 'http://ec2.amazonaws.com/doc/2016-11-15/';
const PAGE = `<reservationSet>
  <item>
    <reservationId>r-1</reservationId>
    <ownerId>111122223333</ownerId>
    <instancesSet>
      <item>
        <instanceId>i-1</instanceId>
        <imageId>ami-0001</imageId>
        <instanceState><code>16</code><name>running</name></instanceState>
        <privateDnsName>ip-10-0-0-1.ec2.internal</privateDnsName>
        <instanceType>t3.micro</instanceType>
        <placement><availabilityZone>us-east-1a</availabilityZone></placement>
        <subnetId>subnet-a</subnetId>
        <vpcId>vpc-1</vpcId>
        <privateIpAddress>10.0.0.1</privateIpAddress>
        <ipAddress>54.1.2.3</ipAddress>
        <tagSet>
          <item><key>Name</key><value>web &amp; more</value></item>
          <item><key>aws:cloudformation:stack-name</key><value>stack-1</value></item>
        </tagSet>
        <networkInterfaceSet>
          <item>
            <subnetId>subnet-a</subnetId>
            <attachment><deviceIndex>0</deviceIndex></attachment>
            <ipv6AddressesSet>
              <item><ipv6Address>2001:db8::a1</ipv6Address><isPrimaryIpv6>true</isPrimaryIpv6></item>
            </ipv6AddressesSet>
          </item>
        </networkInterfaceSet>
      </item>
    </instancesSet>
  </item>
</reservationSet>`;
const GOOD = `<?xml version="1.0" encoding="UTF-8"?>
<DescribeInstancesResponse xmlns="${NS}"><requestId>r</requestId>${PAGE}</DescribeInstancesResponse>`;
const AZS = `<DescribeAvailabilityZonesResponse xmlns="${NS}"><requestId>r</requestId><availabilityZoneInfo><item><zoneName>us-east-1a</zoneName><zoneId>use1-az1</zoneId></item></availabilityZoneInfo></DescribeAvailabilityZonesResponse>`;

const XML_PIECES = [
  '<',
  '>',
  '</',
  '/>',
  '&',
  '&amp;',
  '&#0;',
  '&#x10FFFF;',
  '&bogus;',
  '<![CDATA[',
  ']]>',
  '<!--',
  '-->',
  '<?xml?>',
  '<!DOCTYPE x [<!ENTITY a "aaaa">]>',
  '<item>',
  '</item>',
  '<nextToken>t</nextToken>',
  '<nextToken></nextToken>',
  '<deviceIndex>2147483647</deviceIndex>',
  '<deviceIndex>x</deviceIndex>',
  '<isPrimaryIpv6>yes</isPrimaryIpv6>',
  '<privateIpAddress><x/></privateIpAddress>',
  '<tagSet><item><key>😀</key><value>v</value></item></tagSet>',
  '<__proto__>x</__proto__>',
  '<Errors><Error><Code>X</Code><Message>m</Message></Error></Errors>',
  ' a="1"',
  ' ',
  '\n',
  '\u0000',
  '\ud800',
];

interface Answer {
  status: number;
  body: string;
}

let server: Server;
let endpoint = '';
let answer: Answer = { status: 200, body: GOOD };

function respond(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': 'text/xml;charset=UTF-8' });
  res.end(body);
}

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const action = new URLSearchParams(Buffer.concat(chunks).toString()).get('Action');
      if (action === 'DescribeAvailabilityZones') respond(res, 200, AZS);
      else respond(res, answer.status, answer.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const rawConfig = () => ({
  region: 'us-east-1',
  endpoint,
  access_key: 'AKIDTESTKEY',
  secret_key: 'not-a-real-secret',
  port: PORT,
});
/** No retries: a 5xx would otherwise be retried with backoff. */
const noRetry = { createClient: (opts: object) => new EC2Client({ ...opts, maxAttempts: 1 }) };

const answers: fc.Arbitrary<Answer> = fc.oneof(
  fc.record({ status: fc.constant(200), body: fc.string({ unit: 'binary', maxLength: 300 }) }),
  fc.record({
    status: fc.constant(200),
    body: edits(XML_PIECES, 6).map((l) => mutate(GOOD, l)),
  }),
  fc.record({
    status: fc.constantFrom(200, 400, 403, 500, 503),
    body: fc.constantFrom(
      '',
      '<Response><Errors><Error><Code>Throttling</Code><Message>slow down</Message></Error></Errors></Response>',
      `<DescribeInstancesResponse xmlns="${NS}"><nextToken>same</nextToken></DescribeInstancesResponse>`,
      `<DescribeInstancesResponse xmlns="${NS}">${'<a>'.repeat(50_000)}</DescribeInstancesResponse>`,
    ),
  }),
);

describe('Ec2Discoverer with the real SDK: garbage answers', () => {
  it(
    'random and mutated XML: new targets or an Ec2SdError, the last targets kept',
    async () => {
      const job = sdJob('ec2_sd_configs', [rawConfig()], { jobName: 'ec2' });
      const mechanism: DiscoveryMechanism<unknown> = {
        ...ec2Mechanism,
        create: (configs) => ec2Mechanism.create(configs as never, { ec2: noRetry }),
      } as DiscoveryMechanism<unknown>;
      const discovery = new JobDiscovery(job, {}, [mechanism]);
      try {
        answer = { status: 200, body: GOOD };
        const good = await discovery.refresh({ force: true });
        expect(good.errors).toEqual([]);
        expect(good.groups[0]!.targets).toHaveLength(1);
        await fc.assert(
          fc.asyncProperty(answers, async (a) => {
            answer = { status: 200, body: GOOD };
            await discovery.refresh({ force: true });
            answer = a;
            const after = await discovery.refresh({ force: true });
            if (after.errors.length === 0) {
              expectBounded(after.groups, a.body.length, a.body.length + 64);
              return;
            }
            expect(after.errors).toHaveLength(1);
            expect(after.errors[0]!.cause).toBeInstanceOf(Ec2SdError);
            expect(after.errors[0]!.message).toContain(
              'cannot describe EC2 instances in region us-east-1: ',
            );
            expect(after.groups).toEqual(good.groups);
          }),
          fuzzParams(40),
        );
      } finally {
        await discovery.close();
      }
    },
    NETWORK_TIMEOUT_MS,
  );

  it('an answer the SDK cannot read is an Ec2SdError naming the region', async () => {
    const d = new Ec2Discoverer(parseEntry(ec2Mechanism, rawConfig()), noRetry);
    answer = { status: 200, body: '<DescribeInstancesResponse><reservationSet>' };
    const err = await errorOf(Ec2SdError, () => d.refresh());
    expect(err?.message).toMatch(/^cannot describe EC2 instances in region us-east-1: .+/);
  });
});
