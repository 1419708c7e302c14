/**
 * Credentials on redirects (src/http/client.ts): `Authorization` — from basic_auth,
 * authorization (bearer) or an oauth2 token — goes along a redirect within the origin and is
 * dropped as soon as a redirect leaves it (another host, or the same host on another port), and
 * stays dropped when a later redirect comes back. Go drops it for another host too (it keeps it
 * for a subdomain or another port: we are stricter there). Checked on scrapes and remote write,
 * against two real servers: A (127.0.0.1) and B (reached as `localhost`, or as 127.0.0.1 on its
 * own port).
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { resolveTargets } from '../../src/cli/job-targets.js';
import { loadConfig } from '../../src/config/index.js';
import { createDispatcherSync } from '../../src/http/client.js';
import { createRemoteWriteClient } from '../../src/remotewrite/client.js';
import { snappyCompress } from '../../src/remotewrite/snappy.js';
import { prepareScrapeJob, scrapeTarget, TargetScrapeCache } from '../../src/scrape/scrape.js';
import { EMPTY_SCRAPE_STATE } from '../../src/scrape/state.js';
import { OAuth2Server } from '../support/oauth2-server.js';

interface Seen {
  readonly server: 'A' | 'B';
  readonly method: string;
  readonly path: string;
  readonly authorization: string | undefined;
  readonly bodyBytes: number;
}

const seen: Seen[] = [];
let a: Server;
let b: Server;
let aPort: number;
let bPort: number;
let as: OAuth2Server;

/** Where each path redirects (status, Location), filled in once the ports are known. */
let routes: Record<string, [number, string]> = {};

function handler(name: 'A' | 'B') {
  return (req: IncomingMessage, res: import('node:http').ServerResponse) => {
    let bodyBytes = 0;
    req.on('data', (c: Buffer) => {
      bodyBytes += c.length;
    });
    req.on('end', () => {
      const path = req.url ?? '/';
      seen.push({
        server: name,
        method: req.method ?? '',
        path,
        authorization: req.headers.authorization,
        bodyBytes,
      });
      const route = routes[`${name}${path}`];
      if (route !== undefined) {
        res.writeHead(route[0], { location: route[1] }).end();
      } else if (path === '/unauth') {
        res.writeHead(401).end();
      } else if (req.method === 'POST') {
        res.writeHead(204).end();
      } else {
        res.writeHead(200, { 'content-type': 'text/plain' }).end('redirected_ok 1\n');
      }
    });
  };
}

beforeAll(async () => {
  a = createServer(handler('A'));
  b = createServer(handler('B'));
  a.listen(0, '127.0.0.1');
  b.listen(0, '127.0.0.1');
  await Promise.all([once(a, 'listening'), once(b, 'listening')]);
  aPort = (a.address() as AddressInfo).port;
  bPort = (b.address() as AddressInfo).port;
  const A = `http://127.0.0.1:${aPort}`;
  routes = {
    'A/same': [302, '/metrics'],
    'A/same-absolute': [301, `${A}/metrics`],
    'A/other-host': [302, `http://localhost:${bPort}/metrics`],
    'A/other-port': [302, `http://127.0.0.1:${bPort}/metrics`],
    'A/away-and-back': [302, `http://localhost:${bPort}/back`],
    'B/back': [302, `${A}/metrics`],
    'A/other-unauth': [302, `http://localhost:${bPort}/unauth`],
    'A/rw-same': [307, '/write'],
    'A/rw-other': [307, `http://localhost:${bPort}/write`],
  };
  as = await OAuth2Server.start({ clientId: 'c', clientSecret: 's' });
});

afterAll(async () => {
  for (const s of [a, b]) {
    s.closeAllConnections();
    s.close();
  }
  await as?.close();
});

beforeEach(() => {
  seen.length = 0;
  as.tokenRequests.length = 0;
});

const AUTH = {
  basic_auth: {
    fields: { basic_auth: { username: 'u', password: 'REDIRECTPW' } },
    header: `Basic ${Buffer.from('u:REDIRECTPW').toString('base64')}`,
  },
  authorization: {
    fields: { authorization: { credentials: 'REDIRECTBEARER' } },
    header: 'Bearer REDIRECTBEARER',
  },
  oauth2: {
    fields: { oauth2: { client_id: 'c', client_secret: 's', token_url: '' } },
    header: /^Bearer tok-\d+$/,
  },
} as const;
type AuthKind = keyof typeof AUTH;

/** The job's auth fields (oauth2 pointed at the test's token endpoint). */
function authFields(kind: AuthKind): Record<string, unknown> {
  if (kind !== 'oauth2') return AUTH[kind].fields;
  return { oauth2: { ...AUTH.oauth2.fields.oauth2, token_url: as.tokenUrl } };
}

/** A scrape job of `A<path>` with `kind` auth; scrape() scrapes it once more each call. */
async function job(kind: AuthKind, path: string) {
  const config = loadConfig(
    stringify({
      scrape_configs: [
        {
          job_name: 'redirects',
          metrics_path: path,
          static_configs: [{ targets: [`127.0.0.1:${aPort}`] }],
          ...authFields(kind),
        },
      ],
    }),
    { env: {} },
  );
  const [resolved] = await resolveTargets(config);
  const target = resolved!.active[0]!;
  const dispatcher = createDispatcherSync(resolved!.job.httpClient);
  const prepared = prepareScrapeJob(resolved!.job, dispatcher);
  return {
    config,
    scrape: () =>
      scrapeTarget(prepared, target, new TargetScrapeCache(target, false), EMPTY_SCRAPE_STATE, {
        scrapeTimeMs: Date.now(),
      }),
    close: () => dispatcher.close(),
  };
}

const kinds = Object.keys(AUTH) as AuthKind[];
const cases = kinds.flatMap((kind) =>
  [
    { path: '/same', final: ['A', '/metrics'], kept: true },
    { path: '/same-absolute', final: ['A', '/metrics'], kept: true },
    { path: '/other-host', final: ['B', '/metrics'], kept: false },
    { path: '/other-port', final: ['B', '/metrics'], kept: false },
    { path: '/away-and-back', final: ['A', '/metrics'], kept: false },
  ].map((c) => ({ ...c, kind, name: `${kind}: ${c.path} ${c.kept ? 'keeps' : 'drops'} it` })),
);

describe('scrape redirects', () => {
  it.each(cases)('$name', async ({ kind, path, final, kept }) => {
    const j = await job(kind, path);
    try {
      const r = await j.scrape();
      expect(r.error).toBeUndefined();
    } finally {
      await j.close();
    }
    const first = seen[0]!;
    const last = seen[seen.length - 1]!;
    expect([first.server, first.path]).toEqual(['A', path]);
    expect(first.authorization).toMatch(AUTH[kind].header);
    expect([last.server, last.path]).toEqual(final);
    if (kept) expect(last.authorization).toMatch(AUTH[kind].header);
    else
      expect(seen.slice(1).map((s) => s.authorization)).toEqual(seen.slice(1).map(() => undefined));
  });

  it('a 401 from another origin does not drop the oauth2 token (it was never sent there)', async () => {
    const j = await job('oauth2', '/other-unauth');
    try {
      expect((await j.scrape()).error).toBe('server returned HTTP status 401 Unauthorized');
      expect((await j.scrape()).error).toBe('server returned HTTP status 401 Unauthorized');
    } finally {
      await j.close();
    }
    expect(as.tokenRequests).toHaveLength(1);
  });
});

describe('remote write redirects', () => {
  it.each([
    { path: '/rw-same', final: ['A', '/write'], kept: true },
    { path: '/rw-other', final: ['B', '/write'], kept: false },
  ])('a 307 to $path replays the body; auth kept: $kept', async ({ path, final, kept }) => {
    const config = loadConfig(
      stringify({
        remote_write: [
          { url: `http://127.0.0.1:${aPort}${path}`, authorization: { credentials: 'RWTOKEN' } },
        ],
      }),
      { env: {} },
    );
    const client = createRemoteWriteClient(config.remoteWrite[0]!);
    const body = snappyCompress(new Uint8Array(16));
    try {
      expect(await client.post(body, 0, 5_000)).toEqual({ ok: true, status: 204 });
    } finally {
      await client.close();
    }
    const last = seen[seen.length - 1]!;
    expect([last.server, last.path, last.method, last.bodyBytes]).toEqual([
      ...final,
      'POST',
      body.length,
    ]);
    expect(last.authorization).toBe(kept ? 'Bearer RWTOKEN' : undefined);
  });
});
