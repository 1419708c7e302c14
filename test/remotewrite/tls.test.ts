/**
 * tls_config on the remote-write client (§1.5): a self-signed certificate made with the openssl
 * binary (skipped, with a message, where it is absent).
 */

import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TlsConfig } from '../../src/config/types.js';
import { createRemoteWriteClient } from '../../src/remotewrite/client.js';
import { sendWriteRequest } from '../../src/remotewrite/send.js';
import { snappyCompress } from '../../src/remotewrite/snappy.js';
import { defaultHttpClient, remoteWriteConfig } from './config.js';

const OPENSSL = '/usr/bin/openssl';
const available = existsSync(OPENSSL);
const title = available
  ? 'remote write over TLS'
  : `remote write over TLS (SKIPPED: ${OPENSSL} not installed)`;

describe.runIf(available)(title, () => {
  let dir: string;
  let server: Server;
  let url: string;
  const seen: string[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rw-tls-'));
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
        '/CN=receiver.test',
        '-addext',
        'subjectAltName=DNS:receiver.test,IP:127.0.0.1',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    server = createServer(
      { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) },
      (req, res) => {
        seen.push(req.headers['content-encoding'] ?? '');
        req.resume();
        req.on('end', () => {
          res.writeHead(204);
          res.end();
        });
      },
    );
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/write`;
  });

  afterAll(async () => {
    server?.closeAllConnections();
    await new Promise((r) => server?.close(r));
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  const send = async (tls: Partial<TlsConfig>, configDir?: string) => {
    const client = createRemoteWriteClient(
      remoteWriteConfig(url, {
        httpClient: { tlsConfig: { ...defaultHttpClient.tlsConfig, ...tls } },
        queueConfig: { minBackoff: 10, maxBackoff: 10 },
      }),
      configDir === undefined ? {} : { configDir },
    );
    try {
      return await sendWriteRequest(client, snappyCompress(new Uint8Array(0)), {
        retryUntil: Date.now() + 300,
      });
    } finally {
      await client.close();
    }
  };

  it.each([
    { name: 'ca_file (relative to the config folder)', tls: { caFile: 'cert.pem' }, ok: true },
    { name: 'insecure_skip_verify', tls: { insecureSkipVerify: true }, ok: true },
    {
      name: 'server_name checked against the certificate',
      tls: { caFile: 'cert.pem', serverName: 'receiver.test' },
      ok: true,
    },
    { name: 'wrong server_name', tls: { caFile: 'cert.pem', serverName: 'other.test' }, ok: false },
    { name: 'unknown CA', tls: {}, ok: false },
  ])('$name', async ({ tls, ok }) => {
    const r = await send(tls, dir);
    expect(r.outcome).toBe(ok ? 'delivered' : 'retryable');
  });

  it('an unreadable ca_file fails at construction with RW_CREDENTIALS', () => {
    expect(() =>
      createRemoteWriteClient(
        remoteWriteConfig(url, {
          httpClient: { tlsConfig: { ...defaultHttpClient.tlsConfig, caFile: '/nonexistent.pem' } },
        }),
      ),
    ).toThrow(expect.objectContaining({ code: 'RW_CREDENTIALS' }));
  });
});
