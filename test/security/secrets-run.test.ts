/**
 * Secrets never leave, `run` driver (issue 13): `lambdascrape run` as a process, with a config
 * holding a scrape password, a bearer token, query tokens (`params`, a `__param_` label, an SD
 * URL, a remote-write URL), userinfo in an SD URL, a remote-write URL and a `proxy_url`,
 * remote-write basic auth and bearer, and oauth2 (a client secret, a jwt-bearer signing key, the
 * tokens issued, a token endpoint that refuses echoing the request). Scrapes succeed and fail (401, 500, connection refused,
 * proxy 407), SD fails once, every remote write fails twice with the request's auth echoed back,
 * the config is reloaded (SIGHUP, changed secrets) and a reload fails (POST /-/reload, an invalid
 * config with secrets). Then the process's whole output and every endpoint it serves are
 * searched for each secret and each basic-auth header built from one: none may appear. What
 * the test does see (failure reasons, redacted URLs) is asserted too, so it cannot pass on an
 * empty page.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pollUntil } from '../support/poll.js';
import { type RunProcess, startRunProcess } from '../support/run-process.js';
import {
  type Fixture,
  invalidConfig,
  leaks,
  RELOADED_SECRETS,
  SECRETS,
  secretConfig,
  startFixture,
} from './fixtures.js';

/** Every path the runner serves (src/local/web.ts), plus an unknown one and the filters. */
const PAGES = [
  '/',
  '/metrics',
  '/-/healthy',
  '/-/ready',
  '/targets',
  '/targets?search=token&health=up&health=down',
  '/service-discovery',
  '/static/page.js',
  '/api/v1/targets',
  '/api/v1/targets?state=dropped',
  '/api/v1/targets?scrapePool=basic',
  '/api/v1/status/config',
  '/nope',
];

describe('secrets never leave: lambdascrape run (integration)', () => {
  let dir: string;
  let fx: Fixture;
  let proc: RunProcess | undefined;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ls-secrets-run-'));
    fx = await startFixture();
  });
  afterAll(async () => {
    await proc?.kill('SIGKILL');
    await fx?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('no secret in the output, the pages, the APIs or the metrics', async () => {
    const file = join(dir, 'prometheus.yml');
    await writeFile(file, secretConfig(fx));
    proc = await startRunProcess(['--config', file, '--log.level', 'debug'], {
      maxOutputChars: 50_000_000,
    });
    const p = proc;
    const bodies: string[] = [];
    const get = async (path: string, init?: RequestInit) => {
      const res = await fetch(`${p.url}${path}`, { ...init, redirect: 'manual' });
      const text = `${path} ${res.status}\n${[...res.headers].join('\n')}\n${await res.text()}`;
      bodies.push(text);
      return text;
    };
    const api = async () => JSON.parse((await get('/api/v1/targets')).split('\n').pop()!);
    /** Every target's relabeling steps, from the labels the API shows (page and API). */
    const relabelSteps = async () => {
      const targets = (await api()).data.activeTargets as {
        scrapePool: string;
        discoveredLabels: Record<string, string>;
      }[];
      for (const t of targets) {
        const query = new URLSearchParams({
          scrapePool: t.scrapePool,
          labels: JSON.stringify(t.discoveredLabels),
        });
        await get(`/api/v1/targets/relabel_steps?${query}`);
        await get(`/relabel-steps?${query}`);
      }
    };

    // Every job scraped at least once, the SD target found, every remote write past its failures.
    await pollUntil(
      async () => {
        const targets = (await api()).data.activeTargets as {
          scrapePool: string;
          lastError: string;
          health: string;
        }[];
        const scraped = new Set(
          targets.filter((t) => t.health !== 'unknown').map((t) => t.scrapePool),
        );
        const jobs = [
          'basic',
          'bearer',
          'fail',
          'refused',
          'proxied',
          'oauth',
          'oauthjwt',
          'oauthfail',
          'sd',
        ];
        const written = ['userinfo', 'basic', 'bearer', 'oauth'].every(
          (n) => (fx.seen.get(`rw:${n}`)?.length ?? 0) >= 3,
        );
        return jobs.every((j) => scraped.has(j)) && written ? true : undefined;
      },
      {
        timeoutMs: 15_000,
        what: 'every job scraped, every remote write accepted',
        describe: () => p.output(),
      },
    );

    // The secrets were in play: sent where they belong.
    const good = fx.seen.get('good') ?? [];
    const basicAuth = `Basic ${Buffer.from(`scrapeuser:${SECRETS.scrapeBasicPassword}`).toString('base64')}`;
    expect(
      good.some(
        (r) => r.authorization === basicAuth && r.url.includes(`token=${SECRETS.paramToken}`),
      ),
    ).toBe(true);
    expect(fx.seen.get('unauth')?.[0]?.authorization).toBe(`Bearer ${SECRETS.scrapeBearer}`);
    expect(fx.seen.get('unauth')?.[0]?.url).toContain(`apikey=${SECRETS.labelParamKey}`);
    expect(fx.seen.get('sd')?.[0]?.url).toBe(`/sd?token=${SECRETS.sdQueryToken}`);
    expect(fx.seen.get('rw:userinfo')?.[0]?.url).toBe(`/rw/userinfo?token=${SECRETS.rwQueryToken}`);
    expect(fx.seen.get('rw:bearer')?.[0]?.authorization).toBe(`Bearer ${SECRETS.rwBearer}`);
    expect(fx.seen.get('oauth')?.[0]?.authorization).toMatch(/^Bearer OAUTHTOKEN/);
    expect(fx.seen.get('rw:oauth')?.[0]?.authorization).toMatch(/^Bearer OAUTHTOKEN/);
    expect(fx.seen.get('token-fail')?.length).toBeGreaterThan(0);

    for (const path of PAGES) await get(path);
    await relabelSteps();

    // Reload with changed secrets (SIGHUP), then a reload that fails on a config holding secrets.
    await writeFile(file, secretConfig(fx, { reloaded: true }));
    p.signal('SIGHUP');
    await pollUntil(
      async () =>
        (fx.seen.get('good') ?? []).some((r) => r.url.includes(RELOADED_SECRETS.paramToken)) &&
        (fx.seen.get('unauth') ?? []).some(
          (r) => r.authorization === `Bearer ${RELOADED_SECRETS.scrapeBearer}`,
        )
          ? true
          : undefined,
      { timeoutMs: 10_000, what: 'the reloaded secrets in use', describe: () => p.output() },
    );
    await writeFile(file, invalidConfig(fx));
    const failed = await get('/-/reload', { method: 'POST' });
    expect(failed).toMatch(/^\/-\/reload 500/);
    await writeFile(file, secretConfig(fx, { reloaded: true }));
    expect(await get('/-/reload', { method: 'POST' })).toMatch(/^\/-\/reload 200/);
    // A scrape round on the restored config, then every page again.
    const rounds = (fx.seen.get('unauth') ?? []).length;
    await pollUntil(
      async () => ((fx.seen.get('unauth') ?? []).length > rounds + 1 ? true : undefined),
      {
        timeoutMs: 5_000,
        what: 'scrapes after the last reload',
      },
    );
    for (const path of PAGES) await get(path);
    await relabelSteps();
    await p.kill('SIGTERM');

    const output = p.output();
    const pages = bodies.join('\n\n');
    expect({ output: leaks(output), pages: leaks(pages) }).toEqual({ output: [], pages: [] });

    // Not vacuous: the failures are reported, with the URLs redacted rather than dropped and
    // the echoed credentials cut out of the receiver's answer.
    const at = `${fx.host}:${fx.port}`;
    expect(output).toContain('err="server returned HTTP status 401 Unauthorized"');
    expect(output).toContain(
      `url="http://${at}/fail/metrics?token=xxxxx" err="server returned HTTP status 500`,
    );
    expect(output).toContain(
      `Get \\"http://${fx.host}:${fx.closedPort}/metrics?token=xxxxx\\": connect ECONNREFUSED`,
    );
    expect(output).toContain('server returned HTTP status 407 Proxy Authentication Required');
    expect(output).toContain(
      `cannot fetch http_sd targets from url=\\"http://${at}/sd?token=xxxxx\\"`,
    );
    expect(output).toContain(
      'server returned HTTP status 400: bad request from POST /rw/userinfo?token=<secret>',
    );
    expect(output).toMatch(
      /bad request from POST \/rw\/bearer\\n\{[^}]*\\"authorization\\":\\"<secret>\\"/,
    );
    expect(output).toContain(
      `oauth2: cannot fetch token: Post \\"http://${at}/oauth/token-fail\\": server returned HTTP status 401: \\"invalid_client\\"`,
    );
    expect(output).toMatch(
      /bad request from POST \/rw\/oauth\\n\{[^}]*\\"authorization\\":\\"<secret>\\"/,
    );
    expect(output).toContain('SIGHUP: reloading the config');
    expect(output).toContain('configuration reload failed');
    expect(pages).toContain(`"scrapeUrl":"http://${at}/good/metrics?token=xxxxx"`);
    expect(pages).toContain('"__param_token":"xxxxx"');
    expect(pages).toContain(`"__meta_url":"http://${at}/sd?token=xxxxx"`);
    expect(pages).toContain(`href="http://${at}/good/metrics?token=xxxxx"`);
    expect(pages).toContain('server returned HTTP status 401 Unauthorized');
    expect(pages).toContain(`failed to reload config: `);
    expect(pages).toContain(`"127.0.0.1:${fx.port}/metrics" is not a valid hostname`);
    expect(pages).toContain('lambdascrape_');
    expect(pages).toContain('process_resident_memory_bytes');
    expect(pages).toContain('"status":"success","data":{"yaml":"global:');
    expect(pages).toContain('password: <secret>');
    expect(pages).toContain('"data":{"steps":[]}');
    expect(pages).toContain('<h2>Relabeling steps · basic</h2>');
  }, 30_000);
});
