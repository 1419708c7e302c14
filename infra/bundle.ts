/**
 * How each Lambda function's code is bundled: esbuild, called by the construct
 * (infra/lambda-scraper.ts) during synth, and by bench/bundle-size.ts with a metafile. One
 * place, so what the bench analyzes is what ships.
 *
 * One ES module bundle per function (`index.mjs`, handler `index.handler`), minified, with
 * source maps (mappings only: stack traces need no sources, which would add 60% to the map),
 * the AWS SDK bundled (the versions pinned in package-lock.json and tested against dynalite
 * and fauxqs, tree-shaken; not the runtime's copy, which changes under us), nothing external.
 * Cold start (INIT) is billed and grows with what is loaded, so (docs/deploy.md "Bundle
 * sizes" has the figures):
 *
 * - ES module builds first (`mainFields: module, main`): the SDK's dist-es tree-shakes far
 *   better (-650 KB).
 * - Only the discovery function bundles the EC2 client: `process.env.LAMBDASCRAPE_BUNDLE_EC2`
 *   is defined as "true" there and "false" elsewhere, which folds the lazy import away
 *   (src/discovery/ec2/discoverer.ts).
 * - Node's built-in modules are loaded as CommonJS ({@link builtinAliases}): importing one as an
 *   ES module makes Node build its ES facade, which reads every export, lazy getters included;
 *   for `node:http` (imported by the SDK's HTTP handler) that loads Node's internal undici,
 *   about 50 ms of CPU at each cold start on Node 22 and 24.
 * - yaml's ES module build ({@link yamlEsm}): its `node` export is CommonJS, which esbuild
 *   cannot tree-shake.
 * - Code that cannot run in these functions is left out ({@link UNREACHABLE}).
 */
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  writeFileSync,
} from 'node:fs';
import { builtinModules, createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { BuildOptions } from 'esbuild';
import { BUNDLE_EC2_ENV, type FunctionRole } from '../src/contract.js';

/**
 * An ES module has no `require`, but the CommonJS packages esbuild wraps (undici first) call
 * `require("node:assert")` and friends: without this banner the bundle fails at import with
 * "Dynamic require of "node:assert" is not supported" (checked on a real bundle).
 */
export const ESM_REQUIRE_BANNER =
  "import{createRequire as __lambdascrapeCreateRequire}from'node:module';const require=__lambdascrapeCreateRequire(import.meta.url);";

/** Folder of a package that holds the chunks of index.mjs; no bundled config file may go there. */
export const CHUNKS_DIR = 'chunks';

/** The Node.js version the bundles target (the construct's runtime is Node.js 24). */
export const BUNDLE_TARGET = 'node24';

/** What is bundled: one of the four pipeline functions, or the optional status page. */
export type BundledFunction = FunctionRole | 'status-page';

export interface FunctionBundle {
  readonly role: BundledFunction;
  /** The handler module (functions/<role>.ts unless the construct's `entries` say otherwise). */
  readonly entry: string;
  /** Where index.mjs (and its map) go. */
  readonly outdir: string;
  /** Folder the entry and node_modules resolve from: the repository root. */
  readonly projectRoot: string;
}

/**
 * esbuild aliases sending every built-in module (`fs`, `node:fs`, `fs/promises`, …) to a
 * one-line CommonJS file, `module.exports = process.getBuiltinModule("node:fs")`, written into
 * `dir`. esbuild then bundles that file instead of leaving `import … from "node:fs"` in the
 * output, and the code reads the module's properties when it uses them, as CommonJS code
 * does: no ES facade is built. `process.getBuiltinModule` exists from Node 20.16 and 22.3.
 */
export function builtinAliases(dir: string): Record<string, string> {
  mkdirSync(dir, { recursive: true });
  const alias: Record<string, string> = {};
  for (const name of builtinModules) {
    const id = name.startsWith('node:') ? name : `node:${name}`;
    const file = join(dir, `${id.slice('node:'.length).replaceAll('/', '__')}.cjs`);
    const text = `module.exports = process.getBuiltinModule(${JSON.stringify(id)});\n`;
    if (!existsSync(file) || readFileSync(file, 'utf8') !== text) {
      // Written aside, then renamed: concurrent bundles (CDK bundles the four in turn, tests
      // may run several synths) never read half a file.
      const partial = `${file}.${process.pid}.tmp`;
      writeFileSync(partial, text);
      renameSync(partial, file);
    }
    alias[id] = file;
    if (!name.startsWith('node:')) alias[name] = file;
  }
  return alias;
}

/**
 * Imports left out of the bundles (esbuild `external`: the import stays as written and would
 * fail if it ever ran). Each is reachable in its package only on a path these functions never
 * take, and each would cost every cold start its size (KiB of minified code, figures of
 * 2026-12-06):
 */
export const UNREACHABLE = [
  // @aws-sdk/core's browser user-agent parser (33 KiB): Node uses util-user-agent-node.
  'bowser',
  // undici's FormData body encoder and the fetch/webidl code it needs (41 KiB): required only
  // to send a FormData body; scrapes and SD requests are GETs, remote writes send bytes.
  '../web/fetch/body.js',
  // undici's llhttp without WebAssembly SIMD (70 KiB): only if compiling the SIMD build fails
  // (Lambda's x86_64 and arm64 both have it), or UNDICI_NO_WASM_SIMD=1, or under Jest. The SIMD
  // build, used, is bundled; the construct refuses UNDICI_NO_WASM_SIMD=1 (check-props.ts).
  '../llhttp/llhttp-wasm.js',
];

/**
 * The ES module build of yaml (`browser/index.js`; the package's `default` export, which
 * esbuild takes for platform `browser`). It is the same code as the CommonJS build the `node`
 * export names, except that warnings go to `console.warn` instead of `process.emitWarning`
 * and the LOG_TOKENS / LOG_STREAM debug variables are not read.
 */
export function yamlEsm(projectRoot: string): string {
  const main = createRequire(join(projectRoot, 'package.json')).resolve('yaml');
  return join(dirname(main), '..', 'browser', 'index.js');
}

/** esbuild's options for one function's bundle. */
export function bundleOptions(b: FunctionBundle): BuildOptions {
  return {
    absWorkingDir: b.projectRoot,
    entryPoints: { index: b.entry },
    outdir: b.outdir,
    outExtension: { '.js': '.mjs' },
    // Code splitting: what the code imports with `await import()` goes to chunks loaded on
    // first use, not at INIT (without it esbuild inlines them into index.mjs).
    splitting: true,
    entryNames: '[name]',
    chunkNames: `${CHUNKS_DIR}/[name]-[hash]`,
    bundle: true,
    platform: 'node',
    target: BUNDLE_TARGET,
    format: 'esm',
    minify: true,
    sourcemap: true,
    sourcesContent: false,
    mainFields: ['module', 'main'],
    banner: { js: ESM_REQUIRE_BANNER },
    define: {
      [`process.env.${BUNDLE_EC2_ENV}`]: JSON.stringify(String(b.role === 'discovery')),
    },
    // Beside the output folder (cdk.out/.lambdascrape-builtins during a synth), so the source
    // maps name the same relative path on every machine and the asset hash does not change.
    alias: {
      ...builtinAliases(join(dirname(b.outdir), '.lambdascrape-builtins')),
      yaml: yamlEsm(b.projectRoot),
    },
    external: UNREACHABLE,
    logLevel: 'warning',
  };
}

/**
 * Bundles one function into `b.outdir`, synchronously (CDK's local bundling is synchronous).
 * esbuild is loaded here, not at import, so the construct loads without it when nothing is
 * bundled (tests skip bundling). Throws esbuild's error when the build fails.
 */
export function bundleFunction(b: FunctionBundle): void {
  const esbuild = createRequire(import.meta.url)('esbuild') as typeof import('esbuild');
  esbuild.buildSync(bundleOptions(b));
}

/** The JavaScript files of a bundled package, relative paths. */
export interface PackageCode {
  /** index.mjs and the chunks it imports statically, transitively: what Lambda loads at INIT. */
  readonly init: readonly string[];
  /** The chunks loaded on first use (`await import()`), if ever. */
  readonly lazy: readonly string[];
}

/** Which of the package in `dir` (index.mjs and chunks/) is loaded at INIT, which later. */
export function packageCode(dir: string): PackageCode {
  const init = new Set(['index.mjs']);
  const queue = ['index.mjs'];
  while (queue.length > 0) {
    const file = queue.shift() as string;
    const text = readFileSync(join(dir, file), 'utf8');
    // Static imports only (`import"./x.mjs"`, `from"./x.mjs"`), not `import("./x.mjs")`.
    for (const m of text.matchAll(/(?:\bfrom|\bimport)\s*["'](\.\.?\/[^"']+\.mjs)["']/g)) {
      const rel = join(dirname(file), m[1] as string);
      if (!init.has(rel)) {
        init.add(rel);
        queue.push(rel);
      }
    }
  }
  const chunks = existsSync(join(dir, CHUNKS_DIR))
    ? readdirSync(join(dir, CHUNKS_DIR))
        .filter((f) => f.endsWith('.mjs'))
        .map((f) => `${CHUNKS_DIR}/${f}`)
    : [];
  return { init: [...init], lazy: chunks.filter((c) => !init.has(c)).sort() };
}
