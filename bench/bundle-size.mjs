#!/usr/bin/env node
/**
 * Bundle size of each Lambda function, for docs/deploy.md (cold start grows with it).
 *
 *   CDK_DISABLE_VERSION_CHECK=1 npx cdk synth -q -c config=examples/aws/amp-sigv4-ec2.yml
 *   node bench/bundle-size.mjs [--cdk-out cdk.out] [--analyze]
 *
 * Reads the synthesized template, maps each function to its asset folder and prints the raw
 * and gzip size of its index.mjs (and its source map, which Lambda loads only with
 * --enable-source-maps when an error is printed). `--analyze` bundles the entry points again
 * with the construct's esbuild options and a metafile, then prints the largest packages of each
 * bundle and the import chain that brings `@aws-sdk/client-ec2` into it.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';

const { values } = parseArgs({
  options: {
    'cdk-out': { type: 'string', default: 'cdk.out' },
    analyze: { type: 'boolean', default: false },
  },
});
const out = values['cdk-out'];
const kib = (n) => `${(n / 1024).toFixed(0)} KiB`;

const templates = readdirSync(out).filter((f) => f.endsWith('.template.json'));
const rows = [];
for (const t of templates) {
  const template = JSON.parse(readFileSync(join(out, t), 'utf8'));
  for (const [logicalId, r] of Object.entries(template.Resources ?? {})) {
    if (r.Type !== 'AWS::Lambda::Function') continue;
    const assetPath = r.Metadata?.['aws:asset:path'];
    if (assetPath === undefined) continue;
    const dir = join(out, assetPath);
    const file = join(dir, 'index.mjs');
    const code = readFileSync(file);
    const map = statSync(`${file}.map`, { throwIfNoEntry: false });
    rows.push({
      fn: logicalId.replace(/[0-9A-F]{8}$/, ''),
      raw: code.length,
      gzip: gzipSync(code, { level: 9 }).length,
      map: map?.size ?? 0,
      files: readdirSync(dir).length,
    });
  }
}
console.log('| function | index.mjs raw | gzip | source map | files in the package |');
console.log('|---|---|---|---|---|');
for (const r of rows) {
  console.log(`| ${r.fn} | ${kib(r.raw)} | ${kib(r.gzip)} | ${kib(r.map)} | ${r.files} |`);
}

if (values.analyze) {
  const { build } = await import('esbuild');
  for (const role of ['discovery', 'dispatcher', 'scraper', 'outbox']) {
    const result = await build({
      entryPoints: [`functions/${role}.ts`],
      bundle: true,
      platform: 'node',
      target: 'node24',
      format: 'esm',
      minify: true,
      mainFields: ['module', 'main'],
      metafile: true,
      write: false,
      outfile: `/tmp/lambdascrape-${role}.mjs`,
      logLevel: 'error',
    });
    const [output] = Object.values(result.metafile.outputs);
    const byPackage = new Map();
    for (const [path, v] of Object.entries(output.inputs)) {
      const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
      const key = m ? m[1] : path.split('/').slice(0, 2).join('/');
      byPackage.set(key, (byPackage.get(key) ?? 0) + v.bytesInOutput);
    }
    console.log(`\n${role}: ${kib(output.bytes)} minified; largest parts:`);
    for (const [k, v] of [...byPackage].sort((a, b) => b[1] - a[1]).slice(0, 8)) {
      console.log(`  ${kib(v).padStart(9)}  ${k}`);
    }
    // Shortest import chain from the entry to @aws-sdk/client-ec2 (breadth-first).
    const inputs = result.metafile.inputs;
    const entry = `functions/${role}.ts`;
    const prev = new Map([[entry, null]]);
    const queue = [entry];
    let hit;
    while (queue.length > 0 && hit === undefined) {
      const at = queue.shift();
      for (const imp of inputs[at]?.imports ?? []) {
        if (prev.has(imp.path)) continue;
        prev.set(imp.path, at);
        if (imp.path.includes('node_modules/@aws-sdk/client-ec2/')) {
          hit = imp.path;
          break;
        }
        queue.push(imp.path);
      }
    }
    if (hit !== undefined) {
      const chain = [];
      for (let p = hit; p !== null; p = prev.get(p))
        chain.unshift(p.replace(/.*node_modules\//, ''));
      console.log(`  @aws-sdk/client-ec2 via: ${chain.join(' → ')}`);
    }
  }
}
