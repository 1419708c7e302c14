/**
 * The shared big-target input of the remote-write benchmarks: the series of
 * `shared/bench/gen-big-target.mjs` (100,000 by default) with `job` and `instance` added as a
 * scrape would, sorted, plus the families of its TYPE/HELP lines; a similar synthetic set when
 * the generator is not there.
 */

import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Label, Labels } from '../../src/model/labels.js';
import type { FamilyMetadataView, SeriesRef } from '../../src/scrape/batch.js';

export interface BigTarget {
  readonly series: SeriesRef[];
  readonly values: number[];
  /** Family name → metadata, as the scrape cache would hold it. */
  readonly metadata: Map<string, FamilyMetadataView>;
}

/** Series from the shared generator when present, else a similar synthetic set. */
export function loadSeries(n: number): BigTarget {
  const gen = fileURLToPath(new URL('../../../shared/bench/gen-big-target.mjs', import.meta.url));
  const extra: Label[] = [
    { name: 'instance', value: '127.0.0.1:19100' },
    { name: 'job', value: 'big' },
  ];
  const series: SeriesRef[] = [];
  const values: number[] = [];
  const metadata = new Map<string, FamilyMetadataView>();
  const family = (name: string) => {
    let m = metadata.get(name) as { type: FamilyMetadataView['type']; help: string; unit: string };
    if (m === undefined) {
      m = { type: 'unknown', help: '', unit: '' };
      metadata.set(name, m);
    }
    return m;
  };
  if (existsSync(gen)) {
    const dir = mkdtempSync(join(tmpdir(), 'rw-bench-'));
    try {
      const file = join(dir, 'big.prom');
      execFileSync(process.execPath, [gen, file, String(n)], { stdio: 'ignore' });
      // The generator's lines are regular: name{k="v",…} value (no escapes in use).
      for (const line of readFileSync(file, 'utf8').split('\n')) {
        if (line === '') continue;
        const meta = /^# (TYPE|HELP) (\S+) (.*)$/.exec(line);
        if (meta !== null) {
          const m = family(meta[2]!);
          if (meta[1] === 'TYPE') m.type = meta[3] as FamilyMetadataView['type'];
          else m.help = meta[3]!;
          continue;
        }
        if (line.startsWith('#')) continue;
        const brace = line.indexOf('{');
        const close = line.lastIndexOf('}');
        const labels: Label[] = [{ name: '__name__', value: line.slice(0, brace) }, ...extra];
        for (const m of line.slice(brace + 1, close).matchAll(/([a-zA-Z_]\w*)="([^"]*)"/g)) {
          labels.push({ name: m[1]!, value: m[2]! });
        }
        labels.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
        series.push({ labels });
        values.push(Number(line.slice(close + 2)));
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    return { series, values, metadata };
  }
  for (let i = 0; i < n; i++) {
    const name = `app_component${i % 19}_operations`;
    Object.assign(family(name), { type: 'counter', help: `Operations of component ${i % 19}.` });
    const labels: Labels = [
      { name: '__name__', value: `${name}_total` },
      { name: 'container', value: `container-${i % 4}` },
      ...extra.slice(0, 1),
      extra[1]!,
      { name: 'namespace', value: `ns-${i % 20}` },
      { name: 'node', value: `ip-10-0-${(i >> 8) & 255}-${i & 255}.ec2.internal` },
      { name: 'pod', value: `svc-${((i * 2654435761) >>> 0).toString(16).slice(0, 6)}-${i}` },
      { name: 'zone', value: `us-east-1${'abc'[i % 3]}` },
    ];
    series.push({ labels });
    values.push(Math.floor(Math.random() * 1e9));
  }
  return { series, values, metadata };
}
