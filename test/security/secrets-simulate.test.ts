/**
 * Secrets never leave, Lambda driver (issue 13), rehearsed by `simulate` (the four handlers on
 * dynalite + fauxqs): the same config and fixtures as the `run` test (./fixtures.ts) — scrapes
 * that succeed and fail, an HTTP SD that fails once, remote writes that fail twice with the
 * request's auth echoed — then a redeploy with changed secrets (the Lambda driver's reload) and
 * one that fails on an invalid config. Searched: the functions' structured logs, the EMF lines,
 * the self-metrics and samples as delivered to the receivers, the failed redeploy's error; none
 * may hold a secret. Also recorded: every SQS and DynamoDB request the functions make (task
 * bodies, outbox messages decoded to their series, target items) and the tables at the end —
 * there the scraper needs the target URL, so a `params` token travels by design; the exact set
 * of secrets found in them is asserted, so anything more (a password, a bearer token) fails.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Simulation, startSimulation } from '../../src/cli/simulate.js';
import { createLogger } from '../../src/log/logger.js';
import { decodeParkedWrite } from '../../src/pipeline/outbox-message.js';
import { snappyDecompress } from '../../src/remotewrite/snappy.js';
import type { ServerlessRuntime } from '../../src/serverless/all-functions.js';
import { decodeWriteRequest } from '../remotewrite/wire.js';
import { pollUntil } from '../support/poll.js';
import {
  type Fixture,
  invalidConfig,
  leaks,
  RELOADED_SECRETS,
  SECRETS,
  secretConfig,
  startFixture,
} from './fixtures.js';

/** A binary value as text a grep can search: a decoded WriteRequest when it is one. */
function readable(bytes: Uint8Array): string {
  try {
    return JSON.stringify(decodeWriteRequest(snappyDecompress(bytes)));
  } catch {
    return Buffer.from(bytes).toString('utf8');
  }
}

/** An SQS message body as text: an outbox message decoded down to its series. */
function readableBody(body: string): string {
  try {
    return `${body}\n${readable(decodeParkedWrite(body).body)}`;
  } catch {
    return body;
  }
}

/** Records the input of every AWS request of a deployment's clients into `out`. */
function record(rt: ServerlessRuntime, out: string[]): void {
  const hook =
    // biome-ignore lint/suspicious/noExplicitAny: the SDK's middleware types are per client
      (next: (args: any) => Promise<any>, context: { commandName?: string }) =>
      // biome-ignore lint/suspicious/noExplicitAny: as above
      async (args: any) => {
        out.push(
          `${context.commandName} ${JSON.stringify(args.input, (key, v: unknown) =>
            v instanceof Uint8Array
              ? readable(v)
              : key === 'MessageBody' && typeof v === 'string'
                ? readableBody(v)
                : v,
          )}`,
        );
        return next(args);
      };
  rt.dynamodb.middlewareStack.add(hook, { step: 'initialize', name: 'secretsRecorder' });
  rt.sqs.middlewareStack.add(hook, { step: 'initialize', name: 'secretsRecorder' });
}

describe('secrets never leave: simulate (integration)', () => {
  let dir: string;
  let fx: Fixture;
  let sim: Simulation | undefined;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ls-secrets-sim-'));
    fx = await startFixture();
  });
  afterAll(async () => {
    await sim?.stop();
    await fx?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('no secret in logs, EMF, delivered metrics or errors; only the URL tokens in SQS/DynamoDB', async () => {
    const configPath = join(dir, 'prometheus.yml');
    await writeFile(configPath, secretConfig(fx));
    const logs: string[] = [];
    const emf: string[] = [];
    const aws: string[] = [];
    sim = await startSimulation({
      configPath,
      logger: createLogger({ format: 'json', level: 'debug', write: (l) => logs.push(l) }),
      windowMs: 2_000,
      periodMs: 2_000,
      pollWaitSeconds: 1,
      configEnv: {},
      emfMetrics: true,
      writeEmf: (l) => emf.push(l),
      replayerOptions: { retryDelaySeconds: () => 0 },
    });
    const s = sim;
    record(s.runtime, aws);

    const delivered = () =>
      [...fx.seen.entries()]
        .filter(([route]) => route.startsWith('rw:'))
        .flatMap(([, list]) => list.map((r) => JSON.stringify(r.decoded ?? null)))
        .join('\n');
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
    await pollUntil(
      async () => {
        const text = delivered();
        const accepted = ['userinfo', 'basic', 'bearer', 'oauth'].every(
          (n) => (fx.seen.get(`rw:${n}`)?.length ?? 0) >= 3,
        );
        const allUp = jobs.every((j) => text.includes(`{"name":"job","value":"${j}"}`));
        return accepted && allUp && text.includes('lambdascrape_') ? true : undefined;
      },
      {
        timeoutMs: 25_000,
        what: 'every job and the self-metrics delivered',
        describe: () => logs.join(''),
      },
    );

    // The secrets were in play.
    expect(
      (fx.seen.get('good') ?? []).some((r) => r.url.includes(`token=${SECRETS.paramToken}`)),
    ).toBe(true);
    expect(fx.seen.get('unauth')?.[0]?.authorization).toBe(`Bearer ${SECRETS.scrapeBearer}`);
    expect(fx.seen.get('rw:bearer')?.[0]?.authorization).toBe(`Bearer ${SECRETS.rwBearer}`);
    expect(fx.seen.get('sd')?.[0]?.url).toBe(`/sd?token=${SECRETS.sdQueryToken}`);
    expect(fx.seen.get('oauth')?.[0]?.authorization).toMatch(/^Bearer OAUTHTOKEN/);
    expect(fx.seen.get('rw:oauth')?.[0]?.authorization).toMatch(/^Bearer OAUTHTOKEN/);

    // Redeploy with changed secrets: the discovery function stores the new URLs.
    await writeFile(configPath, secretConfig(fx, { reloaded: true }));
    await s.redeploy();
    record(s.runtime, aws);
    await pollUntil(
      async () => {
        const items = await s.runtime.dynamodb.send(new ScanCommand({ TableName: 'targets' }));
        return JSON.stringify(items.Items).includes(RELOADED_SECRETS.paramToken) ? true : undefined;
      },
      { timeoutMs: 8_000, what: 'the redeployed config discovered', describe: () => logs.join('') },
    );
    // A redeploy that fails: its error is what the operator sees.
    await writeFile(configPath, invalidConfig(fx));
    const failure = await s.redeploy().then(
      () => 'redeployed',
      (err: unknown) => (err instanceof Error ? err.message : String(err)),
    );
    expect(failure).toContain('is not a valid hostname');

    const tables: string[] = [];
    for (const table of ['targets', 'state']) {
      const items = await s.runtime.dynamodb.send(new ScanCommand({ TableName: table }));
      tables.push(
        JSON.stringify(items.Items, (_k, v: unknown) =>
          v instanceof Uint8Array ? readable(v) : v,
        ),
      );
    }
    await s.stop();
    sim = undefined;

    const logText = logs.join('');
    const observed = {
      logs: leaks(logText),
      emf: leaks(emf.join('')),
      delivered: leaks(delivered()),
      redeployError: leaks(failure),
    };
    expect(observed).toEqual({ logs: [], emf: [], delivered: [], redeployError: [] });

    // SQS bodies and DynamoDB items: the scraper builds the request from the stored URL, so the
    // query tokens of `params` / `__param_*` travel (scrape tasks, targets table), and so does
    // the HTTP SD URL, userinfo and query, as the `__meta_url` discovered label (Prometheus sets
    // it from the URL as written). No password, bearer token or remote-write credential.
    const stored = [...aws, ...tables].join('\n');
    const names = leaks(stored).map((l) => l.slice(0, l.indexOf(':')));
    expect(names.sort()).toEqual(
      [
        'labelParamKey',
        'paramToken',
        'reloaded.paramToken',
        'sdQueryToken',
        'sdUserinfoPassword',
      ].sort(),
    );
    // The SD URL's password reaches them as the value of `__meta_url` only.
    expect(leaks(stored).find((l) => l.startsWith('sdUserinfoPassword:'))).toMatch(
      /__meta_url\\?",\\?"http:\/\/sduser:SDUSERINFOPW/,
    );

    // Not vacuous: the failures are logged, URLs redacted, echoed credentials cut.
    const at = `${fx.host}:${fx.port}`;
    expect(logText).toContain('server returned HTTP status 401 Unauthorized');
    expect(logText).toContain('server returned HTTP status 500 Internal Server Error');
    expect(logText).toContain('ECONNREFUSED');
    expect(logText).toContain(`http://${at}/fail/metrics?token=xxxxx`);
    expect(logText).toContain(`http://${at}/sd?token=xxxxx`);
    expect(logText).toContain('bad request from POST /rw/userinfo?token=<secret>');
    expect(logText).toMatch(/\/rw\/bearer\\n\{[^}]*\\"authorization\\":\\"<secret>\\"/);
    expect(logText).toMatch(/\/rw\/oauth\\n\{[^}]*\\"authorization\\":\\"<secret>\\"/);
    expect(logText).toContain('oauth2: cannot fetch token: Post');
    expect(emf.join('')).toContain('"_aws"');
  }, 45_000);
});
