/**
 * Exposition parser throughput on the shared big-target input (100,000 series, ~13.5 MB of
 * Prometheus text), the hot path of every scrape (§5, §6.4):
 *
 *   npx tsx bench/parse.bench.ts [N] [--file=PATH]
 *
 * - decode:  createParser() alone (ASCII check + one latin1 decode of the body).
 * - warm:    every sample's seriesText() + value() + timestampMs(): a scrape whose series are
 *            all in the cache.
 * - cold:    the same plus labels() for every series: a scrape that meets every series for the
 *            first time (an empty cache).
 * Each for the text parser and for the OpenMetrics parser (default and strict) on the same
 * samples written as OpenMetrics (counter metadata without `_total`, `# EOF` appended). Prints the median and best round in ns/sample and MB/s (the best round
 * is the steadier figure on a shared machine).
 */

import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createParser } from '../src/exposition/parser.js';
import {
  EntryKind,
  type ExpositionFormat,
  type ExpositionParserOptions,
} from '../src/exposition/types.js';

const N = Number(process.argv.find((a) => /^\d+$/.test(a)) ?? 100_000);
const FILE = process.argv.find((a) => a.startsWith('--file='))?.slice('--file='.length);
const ROUNDS = 15;
const WARMUP = 3;

function loadBody(): Uint8Array {
  if (FILE !== undefined) return new Uint8Array(readFileSync(FILE));
  const gen = fileURLToPath(new URL('../../shared/bench/gen-big-target.mjs', import.meta.url));
  if (!existsSync(gen)) throw new Error(`generator not found: ${gen}`);
  const dir = mkdtempSync(join(tmpdir(), 'parse-bench-'));
  try {
    const out = join(dir, 'big.prom');
    execFileSync(process.execPath, [gen, out, String(N)], { stdio: 'ignore' });
    return new Uint8Array(readFileSync(out));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

type Mode = 'decode' | 'warm' | 'cold';

/** One pass; returns the number of samples and a checksum so nothing is optimised away. */
function pass(
  format: ExpositionFormat,
  body: Uint8Array,
  mode: Mode,
  options: ExpositionParserOptions,
): { samples: number; check: number } {
  const p = createParser(format, body, options);
  if (mode === 'decode') return { samples: 0, check: 0 };
  let samples = 0;
  let check = 0;
  for (let k = p.next(); k !== EntryKind.EOF; k = p.next()) {
    if (k !== EntryKind.Series) continue;
    samples++;
    check += p.seriesText().length + p.value() + (p.timestampMs() ?? 0);
    if (mode === 'cold') check += p.labels().length;
  }
  return { samples, check };
}

function measure(
  label: string,
  format: ExpositionFormat,
  body: Uint8Array,
  mode: Mode,
  options: ExpositionParserOptions = {},
): void {
  const times: number[] = [];
  let samples = 0;
  let sink = 0;
  for (let r = 0; r < WARMUP + ROUNDS; r++) {
    const start = process.hrtime.bigint();
    const res = pass(format, body, mode, options);
    const ns = Number(process.hrtime.bigint() - start);
    sink += res.check;
    samples = res.samples;
    if (r >= WARMUP) times.push(ns);
  }
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)]!;
  const min = times[0]!;
  const perSample = (ns: number) => (samples > 0 ? `${(ns / samples).toFixed(0)} ns` : '-');
  const mbps = (ns: number) => `${(body.length / 1e6 / (ns / 1e9)).toFixed(0)} MB/s`;
  console.log(
    [
      label.padEnd(30),
      `${(median / 1e6).toFixed(1)} ms`.padStart(9),
      perSample(median).padStart(8),
      mbps(median).padStart(11),
      `| ${(min / 1e6).toFixed(1)} ms`.padStart(11),
      perSample(min).padStart(8),
      mbps(min).padStart(11),
      sink === Number.NEGATIVE_INFINITY ? '!' : '',
    ].join(' '),
  );
}

const text = loadBody();
// The same samples as OpenMetrics: counter families are named without `_total` in their
// metadata (so strict mode accepts the body), and the body ends with `# EOF`.
const om = new TextEncoder().encode(
  `${new TextDecoder().decode(text).replace(/^# (HELP|TYPE) (\S+)_total /gm, '# $1 $2 ')}# EOF\n`,
);
const lines = text.reduce((n, b) => (b === 10 ? n + 1 : n), 0);
console.log(
  `body: ${(text.length / 1e6).toFixed(1)} MB, ${lines} lines; node ${process.version}; ${ROUNDS} rounds`,
);
console.log(`${''.padEnd(30)} ${'median'.padStart(31)} | ${'best'.padStart(28)}`);
measure('text: decode only', 'prometheus-text', text, 'decode');
measure('text: warm (series+value+ts)', 'prometheus-text', text, 'warm');
measure('text: cold (+ labels())', 'prometheus-text', text, 'cold');
measure('openmetrics: warm', 'openmetrics', om, 'warm');
measure('openmetrics: cold', 'openmetrics', om, 'cold');
measure('openmetrics strict: cold', 'openmetrics', om, 'cold', { strict: true });
