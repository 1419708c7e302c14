/**
 * tls_config (§1.5) wherever the HTTP client settings apply — scrape, HTTP SD, remote write and
 * an oauth2 token endpoint — against local HTTPS servers that require a client certificate.
 * Certificates (a CA, a server certificate for `receiver.test` and 127.0.0.1, a client
 * certificate) are made with the openssl binary; the suite is skipped where it is absent.
 */
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type ServerOptions } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { resolveTargets } from '../../src/cli/job-targets.js';
import { loadConfig } from '../../src/config/index.js';
import { HttpDiscoverer, httpMechanism } from '../../src/discovery/http/index.js';
import { createDispatcherSync } from '../../src/http/client.js';
import { createRemoteWriteClient } from '../../src/remotewrite/client.js';
import { snappyCompress } from '../../src/remotewrite/snappy.js';
import { prepareScrapeJob, scrapeTarget, TargetScrapeCache } from '../../src/scrape/scrape.js';
import { EMPTY_SCRAPE_STATE } from '../../src/scrape/state.js';
import { parseEntry } from '../discovery/sd-config.js';
import { OAuth2Server } from '../support/oauth2-server.js';

const OPENSSL = '/usr/bin/openssl';
/** A TLS 1.3 server refusing a client without a certificate: an alert or just a closed socket. */
const REFUSED_BY_SERVER = /certificate required|other side closed|ECONNRESET|socket hang up/;
const available = existsSync(OPENSSL);
const title = available
  ? 'tls_config everywhere'
  : `tls_config everywhere (SKIPPED: ${OPENSSL} not installed)`;

describe.runIf(available)(title, () => {
  let dir: string;
  const pem = { ca: '', serverCert: '', serverKey: '', clientCert: '', clientKey: '' };
  /** The client certificates' CNs, as the servers saw them. */
  const peers: string[] = [];
  const servers: Server[] = [];

  /** `tls_config` for a loaded config: files relative to `dir`. */
  const withClientCert = { ca_file: 'ca.pem', cert_file: 'client.pem', key_file: 'client.key' };

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'tls-everywhere-'));
    const run = (...args: string[]) => execFileSync(OPENSSL, args, { cwd: dir, stdio: 'ignore' });
    const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
    run(
      ...['req', '-x509', ...ec, '-days', '1', '-subj', '/CN=test-ca'],
      ...['-addext', 'basicConstraints=critical,CA:TRUE'],
      ...['-addext', 'keyUsage=critical,keyCertSign'],
      ...['-keyout', 'ca.key', '-out', 'ca.pem'],
    );
    const leaf = (name: string, cn: string, ext: string) => {
      run('req', ...ec, '-subj', `/CN=${cn}`, '-keyout', `${name}.key`, '-out', `${name}.csr`);
      writeFileSync(join(dir, `${name}.ext`), ext);
      run(
        ...['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key'],
        ...['-CAcreateserial', '-days', '1', '-extfile', `${name}.ext`, '-out', `${name}.pem`],
      );
    };
    leaf('server', 'receiver.test', 'subjectAltName=DNS:receiver.test,IP:127.0.0.1\n');
    leaf('client', 'scraper.test', 'extendedKeyUsage=clientAuth\n');
    const read = (f: string) => readFileSync(join(dir, f), 'utf8');
    pem.ca = read('ca.pem');
    pem.serverCert = read('server.pem');
    pem.serverKey = read('server.key');
    pem.clientCert = read('client.pem');
    pem.clientKey = read('client.key');
  });

  afterAll(async () => {
    for (const s of servers) {
      s.closeAllConnections();
      s.close();
    }
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  /** The server's TLS options: our certificate, and a client certificate from our CA required. */
  const serverTls = (extra: ServerOptions = {}): ServerOptions => ({
    key: pem.serverKey,
    cert: pem.serverCert,
    ca: pem.ca,
    requestCert: true,
    rejectUnauthorized: true,
    ...extra,
  });

  /** An HTTPS exporter / SD endpoint / receiver; answers by path and method. */
  async function startServer(extra: ServerOptions = {}): Promise<number> {
    const server = createServer(serverTls(extra), (req, res) => {
      peers.push(String((req.socket as TLSSocket).getPeerCertificate().subject?.CN));
      req.resume();
      req.on('end', () => {
        if (req.method === 'POST') res.writeHead(204).end();
        else if (req.url === '/sd') {
          res
            .writeHead(200, { 'content-type': 'application/json' })
            .end(JSON.stringify([{ targets: ['a:1'] }]));
        } else res.writeHead(200, { 'content-type': 'text/plain' }).end('tls_ok 1\n');
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    servers.push(server);
    return (server.address() as AddressInfo).port;
  }

  let port: number;
  beforeAll(async () => {
    port = await startServer();
  });

  /** One scrape of `https://<host>/metrics` with the job fields given; its error or undefined. */
  async function scrape(host: string, fields: Record<string, unknown>) {
    const config = loadConfig(
      stringify({
        scrape_configs: [
          { job_name: 'tls', scheme: 'https', static_configs: [{ targets: [host] }], ...fields },
        ],
      }),
      { sourcePath: join(dir, 'prometheus.yml'), env: {} },
    );
    const [resolved] = await resolveTargets(config);
    const target = resolved!.active[0]!;
    const dispatcher = createDispatcherSync(resolved!.job.httpClient);
    try {
      const r = await scrapeTarget(
        prepareScrapeJob(resolved!.job, dispatcher),
        target,
        new TargetScrapeCache(target, false),
        EMPTY_SCRAPE_STATE,
        { scrapeTimeMs: Date.now() },
      );
      return r.error;
    } finally {
      await dispatcher.close();
    }
  }

  it.each([
    { name: 'a client certificate', tls: withClientCert, error: undefined },
    { name: 'no client certificate', tls: { ca_file: 'ca.pem' }, error: REFUSED_BY_SERVER },
    { name: 'an unknown CA', tls: {}, error: /self-signed certificate in certificate chain/ },
    {
      name: 'insecure_skip_verify',
      tls: { ...withClientCert, ca_file: undefined, insecure_skip_verify: true },
      error: undefined,
    },
  ])('scrape with $name', async ({ tls, error }) => {
    peers.length = 0;
    const got = await scrape(`127.0.0.1:${port}`, { tls_config: tls });
    if (error === undefined) {
      expect(got).toBeUndefined();
      expect(peers).toEqual(['scraper.test']);
    } else {
      expect(got).toMatch(error);
    }
  });

  it.each([
    { name: 'names the server after server_name, not the URL', serverName: 'receiver.test' },
    { name: 'without server_name the URL’s host must match', serverName: undefined },
  ])('a scrape of https://localhost $name', async ({ serverName }) => {
    const got = await scrape(`localhost:${port}`, {
      tls_config: { ...withClientCert, server_name: serverName },
    });
    if (serverName === undefined) expect(got).toMatch(/Host: localhost. is not in the cert/);
    else expect(got).toBeUndefined();
  });

  it.each([
    { name: 'min_version above the server’s max', server: 'max', tls: { min_version: 'TLS13' } },
    { name: 'max_version below the server’s min', server: 'min', tls: { max_version: 'TLS12' } },
    { name: 'a range that meets the server’s', server: 'max', tls: { max_version: 'TLS12' } },
  ])('$name', async ({ server, tls }) => {
    const p = await startServer(
      server === 'max' ? { maxVersion: 'TLSv1.2' } : { minVersion: 'TLSv1.3' },
    );
    const got = await scrape(`127.0.0.1:${p}`, { tls_config: { ...withClientCert, ...tls } });
    if (server === 'max' && tls.max_version === 'TLS12') expect(got).toBeUndefined();
    else expect(got).toMatch(/version|protocol/i);
  });

  it('an HTTP SD refresh presents the client certificate', async () => {
    peers.length = 0;
    const config = parseEntry(
      httpMechanism,
      { url: `https://127.0.0.1:${port}/sd`, tls_config: withClientCert },
      { sourcePath: join(dir, 'prometheus.yml') },
    );
    const d = new HttpDiscoverer(config);
    try {
      expect((await d.refresh()).groups[0]?.targets).toEqual([{ __address__: 'a:1' }]);
    } finally {
      await d.close();
    }
    expect(peers).toEqual(['scraper.test']);
  });

  it('a remote write presents the client certificate', async () => {
    peers.length = 0;
    const config = loadConfig(
      stringify({
        remote_write: [
          { url: `https://127.0.0.1:${port}/api/v1/write`, tls_config: withClientCert },
        ],
      }),
      { sourcePath: join(dir, 'prometheus.yml'), env: {} },
    );
    const client = createRemoteWriteClient(config.remoteWrite[0]!);
    try {
      const r = await client.post(snappyCompress(new Uint8Array(0)), 0, 5_000);
      expect(r).toEqual({ ok: true, status: 204 });
    } finally {
      await client.close();
    }
    expect(peers).toEqual(['scraper.test']);
  });

  it('an oauth2 token endpoint is reached with oauth2.tls_config, not the job’s', async () => {
    const as = await OAuth2Server.start({
      clientId: 'c',
      clientSecret: 's',
      tls: serverTls(),
    });
    try {
      const job = (oauth2Tls: Record<string, unknown> | undefined) => ({
        tls_config: withClientCert,
        oauth2: {
          client_id: 'c',
          client_secret: 's',
          token_url: as.tokenUrl,
          tls_config: oauth2Tls,
        },
      });
      const target = `127.0.0.1:${as.port}`;
      expect(await scrape(target, job(withClientCert))).toBeUndefined();
      expect(as.resourceRequests.map((r) => r.authorization)).toEqual(['Bearer tok-1']);
      expect(await scrape(target, job(undefined))).toMatch(
        new RegExp(`^oauth2: cannot fetch token: Post "${as.tokenUrl}": self-signed certificate`),
      );
      const noCert = await scrape(target, job({ ca_file: 'ca.pem' }));
      expect(noCert).toMatch(/^oauth2: cannot fetch token: /);
      expect(noCert).toMatch(REFUSED_BY_SERVER);
    } finally {
      await as.close();
    }
  });
});
