/**
 * Bundle size of each Lambda function, for docs/deploy.md (INIT grows with what is loaded).
 *
 *   CDK_DISABLE_VERSION_CHECK=1 npx cdk synth -q -c config=examples/aws/amp-sigv4-ec2.yml
 *   npx tsx bench/bundle-size.ts [--cdk-out cdk.out] [--analyze]
 *
 * Reads the synthesized template, maps each function to its asset folder and prints, per
 * function: index.mjs raw and gzip (gzip as a rough measure of what Lambda downloads), the
 * JavaScript loaded at INIT (index.mjs and the chunks it imports statically), all the
 * JavaScript of the package (lazily imported chunks too), and the source maps (which Node reads
 * only with --enable-source-maps). `--analyze` bundles the entry points again with the
 * construct's esbuild options (infra/bundle.ts) and a metafile, then prints the largest packages
 * of each function's INIT-loaded code and of its lazy chunks, and the import chain that brings
 * `@aws-sdk/client-ec2` into it.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import type { Metafile } from 'esbuild';
import { bundleOptions, packageCode } from '../infra/bundle.js';
import { FUNCTION_ROLES } from '../src/contract.js';

const { values } = parseArgs({
  options: {
    'cdk-out': { type: 'string', default: 'cdk.out' },
    analyze: { type: 'boolean', default: false },
  },
});
const out = values['cdk-out'];
const kib = (n: number) => `${Math.round(n / 1024).toLocaleString('en')} KiB`;

/** Every file under `dir`, relative paths. */
function files(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(dir.length + 1));
}

const rows = [];
for (const t of readdirSync(out).filter((f) => f.endsWith('.template.json'))) {
  const template = JSON.parse(readFileSync(join(out, t), 'utf8')) as {
    Resources?: Record<string, { Type: string; Metadata?: Record<string, string> }>;
  };
  for (const [logicalId, r] of Object.entries(template.Resources ?? {})) {
    if (r.Type !== 'AWS::Lambda::Function') continue;
    const assetPath = r.Metadata?.['aws:asset:path'];
    if (assetPath === undefined) continue;
    const dir = join(out, assetPath);
    const all = files(dir);
    const size = (f: string) => statSync(join(dir, f)).size;
    const sum = (fs: string[]) => fs.reduce((a, f) => a + size(f), 0);
    const code = packageCode(dir);
    const js = [...code.init, ...code.lazy];
    const init = [...code.init];
    rows.push({
      fn: logicalId.replace(/[0-9A-F]{8}$/, '').replace(/^Scraper(?=[A-Z])/, ''),
      index: size('index.mjs'),
      gzip: gzipSync(readFileSync(join(dir, 'index.mjs')), { level: 9 }).length,
      init: sum(init),
      initFiles: init.length,
      js: sum(js),
      jsFiles: js.length,
      maps: sum(all.filter((f) => f.endsWith('.map'))),
      files: all.length,
    });
  }
}
console.log(
  '| function | index.mjs | gzip | JS loaded at INIT | all JS | source maps | files in the package |',
);
console.log('|---|---|---|---|---|---|---|');
for (const r of rows) {
  console.log(
    `| ${r.fn} | ${kib(r.index)} | ${kib(r.gzip)} | ${kib(r.init)} (${r.initFiles} files) | ${kib(r.js)} (${r.jsFiles} files) | ${kib(r.maps)} | ${r.files} |`,
  );
}

if (values.analyze) {
  const { build } = await import('esbuild');
  const projectRoot = resolve('.');
  for (const role of FUNCTION_ROLES) {
    const entry = `functions/${role}.ts`;
    const result = await build({
      ...bundleOptions({
        role,
        entry,
        outdir: join(tmpdir(), `lambdascrape-${role}`),
        projectRoot,
      }),
      metafile: true,
      write: false,
      logLevel: 'error',
    });
    const outputs = result.metafile.outputs;
    const outKeys = Object.keys(outputs).filter((k) => !k.endsWith('.map'));
    const indexKey = outKeys.find((k) => k.endsWith('/index.mjs')) as string;
    const init = new Set([indexKey]);
    const queue = [indexKey];
    while (queue.length > 0) {
      const at = queue.shift() as string;
      for (const imp of outputs[at]?.imports ?? []) {
        if (imp.kind === 'import-statement' && !imp.external && !init.has(imp.path)) {
          init.add(imp.path);
          queue.push(imp.path);
        }
      }
    }
    const largest = (keys: string[]) => {
      const byPackage = new Map<string, number>();
      for (const k of keys) {
        for (const [path, v] of Object.entries(
          (outputs[k] as Metafile['outputs'][string]).inputs,
        )) {
          const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
          const key = m ? (m[1] as string) : path.split('/').slice(0, 2).join('/');
          byPackage.set(key, (byPackage.get(key) ?? 0) + v.bytesInOutput);
        }
      }
      return [...byPackage].sort((a, b) => b[1] - a[1]).slice(0, 8);
    };
    const bytes = (keys: string[]) => keys.reduce((a, k) => a + (outputs[k]?.bytes ?? 0), 0);
    const lazy = outKeys.filter((k) => !init.has(k));
    console.log(`\n${role}: ${kib(bytes([...init]))} loaded at INIT; largest parts:`);
    for (const [k, v] of largest([...init])) console.log(`  ${kib(v).padStart(9)}  ${k}`);
    if (lazy.length > 0) {
      console.log(`  lazy chunks: ${kib(bytes(lazy))} in ${lazy.length} files; largest parts:`);
      for (const [k, v] of largest(lazy)) console.log(`  ${kib(v).padStart(9)}  ${k}`);
    }
    // Shortest import chain from the entry to @aws-sdk/client-ec2 (breadth-first).
    const inputs = result.metafile.inputs;
    const prev = new Map<string, string | null>([[entry, null]]);
    const bfs = [entry];
    let hit: string | undefined;
    while (bfs.length > 0 && hit === undefined) {
      const at = bfs.shift() as string;
      for (const imp of inputs[at]?.imports ?? []) {
        if (prev.has(imp.path)) continue;
        prev.set(imp.path, at);
        if (imp.path.includes('node_modules/@aws-sdk/client-ec2/')) {
          hit = imp.path;
          break;
        }
        bfs.push(imp.path);
      }
    }
    if (hit !== undefined) {
      const chain = [];
      for (let p: string | null | undefined = hit; p; p = prev.get(p)) {
        chain.unshift(p.replace(/.*node_modules\//, ''));
      }
      console.log(`  @aws-sdk/client-ec2 via: ${chain.join(' → ')}`);
    }
  }
}
