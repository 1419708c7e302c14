/**
 * Remote write through an HTTP proxy (`proxy_url`, `no_proxy` in a remote_write block): the
 * requests reach the receiver through a local forward proxy that records what it relayed, and
 * `no_proxy` sends them direct. The proxy choice itself is tested in test/http/proxy.test.ts.
 */
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { RemoteWriter } from '../../src/remotewrite/writer.js';
import { SampleBatch, type SeriesRef } from '../../src/scrape/batch.js';
import { startReceiver, type TestReceiver } from './wire.js';

let receiver: TestReceiver;
let proxy: Server;
let proxyUrl: string;
const relayed: string[] = [];

beforeAll(async () => {
  receiver = await startReceiver();
  // A forward proxy for plain http: the request line holds the absolute URL.
  proxy = createServer((req, res) => {
    relayed.push(`${req.method} ${req.url} ${req.headers['proxy-authorization'] ?? ''}`.trim());
    const target = new URL(req.url ?? '');
    const headers = { ...req.headers };
    delete headers['proxy-authorization'];
    const upstream = httpRequest(target, { method: req.method, headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    upstream.on('error', () => res.writeHead(502).end());
    req.pipe(upstream);
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await receiver.close();
  proxy.closeAllConnections();
  await new Promise((r) => proxy.close(r));
});

function writerFor(extra: string): RemoteWriter {
  const config = loadConfig(
    `remote_write:\n  - url: ${receiver.url}\n    name: via-proxy\n${extra}`,
    { sourcePath: 'proxy.yml' },
  );
  return new RemoteWriter(config.remoteWrite[0]!);
}

function unit(): SampleBatch<SeriesRef> {
  const b = new SampleBatch<SeriesRef>();
  b.push({ labels: [{ name: '__name__', value: 'proxied' }] }, 1, Date.now());
  return b;
}

describe('remote write through a proxy', () => {
  it('proxy_url: the write goes through the proxy, with its credentials', async () => {
    relayed.length = 0;
    const before = receiver.requests.length;
    const w = writerFor(`    proxy_url: ${proxyUrl.replace('//', '//u:p@')}\n`);
    const r = await w.write(unit(), { retryUntil: Date.now() + 5_000 });
    await w.close();
    expect(r.errors).toEqual([]);
    expect(relayed).toEqual([
      `POST ${receiver.url} Basic ${Buffer.from('u:p').toString('base64')}`,
    ]);
    expect(receiver.requests.length).toBe(before + 1);
    expect(receiver.requests.at(-1)!.decoded!.timeseries[0]!.labels).toEqual([
      { name: '__name__', value: 'proxied' },
    ]);
  });

  it('no_proxy naming the receiver: direct', async () => {
    relayed.length = 0;
    const before = receiver.requests.length;
    const w = writerFor(`    proxy_url: ${proxyUrl}\n    no_proxy: 127.0.0.1\n`);
    const r = await w.write(unit(), { retryUntil: Date.now() + 5_000 });
    await w.close();
    expect(r.errors).toEqual([]);
    expect(relayed).toEqual([]);
    expect(receiver.requests.length).toBe(before + 1);
  });
});
