import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { createDispatcherSync } from '../../src/http/client.js';
import {
  EgressError,
  type EgressScope,
  egressRefusals,
  installEgressPolicy,
  parseCidrList,
} from '../../src/http/egress-guard.js';
import { FetchError, fetchBody } from '../../src/http/fetch.js';
import {
  type RecordingServer,
  startExporter,
  startRedirector,
  startRuntimeApiFixture,
} from '../support/runtime-api-fixture.js';

const httpClient = loadConfig('scrape_configs: [{job_name: j}]\n').scrapeConfigs[0]!.httpClient;

async function get(url: string, egress: EgressScope = 'untrusted'): Promise<string> {
  const dispatcher = createDispatcherSync(httpClient, { egress });
  try {
    await fetchBody({ url, headers: {}, dispatcher, timeoutMs: 5_000, bodySizeLimit: 0 });
    return 'ok';
  } catch (err) {
    if (!(err instanceof FetchError)) throw err;
    return err.message;
  } finally {
    await dispatcher.close();
  }
}

let runtimeApi: RecordingServer;
let exporter: RecordingServer;
let exporter2: RecordingServer;
let redirector: RecordingServer;
let redirectTo = '';

beforeAll(async () => {
  runtimeApi = await startRuntimeApiFixture();
  exporter = await startExporter();
  exporter2 = await startExporter('127.0.0.2');
  redirector = await startRedirector(() => redirectTo, '127.0.0.2');
});
afterAll(async () => {
  installEgressPolicy(undefined);
  for (const s of [runtimeApi, exporter, exporter2, redirector]) await s.close();
});
afterEach(() => installEgressPolicy(undefined));

describe('the Runtime API guard', () => {
  const next = '/2018-06-01/runtime/invocation/next';
  const cases: { name: string; url: () => string; scope?: EgressScope; redirect?: () => string }[] =
    [
      { name: 'its address', url: () => `http://${runtimeApi.hostPort}${next}` },
      { name: 'localhost', url: () => `http://localhost:${runtimeApi.port}${next}` },
      { name: 'another loopback address', url: () => `http://127.0.0.9:${runtimeApi.port}${next}` },
      {
        name: 'IPv4-mapped IPv6',
        url: () => `http://[::ffff:127.0.0.1]:${runtimeApi.port}${next}`,
      },
      { name: 'the unspecified address', url: () => `http://0.0.0.0:${runtimeApi.port}${next}` },
      {
        name: 'a redirect to it',
        url: () => `http://${redirector.hostPort}/metrics`,
        redirect: () => `http://localhost:${runtimeApi.port}${next}`,
      },
      {
        name: 'a remote write to it',
        url: () => `http://${runtimeApi.hostPort}/`,
        scope: 'backend',
      },
    ];

  it.each(cases)('refuses $name, which is never called', async (c) => {
    installEgressPolicy({ runtimeApi: runtimeApi.hostPort });
    if (c.redirect !== undefined) redirectTo = c.redirect();
    const before = egressRefusals().runtime_api;
    const message = await get(c.url(), c.scope);
    expect(message).toMatch(
      /^Get ".*": dial tcp .*: connection refused by lambdascrape: the Lambda Runtime API/,
    );
    expect(runtimeApi.requests).toEqual([]);
    expect(egressRefusals().runtime_api).toBe(before + 1);
  });

  it('lets other loopback ports through', async () => {
    installEgressPolicy({ runtimeApi: runtimeApi.hostPort });
    expect(await get(`http://localhost:${exporter.port}/metrics`)).toBe('ok');
    expect(await get(`http://${exporter.hostPort}/metrics`, 'backend')).toBe('ok');
  });
});

describe('the denied ranges', () => {
  const deny = () => installEgressPolicy({ deniedRanges: parseCidrList('127.0.0.1/32, ::1') });

  it('refuses a name resolving into a range', async () => {
    deny();
    const before = exporter.requests.length;
    expect(await get(`http://localhost:${exporter.port}/metrics`)).toMatch(
      /connection refused by lambdascrape: address in denied range (127\.0\.0\.1\/32|::1)$/,
    );
    expect(exporter.requests.length).toBe(before);
  });

  it('refuses a redirect into a range', async () => {
    deny();
    redirectTo = `http://${exporter.hostPort}/metrics`;
    const before = exporter.requests.length;
    expect(await get(`http://${redirector.hostPort}/metrics`)).toContain(
      `dial tcp ${exporter.hostPort}: connection refused by lambdascrape: address in denied range 127.0.0.1/32`,
    );
    expect(exporter.requests.length).toBe(before);
  });

  it('lets other addresses, and remote write, through', async () => {
    deny();
    expect(await get(`http://${exporter2.hostPort}/metrics`)).toBe('ok');
    expect(await get(`http://${exporter.hostPort}/metrics`, 'backend')).toBe('ok');
  });

  it.each(['10.0.0.0/33', 'example.com', '10.0.0.0/8/1', '1.2.3.4/-1'])(
    'rejects the range %s',
    (text) => {
      expect(() => parseCidrList(text)).toThrow(EgressError);
    },
  );
});

describe('without a policy', () => {
  it('changes nothing', async () => {
    redirectTo = `http://${exporter.hostPort}/metrics`;
    expect(await get(`http://${redirector.hostPort}/metrics`)).toBe('ok');
  });
});
