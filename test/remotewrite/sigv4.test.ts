/**
 * SigV4 for remote write (src/remotewrite/sigv4.ts): every signed request is checked by an
 * independent verifier written here from the AWS Signature Version 4 documentation (canonical
 * request → string to sign → HMAC-SHA256 key chain, with node:crypto only), which is itself
 * checked against the published AWS test-suite vector `post-vanilla`. A local node:http receiver
 * answers 204 only to requests that verify with known keys (403 otherwise, as AWS does), so a
 * delivered write proves the signature. Credentials come from config, environment, shared
 * files and a fake STS on 127.0.0.1; AWS_* variables are sandboxed and restored per test, and
 * instance metadata is disabled so nothing leaves the machine.
 */

import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import type { SigV4Config } from '../../src/config/types.js';
import { createRemoteWriteSink } from '../../src/local/remote-write-sink.js';
import { SampleBatch, type SeriesRef } from '../../src/remotewrite/batch.js';
import { createRemoteWriteClient } from '../../src/remotewrite/client.js';
import type { RemoteWriteError } from '../../src/remotewrite/errors.js';
import { sendWriteRequest } from '../../src/remotewrite/send.js';
import { createSigV4Signer, SigV4Error } from '../../src/remotewrite/sigv4.js';
import { RemoteWriter, type RemoteWriterOptions } from '../../src/remotewrite/writer.js';
import { remoteWriteConfig, secret } from './config.js';

// ---------------------------------------------------------------------------------------------
// The verifier (AWS "Create a signed AWS API request", Signature Version 4).

interface SigV4Wire {
  readonly method: string;
  /** Request target as sent: path and query, still percent-encoded. */
  readonly target: string;
  /** Node's rawHeaders: name, value, name, value, … (repeats kept). */
  readonly rawHeaders: readonly string[];
  readonly body: Uint8Array;
}

interface VerifyOptions {
  readonly keys: Readonly<Record<string, string>>;
  readonly region: string;
  readonly service: string;
  /** Clock to check x-amz-date against (±15 min, as AWS does). Default now. */
  readonly now?: Date;
}

type Verdict =
  | {
      readonly ok: true;
      readonly accessKeyId: string;
      readonly signedHeaders: readonly string[];
      readonly token: string | undefined;
    }
  | { readonly ok: false; readonly reason: string };

const sha256Hex = (data: string | Uint8Array) => createHash('sha256').update(data).digest('hex');
const hmac = (key: string | Buffer, data: string) =>
  createHmac('sha256', key).update(data, 'utf8').digest();

/** RFC 3986 unreserved characters stay; every other byte becomes %XX (upper-case hex). */
function uriEncode(text: string): string {
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    const c = String.fromCharCode(byte);
    out += /[A-Za-z0-9\-._~]/.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** Non-S3 services: normalized path, each segment URI-encoded (again: it arrives encoded). */
function canonicalUri(path: string): string {
  const segments: string[] = [];
  for (const s of path.split('/')) {
    if (s === '' || s === '.') continue;
    if (s === '..') segments.pop();
    else segments.push(s);
  }
  if (segments.length === 0) return '/';
  return `/${segments.map(uriEncode).join('/')}${path.endsWith('/') ? '/' : ''}`;
}

function canonicalQuery(query: string): string {
  if (query === '') return '';
  const decode = (s: string) => decodeURIComponent(s.replace(/\+/g, ' '));
  return query
    .split('&')
    .filter((p) => p !== '')
    .map((p) => {
      const eq = p.indexOf('=');
      const k = eq < 0 ? p : p.slice(0, eq);
      const v = eq < 0 ? '' : p.slice(eq + 1);
      return [uriEncode(decode(k)), uriEncode(decode(v))] as const;
    })
    .sort((a, b) => (a[0] === b[0] ? (a[1] < b[1] ? -1 : 1) : a[0] < b[0] ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
}

/** All values of a header (case-insensitive), in order. */
function headerValues(raw: readonly string[], name: string): string[] {
  const out: string[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    if (raw[i]!.toLowerCase() === name) out.push(raw[i + 1]!);
  }
  return out;
}

function canonicalRequest(req: SigV4Wire, signedHeaders: readonly string[], payloadHash: string) {
  const q = req.target.indexOf('?');
  const path = q < 0 ? req.target : req.target.slice(0, q);
  const query = q < 0 ? '' : req.target.slice(q + 1);
  const headerLines = signedHeaders
    .map((name) => {
      const values = headerValues(req.rawHeaders, name).map((v) => v.trim().replace(/\s+/g, ' '));
      return `${name}:${values.join(',')}\n`;
    })
    .join('');
  return [
    req.method,
    canonicalUri(path),
    canonicalQuery(query),
    headerLines,
    signedHeaders.join(';'),
    payloadHash,
  ].join('\n');
}

function signingKey(secretKey: string, date: string, region: string, service: string): Buffer {
  const kDate = hmac(`AWS4${secretKey}`, date);
  return hmac(hmac(hmac(kDate, region), service), 'aws4_request');
}

const AUTH_RE =
  /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/;

function verifySigV4(req: SigV4Wire, options: VerifyOptions): Verdict {
  const fail = (reason: string): Verdict => ({ ok: false, reason });
  const one = (name: string) => {
    const v = headerValues(req.rawHeaders, name);
    return v.length === 1 ? v[0] : undefined;
  };
  const m = AUTH_RE.exec(one('authorization') ?? '');
  if (m === null) return fail('no valid Authorization header');
  const [, akid, date, region, service, signedList, signature] = m as unknown as string[];
  const amzDate = one('x-amz-date') ?? '';
  if (!/^\d{8}T\d{6}Z$/.test(amzDate) || amzDate.slice(0, 8) !== date) return fail('x-amz-date');
  const when = Date.parse(
    `${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(6, 8)}T${amzDate.slice(9, 11)}:${amzDate.slice(11, 13)}:${amzDate.slice(13, 15)}Z`,
  );
  if (Math.abs(when - (options.now ?? new Date()).getTime()) > 15 * 60_000) return fail('skew');
  if (region !== options.region) return fail(`region ${region}`);
  if (service !== options.service) return fail(`service ${service}`);
  const secretKey = options.keys[akid!];
  if (secretKey === undefined) return fail('unknown access key');
  const signedHeaders = signedList!.split(';');
  if ([...signedHeaders].sort().join(';') !== signedList) return fail('SignedHeaders not sorted');
  for (const h of ['host', 'x-amz-date']) {
    if (!signedHeaders.includes(h)) return fail(`${h} not signed`);
  }
  for (const h of signedHeaders) {
    if (headerValues(req.rawHeaders, h).length === 0) return fail(`signed header ${h} missing`);
  }
  const token = one('x-amz-security-token');
  if (token !== undefined && !signedHeaders.includes('x-amz-security-token')) {
    return fail('security token not signed');
  }
  const payloadHash = sha256Hex(req.body);
  const claimed = one('x-amz-content-sha256');
  if (claimed !== undefined && claimed !== payloadHash) return fail('x-amz-content-sha256');
  const stringToSign = [
    'AWS4-HMAC-SHA256',
    amzDate,
    `${date}/${region}/${service}/aws4_request`,
    sha256Hex(canonicalRequest(req, signedHeaders, payloadHash)),
  ].join('\n');
  const expected = createHmac('sha256', signingKey(secretKey, date!, region!, service!))
    .update(stringToSign, 'utf8')
    .digest();
  if (!timingSafeEqual(expected, Buffer.from(signature!, 'hex'))) return fail('signature');
  return { ok: true, accessKeyId: akid!, signedHeaders, token };
}

// ---------------------------------------------------------------------------------------------
// Local servers.

interface Received extends SigV4Wire {
  readonly verdict: Verdict;
  readonly headers: IncomingMessage['headers'];
}

interface Receiver {
  readonly url: string;
  readonly requests: Received[];
  /** Keys the receiver accepts, by access key id. */
  keys: Record<string, string>;
  region: string;
  service: string;
  /** Answer 500 to this many verified requests first. */
  failFirst: number;
  close(): Promise<void>;
}

const servers: Server[] = [];

async function listen(server: Server): Promise<string> {
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function readBody(req: IncomingMessage): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(new Uint8Array(Buffer.concat(chunks))));
    req.on('error', reject);
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((r) => {
    server.closeAllConnections();
    server.close(() => r());
  });
}

async function startReceiver(): Promise<Receiver> {
  const rx: Omit<Receiver, 'url' | 'close'> = {
    requests: [],
    keys: {},
    region: 'us-east-1',
    service: 'aps',
    failFirst: 0,
  };
  const server = createServer(async (req, res) => {
    const body = await readBody(req);
    const wire = {
      method: req.method ?? '',
      target: req.url ?? '',
      rawHeaders: req.rawHeaders,
      body,
    };
    const verdict = verifySigV4(wire, rx);
    rx.requests.push({ ...wire, verdict, headers: req.headers });
    if (!verdict.ok) {
      res.writeHead(403).end(`signature does not verify: ${verdict.reason}`);
    } else if (rx.failFirst > 0) {
      rx.failFirst--;
      res.writeHead(500).end('try again');
    } else {
      res.writeHead(204).end();
    }
  });
  const base = await listen(server);
  return Object.assign(rx, {
    url: `${base}/workspaces/ws-1/api/v1/remote_write`,
    close: () => closeServer(server),
  });
}

interface AssumeRoleCall {
  readonly params: URLSearchParams;
  readonly verdict: Verdict;
}

interface FakeSts {
  readonly url: string;
  readonly calls: AssumeRoleCall[];
  /** Seconds until the returned credentials expire. */
  lifetimeSeconds: number;
  /** When set, answer AccessDenied with this message. */
  deny: string | undefined;
  /** When true, never answer. */
  hang: boolean;
}

/** STS AssumeRole (Query protocol, XML), verifying the caller's SigV4 with the source keys. */
async function startFakeSts(sourceKeys: Record<string, string>, region: string): Promise<FakeSts> {
  const sts: Omit<FakeSts, 'url'> = {
    calls: [],
    lifetimeSeconds: 3600,
    deny: undefined,
    hang: false,
  };
  const server = createServer(async (req, res) => {
    const body = await readBody(req);
    const verdict = verifySigV4(
      { method: req.method ?? '', target: req.url ?? '', rawHeaders: req.rawHeaders, body },
      { keys: sourceKeys, region, service: 'sts' },
    );
    const params = new URLSearchParams(Buffer.from(body).toString('utf8'));
    sts.calls.push({ params, verdict });
    if (sts.hang) return;
    if (!verdict.ok || sts.deny !== undefined || params.get('Action') !== 'AssumeRole') {
      res
        .writeHead(403, { 'content-type': 'text/xml' })
        .end(
          `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>${sts.deny ?? 'not allowed'}</Message></Error><RequestId>r-1</RequestId></ErrorResponse>`,
        );
      return;
    }
    const n = sts.calls.length;
    const expiration = new Date(Date.now() + sts.lifetimeSeconds * 1000).toISOString();
    res.writeHead(200, { 'content-type': 'text/xml' }).end(
      `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleResult>
    <AssumedRoleUser>
      <AssumedRoleId>AROAEXAMPLE:${params.get('RoleSessionName')}</AssumedRoleId>
      <Arn>arn:aws:sts::123456789012:assumed-role/writer/${params.get('RoleSessionName')}</Arn>
    </AssumedRoleUser>
    <Credentials>
      <AccessKeyId>ASIAASSUMED${n}</AccessKeyId>
      <SecretAccessKey>assumed-secret-${n}</SecretAccessKey>
      <SessionToken>assumed-token-${n}</SessionToken>
      <Expiration>${expiration}</Expiration>
    </Credentials>
  </AssumeRoleResult>
  <ResponseMetadata><RequestId>r-${n}</RequestId></ResponseMetadata>
</AssumeRoleResponse>`,
    );
  });
  const url = await listen(server);
  return Object.assign(sts, { url });
}

// ---------------------------------------------------------------------------------------------
// Fixtures.

const AKID = 'AKIDSTATICEXAMPLE';
const SECRET = 'static/Secret+Key/EXAMPLEKEYdoNotLeak';

const sigv4 = (over: Partial<SigV4Config> = {}): SigV4Config => ({
  region: undefined,
  accessKey: undefined,
  secretKey: undefined,
  profile: undefined,
  roleArn: undefined,
  externalId: undefined,
  useFipsStsEndpoint: false,
  ...over,
});

function unit(n = 3): SampleBatch {
  const b = new SampleBatch(4);
  for (let i = 0; i < n; i++) {
    const ref: SeriesRef = {
      labels: [
        { name: '__name__', value: 'up' },
        { name: 'i', value: String(i) },
      ],
    };
    b.push(ref, i, 1_700_000_000_000);
  }
  return b;
}

let rx: Receiver;
let tmp: string;
const writers: RemoteWriter[] = [];
const savedEnv: Record<string, string | undefined> = {};
/** Set by vitest.config.ts; says nothing about credentials. */
const KEEP_ENV = new Set(['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED']);

function writer(
  sig: SigV4Config,
  options: RemoteWriterOptions = {},
  over: Parameters<typeof remoteWriteConfig>[1] = {},
  url = rx.url,
): RemoteWriter {
  const w = new RemoteWriter(
    remoteWriteConfig(url, {
      ...over,
      sigv4: sig,
      queueConfig: { minBackoff: 5, maxBackoff: 20, ...over.queueConfig },
    }),
    { concurrency: 1, ...options },
  );
  writers.push(w);
  return w;
}

const delivered = (r: Received): Extract<Verdict, { ok: true }> => {
  if (!r.verdict.ok) throw new Error(`request did not verify: ${r.verdict.reason}`);
  return r.verdict;
};

beforeEach(async () => {
  // Sandbox every AWS_* variable: no developer profile, no metadata endpoints.
  for (const name of Object.keys(process.env)) {
    if (name.startsWith('AWS_') && !KEEP_ENV.has(name)) {
      savedEnv[name] = process.env[name];
      delete process.env[name];
    }
  }
  tmp = await mkdtemp(join(tmpdir(), 'sigv4-test-'));
  process.env.AWS_CONFIG_FILE = join(tmp, 'no-config');
  process.env.AWS_SHARED_CREDENTIALS_FILE = join(tmp, 'no-credentials');
  process.env.AWS_EC2_METADATA_DISABLED = 'true';
  rx = await startReceiver();
});

afterEach(async () => {
  for (const w of writers.splice(0)) await w.close();
  await Promise.all(servers.splice(0).map(closeServer));
  for (const name of Object.keys(process.env)) {
    if (name.startsWith('AWS_') && !KEEP_ENV.has(name)) delete process.env[name];
  }
  for (const [name, value] of Object.entries(savedEnv)) {
    if (value !== undefined) process.env[name] = value;
    delete savedEnv[name];
  }
  vi.restoreAllMocks();
  await rm(tmp, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------------------------

describe('the test-side SigV4 verifier', () => {
  it('reproduces the AWS SigV4 test suite vector post-vanilla', () => {
    // aws-sig-v4-test-suite/post-vanilla: POST / with Host and X-Amz-Date, empty body.
    const req: SigV4Wire = {
      method: 'POST',
      target: '/',
      rawHeaders: ['Host', 'example.amazonaws.com', 'X-Amz-Date', '20150830T123600Z'],
      body: new Uint8Array(0),
    };
    const creq = canonicalRequest(req, ['host', 'x-amz-date'], sha256Hex(''));
    expect(creq).toBe(
      'POST\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    );
    expect(sha256Hex(creq)).toBe(
      '553f88c9e4d10fc9e109e2aeb65f030801b70c2f6468faca261d401ae622fc87',
    );
    const authorization =
      'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b';
    const options: VerifyOptions = {
      keys: { AKIDEXAMPLE: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' },
      region: 'us-east-1',
      service: 'service',
      now: new Date('2015-08-30T12:36:00Z'),
    };
    const signed = { ...req, rawHeaders: [...req.rawHeaders, 'Authorization', authorization] };
    expect(verifySigV4(signed, options)).toMatchObject({ ok: true, accessKeyId: 'AKIDEXAMPLE' });
    // One bit off anywhere fails.
    expect(verifySigV4({ ...signed, body: new Uint8Array([0]) }, options).ok).toBe(false);
    expect(
      verifySigV4(signed, {
        ...options,
        keys: { AKIDEXAMPLE: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEz' },
      }).ok,
    ).toBe(false);
    expect(verifySigV4({ ...signed, target: '/x' }, options).ok).toBe(false);
  });

  it('matches our signer on the same vector inputs (fixed clock, AKIDEXAMPLE)', async () => {
    const signer = createSigV4Signer(
      sigv4({
        region: 'us-east-1',
        service: 'service',
        accessKey: 'AKIDEXAMPLE',
        secretKey: secret('wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY'),
      }),
      { now: () => new Date('2015-08-30T12:36:00Z') },
    );
    // Stale or configured values of what the signer owns are replaced, never trusted.
    const headers: Record<string, string | string[]> = {
      authorization: 'Bearer old',
      'x-amz-content-sha256': sha256Hex('something else'),
      'x-amz-security-token': 'stale',
      host: 'elsewhere.example',
    };
    const body = new Uint8Array(0);
    await signer.sign({
      method: 'POST',
      url: new URL('https://example.amazonaws.com/'),
      headers,
      body,
    });
    // Our signer always adds x-amz-content-sha256, so the signed set is one header larger
    // than the vector's; the verifier checks the result independently.
    expect(headers['x-amz-security-token']).toBeUndefined();
    expect(headers).toMatchObject({
      host: 'example.amazonaws.com',
      'x-amz-date': '20150830T123600Z',
      'x-amz-content-sha256': sha256Hex(''),
    });
    const rawHeaders = Object.entries(headers).flatMap(([k, v]) => [k, String(v)]);
    expect(
      verifySigV4(
        { method: 'POST', target: '/', rawHeaders, body },
        {
          keys: { AKIDEXAMPLE: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' },
          region: 'us-east-1',
          service: 'service',
          now: new Date('2015-08-30T12:36:00Z'),
        },
      ),
    ).toMatchObject({
      ok: true,
      signedHeaders: ['host', 'x-amz-content-sha256', 'x-amz-date'],
    });
  });
});

describe('RemoteWriter with sigv4', () => {
  it('signs every attempt with static keys: service aps, the headers, the snappy body', async () => {
    rx.keys = { [AKID]: SECRET };
    rx.failFirst = 1;
    const w = writer(sigv4({ region: 'us-east-1', accessKey: AKID, secretKey: secret(SECRET) }));
    const r = await w.write(unit());
    expect(r).toMatchObject({ delivered: 3, rejected: 0, pending: 0 });
    expect(rx.requests).toHaveLength(2); // a 500, then the retry
    const [first, second] = rx.requests.map(delivered);
    expect(first!.accessKeyId).toBe(AKID);
    expect(first!.signedHeaders).toEqual([
      'content-encoding',
      'content-type',
      'host',
      'x-amz-content-sha256',
      'x-amz-date',
      'x-prometheus-remote-write-version',
    ]);
    expect(second!.signedHeaders).toContain('retry-attempt');
    const q = rx.requests[1]!;
    expect(q.headers['retry-attempt']).toBe('1');
    expect(q.headers.host).toBe(new URL(rx.url).host); // 127.0.0.1:<port>, as signed
    expect(q.headers['x-amz-content-sha256']).toBe(sha256Hex(q.body));
    expect(q.headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDSTATICEXAMPLE\/\d{8}\/us-east-1\/aps\/aws4_request, /,
    );
    expect(q.headers['user-agent']).toMatch(/^lambdascrape\//); // sent, not signed
    expect(q.headers['x-amz-security-token']).toBeUndefined();
  });

  it('a prometheus.yml sigv4 block: the sink accepts it and the writer signs', async () => {
    rx.keys = { [AKID]: SECRET };
    rx.region = 'eu-west-1';
    const config = loadConfig(
      [
        'remote_write:',
        `  - url: ${rx.url}`,
        '    sigv4:',
        '      region: eu-west-1',
        `      access_key: ${AKID}`,
        `      secret_key: ${SECRET}`,
      ].join('\n'),
    );
    await createRemoteWriteSink(config).close(); // used to refuse sigv4
    const w = new RemoteWriter(config.remoteWrite[0]!);
    writers.push(w);
    expect((await w.write(unit())).delivered).toBe(3);
    expect(delivered(rx.requests[0]!).accessKeyId).toBe(AKID);
  });

  it('a tampered body, a wrong key or a changed signed header does not verify', async () => {
    rx.keys = { [AKID]: SECRET };
    const w = writer(sigv4({ region: 'us-east-1', accessKey: AKID, secretKey: secret(SECRET) }));
    expect((await w.write(unit())).delivered).toBe(3);
    const q = rx.requests[0]!;
    const opts: VerifyOptions = { keys: rx.keys, region: 'us-east-1', service: 'aps' };
    expect(verifySigV4(q, opts).ok).toBe(true);
    const body = Uint8Array.from(q.body);
    body[body.length - 1]! ^= 1;
    expect(verifySigV4({ ...q, body }, opts)).toEqual({
      ok: false,
      reason: 'x-amz-content-sha256',
    });
    expect(verifySigV4(q, { ...opts, keys: { [AKID]: `${SECRET}x` } })).toEqual({
      ok: false,
      reason: 'signature',
    });
    const swap = (name: string, value: string) =>
      q.rawHeaders.map((v, i) =>
        i % 2 === 1 && q.rawHeaders[i - 1]!.toLowerCase() === name ? value : v,
      );
    expect(verifySigV4({ ...q, rawHeaders: swap('host', 'example.com') }, opts).ok).toBe(false);
    expect(verifySigV4({ ...q, rawHeaders: swap('content-encoding', 'gzip') }, opts).ok).toBe(
      false,
    );
    expect(verifySigV4({ ...q, rawHeaders: swap('user-agent', 'other/1') }, opts).ok).toBe(true);
    expect(verifySigV4(q, { ...opts, region: 'eu-west-1' }).ok).toBe(false);

    // And the receiver answers 403 to a wrong key: the writer gets a non-recoverable rejection.
    const bad = writer(sigv4({ region: 'us-east-1', accessKey: AKID, secretKey: secret('wrong') }));
    const r = await bad.write(unit());
    expect(r).toMatchObject({ delivered: 0, rejected: 3 });
    expect(r.errors[0]!.status).toBe(403);
  });

  it('signs a query string, a configured service and multi-valued headers', async () => {
    rx.keys = { [AKID]: SECRET };
    rx.service = 'custom';
    rx.region = 'ap-southeast-2';
    const w = writer(
      sigv4({
        region: 'ap-southeast-2',
        service: 'custom',
        accessKey: AKID,
        secretKey: secret(SECRET),
      }),
      {},
      {
        httpClient: { httpHeaders: { 'X-Multi': { values: ['a', 'b'], secrets: [], files: [] } } },
      },
      `${rx.url}?tenant=a%20b&z=1&a=2`,
    );
    expect((await w.write(unit(), { retryUntil: Date.now() + 2_000 })).delivered).toBe(3);
    const v = delivered(rx.requests[0]!);
    expect(v.signedHeaders).toContain('x-multi');
    expect(rx.requests[0]!.headers['x-multi']).toBe('a, b');
    expect(rx.requests[0]!.target).toBe(
      '/workspaces/ws-1/api/v1/remote_write?tenant=a%20b&z=1&a=2',
    );
  });

  it('environment credentials: session token sent and signed; region from AWS_REGION', async () => {
    process.env.AWS_ACCESS_KEY_ID = 'ASIAENVEXAMPLE';
    process.env.AWS_SECRET_ACCESS_KEY = 'env-secret-key';
    process.env.AWS_SESSION_TOKEN = 'env-session-token';
    process.env.AWS_REGION = 'eu-central-1';
    process.env.AWS_DEFAULT_REGION = 'eu-north-1'; // AWS_REGION wins
    rx.keys = { ASIAENVEXAMPLE: 'env-secret-key' };
    rx.region = 'eu-central-1';
    const w = writer(sigv4()); // `sigv4: {}`: the default chain
    expect((await w.write(unit())).delivered).toBe(3);
    const v = delivered(rx.requests[0]!);
    expect(v.token).toBe('env-session-token');
    expect(v.signedHeaders).toContain('x-amz-security-token');
  });

  it('region from AWS_DEFAULT_REGION when AWS_REGION is unset', async () => {
    process.env.AWS_ACCESS_KEY_ID = 'AKIDENV';
    process.env.AWS_SECRET_ACCESS_KEY = 'env-secret-key';
    process.env.AWS_DEFAULT_REGION = 'eu-north-1';
    rx.keys = { AKIDENV: 'env-secret-key' };
    rx.region = 'eu-north-1';
    const w = writer(sigv4());
    expect((await w.write(unit())).delivered).toBe(3);
    expect(delivered(rx.requests[0]!).token).toBeUndefined();
  });

  it('profile: keys from the shared credentials file, region from the config file', async () => {
    const credentials = join(tmp, 'credentials');
    const config = join(tmp, 'config');
    await writeFile(
      credentials,
      '[default]\naws_access_key_id = AKIDDEFAULT\naws_secret_access_key = default-secret\n\n' +
        '[writer]\naws_access_key_id = AKIDPROFILE\naws_secret_access_key = profile-secret\naws_session_token = profile-token\n',
    );
    await writeFile(
      config,
      '[default]\nregion = us-west-1\n\n[profile writer]\nregion = eu-west-2\n',
    );
    process.env.AWS_SHARED_CREDENTIALS_FILE = credentials;
    process.env.AWS_CONFIG_FILE = config;
    // Environment keys are not used when a profile is configured.
    process.env.AWS_ACCESS_KEY_ID = 'AKIDENV';
    process.env.AWS_SECRET_ACCESS_KEY = 'env-secret-key';
    rx.keys = { AKIDPROFILE: 'profile-secret' };
    rx.region = 'eu-west-2';
    const w = writer(sigv4({ profile: 'writer' }));
    expect((await w.write(unit())).delivered).toBe(3);
    expect(delivered(rx.requests[0]!)).toMatchObject({
      accessKeyId: 'AKIDPROFILE',
      token: 'profile-token',
    });

    // AWS_PROFILE through the default chain (`sigv4: {}`), region from that profile too.
    delete process.env.AWS_ACCESS_KEY_ID;
    delete process.env.AWS_SECRET_ACCESS_KEY;
    process.env.AWS_PROFILE = 'writer';
    const w2 = writer(sigv4());
    expect((await w2.write(unit())).delivered).toBe(3);
    expect(delivered(rx.requests[1]!).accessKeyId).toBe('AKIDPROFILE');

    // An unknown profile is an error, not a fall-through to other credentials.
    const signer = createSigV4Signer(sigv4({ region: 'eu-west-2', profile: 'nope' }));
    await expect(
      signer.sign({ method: 'POST', url: new URL(rx.url), headers: {}, body: new Uint8Array(0) }),
    ).rejects.toMatchObject({
      code: 'SIGV4_CREDENTIALS',
      recoverable: true,
      message: expect.stringMatching(/^cannot get AWS credentials: .*\[nope\]/),
    });
  });

  it('role_arn: AssumeRole on STS signed with the source keys, external_id sent, result cached', async () => {
    const sts = await startFakeSts({ [AKID]: SECRET }, 'us-east-1');
    rx.keys = { ASIAASSUMED1: 'assumed-secret-1' };
    const cfg = sigv4({
      region: 'us-east-1',
      accessKey: AKID,
      secretKey: secret(SECRET),
      roleArn: 'arn:aws:iam::123456789012:role/writer',
      externalId: 'ext-42',
    });
    const w = writer(cfg, { signer: createSigV4Signer(cfg, { stsEndpoint: sts.url }) });
    expect(sts.calls).toHaveLength(0); // nothing happens before the first request
    expect((await w.write(unit())).delivered).toBe(3);
    expect((await w.write(unit())).delivered).toBe(3);
    expect(sts.calls).toHaveLength(1);
    const call = sts.calls[0]!;
    expect(call.verdict).toMatchObject({ ok: true, accessKeyId: AKID });
    expect(call.params.get('Action')).toBe('AssumeRole');
    expect(call.params.get('RoleArn')).toBe('arn:aws:iam::123456789012:role/writer');
    expect(call.params.get('ExternalId')).toBe('ext-42');
    for (const q of rx.requests) {
      expect(delivered(q)).toMatchObject({ accessKeyId: 'ASIAASSUMED1', token: 'assumed-token-1' });
    }
  });

  it('role_arn: credentials inside the refresh window are fetched again', async () => {
    const sts = await startFakeSts({ [AKID]: SECRET }, 'eu-west-1');
    sts.lifetimeSeconds = 120; // < 5 min: every use refreshes
    rx.keys = { ASIAASSUMED1: 'assumed-secret-1', ASIAASSUMED2: 'assumed-secret-2' };
    rx.region = 'eu-west-1';
    const cfg = sigv4({
      region: 'eu-west-1',
      accessKey: AKID,
      secretKey: secret(SECRET),
      roleArn: 'arn:aws:iam::123456789012:role/writer',
    });
    const w = writer(cfg, { signer: createSigV4Signer(cfg, { stsEndpoint: sts.url }) });
    expect((await w.write(unit())).delivered).toBe(3);
    expect((await w.write(unit())).delivered).toBe(3);
    expect(sts.calls).toHaveLength(2);
    expect(sts.calls[0]!.params.get('ExternalId')).toBeNull();
    expect(rx.requests.map((q) => delivered(q).accessKeyId)).toEqual([
      'ASIAASSUMED1',
      'ASIAASSUMED2',
    ]);
  });

  it('no region anywhere: not recoverable, nothing sent', async () => {
    const w = writer(sigv4({ accessKey: AKID, secretKey: secret(SECRET) }));
    const r = await w.write(unit());
    expect(r).toMatchObject({ delivered: 0, rejected: 3, pending: 0 });
    expect(r.errors[0]).toMatchObject({ code: 'RW_CREDENTIALS', recoverable: false });
    expect(r.errors[0]!.cause).toBeInstanceOf(SigV4Error);
    expect((r.errors[0]!.cause as SigV4Error).code).toBe('SIGV4_NO_REGION');
    expect(rx.requests).toHaveLength(0);
  });

  it('an attempt that waits too long for credentials times out (remote_timeout)', async () => {
    const sts = await startFakeSts({ [AKID]: SECRET }, 'us-east-1');
    sts.hang = true;
    const cfg = sigv4({
      region: 'us-east-1',
      accessKey: AKID,
      secretKey: secret(SECRET),
      roleArn: 'arn:aws:iam::123456789012:role/writer',
    });
    const w = writer(
      cfg,
      { signer: createSigV4Signer(cfg, { stsEndpoint: sts.url }) },
      { remoteTimeout: 200 },
    );
    const started = Date.now();
    const r = await w.write(unit(), { retryUntil: Date.now() + 700 });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(r).toMatchObject({ delivered: 0, pending: 3 });
    expect(r.parked[0]!.error.message).toMatch(/credentials not ready within \d+ms/);
    expect(rx.requests).toHaveLength(0);
  });
});

describe('secrets', () => {
  it('a failing credential load names no secret in errors or logs', async () => {
    const envSecret = 'ENV/secret+value/never-print-me';
    process.env.AWS_SECRET_ACCESS_KEY = envSecret;
    process.env.AWS_ACCESS_KEY_ID = 'AKIDENV';
    const sts = await startFakeSts({ [AKID]: SECRET }, 'us-east-1');
    // A (contrived) STS error that echoes the secret: the message must come out redacted.
    sts.deny = `denied for ${SECRET} and ${envSecret}`;
    const logged: string[] = [];
    for (const m of ['log', 'info', 'warn', 'error', 'debug'] as const) {
      vi.spyOn(console, m).mockImplementation((...args: unknown[]) => {
        logged.push(args.map((a) => inspect(a, { depth: 10 })).join(' '));
      });
    }
    const cfg = sigv4({
      region: 'us-east-1',
      accessKey: AKID,
      secretKey: secret(SECRET),
      roleArn: 'arn:aws:iam::123456789012:role/writer',
    });
    const signer = createSigV4Signer(cfg, { stsEndpoint: sts.url });

    // One attempt through the client: the error it reports.
    const client = createRemoteWriteClient(remoteWriteConfig(rx.url, { sigv4: cfg }), { signer });
    const outcome = await client.post(new Uint8Array([1, 2, 3]), 0, 10_000);
    await client.close();
    expect(outcome.ok).toBe(false);
    const error = (outcome as { error: RemoteWriteError }).error;
    expect(error).toMatchObject({ code: 'RW_CREDENTIALS', recoverable: true });
    expect(error.message).toMatch(
      /cannot prepare credentials: cannot get AWS credentials: AccessDenied: denied for <secret> and <secret> \(SIGV4_CREDENTIALS\)$/,
    );

    // And through the writer, retried until the deadline: every error it saw or handed back.
    const seen: RemoteWriteError[] = [];
    const w = writer(cfg, { signer });
    const r = await w.write(unit(), {
      retryUntil: Date.now() + 300,
      onRetry: (e) => seen.push(e),
    });
    expect(r).toMatchObject({ delivered: 0, pending: 3 });
    expect(sts.calls.length).toBeGreaterThan(1);
    const texts = [error, ...seen, r.parked[0]!.error].flatMap((e) => [
      e.message,
      String(e),
      JSON.stringify(e),
      inspect(e, { depth: 20, showHidden: true }),
    ]);
    texts.push(...logged);
    for (const text of texts) {
      expect(text).not.toContain(SECRET);
      expect(text).not.toContain(envSecret);
    }
    expect(rx.requests).toHaveLength(0);
  });

  it('the client refuses sigv4 without a signer; the writer makes one, lazily', () => {
    const cfg = remoteWriteConfig(rx.url, { sigv4: sigv4({ region: 'us-east-1' }) });
    expect(() => createRemoteWriteClient(cfg)).toThrow(/sigv4 without a RequestSigner/);
    expect(() => writer(sigv4({ region: 'us-east-1' }))).not.toThrow();
    expect(() => writer(sigv4({ externalId: 'x' }))).toThrow(
      expect.objectContaining({ code: 'RW_INVALID_CONFIG' }),
    );
  });

  it('a credential failure is a recoverable RW_CREDENTIALS; a missing region is not', async () => {
    const attempt = async (cfg: SigV4Config) => {
      const client = createRemoteWriteClient(remoteWriteConfig(rx.url, { sigv4: cfg }), {
        signer: createSigV4Signer(cfg),
      });
      const r = await sendWriteRequest(client, new Uint8Array([1, 2, 3]), {
        retryUntil: Date.now() + 200,
      });
      await client.close();
      return r;
    };
    const missing = await attempt(sigv4({ region: 'us-east-1', profile: 'missing' }));
    expect(missing.outcome).toBe('retryable');
    expect(missing.attempts).toBeGreaterThan(1);
    const noRegion = await attempt(sigv4({ profile: 'missing' }));
    expect(noRegion).toMatchObject({ outcome: 'rejected', attempts: 1 });
    expect(noRegion.outcome !== 'delivered' && noRegion.error.message).toMatch(
      /cannot prepare credentials: no AWS region: .* \(SIGV4_NO_REGION\)$/,
    );
    expect(rx.requests).toHaveLength(0);
  });
});
