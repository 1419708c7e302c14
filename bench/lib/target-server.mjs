/**
 * A scrape target for benchmarks: serves one fixed text exposition at `/metrics` on a free
 * 127.0.0.1 port, the way a real exporter with a large, static body would.
 *
 * - `Content-Type: text/plain; version=0.0.4; charset=utf-8`.
 * - The body is gzip-compressed once, up front; a request whose `Accept-Encoding` allows gzip
 *   gets the compressed copy with `Content-Encoding: gzip`, any other request the plain body.
 *   Serving therefore costs this process next to nothing per scrape, so nearly all the CPU
 *   spent on a scrape is the scraper's.
 * - Every `/metrics` request is recorded (time, encoding, who asked), so a harness can count
 *   scrapes in a window and find where in the scrape interval it stands.
 *
 * `ensureBigTarget()` writes the shared deterministic 100,000-series input into `.bench-tmp/`
 * once (with the shared generator) and reuses it afterwards.
 */

import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const HERE = dirname(fileURLToPath(import.meta.url));
/** Repository root (bench/lib/ is two levels down). */
export const REPO_ROOT = resolve(HERE, '..', '..');
/** Scratch directory for generated inputs and results (gitignored). */
export const BENCH_TMP = join(REPO_ROOT, '.bench-tmp');
/** The shared generator: `shared/` lies beside the repository (overridable for other layouts). */
export const DEFAULT_GENERATOR =
  process.env.BENCH_GENERATOR ?? resolve(REPO_ROOT, '..', 'shared', 'bench', 'gen-big-target.mjs');

export const CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/**
 * Path of the generated exposition with `series` series, generating it on first use.
 * @param {{ series?: number, generator?: string }} [opts]
 * @returns {string}
 */
export function ensureBigTarget(opts = {}) {
  const series = opts.series ?? 100_000;
  const generator = opts.generator ?? DEFAULT_GENERATOR;
  mkdirSync(BENCH_TMP, { recursive: true });
  const file = join(BENCH_TMP, `big-target-${series}.prom`);
  if (existsSync(file) && statSync(file).size > 0) return file;
  if (!existsSync(generator)) {
    throw new Error(
      `generator not found at ${generator} (set BENCH_GENERATOR to the path of gen-big-target.mjs)`,
    );
  }
  execFileSync(process.execPath, [generator, file, String(series)], { stdio: 'inherit' });
  return file;
}

/** Number of sample lines in a text exposition (lines that are neither empty nor comments). */
export function countSeries(body) {
  let n = 0;
  let start = 0;
  const s = typeof body === 'string' ? body : body.toString('utf8');
  while (start < s.length) {
    let end = s.indexOf('\n', start);
    if (end === -1) end = s.length;
    if (end > start && s.charCodeAt(start) !== 35 /* # */) n++;
    start = end + 1;
  }
  return n;
}

/** True when an Accept-Encoding header value allows gzip (q=0 refuses it). */
function acceptsGzip(header) {
  if (!header) return false;
  for (const part of String(header).split(',')) {
    const [coding, ...params] = part.trim().split(';');
    const c = coding.trim().toLowerCase();
    if (c !== 'gzip' && c !== '*') continue;
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    if (q && Number(q.slice(2)) === 0) return false;
    return true;
  }
  return false;
}

/**
 * Start the target server.
 * @param {{ file?: string, body?: Buffer, port?: number }} opts
 * @returns {Promise<{
 *   url: string, host: string, port: number, series: number,
 *   plainBytes: number, gzipBytes: number,
 *   scrapes: () => { count: number, gzip: number, identity: number, last: number },
 *   scrapeTimes: () => number[],
 *   nextScrape: (timeoutMs: number) => Promise<number>,
 *   close: () => Promise<void>,
 * }>}
 */
export async function startTargetServer(opts) {
  const plain = opts.body ?? readFileSync(opts.file);
  const gz = gzipSync(plain, { level: 6 });
  const series = countSeries(plain);
  /** Millisecond times (Date.now()) of the /metrics requests, in order. */
  const times = [];
  let gzipCount = 0;
  let identityCount = 0;
  /** @type {Array<(t: number) => void>} */
  let waiters = [];

  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD' }).end();
      return;
    }
    if (path !== '/metrics') {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found\n');
      return;
    }
    const now = Date.now();
    times.push(now);
    const useGzip = acceptsGzip(req.headers['accept-encoding']);
    if (useGzip) gzipCount++;
    else identityCount++;
    const body = useGzip ? gz : plain;
    const headers = {
      'Content-Type': CONTENT_TYPE,
      'Content-Length': String(body.length),
      Vary: 'Accept-Encoding',
    };
    if (useGzip) headers['Content-Encoding'] = 'gzip';
    res.writeHead(200, headers);
    res.end(req.method === 'HEAD' ? undefined : body);
    const w = waiters;
    waiters = [];
    for (const f of w) f(now);
  });
  server.keepAliveTimeout = 65_000;

  await new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(opts.port ?? 0, '127.0.0.1', () => ok(undefined));
  });
  const { port } = /** @type {import('node:net').AddressInfo} */ (server.address());
  const host = `127.0.0.1:${port}`;

  return {
    url: `http://${host}/metrics`,
    host,
    port,
    series,
    plainBytes: plain.length,
    gzipBytes: gz.length,
    scrapes: () => ({
      count: times.length,
      gzip: gzipCount,
      identity: identityCount,
      last: times.length ? times[times.length - 1] : 0,
    }),
    scrapeTimes: () => times.slice(),
    /** Resolves with the time of the next /metrics request; rejects after timeoutMs. */
    nextScrape: (timeoutMs) =>
      new Promise((ok, fail) => {
        const timer = setTimeout(() => {
          waiters = waiters.filter((f) => f !== done);
          fail(new Error(`no scrape within ${timeoutMs} ms`));
        }, timeoutMs);
        const done = (t) => {
          clearTimeout(timer);
          ok(t);
        };
        waiters.push(done);
      }),
    close: () =>
      new Promise((ok) => {
        for (const f of waiters) f(0);
        waiters = [];
        server.close(() => ok(undefined));
        server.closeAllConnections();
      }),
  };
}
