/**
 * Fuzz: what a remote-write backend answers (docs/security.md: backends are not trusted) —
 * Retry-After values, status codes, error bodies, redirects and bodies that never end — against
 * `parseRetryAfter` and the client over a local `node:http` fixture. Every answer ends as one
 * AttemptOutcome, never an exception; the error body kept is at most MAX_ERROR_BODY_BYTES and
 * the bytes read of a body at most a bounded amount more; Retry-After is undefined or within
 * (0, MAX_RETRY_AFTER_MS]; recoverable exactly when Prometheus would retry; and every attempt
 * ends within `remote_timeout`.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AttemptOutcome,
  createRemoteWriteClient,
  MAX_ERROR_BODY_BYTES,
  MAX_RETRY_AFTER_MS,
  parseRetryAfter,
  type RemoteWriteClient,
} from '../../src/remotewrite/client.js';
import { sendWriteRequest } from '../../src/remotewrite/send.js';
import { fuzzParams } from '../support/fuzz.js';
import { remoteWriteConfig } from './config.js';

/** The suite's tests run longer with the fuzz scale: their timeout grows with it. */
const SCALED = { timeout: 30_000 * fuzzParams(1).numRuns! };

const NOW = Date.parse('2024-06-01T12:00:00Z');
const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

describe('parseRetryAfter on arbitrary header values', SCALED, () => {
  const bounded = (ms: number | undefined) => {
    if (ms === undefined) return;
    expect(Number.isFinite(ms)).toBe(true);
    expect(ms).toBeGreaterThan(0);
    expect(ms).toBeLessThanOrEqual(MAX_RETRY_AFTER_MS);
  };

  it('any text: undefined or a pause within (0, MAX_RETRY_AFTER_MS]', () => {
    const piece = fc.constantFrom(' ', ',', ':', '-', '+', '.', 'GMT', 'Mon', 'Jan', '2099', '1e9');
    const text = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 40 }),
      fc.array(fc.oneof(piece, fc.nat().map(String)), { maxLength: 8 }).map((p) => p.join('')),
      fc.nat({ max: 400 }).map((n) => '9'.repeat(n)),
    );
    fc.assert(
      fc.property(fc.oneof(text, fc.array(text, { maxLength: 3 })), (header) => {
        bounded(parseRetryAfter(header, NOW));
      }),
      fuzzParams(1_500),
    );
  });

  it('delta-seconds: exactly the seconds, cut at the cap', () => {
    fc.assert(
      fc.property(fc.oneof(fc.nat(100_000), fc.bigInt({ min: 0n, max: 10n ** 30n })), (n) => {
        const ms = parseRetryAfter(` ${n} `, NOW);
        const want = Number(n) * 1000;
        expect(ms).toBe(want === 0 ? undefined : Math.min(want, MAX_RETRY_AFTER_MS));
      }),
      fuzzParams(1_000),
    );
  });

  it('HTTP-dates in all three forms: the time until then, cut at the cap; past ones none', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -10 * 86_400, max: 10 * 86_400 }),
        fc.constantFrom('imf', 'rfc850', 'asctime'),
        (offsetSeconds, form) => {
          const d = new Date(NOW + offsetSeconds * 1000);
          const imf = d.toUTCString();
          const [, dd, mon, yyyy, time] = imf.split(' ');
          const text =
            form === 'imf'
              ? imf
              : form === 'rfc850'
                ? `${d.toLocaleDateString('en-US', { weekday: 'long', timeZone: 'UTC' })}, ${dd}-${mon}-${yyyy!.slice(2)} ${time} GMT`
                : `${DAYS[d.getUTCDay()]} ${mon} ${String(d.getUTCDate()).padStart(2, ' ')} ${time} ${yyyy}`;
          const ms = parseRetryAfter(text, NOW);
          expect(ms).toBe(
            offsetSeconds > 0 ? Math.min(offsetSeconds * 1000, MAX_RETRY_AFTER_MS) : undefined,
          );
        },
      ),
      fuzzParams(1_000),
    );
  });
});

// ---- the client against hostile responses ----------------------------------------------------

type Handler = (req: IncomingMessage, res: ServerResponse) => void;
let server: Server;
let url: string;
let handler: Handler = (_req, res) => res.end();
/** Body bytes the fixture managed to hand to the socket for the current request. */
let written = 0;

beforeAll(async () => {
  server = createServer((req, res) => {
    req.resume();
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/write`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const TIMEOUT_MS = 300;
const BODY = Uint8Array.of(0, 1, 2);

function newClient(retryOnHttp429 = false): RemoteWriteClient {
  return createRemoteWriteClient(
    remoteWriteConfig(url, { remoteTimeout: TIMEOUT_MS, queueConfig: { retryOnHttp429 } }),
  );
}

/** Writes `chunk` until `total` bytes (Infinity: until the client goes) at the socket's pace. */
function stream(res: ServerResponse, chunk: Buffer, total: number, delayMs = 0): void {
  written = 0;
  const step = (): void => {
    while (!res.destroyed && written < total) {
      written += chunk.length;
      if (!res.write(chunk)) {
        res.once('drain', step);
        return;
      }
      if (delayMs > 0) {
        setTimeout(step, delayMs);
        return;
      }
    }
    if (!res.destroyed) res.end();
  };
  res.on('close', () => res.removeAllListeners('drain'));
  step();
}

/** One attempt, with the invariants every outcome keeps. */
async function attempt(client: RemoteWriteClient): Promise<AttemptOutcome> {
  const started = performance.now();
  const outcome = await client.post(BODY, 0, TIMEOUT_MS);
  expect(performance.now() - started).toBeLessThan(TIMEOUT_MS + 1_000);
  if (!outcome.ok) {
    const e = outcome.error;
    if (e.body !== undefined) {
      expect(Buffer.byteLength(e.body)).toBeLessThanOrEqual(MAX_ERROR_BODY_BYTES * 3);
      expect(e.body.length).toBeLessThanOrEqual(MAX_ERROR_BODY_BYTES);
    }
    if (e.retryAfterMs !== undefined) {
      expect(e.retryAfterMs).toBeGreaterThan(0);
      expect(e.retryAfterMs).toBeLessThanOrEqual(MAX_RETRY_AFTER_MS);
    }
    expect(e.message.length).toBeLessThan(MAX_ERROR_BODY_BYTES * 3 + 200);
  }
  return outcome;
}

/** Header text Node lets a server send (no control characters). */
const headerText = fc.string({
  unit: fc.integer({ min: 0x20, max: 0xff }).map((c) => String.fromCharCode(c === 0x7f ? 0x20 : c)),
  maxLength: 40,
});

describe('the client against hostile responses', SCALED, () => {
  it('any status, Retry-After and body: one outcome, bounded, recoverable as Prometheus', async () => {
    const client = newClient(true);
    try {
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(fc.integer({ min: 200, max: 599 }), fc.integer({ min: 600, max: 999 })),
          fc.option(fc.oneof(headerText, fc.nat().map(String)), { nil: undefined }),
          fc.oneof(
            fc.string({ unit: 'binary', maxLength: 3000 }),
            fc.nat(300_000).map((n) => 'é'.repeat(n)),
          ),
          async (status, retryAfter, body) => {
            handler = (_req, res) => {
              res.writeHead(status, retryAfter === undefined ? {} : { 'retry-after': retryAfter });
              stream(res, Buffer.from(body || ' '), body === '' ? 0 : Buffer.byteLength(body));
            };
            const outcome = await attempt(client);
            const ok = status >= 200 && status <= 299;
            expect(outcome.ok).toBe(ok);
            if (outcome.ok) return;
            const e = outcome.error;
            // 3xx here have no Location: not followed, so answered as they are.
            expect(e.status).toBe(status);
            expect(e.recoverable).toBe((status >= 500 && status <= 599) || status === 429);
            expect(e.code).toBe(
              status >= 500 && status <= 599
                ? 'RW_HTTP_5XX'
                : status === 429
                  ? 'RW_HTTP_429'
                  : 'RW_HTTP_REJECTED',
            );
            if (status !== 429 && (status < 500 || status > 599)) {
              expect(e.retryAfterMs).toBeUndefined();
            }
            // A 304 has no body (Node's server drops it): nothing to keep.
            const sent = status === 304 ? '' : body;
            expect(e.body).toBe(
              Buffer.from(sent).subarray(0, MAX_ERROR_BODY_BYTES).toString('utf8'),
            );
          },
        ),
        fuzzParams(150),
      );
    } finally {
      await client.close();
    }
  });

  const MiB = 1024 * 1024;
  const scenarios: Record<string, { handler: Handler; expect: (o: AttemptOutcome) => void }> = {
    'a 500 with an endless body': {
      handler: (_req, res) => {
        res.writeHead(500);
        stream(res, Buffer.alloc(64 * 1024, 'x'), Number.POSITIVE_INFINITY);
      },
      expect: (o) => expect(o).toMatchObject({ ok: false, error: { code: 'RW_HTTP_5XX' } }),
    },
    'a 200 with an endless body': {
      handler: (_req, res) => {
        res.writeHead(200);
        stream(res, Buffer.alloc(64 * 1024, 'x'), Number.POSITIVE_INFINITY);
      },
      expect: (o) => expect(o).toMatchObject({ ok: true, status: 200 }),
    },
    'a 503 whose body trickles forever': {
      handler: (_req, res) => {
        res.writeHead(503);
        stream(res, Buffer.from('x'), Number.POSITIVE_INFINITY, 20);
      },
      expect: (o) => expect(o).toMatchObject({ ok: false, error: { code: 'RW_TIMEOUT' } }),
    },
    'no response at all': {
      handler: () => {},
      expect: (o) =>
        expect(o).toMatchObject({ ok: false, error: { code: 'RW_TIMEOUT', recoverable: true } }),
    },
    'a redirect to itself': {
      handler: (_req, res) => {
        res.writeHead(307, { location: '/write' });
        res.end();
      },
      expect: (o) =>
        expect(o).toMatchObject({ ok: false, error: { code: 'RW_NETWORK', recoverable: true } }),
    },
    'an endless chain of redirects': {
      handler: (req, res) => {
        res.writeHead(308, { location: `${req.url}x` });
        res.end();
      },
      expect: (o) =>
        expect(o).toMatchObject({
          ok: false,
          error: {
            code: 'RW_NETWORK',
            recoverable: true,
            message: expect.stringContaining('stopped after 10 redirects'),
          },
        }),
    },
    'a redirect to nowhere': {
      handler: (_req, res) => {
        res.writeHead(302, { location: 'http://[::1' });
        res.end();
      },
      expect: (o) => expect(o).toMatchObject({ ok: false, error: { recoverable: true } }),
    },
    'a 100 KB header': {
      handler: (_req, res) => {
        res.writeHead(503, { 'x-junk': 'j'.repeat(100_000) });
        res.end();
      },
      expect: (o) => expect(o).toMatchObject({ ok: false, error: { code: 'RW_NETWORK' } }),
    },
    'a 429 asking for a century': {
      handler: (_req, res) => {
        res.writeHead(429, { 'retry-after': '3155760000' });
        res.end();
      },
      expect: (o) =>
        expect(o).toMatchObject({ ok: false, error: { retryAfterMs: MAX_RETRY_AFTER_MS } }),
    },
  };

  it('huge, endless, slow or absent bodies, redirect loops: bounded reads and clear errors', async () => {
    const client = newClient();
    try {
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(...Object.keys(scenarios)), async (name) => {
          const s = scenarios[name]!;
          written = 0;
          handler = s.handler;
          s.expect(await attempt(client));
          // What the fixture could push before the client stopped reading: socket buffers, not
          // the body. (The endless bodies would go on for ever.)
          expect(written).toBeLessThan(8 * MiB);
        }),
        // Every scenario about twice; the slow ones cost the 300 ms timeout.
        fuzzParams(18),
      );
    } finally {
      await client.close();
    }
  });

  it('a sender given a huge Retry-After gives up within its budget, without sleeping', async () => {
    const client = newClient();
    try {
      handler = (_req, res) => {
        res.writeHead(503, { 'retry-after': '9'.repeat(400) });
        res.end();
      };
      const started = Date.now();
      const r = await sendWriteRequest(client, BODY, { retryUntil: Date.now() + 1_000 });
      expect(Date.now() - started).toBeLessThan(2_000);
      expect(r).toMatchObject({
        outcome: 'retryable',
        attempts: 1,
        error: { retryAfterMs: MAX_RETRY_AFTER_MS },
      });
    } finally {
      await client.close();
    }
  });
});
