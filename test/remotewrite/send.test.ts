import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createRemoteWriteClient,
  DEFAULT_USER_AGENT,
  MAX_RETRY_AFTER_MS,
  parseRetryAfter,
  type RemoteWriteClient,
} from '../../src/remotewrite/client.js';
import { encodeLabels, WriteRequestEncoder } from '../../src/remotewrite/encode.js';
import { REMOTE_WRITE_ERROR_CODES, RemoteWriteError } from '../../src/remotewrite/errors.js';
import { sendWriteRequest } from '../../src/remotewrite/send.js';
import { snappyCompress } from '../../src/remotewrite/snappy.js';
import { remoteWriteConfig, secret } from './config.js';
import { reply, startReceiver, type TestReceiver } from './wire.js';

/** A valid compressed WriteRequest: up{job="a"} 1 @1000. */
const BODY = snappyCompress(
  new WriteRequestEncoder().encodeSamples(
    [
      encodeLabels([
        { name: '__name__', value: 'up' },
        { name: 'job', value: 'a' },
      ]),
    ],
    [0],
    0,
    1,
    { values: Float64Array.of(1), timestamps: Float64Array.of(1000), stale: Uint8Array.of(0) },
  ),
);

let rx: TestReceiver;
const clients: RemoteWriteClient[] = [];
const tempDirs: string[] = [];
const tempDir = (prefix: string) => {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
};
beforeEach(async () => {
  rx = await startReceiver();
});
afterEach(async () => {
  for (const c of clients.splice(0)) await c.close();
  for (const d of tempDirs.splice(0)) rmSync(d, { recursive: true, force: true });
  await rx.close();
});

type Cfg = Parameters<typeof remoteWriteConfig>[1];
function client(overrides: Cfg = {}, opts: Parameters<typeof createRemoteWriteClient>[1] = {}) {
  const c = createRemoteWriteClient(
    remoteWriteConfig(rx.url, {
      ...overrides,
      queueConfig: { minBackoff: 10, maxBackoff: 100, ...overrides?.queueConfig },
    }),
    opts,
  );
  clients.push(c);
  return c;
}

describe('sendWriteRequest outcomes (§11.3)', () => {
  it('2xx: delivered, with the protocol headers and no Retry-Attempt', async () => {
    const r = await sendWriteRequest(client({ headers: { 'X-Scope-OrgID': 'tenant-1' } }), BODY);
    expect(r).toMatchObject({ outcome: 'delivered', attempts: 1, status: 204 });
    const req = rx.requests[0]!;
    expect(req.method).toBe('POST');
    expect(req.url).toBe('/api/v1/write');
    expect(req.headers).toMatchObject({
      'content-encoding': 'snappy',
      'content-type': 'application/x-protobuf',
      'user-agent': DEFAULT_USER_AGENT,
      'x-prometheus-remote-write-version': '0.1.0',
      'x-scope-orgid': 'tenant-1',
    });
    expect(req.headers['retry-attempt']).toBeUndefined();
    expect(Buffer.compare(req.body, BODY)).toBe(0);
  });

  it('500 then 204: retried once with Retry-Attempt: 1', async () => {
    rx.respond(reply(500, 'boom'));
    const retries: string[] = [];
    const r = await sendWriteRequest(client(), BODY, {
      onRetry: (e, attempt, ms) => retries.push(`${e.code}#${attempt}@${ms}`),
    });
    expect(r).toMatchObject({ outcome: 'delivered', attempts: 2 });
    expect(rx.requests.map((q) => q.headers['retry-attempt'])).toEqual([undefined, '1']);
    expect(retries).toEqual(['RW_HTTP_5XX#0@10']);
  });

  it.each([
    { name: 'without retry_on_http_429: rejected', retry: false, outcome: 'rejected', requests: 1 },
    { name: 'with retry_on_http_429: retried', retry: true, outcome: 'delivered', requests: 2 },
  ])('429 $name', async ({ retry, outcome, requests }) => {
    rx.respond(reply(429, 'slow down'));
    const r = await sendWriteRequest(client({ queueConfig: { retryOnHttp429: retry } }), BODY);
    expect(r.outcome).toBe(outcome);
    expect(rx.requests.length).toBe(requests);
    if (r.outcome === 'rejected') {
      expect(r.error).toMatchObject({ code: 'RW_HTTP_429', recoverable: false, status: 429 });
    }
  });

  it('honours Retry-After in seconds instead of the backoff', async () => {
    rx.respond(reply(503, '', { 'Retry-After': '1' }));
    const sleeps: number[] = [];
    const r = await sendWriteRequest(client(), BODY, { onRetry: (_e, _a, ms) => sleeps.push(ms) });
    expect(r.outcome).toBe('delivered');
    expect(sleeps).toEqual([1000]);
    expect(rx.requests[1]!.at - rx.requests[0]!.at).toBeGreaterThanOrEqual(990);
  });

  it('400: not retried, status and body (first 1024 bytes) in the error', async () => {
    const body = `out of order sample ${'x'.repeat(3000)}`;
    rx.respond(reply(400, body));
    const r = await sendWriteRequest(client(), BODY);
    expect(r.outcome).toBe('rejected');
    expect(rx.requests.length).toBe(1);
    if (r.outcome !== 'rejected') return;
    expect(r.error).toBeInstanceOf(RemoteWriteError);
    expect(r.error).toMatchObject({ code: 'RW_HTTP_REJECTED', recoverable: false, status: 400 });
    expect(r.error.body).toBe(body.slice(0, 1024));
    expect(r.error.message).toContain('server returned HTTP status 400: out of order sample');
  });

  it('a response slower than remote_timeout is a recoverable timeout, then retried', async () => {
    rx.respond((_req, res) => {
      setTimeout(() => reply(204)(_req, res), 3000);
    });
    const errors: string[] = [];
    const started = Date.now();
    const r = await sendWriteRequest(client({ remoteTimeout: 150 }), BODY, {
      onRetry: (e) => errors.push(e.code),
    });
    expect(r).toMatchObject({ outcome: 'delivered', attempts: 2 });
    expect(errors).toEqual([REMOTE_WRITE_ERROR_CODES.timeout]);
    // Did not wait for the slow answer.
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('a connection reset is a recoverable network error, then retried', async () => {
    rx.respond((req) => req.socket.destroy());
    const errors: RemoteWriteError[] = [];
    const r = await sendWriteRequest(client(), BODY, { onRetry: (e) => errors.push(e) });
    expect(r).toMatchObject({ outcome: 'delivered', attempts: 2 });
    expect(errors[0]).toMatchObject({ code: 'RW_NETWORK', recoverable: true });
  });

  it('connection refused until the deadline: retryable, not delivered, with the last error', async () => {
    const c = createRemoteWriteClient(
      remoteWriteConfig('http://127.0.0.1:1/api/v1/write', {
        queueConfig: { minBackoff: 10, maxBackoff: 20 },
      }),
    );
    clients.push(c);
    const r = await sendWriteRequest(c, BODY, { retryUntil: Date.now() + 200 });
    expect(r.outcome).toBe('retryable');
    expect(r.attempts).toBeGreaterThan(2);
    if (r.outcome !== 'retryable') return;
    expect(r.error.code).toBe('RW_DEADLINE');
    expect((r.error.cause as RemoteWriteError).code).toBe('RW_NETWORK');
  });

  it('5xx until the deadline: gives up without sleeping past it', async () => {
    for (let i = 0; i < 50; i++) rx.respond(reply(503, 'unavailable'));
    const started = Date.now();
    const r = await sendWriteRequest(
      client({ queueConfig: { minBackoff: 30, maxBackoff: 1000 } }),
      BODY,
      { retryUntil: started + 400 },
    );
    const elapsed = Date.now() - started;
    expect(r.outcome).toBe('retryable');
    // Sleeps of 30, 60, 120 ms fit in 400 ms; the next one (240) would not, so it stops at once
    // (3 attempts only if the machine is slow enough to make 120 not fit either).
    expect(r.attempts).toBeGreaterThanOrEqual(3);
    expect(r.attempts).toBeLessThanOrEqual(4);
    expect(elapsed).toBeLessThan(400);
    if (r.outcome === 'retryable') {
      expect(r.error).toMatchObject({ code: 'RW_DEADLINE', recoverable: true, status: 503 });
    }
  });

  it('backoff doubles from min_backoff up to max_backoff', async () => {
    for (let i = 0; i < 5; i++) rx.respond(reply(500));
    const sleeps: number[] = [];
    await sendWriteRequest(client({ queueConfig: { minBackoff: 5, maxBackoff: 30 } }), BODY, {
      onRetry: (_e, _a, ms) => sleeps.push(ms),
    });
    expect(sleeps).toEqual([5, 10, 20, 30, 30]);
  });

  it('an aborted signal stops a backoff at once', async () => {
    rx.respond(reply(500, '', { 'Retry-After': '30' }));
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 100);
    const started = Date.now();
    const r = await sendWriteRequest(client(), BODY, { signal: ac.signal });
    expect(r.outcome).toBe('retryable');
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('an attempt is cut at the deadline even when remote_timeout is longer', async () => {
    rx.respond((req, res) => setTimeout(() => reply(204)(req, res), 2000));
    const started = Date.now();
    const r = await sendWriteRequest(client({ remoteTimeout: 30_000 }), BODY, {
      retryUntil: started + 200,
    });
    expect(r.outcome).toBe('retryable');
    expect(Date.now() - started).toBeLessThan(1000);
  });
});

describe('auth and configured headers (§11.2)', () => {
  it('basic_auth from values', async () => {
    await sendWriteRequest(
      client({
        httpClient: {
          basicAuth: {
            username: 'user',
            usernameFile: undefined,
            password: secret('p@ss'),
            passwordFile: undefined,
          },
        },
      }),
      BODY,
    );
    expect(rx.requests[0]!.headers.authorization).toBe(
      `Basic ${Buffer.from('user:p@ss').toString('base64')}`,
    );
  });

  it('authorization credentials_file is read at request time (relative to configDir)', async () => {
    const dir = tempDir('rw-auth-');
    writeFileSync(join(dir, 'token'), 'first\n');
    const c = client(
      {
        httpClient: {
          authorization: { type: 'Bearer', credentials: undefined, credentialsFile: 'token' },
        },
      },
      { configDir: dir },
    );
    await sendWriteRequest(c, BODY);
    writeFileSync(join(dir, 'token'), 'second');
    await sendWriteRequest(c, BODY);
    expect(rx.requests.map((r) => r.headers.authorization)).toEqual([
      'Bearer first',
      'Bearer second',
    ]);
  });

  it('a missing credentials file is a recoverable credentials error', async () => {
    const c = client({
      httpClient: {
        authorization: {
          type: 'Bearer',
          credentials: undefined,
          credentialsFile: '/nonexistent/x',
        },
      },
    });
    const r = await sendWriteRequest(c, BODY, { retryUntil: Date.now() + 50 });
    expect(r.outcome).toBe('retryable');
    expect(rx.requests.length).toBe(0);
    if (r.outcome === 'retryable')
      expect((r.error.cause as RemoteWriteError).code).toBe('RW_CREDENTIALS');
  });

  it('http_headers values, secrets and files', async () => {
    const dir = tempDir('rw-hdr-');
    writeFileSync(join(dir, 'h'), 'from-file\n');
    await sendWriteRequest(
      client({
        httpClient: {
          httpHeaders: {
            'X-Multi': { values: ['a'], secrets: [secret('b')], files: [join(dir, 'h')] },
          },
        },
      }),
      BODY,
    );
    expect(rx.requests[0]!.headers['x-multi']).toBe('a, b, from-file');
  });

  it('a RequestSigner runs last and may add headers; sigv4 without one is refused', async () => {
    const sigv4 = {
      region: 'eu-west-1',
      accessKey: undefined,
      secretKey: undefined,
      profile: undefined,
      roleArn: undefined,
      externalId: undefined,
      useFipsStsEndpoint: false,
    };
    expect(() => client({ sigv4 })).toThrow(/sigv4 without a RequestSigner/);
    const seen: string[] = [];
    const c = client(
      { sigv4 },
      {
        signer: {
          sign: async (req) => {
            seen.push(String(req.headers['content-encoding']), String(req.body.length));
            req.headers.authorization = 'AWS4-HMAC-SHA256 test';
          },
        },
      },
    );
    await sendWriteRequest(c, BODY);
    expect(seen).toEqual(['snappy', String(BODY.length)]);
    expect(rx.requests[0]!.headers.authorization).toBe('AWS4-HMAC-SHA256 test');
  });

  // Found by test/remotewrite/responses.fuzz.test.ts: past the redirect limit the last 3xx was
  // "rejected" — the write dropped — where Go's client errs and Prometheus retries; and a
  // status of 600 or more was taken for a 5xx.
  it('a redirect chain past 10 is a recoverable network error, as in Prometheus', async () => {
    let n = 0;
    rx.respond(...Array.from({ length: 11 }, () => reply(307, '', { Location: `/r${++n}` })));
    const r = await sendWriteRequest(client(), BODY, { maxAttempts: 1 });
    expect(r.outcome).toBe('retryable');
    expect(r.outcome !== 'delivered' && r.error.cause).toMatchObject({
      code: 'RW_NETWORK',
      recoverable: true,
      message: expect.stringContaining('stopped after 10 redirects'),
    });
    expect(rx.requests).toHaveLength(11);
  });

  it('a Retry-After past the timer range (34 days) waits, not retries at once', async () => {
    // Node fires a timer above 2^31 − 1 ms after 1 ms: uncapped, this hammered the backend.
    rx.respond(...Array.from({ length: 50 }, () => reply(503, '', { 'Retry-After': '3000000' })));
    const sleeps: number[] = [];
    const r = await sendWriteRequest(client(), BODY, {
      signal: AbortSignal.timeout(300),
      onRetry: (_e, _a, ms) => sleeps.push(ms),
    });
    expect(r).toMatchObject({ outcome: 'retryable', attempts: 1 });
    expect(sleeps).toEqual([MAX_RETRY_AFTER_MS]);
  });

  it.each([600, 999])('status %i is rejected, not a recoverable 5xx', async (status) => {
    rx.respond(reply(status, 'odd'));
    const r = await sendWriteRequest(client(), BODY);
    expect(r).toMatchObject({ outcome: 'rejected', error: { code: 'RW_HTTP_REJECTED', status } });
  });

  it('follows a 307 redirect with the body (follow_redirects)', async () => {
    rx.respond(reply(307, '', { Location: '/other' }));
    const r = await sendWriteRequest(client(), BODY);
    expect(r.outcome).toBe('delivered');
    expect(rx.requests.map((q) => q.url)).toEqual(['/api/v1/write', '/other']);
    expect(Buffer.compare(rx.requests[1]!.body, BODY)).toBe(0);
  });

  it('User-Agent carries package.json version', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
    expect(DEFAULT_USER_AGENT).toBe(`lambdascrape/${pkg.version}`);
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2024-01-01T00:00:00Z');
  it.each([
    { name: 'seconds', header: '5', want: 5000 },
    { name: 'zero → backoff', header: '0', want: undefined },
    { name: 'HTTP-date', header: 'Mon, 01 Jan 2024 00:00:07 GMT', want: 7000 },
    { name: 'past date → backoff', header: 'Sun, 31 Dec 2023 23:59:00 GMT', want: undefined },
    { name: 'garbage', header: 'soon', want: undefined },
    { name: 'negative', header: '-3', want: undefined },
    { name: 'absent', header: undefined, want: undefined },
    { name: 'RFC 850 date', header: 'Monday, 01-Jan-24 00:00:07 GMT', want: 7000 },
    { name: 'asctime date (GMT)', header: 'Mon Jan  1 00:00:07 2024', want: 7000 },
    // Found by test/remotewrite/responses.fuzz.test.ts: Date.parse takes nearly anything with a
    // year in it, and seconds had no bound (a 400-digit number was Infinity ms).
    { name: 'garbage with a year', header: 'soon 2099', want: undefined },
    { name: 'a bare year', header: '2099-01-01', want: undefined },
    { name: 'a fraction', header: '1.5', want: undefined },
    { name: 'seconds past the cap', header: '43201', want: MAX_RETRY_AFTER_MS },
    { name: 'a 400-digit number', header: '9'.repeat(400), want: MAX_RETRY_AFTER_MS },
    {
      name: 'a date past the cap',
      header: 'Tue, 01 Jan 2030 00:00:00 GMT',
      want: MAX_RETRY_AFTER_MS,
    },
  ])('$name', ({ header, want }) => {
    expect(parseRetryAfter(header, now)).toBe(want);
  });

  it('waits for an HTTP-date Retry-After', async () => {
    // HTTP-dates have whole seconds: 2.5 s ahead is 1.5–2.5 s once truncated.
    rx.respond(reply(503, '', { 'Retry-After': new Date(Date.now() + 2500).toUTCString() }));
    const sleeps: number[] = [];
    await sendWriteRequest(client(), BODY, { onRetry: (_e, _a, ms) => sleeps.push(ms) });
    expect(sleeps[0]).toBeGreaterThan(1000);
    expect(sleeps[0]).toBeLessThanOrEqual(2500);
  });
});
