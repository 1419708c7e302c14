/**
 * The in-memory credential-file overlay (src/http/credential-files.ts): the files HTTP client
 * settings name are taken from it, not from disk, by scraping (auth headers, TLS), remote write
 * (auth per attempt, TLS) and anything else that goes through src/http/client.ts. The overlaid
 * paths below do not exist on this machine: a request that succeeds proves the overlay served
 * it. TLS material is made with the openssl binary (those tests are skipped where it is absent).
 */

import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { resolveTargets } from '../../src/cli/job-targets.js';
import { loadConfig } from '../../src/config/index.js';
import type { HttpClientConfig } from '../../src/config/types.js';
import { createDispatcherSync, requestHeaders } from '../../src/http/client.js';
import {
  CREDENTIAL_FILES_ERROR_CODES,
  clearCredentialFiles,
  credentialFilePaths,
  installCredentialFiles,
  lookupCredentialFile,
} from '../../src/http/credential-files.js';
import { createLogger } from '../../src/log/logger.js';
import { createRemoteWriteClient } from '../../src/remotewrite/client.js';
import { snappyCompress } from '../../src/remotewrite/snappy.js';
import {
  prepareScrapeJob,
  type ScrapeResult,
  scrapeTarget,
  TargetScrapeCache,
} from '../../src/scrape/scrape.js';
import { EMPTY_SCRAPE_STATE } from '../../src/scrape/state.js';
import { defaultHttpClient, remoteWriteConfig } from '../remotewrite/config.js';

/** Where the config lives; nothing under it exists on disk. */
const CONFIG_DIR = '/etc/lambdascrape-test-absent';
const CONFIG_PATH = `${CONFIG_DIR}/prometheus.yml`;
const basic = (user: string, pass: string) =>
  `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;

afterEach(() => clearCredentialFiles());

/** Scrapes `url` once with the job given in YAML (a config "loaded" from CONFIG_PATH). */
async function scrapeOnce(url: URL, jobYaml: string): Promise<ScrapeResult> {
  const config = loadConfig(
    `
scrape_configs:
  - job_name: test
    scheme: ${url.protocol.slice(0, -1)}
    metrics_path: /metrics
    static_configs:
      - targets: ['${url.host}']
${jobYaml}
`,
    { sourcePath: CONFIG_PATH },
  );
  const [resolved] = await resolveTargets(config);
  if (resolved === undefined) throw new Error('no job');
  const target = resolved.active[0];
  if (target === undefined) throw new Error('no target');
  const dispatcher = createDispatcherSync(resolved.job.httpClient);
  try {
    const job = prepareScrapeJob(resolved.job, dispatcher);
    return await scrapeTarget(
      job,
      target,
      new TargetScrapeCache(target, false),
      EMPTY_SCRAPE_STATE,
      { scrapeTimeMs: 1_700_000_000_000 },
    );
  } finally {
    await dispatcher.close();
  }
}

describe('the overlay itself', () => {
  it('normalises paths on install and lookup, and falls through when absent', () => {
    expect(lookupCredentialFile('/a/b')).toBeUndefined();
    installCredentialFiles({ '/a/./b//c/': 'text', '/a/bin': Uint8Array.of(0x68, 0x69) });
    expect(lookupCredentialFile('/a/b/c')).toBe('text');
    expect(lookupCredentialFile('/a/b/x/../c')).toBe('text');
    expect(lookupCredentialFile('/a/bin')).toBe('hi');
    expect(lookupCredentialFile('/a/b')).toBeUndefined();
    expect(credentialFilePaths()).toEqual(['/a/b/c', '/a/bin']);
  });

  it('replaces the whole overlay on a second install', () => {
    installCredentialFiles(new Map([['/one', '1']]));
    installCredentialFiles(new Map([['/two', '2']]));
    expect(lookupCredentialFile('/one')).toBeUndefined();
    expect(lookupCredentialFile('/two')).toBe('2');
  });

  it('refuses relative paths, naming them, and installs nothing', () => {
    installCredentialFiles({ '/kept': 'k' });
    expect(() => installCredentialFiles({ 'secrets/a': 'x', '/abs': 'y', './b': 'z' })).toThrow(
      expect.objectContaining({
        code: CREDENTIAL_FILES_ERROR_CODES.pathNotAbsolute,
        message: 'credential file paths must be absolute: "secrets/a", "./b"',
      }),
    );
    expect(lookupCredentialFile('/kept')).toBe('k');
    expect(lookupCredentialFile('/abs')).toBeUndefined();
  });

  it('copies bytes at install', () => {
    const bytes = new TextEncoder().encode('before');
    installCredentialFiles({ '/b': bytes });
    bytes.set(new TextEncoder().encode('AFTER!'));
    expect(lookupCredentialFile('/b')).toBe('before');
  });
});

describe('request headers from the overlay', () => {
  const http = (over: Partial<HttpClientConfig>): HttpClientConfig => ({
    ...defaultHttpClient,
    ...over,
  });

  interface HeaderCase {
    readonly name: string;
    readonly config: HttpClientConfig;
    readonly baseDir: string | undefined;
    readonly files: Readonly<Record<string, string>>;
    readonly want: Readonly<Record<string, string>>;
  }
  it.each<HeaderCase>([
    {
      name: 'basic_auth password_file, relative to baseDir',
      config: http({
        basicAuth: {
          username: 'u',
          usernameFile: undefined,
          password: undefined,
          passwordFile: 'pw',
        },
      }),
      baseDir: '/cfg',
      files: { '/cfg/pw': 'p4ss\n' },
      want: { authorization: basic('u', 'p4ss') },
    },
    {
      name: 'basic_auth username_file and password_file',
      config: http({
        basicAuth: {
          username: '',
          usernameFile: '/s/user',
          password: undefined,
          passwordFile: '/s/pass',
        },
      }),
      baseDir: undefined,
      files: { '/s/user': 'alice', '/s/pass': 'wonder' },
      want: { authorization: basic('alice', 'wonder') },
    },
    {
      name: 'authorization credentials_file',
      config: http({
        authorization: { type: 'Bearer', credentials: undefined, credentialsFile: '/s/token' },
      }),
      baseDir: undefined,
      files: { '/s/token': ' tok \n' },
      want: { authorization: 'Bearer tok' },
    },
    {
      name: 'http_headers files',
      config: http({
        httpHeaders: { 'X-Scope-OrgID': { values: ['a'], secrets: [], files: ['/s/org'] } },
      }),
      baseDir: undefined,
      files: { '/s/org': 'tenant-7' },
      want: { 'X-Scope-OrgID': 'a, tenant-7' },
    },
  ])('$name', async ({ config, baseDir, files, want }) => {
    installCredentialFiles(files);
    const got = await requestHeaders(config, baseDir === undefined ? {} : { baseDir });
    expect(got).toEqual(want);
  });

  it('takes the overlay over a file that exists, and reads other paths from disk', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cred-overlay-'));
    try {
      writeFileSync(join(dir, 'user'), 'disk-user');
      writeFileSync(join(dir, 'pass'), 'disk-pass');
      installCredentialFiles({ [join(dir, 'pass')]: 'overlay-pass' });
      const config = http({
        basicAuth: {
          username: '',
          usernameFile: 'user',
          password: undefined,
          passwordFile: 'pass',
        },
      });
      expect(await requestHeaders(config, { baseDir: dir })).toEqual({
        authorization: basic('disk-user', 'overlay-pass'),
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('without the overlay the absent file fails as before, naming only the path', async () => {
    const config = http({
      authorization: { type: 'Bearer', credentials: undefined, credentialsFile: '/s/token' },
    });
    await expect(requestHeaders(config)).rejects.toMatchObject({
      code: 'CREDENTIAL_FILE_UNREADABLE',
      message: 'unable to read file /s/token',
    });
  });
});

describe('scrape and remote write over plain HTTP', () => {
  let server: Server;
  let base: URL;
  const seen: IncomingHttpHeaders[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      seen.push(req.headers);
      req.resume();
      req.on('end', () => {
        if (req.method === 'POST') res.writeHead(204).end();
        else res.writeHead(200, { 'content-type': 'text/plain' }).end('a 1\n');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it('a scrape sends basic auth from a relative password_file, resolved as the loader does', async () => {
    installCredentialFiles({
      [`${CONFIG_DIR}/secrets/grafana`]: 'scrape-secret\n',
      [`${CONFIG_DIR}/secrets/org`]: 'org-1',
    });
    seen.length = 0;
    const r = await scrapeOnce(
      base,
      `    basic_auth: {username: grafana, password_file: secrets/grafana}
    http_headers:
      X-Scope-OrgID: {files: [secrets/org]}`,
    );
    expect(r.up).toBe(true);
    expect(seen[0]?.authorization).toBe(basic('grafana', 'scrape-secret'));
    expect(seen[0]?.['x-scope-orgid']).toBe('org-1');
  });

  it('a scrape sends a bearer_token_file from the overlay', async () => {
    installCredentialFiles({ '/run/secrets/bearer': 'b-123' });
    seen.length = 0;
    const r = await scrapeOnce(base, '    bearer_token_file: /run/secrets/bearer');
    expect(r.up).toBe(true);
    expect(seen[0]?.authorization).toBe('Bearer b-123');
  });

  it('remote write reads the overlay on every attempt (a re-installed value is used next)', async () => {
    installCredentialFiles({ [`${CONFIG_DIR}/secrets/rw`]: 'first' });
    const client = createRemoteWriteClient(
      remoteWriteConfig(new URL('/api/v1/write', base).href, {
        httpClient: {
          basicAuth: {
            username: 'writer',
            usernameFile: undefined,
            password: undefined,
            passwordFile: 'secrets/rw',
          },
        },
      }),
      { configDir: CONFIG_DIR },
    );
    try {
      seen.length = 0;
      const body = snappyCompress(new Uint8Array(0));
      expect(await client.post(body, 0, 5_000)).toEqual({ ok: true, status: 204 });
      installCredentialFiles({ [`${CONFIG_DIR}/secrets/rw`]: 'second' });
      expect(await client.post(body, 1, 5_000)).toEqual({ ok: true, status: 204 });
      expect(seen.map((h) => h.authorization)).toEqual([
        basic('writer', 'first'),
        basic('writer', 'second'),
      ]);
    } finally {
      await client.close();
    }
  });
});

const OPENSSL = '/usr/bin/openssl';
const haveOpenssl = existsSync(OPENSSL);

describe.runIf(haveOpenssl)(
  haveOpenssl ? 'mutual TLS from the overlay' : `mutual TLS (SKIPPED: ${OPENSSL} not installed)`,
  () => {
    let server: HttpsServer;
    let base: URL;
    /** PEM texts made by openssl; the files are removed again before any test runs. */
    const pem = { serverCert: '', serverKey: '', clientCert: '', clientKey: '' };
    const clientSubjects: string[] = [];
    const TLS_FILES = {
      ca: `${CONFIG_DIR}/tls/ca.pem`,
      cert: `${CONFIG_DIR}/tls/client.pem`,
      key: `${CONFIG_DIR}/tls/client.key`,
    };

    beforeAll(async () => {
      const dir = mkdtempSync(join(tmpdir(), 'cred-overlay-tls-'));
      try {
        const make = (cn: string, san: string, name: string) =>
          execFileSync(
            OPENSSL,
            [
              'req',
              '-x509',
              '-newkey',
              'rsa:2048',
              '-nodes',
              '-days',
              '1',
              '-subj',
              `/CN=${cn}`,
              '-addext',
              `subjectAltName=${san}`,
              '-keyout',
              join(dir, `${name}.key`),
              '-out',
              join(dir, `${name}.pem`),
            ],
            { stdio: 'ignore' },
          );
        make('receiver.test', 'IP:127.0.0.1', 'server');
        make('scraper.test', 'DNS:scraper.test', 'client');
        pem.serverCert = readFileSync(join(dir, 'server.pem'), 'utf8');
        pem.serverKey = readFileSync(join(dir, 'server.key'), 'utf8');
        pem.clientCert = readFileSync(join(dir, 'client.pem'), 'utf8');
        pem.clientKey = readFileSync(join(dir, 'client.key'), 'utf8');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
      server = createHttpsServer(
        {
          key: pem.serverKey,
          cert: pem.serverCert,
          ca: pem.clientCert,
          requestCert: true,
          rejectUnauthorized: true,
        },
        (req, res) => {
          const peer = (req.socket as TLSSocket).getPeerCertificate();
          clientSubjects.push(String(peer.subject?.CN));
          req.resume();
          req.on('end', () => {
            if (req.method === 'POST') res.writeHead(204).end();
            else res.writeHead(200, { 'content-type': 'text/plain' }).end('a 1\n');
          });
        },
      );
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      base = new URL(`https://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    });
    afterAll(async () => {
      server?.closeAllConnections();
      await new Promise((r) => server?.close(r));
    });

    const installTls = () =>
      installCredentialFiles({
        [TLS_FILES.ca]: pem.serverCert,
        [TLS_FILES.cert]: pem.clientCert,
        [TLS_FILES.key]: Buffer.from(pem.clientKey),
      });

    it('a scrape presents the client certificate and trusts the CA from the overlay', async () => {
      installTls();
      clientSubjects.length = 0;
      const r = await scrapeOnce(
        base,
        `    tls_config: {ca_file: tls/ca.pem, cert_file: tls/client.pem, key_file: tls/client.key}`,
      );
      expect(r.error).toBeUndefined();
      expect(r.up).toBe(true);
      expect(clientSubjects).toEqual(['scraper.test']);
    });

    it('remote write presents the client certificate from the overlay', async () => {
      installTls();
      clientSubjects.length = 0;
      const client = createRemoteWriteClient(
        remoteWriteConfig(new URL('/api/v1/write', base).href, {
          httpClient: {
            tlsConfig: {
              ...defaultHttpClient.tlsConfig,
              caFile: TLS_FILES.ca,
              certFile: TLS_FILES.cert,
              keyFile: TLS_FILES.key,
            },
          },
        }),
      );
      try {
        expect(await client.post(snappyCompress(new Uint8Array(0)), 0, 5_000)).toEqual({
          ok: true,
          status: 204,
        });
        expect(clientSubjects).toEqual(['scraper.test']);
      } finally {
        await client.close();
      }
    });

    it('without the overlay the same config fails: the files are not on disk', () => {
      expect(() =>
        createRemoteWriteClient(
          remoteWriteConfig(new URL('/api/v1/write', base).href, {
            httpClient: { tlsConfig: { ...defaultHttpClient.tlsConfig, caFile: TLS_FILES.ca } },
          }),
        ),
      ).toThrow(expect.objectContaining({ code: 'RW_CREDENTIALS' }));
    });

    it('an unusable key from the overlay fails the scrape without its content in any message', async () => {
      const bogus = 'NOT-A-KEY-secret-material-4711';
      installCredentialFiles({
        [TLS_FILES.ca]: pem.serverCert,
        [TLS_FILES.cert]: pem.clientCert,
        [TLS_FILES.key]: bogus,
      });
      const r = await scrapeOnce(
        base,
        `    tls_config: {ca_file: tls/ca.pem, cert_file: tls/client.pem, key_file: tls/client.key}`,
      );
      expect(r.up).toBe(false);
      const lines: string[] = [];
      createLogger({ write: (l) => lines.push(l) }).error('scrape failed', { error: r.error });
      expect(r.error ?? '').not.toContain(bogus);
      expect(lines.join('')).not.toContain(bogus);
    });
  },
);
