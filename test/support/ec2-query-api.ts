/**
 * A local stand-in for the two EC2 Query API calls EC2 discovery makes (ec2_sd_configs and
 * aws_sd_configs `role: ec2`), answering XML the real @aws-sdk/client-ec2 parses:
 * DescribeInstances (one reservation; the `instance-state-name` and `tag:<key>` filters applied
 * as EC2 applies them, any other filter refused) and DescribeAvailabilityZones. An unknown
 * action is an `InvalidAction` error. Every request's form parameters are recorded.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

const EC2_NS = 'http://ec2.amazonaws.com/doc/2016-11-15/';

export interface Ec2QueryInstance {
  readonly id: string;
  readonly privateIp: string;
  readonly az: string;
  readonly tags: Readonly<Record<string, string>>;
  /** @default 'running' */
  readonly state?: string;
  readonly publicIp?: string;
}

export interface Ec2QueryApi {
  /** `http://127.0.0.1:<port>` */
  readonly endpoint: string;
  /** The form parameters of every request, in order. */
  readonly requests: Record<string, string>[];
  stop(): Promise<void>;
}

/** Zone names to IDs answered by DescribeAvailabilityZones. */
export const EC2_ZONE_IDS: Readonly<Record<string, string>> = {
  'us-east-1a': 'use1-az1',
  'us-east-1b': 'use1-az2',
  'us-east-1c': 'use1-az4',
};

const esc = (s: string) => s.replaceAll('&', '&amp;').replaceAll('<', '&lt;');

function instanceXml(i: Ec2QueryInstance): string {
  const tagItems = Object.entries(i.tags)
    .map(([k, v]) => `<item><key>${esc(k)}</key><value>${esc(v)}</value></item>`)
    .join('');
  const publicIp = i.publicIp === undefined ? '' : `<ipAddress>${i.publicIp}</ipAddress>`;
  return `<item>
    <instanceId>${i.id}</instanceId>
    <imageId>ami-0001</imageId>
    <instanceState><code>16</code><name>${i.state ?? 'running'}</name></instanceState>
    <privateDnsName>ip-${i.privateIp.replaceAll('.', '-')}.ec2.internal</privateDnsName>
    <instanceType>t3.micro</instanceType>
    <placement><availabilityZone>${i.az}</availabilityZone></placement>
    <subnetId>subnet-a</subnetId>
    <vpcId>vpc-1</vpcId>
    <privateIpAddress>${i.privateIp}</privateIpAddress>${publicIp}
    <architecture>x86_64</architecture>
    <tagSet>${tagItems}</tagSet>
  </item>`;
}

/** The `Filter.N.*` parameters as name → values. */
function filters(params: URLSearchParams): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (let i = 1; params.has(`Filter.${i}.Name`); i++) {
    const values: string[] = [];
    for (let j = 1; params.has(`Filter.${i}.Value.${j}`); j++) {
      values.push(params.get(`Filter.${i}.Value.${j}`)!);
    }
    out.set(params.get(`Filter.${i}.Name`)!, values);
  }
  return out;
}

function matches(i: Ec2QueryInstance, name: string, values: readonly string[]): boolean {
  if (name === 'instance-state-name') return values.includes(i.state ?? 'running');
  const key = name.slice('tag:'.length);
  return Object.hasOwn(i.tags, key) && values.includes(i.tags[key]!);
}

function errorXml(code: string, message: string): string {
  return `<Response><Errors><Error><Code>${code}</Code><Message>${esc(message)}</Message></Error></Errors><RequestID>x</RequestID></Response>`;
}

/** Starts the stand-in on a loopback port, owned by account 111122223333 (reservation r-1). */
export async function startEc2QueryApi(
  instances: readonly Ec2QueryInstance[],
): Promise<Ec2QueryApi> {
  const requests: Record<string, string>[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const params = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
      requests.push(Object.fromEntries(params));
      const action = params.get('Action') ?? '';
      const reply = (status: number, body: string) =>
        res.writeHead(status, { 'content-type': 'text/xml;charset=UTF-8' }).end(body);
      let body: string;
      if (action === 'DescribeInstances') {
        const wanted = filters(params);
        const unknown = [...wanted.keys()].find(
          (n) => n !== 'instance-state-name' && !n.startsWith('tag:'),
        );
        if (unknown !== undefined) {
          reply(400, errorXml('InvalidParameterValue', `The filter '${unknown}' is invalid`));
          return;
        }
        const kept = instances.filter((i) =>
          [...wanted].every(([name, values]) => matches(i, name, values)),
        );
        body = `<reservationSet><item>
  <reservationId>r-1</reservationId>
  <ownerId>111122223333</ownerId>
  <instancesSet>${kept.map(instanceXml).join('')}</instancesSet>
</item></reservationSet>`;
      } else if (action === 'DescribeAvailabilityZones') {
        body = `<availabilityZoneInfo>${Object.entries(EC2_ZONE_IDS)
          .map(([name, id]) => `<item><zoneName>${name}</zoneName><zoneId>${id}</zoneId></item>`)
          .join('')}</availabilityZoneInfo>`;
      } else {
        reply(400, errorXml('InvalidAction', action));
        return;
      }
      reply(
        200,
        `<${action}Response xmlns="${EC2_NS}"><requestId>r</requestId>${body}</${action}Response>`,
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
