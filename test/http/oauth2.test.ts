/**
 * oauth2 (src/http/oauth2.ts through src/http/client.ts) against a real local authorization
 * server (test/support/oauth2-server.ts): the client credentials grant (RFC 6749 §4.4) and the
 * JWT bearer grant (RFC 7523, the assertion's signature verified with node:crypto), used by a
 * scrape, an HTTP SD refresh and a remote write; token reuse, refresh before expiry, one token
 * request for concurrent callers, a new token after a 401, and clear, secret-free errors when the
 * token endpoint is down or refuses.
 */
import { generateKeyPairSync } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { resolveTargets } from '../../src/cli/job-targets.js';
import { loadConfig } from '../../src/config/index.js';
import type { OAuth2 } from '../../src/config/types.js';
import { HttpDiscoverer, httpMechanism } from '../../src/discovery/http/index.js';
import { createDispatcherSync, oauth2TokenSource } from '../../src/http/client.js';
import { type OAuth2Error, OAuth2TokenSource } from '../../src/http/oauth2.js';
import { Agent } from '../../src/http/undici.js';
import { createRemoteWriteClient } from '../../src/remotewrite/client.js';
import { snappyCompress } from '../../src/remotewrite/snappy.js';
import {
  prepareScrapeJob,
  type ScrapeResult,
  scrapeTarget,
  TargetScrapeCache,
} from '../../src/scrape/scrape.js';
import { EMPTY_SCRAPE_STATE } from '../../src/scrape/state.js';
import { parseEntry } from '../discovery/sd-config.js';
import { remoteWriteConfig } from '../remotewrite/config.js';
import { OAuth2Server } from '../support/oauth2-server.js';

const CLIENT_ID = 'scraper id/1';
const SECRET = 'CLIENTSECRETq8z!(x)';
const ROTATED = 'ROTATEDSECRETm3k';

let dir: string;
let as: OAuth2Server;
const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const PKCS8 = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const PKCS1 = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'oauth2-'));
  as = await OAuth2Server.start({
    clientId: CLIENT_ID,
    clientSecret: SECRET,
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  });
});
afterAll(async () => {
  await as?.close();
  rmSync(dir, { recursive: true, force: true });
});
afterEach(() => {
  as.issued.length = 0;
  as.revoked.clear();
  as.tokenRequests.length = 0;
  as.resourceRequests.length = 0;
  as.mode = 'ok';
  as.acceptBasic = true;
  as.refuseWith = undefined;
  as.clientSecret = SECRET;
  as.expiresIn = 3600;
});

/** A job scraping the server's `/metrics` with `oauth2`, loaded from a config in `dir`. */
async function scrapeJob(oauth2: Record<string, unknown>) {
  const text = stringify({
    scrape_configs: [
      {
        job_name: 'oauth',
        oauth2,
        static_configs: [{ targets: [as.base.replace('http://', '')] }],
      },
    ],
  });
  const config = loadConfig(text, { sourcePath: join(dir, 'prometheus.yml'), env: {} });
  const [resolved] = await resolveTargets(config);
  const target = resolved!.active[0]!;
  const dispatcher = createDispatcherSync(resolved!.job.httpClient);
  const job = prepareScrapeJob(resolved!.job, dispatcher);
  return {
    oauth2: resolved!.job.httpClient.oauth2!,
    scrape: (): Promise<ScrapeResult> =>
      scrapeTarget(job, target, new TargetScrapeCache(target, false), EMPTY_SCRAPE_STATE, {
        scrapeTimeMs: Date.now(),
      }),
    close: () => dispatcher.close(),
  };
}

const clientCredentials = (extra: Record<string, unknown> = {}) => ({
  client_id: CLIENT_ID,
  client_secret: SECRET,
  token_url: as.tokenUrl,
  ...extra,
});

/** The `OAuth2` value a loaded config holds, for building sources and clients by hand. */
function oauth2Config(patch: Partial<OAuth2> = {}): OAuth2 {
  const config = loadConfig(
    stringify({
      scrape_configs: [{ job_name: 'x', oauth2: clientCredentials(), static_configs: [] }],
    }),
    { env: {} },
  );
  return { ...config.scrapeConfigs[0]!.httpClient.oauth2!, ...patch };
}

function expectNoSecret(text: string | undefined, ...more: string[]) {
  for (const s of [SECRET, ROTATED, PKCS8, PKCS1, ...as.issued, ...more]) {
    expect(text ?? '').not.toContain(s);
  }
}

describe('client_credentials', () => {
  it('a scrape fetches a token with HTTP Basic client auth, sends it, and reuses it', async () => {
    writeFileSync(join(dir, 'secret.txt'), `${SECRET}\n`);
    const job = await scrapeJob(
      clientCredentials({
        client_secret: undefined,
        client_secret_file: 'secret.txt',
        scopes: ['metrics:read', 'sd'],
        endpoint_params: { audience: 'https://api.example' },
      }),
    );
    try {
      const first = await job.scrape();
      const second = await job.scrape();
      expect([first.error, second.error]).toEqual([undefined, undefined]);
      expect([first.up, second.up]).toEqual([true, true]);
    } finally {
      await job.close();
    }
    expect(as.tokenRequests).toHaveLength(1);
    const [req] = as.tokenRequests;
    expect(req!.form).toEqual({
      grant_type: 'client_credentials',
      scope: 'metrics:read sd',
      audience: 'https://api.example',
    });
    // Go's url.QueryEscape of each half: space → '+', '/' '!' '(' ')' percent-encoded.
    const basic = Buffer.from(req!.authorization!.slice(6), 'base64').toString();
    expect(basic).toBe('scraper+id%2F1:CLIENTSECRETq8z%21%28x%29');
    expect(req!.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(req!.headers['user-agent']).toMatch(/^lambdascrape\//);
    expect(as.resourceRequests.map((r) => r.authorization)).toEqual([
      'Bearer tok-1',
      'Bearer tok-1',
    ]);
  });

  it('sends the client secret in the form when HTTP Basic is refused, and keeps doing so', async () => {
    as.acceptBasic = false;
    const source = oauth2TokenSource(oauth2Config());
    expect(await source.authorization()).toMatch(/^Bearer tok-\d+$/);
    expect(as.tokenRequests.map((r) => [r.authorization?.split(' ')[0], r.form.client_id])).toEqual(
      [
        ['Basic', undefined],
        [undefined, CLIENT_ID],
      ],
    );
    expect(as.tokenRequests[1]!.form.client_secret).toBe(SECRET);
    source.invalidate(await source.authorization());
    await source.authorization();
    expect(as.tokenRequests).toHaveLength(3);
    expect(as.tokenRequests[2]!.authorization).toBeUndefined();
  });

  it('a rotated client_secret_file drops the cached token', async () => {
    writeFileSync(join(dir, 'rotating.txt'), SECRET);
    const job = await scrapeJob(
      clientCredentials({ client_secret: undefined, client_secret_file: 'rotating.txt' }),
    );
    try {
      expect((await job.scrape()).up).toBe(true);
      writeFileSync(join(dir, 'rotating.txt'), ROTATED);
      as.clientSecret = ROTATED;
      expect((await job.scrape()).up).toBe(true);
    } finally {
      await job.close();
    }
    expect(as.tokenRequests).toHaveLength(2);
    const second = as.tokenRequests[1]!.authorization!.slice(6);
    expect(Buffer.from(second, 'base64').toString()).toMatch(/:ROTATEDSECRETm3k$/);
  });

  it('endpoint_params may replace grant_type but no other parameter', async () => {
    const scoped = oauth2TokenSource(
      oauth2Config({ scopes: ['a'], endpointParams: { scope: 'b' } }),
    );
    await expect(scoped.authorization()).rejects.toMatchObject({
      code: 'OAUTH2_CONFIG',
      message: 'oauth2: cannot overwrite parameter "scope"',
    });
    const custom = oauth2TokenSource(oauth2Config({ endpointParams: { grant_type: 'custom' } }));
    await expect(custom.authorization()).rejects.toMatchObject({
      code: 'OAUTH2_TOKEN_REJECTED',
      message: expect.stringContaining('"unsupported_grant_type"'),
    });
    expect(as.tokenRequests.map((r) => r.form.grant_type)).toEqual(['custom', 'custom']);
  });
});

describe('jwt-bearer (RFC 7523)', () => {
  const JWT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

  it('a scrape presents a signed assertion with Prometheus’s claims and uses the token', async () => {
    writeFileSync(join(dir, 'key.pem'), PKCS8);
    const job = await scrapeJob({
      client_id: 'svc-account',
      grant_type: JWT,
      client_certificate_key_file: 'key.pem',
      client_certificate_key_id: 'kid-7',
      signature_algorithm: 'RS384',
      token_url: as.tokenUrl,
      scopes: ['read'],
      claims: { tenant: 't1', nested: { n: 2 } },
    });
    try {
      const r = await job.scrape();
      expect(r.error).toBeUndefined();
      expect(r.up).toBe(true);
    } finally {
      await job.close();
    }
    const [req] = as.tokenRequests;
    expect(req!.authorization).toBeUndefined();
    expect(Object.keys(req!.form).sort()).toEqual(['assertion', 'grant_type', 'scope']);
    expect(req!.form.grant_type).toBe(JWT);
    expect(req!.form.scope).toBe('read');
    expect(req!.jwt!.header).toEqual({ alg: 'RS384', typ: 'JWT', kid: 'kid-7' });
    const claims = req!.jwt!.claims;
    expect(claims).toMatchObject({
      iss: 'svc-account',
      sub: 'svc-account',
      aud: as.tokenUrl,
      scope: 'read',
      tenant: 't1',
      nested: { n: 2 },
    });
    expect(claims.exp as number).toBe((claims.iat as number) + 600);
    expect(claims.jti).toMatch(/^[0-9a-f-]{36}$/);
    expect(as.resourceRequests[0]!.authorization).toBe('Bearer tok-1');
  });

  it.each([
    { alg: 'RS256', key: PKCS1 },
    { alg: 'RS512', key: PKCS8 },
  ])('$alg with an inline key, iss and audience set', async ({ alg, key }) => {
    const source = oauth2TokenSource(
      oauth2Config({
        grantType: JWT,
        clientSecret: undefined,
        clientCertificateKey: { reveal: () => key },
        signatureAlgorithm: alg,
        iss: 'issuer-x',
        audience: 'https://idp.example/',
        claims: { sub: 'override' },
      }),
    );
    expect(await source.authorization()).toMatch(/^Bearer tok-/);
    expect(as.tokenRequests[0]!.jwt).toMatchObject({
      header: { alg },
      claims: { iss: 'issuer-x', aud: 'https://idp.example/', sub: 'override' },
    });
  });

  it('a key that is not an RSA private key is a clear error without the key in it', async () => {
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' })
      .privateKey.export({ type: 'pkcs8', format: 'pem' })
      .toString();
    for (const [key, why] of [
      [ec, 'the private key is ec, RS256 needs an RSA key'],
      ['not a key at all', 'cannot parse the private key'],
    ] as const) {
      const source = oauth2TokenSource(
        oauth2Config({ grantType: JWT, clientCertificateKey: { reveal: () => key } }),
      );
      const err = await source.authorization().catch((e: unknown) => e as OAuth2Error);
      expect(err).toMatchObject({ code: 'OAUTH2_CREDENTIAL' });
      expect((err as Error).message).toContain(`oauth2: client certificate key: ${why}`);
      expectNoSecret((err as Error).message, ec, 'not a key at all');
    }
    expect(as.tokenRequests).toHaveLength(0);
  });
});

describe('tokens over time', () => {
  /** A source on its own clock; `clock.now` is moved by the test. */
  function clockedSource(config = oauth2Config()) {
    const clock = { now: 1_000_000 };
    const source = new OAuth2TokenSource(config, {
      readFile: async () => SECRET,
      dispatcher: () => new Agent(),
      now: () => clock.now,
    });
    return { source, clock };
  }

  it('reuses a token until 10 s before it expires, then fetches a new one', async () => {
    as.expiresIn = 60;
    const { source, clock } = clockedSource();
    expect(await source.authorization()).toBe('Bearer tok-1');
    clock.now += 49_999;
    expect(await source.authorization()).toBe('Bearer tok-1');
    clock.now += 1;
    expect(await source.authorization()).toBe('Bearer tok-2');
    expect(as.tokenRequests).toHaveLength(2);
  });

  it('keeps a token without expires_in until it is rejected', async () => {
    as.expiresIn = undefined;
    const { source, clock } = clockedSource();
    const first = await source.authorization();
    clock.now += 365 * 86_400_000;
    expect(await source.authorization()).toBe(first);
    source.invalidate('Bearer some-other-token');
    expect(await source.authorization()).toBe(first);
    source.invalidate(first);
    expect(await source.authorization()).not.toBe(first);
    expect(as.tokenRequests).toHaveLength(2);
  });

  it('concurrent callers share one token request', async () => {
    const { source } = clockedSource();
    const all = await Promise.all(Array.from({ length: 20 }, () => source.authorization()));
    expect(new Set(all).size).toBe(1);
    expect(as.tokenRequests).toHaveLength(1);
  });

  it('a caller’s signal stops its wait, not the shared request', async () => {
    as.mode = 'hang';
    const { source } = clockedSource();
    const waiting = source.authorization(AbortSignal.timeout(100));
    await expect(waiting).rejects.toMatchObject({ name: 'TimeoutError' });
    expect(as.tokenRequests).toHaveLength(1);
  });

  it('a scrape answered 401 drops the token; the next scrape gets a new one', async () => {
    const job = await scrapeJob(clientCredentials());
    try {
      expect((await job.scrape()).up).toBe(true);
      as.revokeAll();
      const refused = await job.scrape();
      expect(refused.error).toBe('server returned HTTP status 401 Unauthorized');
      const again = await job.scrape();
      expect(again.error).toBeUndefined();
    } finally {
      await job.close();
    }
    expect(as.resourceRequests.map((r) => r.authorization)).toEqual([
      'Bearer tok-1',
      'Bearer tok-1',
      'Bearer tok-2',
    ]);
  });
});

describe('HTTP SD and remote write', () => {
  it('an http_sd refresh sends the token', async () => {
    const config = parseEntry(httpMechanism, { url: `${as.base}/sd`, oauth2: clientCredentials() });
    const d = new HttpDiscoverer(config);
    try {
      const r = await d.refresh();
      expect(r.groups[0]?.targets).toEqual([{ __address__: as.base.replace('http://', '') }]);
    } finally {
      await d.close();
    }
    expect(as.resourceRequests).toEqual([
      { method: 'GET', path: '/sd', authorization: 'Bearer tok-1' },
    ]);
  });

  it('a remote write sends the token and, answered 401, retries once with a new one', async () => {
    const client = createRemoteWriteClient(
      remoteWriteConfig(`${as.base}/api/v1/write`, {
        httpClient: { oauth2: oauth2Config() },
      }),
    );
    try {
      const body = snappyCompress(new Uint8Array(0));
      expect(await client.post(body, 0, 5_000)).toEqual({ ok: true, status: 204 });
      as.revokeAll();
      expect(await client.post(body, 0, 5_000)).toEqual({ ok: true, status: 204 });
    } finally {
      await client.close();
    }
    expect(as.resourceRequests.map((r) => r.authorization)).toEqual([
      'Bearer tok-1',
      'Bearer tok-1',
      'Bearer tok-2',
    ]);
  });
});

describe('token endpoint failures', () => {
  let closedUrl: string;
  beforeAll(async () => {
    const s = createServer();
    s.listen(0, '127.0.0.1');
    await once(s, 'listening');
    closedUrl = `http://127.0.0.1:${(s.address() as AddressInfo).port}/token`;
    s.close();
    await once(s, 'close');
  });

  it.each([
    {
      name: 'nothing listens',
      setup: (): { tokenUrl?: string } => ({ tokenUrl: closedUrl }),
      code: 'OAUTH2_TOKEN_REQUEST',
      message: () =>
        `oauth2: cannot fetch token: Post "${closedUrl}": connect ECONNREFUSED ${new URL(closedUrl).host}`,
    },
    {
      name: '503',
      setup: (): { tokenUrl?: string } => {
        as.mode = 'unavailable';
        return {};
      },
      code: 'OAUTH2_TOKEN_REJECTED',
      message: () =>
        `oauth2: cannot fetch token: Post "${as.tokenUrl}": server returned HTTP status 503`,
    },
    {
      name: 'a refusal echoing the secret',
      setup: (): { tokenUrl?: string } => {
        as.refuseWith = `bad client secret ${SECRET}`;
        return {};
      },
      code: 'OAUTH2_TOKEN_REJECTED',
      message: () =>
        `oauth2: cannot fetch token: Post "${as.tokenUrl}": server returned HTTP status 400: "invalid_request" "bad client secret <secret>"`,
    },
  ])(
    '$name: the scrape fails with a clear, secret-free error',
    async ({ setup, code, message }) => {
      const patch = setup();
      const job = await scrapeJob(clientCredentials({ token_url: patch.tokenUrl ?? as.tokenUrl }));
      try {
        const r = await job.scrape();
        expect(r.up).toBe(false);
        expect(r.error).toBe(message());
        expectNoSecret(r.error);
        const source = oauth2TokenSource(job.oauth2);
        await expect(source.authorization()).rejects.toMatchObject({ code });
      } finally {
        await job.close();
      }
      expect(as.resourceRequests).toHaveLength(0);
    },
  );

  it('a silent endpoint times out', async () => {
    as.mode = 'hang';
    const source = new OAuth2TokenSource(oauth2Config(), {
      readFile: async () => '',
      dispatcher: () => new Agent(),
      timeoutMs: 150,
    });
    await expect(source.authorization()).rejects.toMatchObject({
      code: 'OAUTH2_TOKEN_REQUEST',
      message: `oauth2: cannot fetch token: Post "${as.tokenUrl}": no response within 150ms`,
    });
  });

  it('an unreadable client_secret_file names the file, not a secret', async () => {
    const job = await scrapeJob(
      clientCredentials({ client_secret: undefined, client_secret_file: 'absent.txt' }),
    );
    try {
      const r = await job.scrape();
      expect(r.error).toMatch(
        new RegExp(`^oauth2: unable to read client secret: unable to read file ${dir}/absent.txt`),
      );
    } finally {
      await job.close();
    }
  });

  it('remote write: a recoverable RW_CREDENTIALS error, secret-free', async () => {
    as.refuseWith = `echo ${SECRET}`;
    const client = createRemoteWriteClient(
      remoteWriteConfig(`${as.base}/api/v1/write`, { httpClient: { oauth2: oauth2Config() } }),
    );
    try {
      const r = await client.post(snappyCompress(new Uint8Array(0)), 0, 5_000);
      expect(r.ok).toBe(false);
      if (r.ok) return;
      expect(r.error).toMatchObject({ code: 'RW_CREDENTIALS', recoverable: true });
      expect(r.error.message).toContain(
        `remote write to ${as.base}/api/v1/write: cannot prepare credentials: oauth2: cannot fetch token`,
      );
      expectNoSecret(r.error.message);
    } finally {
      await client.close();
    }
  });
});
