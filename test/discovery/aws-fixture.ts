/**
 * A local stand-in for the ECS API (JSON 1.1: `POST /`, `X-Amz-Target:
 * AmazonEC2ContainerServiceV20141113.<Action>`), Lightsail's GetInstances (JSON 1.1,
 * `Lightsail_20161128.GetInstances`), and for the two EC2 Query API calls ECS
 * discovery makes (DescribeInstances, DescribeNetworkInterfaces with ID filters), the Kafka REST
 * API of MSK, RDS's Query API (DescribeDBClusters, DescribeDBInstances, XML paged by
 * Marker) and ElastiCache's (DescribeServerlessCaches paged by NextToken, DescribeCacheClusters
 * paged by Marker, ListTagsForResource), so the real SDK clients parse what it answers. It holds a
 * small world of clusters, services, tasks, container instances, instances and ENIs, pages
 * listings by `pageSize`, refuses batches over the API's maxima as AWS does, answers
 * ThrottlingException on demand, records every request, and counts the requests in flight
 * (answers can be held back to make them overlap).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export const ACCOUNT = '123456789012';
export const REGION = 'us-east-1';
const EC2_NS = 'http://ec2.amazonaws.com/doc/2016-11-15/';

export type Json = Record<string, unknown>;

export interface Ec2Instance {
  readonly id: string;
  readonly privateIp?: string;
  readonly publicIp?: string;
  readonly subnetId?: string;
  readonly type?: string;
  readonly tags?: Record<string, string>;
}

export interface EcsWorld {
  /** DescribeClusters entries (camelCase, as ECS answers); `tags` only sent when asked. */
  clusters: Json[];
  /** By cluster ARN. */
  services: Record<string, Json[]>;
  tasks: Record<string, Json[]>;
  containerInstances: Record<string, Json[]>;
  instances: Ec2Instance[];
  /** ENI ID → public IP (undefined: the ENI exists without one). */
  enis: Record<string, string | undefined>;
  /** Lightsail GetInstances entries (camelCase, as Lightsail answers). */
  lightsail?: Json[];
  /** MSK clusters (as the Kafka REST API answers them, camelCase) and their nodes by ARN. */
  msk?: { clusters: Json[]; nodes: Record<string, Json[]> };
  /**
   * RDS DescribeDBClusters / DescribeDBInstances entries, in the SDK's shape (PascalCase; Dates,
   * booleans and numbers as such), written out as RDS's Query API XML. An instance belongs to
   * the cluster its `DBClusterIdentifier` names.
   */
  rds?: { clusters: Json[]; instances: Json[] };
  /**
   * ElastiCache DescribeServerlessCaches / DescribeCacheClusters entries in the SDK's shape
   * (a cluster's `CacheNodes` sent only with ShowCacheNodeInfo), and the tags by ARN.
   */
  elasticache?: { serverless: Json[]; clusters: Json[]; tags: Record<string, Json[]> };
  /** Items per page of ListClusters / ListTasks (the client asks for 100). */
  pageSize?: number;
}

export interface Recorded {
  readonly service: 'ecs' | 'ec2' | 'kafka' | 'rds' | 'elasticache';
  readonly action: string;
  /** ECS: the JSON body; EC2 and RDS: the form parameters. */
  readonly body: Json;
  readonly authorization: string;
}

export interface Fault {
  readonly status: number;
  readonly type: string;
  readonly message: string;
  /** How many calls get it; undefined: every call. */
  times?: number;
  /** Only calls whose ECS body or EC2 parameters match. */
  readonly when?: (body: Json) => boolean;
}

export class AwsFixture {
  world: EcsWorld = emptyWorld();
  requests: Recorded[] = [];
  /** By action (`DescribeTasks`, `DescribeInstances`, …). */
  faults = new Map<string, Fault>();
  /** A body sent instead of the real answer, by action. */
  raw = new Map<string, { status: number; body: string }>();
  /** Each answer is held back this long (ms), so that requests sent together overlap here. */
  delayMs = 0;
  /** Requests being answered now, and the most at once since the last reset. */
  inFlight = 0;
  maxInFlight = 0;
  private server: Server | undefined;
  endpoint = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      this.inFlight++;
      this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
      res.on('close', () => this.inFlight--);
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const answer = () => this.handle(req, Buffer.concat(chunks).toString('utf8'), res);
        if (this.delayMs > 0) setTimeout(answer, this.delayMs);
        else answer();
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.endpoint = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /**
   * An aws_sd_configs (or per-service key) entry that reads this fixture: its endpoint, REGION
   * and static test keys; `fields` (the role, a port, …) on top.
   */
  entry(fields: Record<string, unknown> = {}): Record<string, unknown> {
    return {
      region: REGION,
      endpoint: this.endpoint,
      access_key: 'AKIDTESTKEY',
      secret_key: 'not-a-real-secret',
      ...fields,
    };
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }

  reset(): void {
    this.world = emptyWorld();
    this.requests = [];
    this.faults.clear();
    this.raw.clear();
    this.delayMs = 0;
    this.maxInFlight = this.inFlight;
  }

  calls(action: string): Recorded[] {
    return this.requests.filter((r) => r.action === action);
  }

  private handle(req: IncomingMessage, text: string, res: ServerResponse): void {
    const target = String(req.headers['x-amz-target'] ?? '');
    const authorization = String(req.headers.authorization ?? '');
    if (target !== '') {
      const action = target.slice(target.indexOf('.') + 1);
      const body = JSON.parse(text === '' ? '{}' : text) as Json;
      this.requests.push({ service: 'ecs', action, body, authorization });
      if (this.faulted(action, body, res, 'ecs') || this.rawAnswer(action, res, 'ecs')) return;
      const answer = this.ecs(action, body);
      if ('__type' in answer) json(res, 400, answer);
      else json(res, 200, answer);
      return;
    }
    const url = new URL(req.url ?? '/', 'http://fixture');
    if (req.method === 'GET' && /^\/(api\/v2|v1)\/clusters/.test(url.pathname)) {
      this.kafka(url, authorization, res);
      return;
    }
    const params = new URLSearchParams(text);
    const action = params.get('Action') ?? '';
    if (params.get('Version') === ELASTICACHE_VERSION) {
      this.requests.push({
        service: 'elasticache',
        action,
        body: Object.fromEntries(params),
        authorization,
      });
      if (this.faulted(action, Object.fromEntries(params), res, 'rds')) return;
      if (this.rawAnswer(action, res, 'ec2')) return;
      const answer = this.elasticache(action, params);
      xml(res, answer.status, answer.body);
      return;
    }
    if (params.get('Version') === RDS_VERSION) {
      this.requests.push({
        service: 'rds',
        action,
        body: Object.fromEntries(params),
        authorization,
      });
      if (this.faulted(action, Object.fromEntries(params), res, 'rds')) return;
      if (this.rawAnswer(action, res, 'ec2')) return;
      const answer = this.rds(action, params);
      xml(res, answer.status, answer.body);
      return;
    }
    this.requests.push({
      service: 'ec2',
      action,
      body: Object.fromEntries(params),
      authorization,
    });
    if (this.faulted(action, Object.fromEntries(params), res, 'ec2')) return;
    if (this.rawAnswer(action, res, 'ec2')) return;
    xml(res, 200, this.ec2(action, params));
  }

  /** The Kafka REST API (restJson1): ListClustersV2, DescribeClusterV2, ListNodes. */
  private kafka(url: URL, authorization: string, res: ServerResponse): void {
    const path = url.pathname;
    const nodesMatch = /^\/v1\/clusters\/(.+)\/nodes$/.exec(path);
    const describeMatch = /^\/api\/v2\/clusters\/(.+)$/.exec(path);
    const action = nodesMatch
      ? 'ListNodes'
      : describeMatch
        ? 'DescribeClusterV2'
        : 'ListClustersV2';
    const body: Json = Object.fromEntries(url.searchParams);
    if (nodesMatch || describeMatch)
      body.clusterArn = decodeURIComponent((nodesMatch ?? describeMatch)![1]!);
    this.requests.push({ service: 'kafka', action, body, authorization });
    const fault = this.faults.get(action);
    if (fault !== undefined && (fault.when === undefined || fault.when(body))) {
      res.writeHead(fault.status, {
        'content-type': 'application/json',
        'x-amzn-errortype': fault.type,
      });
      res.end(JSON.stringify({ message: fault.message }));
      return;
    }
    if (this.rawAnswer(action, res, 'ecs')) return;
    const world = this.world.msk ?? { clusters: [], nodes: {} };
    const send = (status: number, answer: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(answer));
    };
    if (action === 'DescribeClusterV2') {
      const c = world.clusters.find((x) => x.clusterArn === body.clusterArn);
      if (c === undefined) {
        res.writeHead(404, {
          'content-type': 'application/json',
          'x-amzn-errortype': 'NotFoundException',
        });
        res.end(JSON.stringify({ message: 'cluster not found' }));
      } else send(200, { clusterInfo: c });
      return;
    }
    if (action === 'ListNodes') {
      const p = this.page(world.nodes[body.clusterArn as string] ?? [], body.nextToken);
      send(200, { nodeInfoList: p.items, ...(p.nextToken ? { nextToken: p.nextToken } : {}) });
      return;
    }
    const provisioned = world.clusters.filter(
      (c) => body.clusterTypeFilter === undefined || c.clusterType === body.clusterTypeFilter,
    );
    const p = this.page(provisioned, body.nextToken);
    send(200, { clusterInfoList: p.items, ...(p.nextToken ? { nextToken: p.nextToken } : {}) });
  }

  private rawAnswer(action: string, res: ServerResponse, service: 'ecs' | 'ec2'): boolean {
    const raw = this.raw.get(action);
    if (raw === undefined) return false;
    res.writeHead(raw.status, {
      'content-type': service === 'ecs' ? 'application/x-amz-json-1.1' : 'text/xml',
    });
    res.end(raw.body);
    return true;
  }

  private faulted(
    action: string,
    body: Json,
    res: ServerResponse,
    service: 'ecs' | 'ec2' | 'rds',
  ): boolean {
    const fault = this.faults.get(action);
    if (fault === undefined || (fault.when !== undefined && !fault.when(body))) return false;
    if (fault.times !== undefined) {
      if (fault.times <= 0) return false;
      fault.times--;
    }
    if (service === 'ecs') json(res, fault.status, { __type: fault.type, message: fault.message });
    else if (service === 'rds') xml(res, fault.status, rdsError(fault.type, fault.message));
    else
      xml(
        res,
        fault.status,
        `<Response><Errors><Error><Code>${fault.type}</Code><Message>${fault.message}</Message></Error></Errors><RequestID>r</RequestID></Response>`,
      );
    return true;
  }

  private cluster(ref: unknown): Json | undefined {
    const key = typeof ref === 'string' ? ref : 'default';
    return this.world.clusters.find((c) => c.clusterArn === key || c.clusterName === key);
  }

  private page(items: unknown[], token: unknown): { items: unknown[]; nextToken?: string } {
    const size = this.world.pageSize ?? 100;
    const start = typeof token === 'string' ? Number(token) : 0;
    const next = start + size;
    return {
      items: items.slice(start, next),
      ...(next < items.length ? { nextToken: String(next) } : {}),
    };
  }

  private ecs(action: string, body: Json): Json {
    const withTags = (item: Json, include: unknown) => {
      if (Array.isArray(include) && include.includes('TAGS')) return item;
      const { tags: _tags, ...rest } = item;
      return rest;
    };
    const invalid = (message: string) => ({ __type: 'InvalidParameterException', message });
    const notFound = () => ({ __type: 'ClusterNotFoundException', message: 'Cluster not found.' });
    switch (action) {
      case 'ListClusters': {
        const p = this.page(
          this.world.clusters.map((c) => c.clusterArn),
          body.nextToken,
        );
        return { clusterArns: p.items, ...(p.nextToken ? { nextToken: p.nextToken } : {}) };
      }
      case 'DescribeClusters': {
        const refs = (body.clusters as string[] | undefined) ?? ['default'];
        if (refs.length > 100) return invalid('too many clusters');
        const clusters: Json[] = [];
        const failures: Json[] = [];
        for (const ref of refs) {
          const c = this.cluster(ref);
          if (c === undefined) {
            const arn = ref.startsWith('arn:')
              ? ref
              : `arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/${ref}`;
            failures.push({ arn, reason: 'MISSING' });
          } else clusters.push(withTags(c, body.include));
        }
        return { clusters, failures };
      }
      case 'ListTasks': {
        const c = this.cluster(body.cluster);
        if (c === undefined) return notFound();
        const tasks = this.world.tasks[c.clusterArn as string] ?? [];
        const p = this.page(
          tasks.map((t) => t.taskArn),
          body.nextToken,
        );
        return { taskArns: p.items, ...(p.nextToken ? { nextToken: p.nextToken } : {}) };
      }
      case 'DescribeTasks': {
        const c = this.cluster(body.cluster);
        if (c === undefined) return notFound();
        const arns = body.tasks as string[];
        if (arns.length > 100) return invalid('too many tasks');
        const all = this.world.tasks[c.clusterArn as string] ?? [];
        return {
          tasks: arns.flatMap((arn) => {
            const t = all.find((x) => x.taskArn === arn);
            return t === undefined ? [] : [withTags(t, body.include)];
          }),
          failures: [],
        };
      }
      case 'DescribeServices': {
        const c = this.cluster(body.cluster);
        if (c === undefined) return notFound();
        const refs = body.services as string[];
        if (refs.length > 10) return invalid('too many services');
        const all = this.world.services[c.clusterArn as string] ?? [];
        const services: Json[] = [];
        const failures: Json[] = [];
        for (const ref of refs) {
          const s = all.find((x) => x.serviceArn === ref || x.serviceName === ref);
          if (s === undefined) failures.push({ arn: ref, reason: 'MISSING' });
          else services.push(withTags(s, body.include));
        }
        return { services, failures };
      }
      case 'GetInstances': {
        // Lightsail (JSON 1.1 too): pages by pageToken / nextPageToken.
        const p = this.page(this.world.lightsail ?? [], body.pageToken);
        return { instances: p.items, ...(p.nextToken ? { nextPageToken: p.nextToken } : {}) };
      }
      case 'DescribeContainerInstances': {
        const c = this.cluster(body.cluster);
        if (c === undefined) return notFound();
        const refs = body.containerInstances as string[];
        if (refs.length > 100) return invalid('too many container instances');
        const all = this.world.containerInstances[c.clusterArn as string] ?? [];
        return {
          containerInstances: all.filter((ci) => refs.includes(ci.containerInstanceArn as string)),
          failures: [],
        };
      }
      default:
        return { __type: 'UnknownOperationException', message: action };
    }
  }

  /**
   * ElastiCache's Query API (awsQuery, version 2015-02-02): DescribeServerlessCaches (all, paged
   * by NextToken with MaxResults up to 100, or one by ServerlessCacheName), DescribeCacheClusters
   * (all or one by CacheClusterId, paged by Marker with MaxRecords 20–100; nodes only with
   * ShowCacheNodeInfo; ShowCacheClustersNotInReplicationGroups leaves out replication group
   * members), ListTagsForResource; an unknown name or id is a NotFound fault, as ElastiCache's.
   */
  private elasticache(action: string, params: URLSearchParams): { status: number; body: string } {
    const world = this.world.elasticache ?? { serverless: [], clusters: [], tags: {} };
    const respond = (inner: string) => ({
      status: 200,
      body: `<${action}Response xmlns="${ELASTICACHE_NS}"><${action}Result>${inner}</${action}Result><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></${action}Response>`,
    });
    const fault = (status: number, code: string, message: string) => ({
      status,
      body: elastiCacheError(code, message),
    });
    const slice = (items: Json[], max: number, start: number) => {
      const size = Math.min(max, this.world.pageSize ?? 100);
      const next = start + size;
      return {
        items: items.slice(start, next),
        next: next < items.length ? String(next) : undefined,
      };
    };
    if (action === 'DescribeServerlessCaches') {
      const max = Number(params.get('MaxResults') ?? '100');
      if (!(max >= 1 && max <= 100)) return fault(400, 'InvalidParameterValue', 'MaxResults');
      const name = params.get('ServerlessCacheName');
      let caches = world.serverless;
      if (name !== null) {
        caches = caches.filter((c) => c.ServerlessCacheName === name);
        if (caches.length === 0) {
          return fault(404, 'ServerlessCacheNotFoundFault', `Serverless cache ${name} not found`);
        }
      }
      const p = slice(caches, max, Number(params.get('NextToken') ?? '0'));
      return respond(
        `${toXml('ServerlessCaches', p.items, ELASTICACHE_MEMBERS)}${el('NextToken', p.next)}`,
      );
    }
    if (action === 'DescribeCacheClusters') {
      const max = Number(params.get('MaxRecords') ?? '100');
      if (!(max >= 20 && max <= 100)) {
        return fault(400, 'InvalidParameterValue', 'MaxRecords must be 20 to 100');
      }
      const id = params.get('CacheClusterId');
      let clusters = world.clusters;
      if (id !== null) {
        clusters = clusters.filter((c) => c.CacheClusterId === id);
        if (clusters.length === 0) {
          return fault(404, 'CacheClusterNotFound', `CacheCluster ${id} not found.`);
        }
      }
      if (params.get('ShowCacheClustersNotInReplicationGroups') === 'true') {
        clusters = clusters.filter((c) => c.ReplicationGroupId === undefined);
      }
      if (params.get('ShowCacheNodeInfo') !== 'true') {
        clusters = clusters.map(({ CacheNodes: _, ...c }) => c);
      }
      const p = slice(clusters, max, Number(params.get('Marker') ?? '0'));
      return respond(
        `${toXml('CacheClusters', p.items, ELASTICACHE_MEMBERS)}${el('Marker', p.next)}`,
      );
    }
    if (action === 'ListTagsForResource') {
      const name = params.get('ResourceName') ?? '';
      const tags = world.tags[name];
      if (tags === undefined) return fault(404, 'InvalidARN', `${name} not found`);
      return respond(toXml('TagList', tags, ELASTICACHE_MEMBERS));
    }
    return fault(400, 'InvalidAction', action);
  }

  /**
   * RDS's Query API (awsQuery, version 2014-10-31): DescribeDBClusters (all, or one by
   * identifier or ARN) and DescribeDBInstances with the `db-cluster-id` and `engine` filters,
   * paged by Marker; MaxRecords outside 20–100 and unknown filters refused as RDS does.
   */
  private rds(action: string, params: URLSearchParams): { status: number; body: string } {
    const world = this.world.rds ?? { clusters: [], instances: [] };
    const max = Number(params.get('MaxRecords') ?? '100');
    if (!(max >= 20 && max <= 100)) {
      return {
        status: 400,
        body: rdsError('InvalidParameterValue', 'MaxRecords must be 20 to 100'),
      };
    }
    const size = Math.min(max, this.world.pageSize ?? 100);
    const page = (items: Json[]) => {
      const start = Number(params.get('Marker') ?? '0');
      const next = start + size;
      return {
        items: items.slice(start, next),
        marker: next < items.length ? String(next) : undefined,
      };
    };
    const answer = (list: string, items: Json[]) => {
      const p = page(items);
      return {
        status: 200,
        body: `<${action}Response xmlns="${RDS_NS}"><${action}Result>${toXml(list, p.items)}${
          p.marker === undefined ? '' : `<Marker>${p.marker}</Marker>`
        }</${action}Result><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></${action}Response>`,
      };
    };
    if (action === 'DescribeDBClusters') {
      const id = params.get('DBClusterIdentifier');
      if (id === null) return answer('DBClusters', world.clusters);
      const found = world.clusters.filter(
        (c) => c.DBClusterIdentifier === id || c.DBClusterArn === id,
      );
      if (found.length === 0) {
        return {
          status: 404,
          body: rdsError('DBClusterNotFoundFault', `DBCluster ${id} not found.`),
        };
      }
      return answer('DBClusters', found);
    }
    if (action === 'DescribeDBInstances') {
      let instances = world.instances;
      for (let i = 1; params.has(`Filters.Filter.${i}.Name`); i++) {
        const name = params.get(`Filters.Filter.${i}.Name`);
        const values: string[] = [];
        for (let j = 1; params.has(`Filters.Filter.${i}.Values.Value.${j}`); j++) {
          values.push(params.get(`Filters.Filter.${i}.Values.Value.${j}`)!);
        }
        if (name === 'db-cluster-id') {
          const ids = world.clusters
            .filter(
              (c) =>
                values.includes(c.DBClusterArn as string) ||
                values.includes(c.DBClusterIdentifier as string),
            )
            .map((c) => c.DBClusterIdentifier);
          instances = instances.filter((x) => ids.includes(x.DBClusterIdentifier));
        } else if (name === 'engine') {
          instances = instances.filter((x) => values.includes(x.Engine as string));
        } else {
          return {
            status: 400,
            body: rdsError('InvalidParameterValue', `Unrecognized filter name: ${name}`),
          };
        }
      }
      return answer('DBInstances', instances);
    }
    return { status: 400, body: rdsError('InvalidAction', action) };
  }

  private ec2(action: string, params: URLSearchParams): string {
    const filter = (name: string): string[] => {
      for (let i = 1; params.has(`Filter.${i}.Name`); i++) {
        if (params.get(`Filter.${i}.Name`) !== name) continue;
        const values: string[] = [];
        for (let j = 1; params.has(`Filter.${i}.Value.${j}`); j++) {
          values.push(params.get(`Filter.${i}.Value.${j}`)!);
        }
        return values;
      }
      return [];
    };
    if (action === 'DescribeInstances') {
      const ids = filter('instance-id');
      const items = this.world.instances
        .filter((i) => ids.includes(i.id))
        .map((i) => {
          const tags = Object.entries(i.tags ?? {})
            .map(([k, v]) => `<item><key>${esc(k)}</key><value>${esc(v)}</value></item>`)
            .join('');
          return `<item><reservationId>r-${i.id}</reservationId><ownerId>${ACCOUNT}</ownerId><instancesSet><item>
<instanceId>${i.id}</instanceId>${el('privateIpAddress', i.privateIp)}${el('ipAddress', i.publicIp)}${el('subnetId', i.subnetId)}${el('instanceType', i.type)}
<tagSet>${tags}</tagSet></item></instancesSet></item>`;
        })
        .join('');
      return `<DescribeInstancesResponse xmlns="${EC2_NS}"><requestId>r</requestId><reservationSet>${items}</reservationSet></DescribeInstancesResponse>`;
    }
    if (action === 'DescribeNetworkInterfaces') {
      const ids = filter('network-interface-id');
      const items = ids
        .filter((id) => Object.hasOwn(this.world.enis, id))
        .map((id) => {
          const ip = this.world.enis[id];
          const association =
            ip === undefined ? '' : `<association><publicIp>${ip}</publicIp></association>`;
          return `<item><networkInterfaceId>${id}</networkInterfaceId>${association}</item>`;
        })
        .join('');
      return `<DescribeNetworkInterfacesResponse xmlns="${EC2_NS}"><requestId>r</requestId><networkInterfaceSet>${items}</networkInterfaceSet></DescribeNetworkInterfacesResponse>`;
    }
    return `<Response><Errors><Error><Code>InvalidAction</Code><Message>${action}</Message></Error></Errors></Response>`;
  }
}

function emptyWorld(): EcsWorld {
  return { clusters: [], services: {}, tasks: {}, containerInstances: {}, instances: [], enis: {} };
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
  res.end(JSON.stringify(body));
}

function xml(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': 'text/xml;charset=UTF-8' });
  res.end(body);
}

const RDS_VERSION = '2014-10-31';
const RDS_NS = 'http://rds.amazonaws.com/doc/2014-10-31/';

/** Member element names of RDS's XML lists (the other lists' members are `member`). */
const RDS_MEMBERS: Record<string, string> = {
  DBClusters: 'DBCluster',
  DBInstances: 'DBInstance',
  TagList: 'Tag',
  DBClusterMembers: 'DBClusterMember',
  VpcSecurityGroups: 'VpcSecurityGroupMembership',
};

const ELASTICACHE_VERSION = '2015-02-02';
const ELASTICACHE_NS = 'http://elasticache.amazonaws.com/doc/2015-02-02/';

/** Member element names of ElastiCache's XML lists (the other lists' members are `member`). */
const ELASTICACHE_MEMBERS: Record<string, string> = {
  CacheClusters: 'CacheCluster',
  CacheNodes: 'CacheNode',
  CacheNodeIdsToRemove: 'CacheNodeId',
  LogDeliveryConfigurations: 'LogDeliveryConfiguration',
  SecurityGroupIds: 'SecurityGroupId',
  SubnetIds: 'SubnetId',
  TagList: 'Tag',
};

function elastiCacheError(code: string, message: string): string {
  return `<ErrorResponse xmlns="${ELASTICACHE_NS}"><Error><Type>Sender</Type><Code>${code}</Code><Message>${esc(message)}</Message></Error><RequestId>r</RequestId></ErrorResponse>`;
}

/**
 * A value in a Query API's XML: objects as elements, lists by their member names (`members`,
 * RDS's by default), Dates as ISO.
 */
export function toXml(
  name: string,
  value: unknown,
  members: Record<string, string> = RDS_MEMBERS,
): string {
  if (value === undefined || value === null) return '';
  if (Array.isArray(value)) {
    const member = members[name] ?? 'member';
    return `<${name}>${value.map((v) => toXml(member, v, members)).join('')}</${name}>`;
  }
  if (value instanceof Date) return `<${name}>${value.toISOString()}</${name}>`;
  if (typeof value === 'object') {
    const inner = Object.entries(value as Json)
      .map(([k, v]) => toXml(k, v, members))
      .join('');
    return `<${name}>${inner}</${name}>`;
  }
  return `<${name}>${esc(String(value))}</${name}>`;
}

function rdsError(code: string, message: string): string {
  return `<ErrorResponse xmlns="${RDS_NS}"><Error><Type>Sender</Type><Code>${code}</Code><Message>${esc(message)}</Message></Error><RequestId>r</RequestId></ErrorResponse>`;
}

function esc(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

function el(name: string, value: string | undefined): string {
  return value === undefined ? '' : `<${name}>${esc(value)}</${name}>`;
}

// ---------------------------------------------------------------------------------------------
// Builders of ECS answers, as ECS shapes them.

export const arn = (kind: string, rest: string) =>
  `arn:aws:ecs:${REGION}:${ACCOUNT}:${kind}/${rest}`;

export function cluster(name: string, tags: Record<string, string> = {}): Json {
  return {
    clusterArn: arn('cluster', name),
    clusterName: name,
    status: 'ACTIVE',
    tags: Object.entries(tags).map(([key, value]) => ({ key, value })),
  };
}

export function service(
  clusterName: string,
  name: string,
  tags: Record<string, string> = {},
): Json {
  return {
    serviceArn: arn('service', `${clusterName}/${name}`),
    serviceName: name,
    clusterArn: arn('cluster', clusterName),
    status: 'ACTIVE',
    tags: Object.entries(tags).map(([key, value]) => ({ key, value })),
  };
}

export function eni(details: Record<string, string>): Json {
  return {
    id: 'attach-1',
    type: 'ElasticNetworkInterface',
    status: 'ATTACHED',
    details: Object.entries(details).map(([name, value]) => ({ name, value })),
  };
}

export function tags(pairs: Record<string, string>): Json[] {
  return Object.entries(pairs).map(([key, value]) => ({ key, value }));
}
