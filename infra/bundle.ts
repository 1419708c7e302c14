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
 */
import { createRequire } from 'node:module';
import type { BuildOptions } from 'esbuild';
import { BUNDLE_EC2_ENV, type FunctionRole } from '../src/contract.js';

/**
 * An ES module has no `require`, but the CommonJS packages esbuild wraps (undici first) call
 * `require("node:assert")` and friends: without this banner the bundle fails at import with
 * "Dynamic require of "node:assert" is not supported" (checked on a real bundle).
 */
export const ESM_REQUIRE_BANNER =
  "import{createRequire as __lambdascrapeCreateRequire}from'node:module';const require=__lambdascrapeCreateRequire(import.meta.url);";

/** The Node.js version the bundles target (the construct's runtime is Node.js 24). */
export const BUNDLE_TARGET = 'node24';

export interface FunctionBundle {
  readonly role: FunctionRole;
  /** The handler module (functions/<role>.ts unless the construct's `entries` say otherwise). */
  readonly entry: string;
  /** Where index.mjs (and its map) go. */
  readonly outdir: string;
  /** Folder the entry and node_modules resolve from: the repository root. */
  readonly projectRoot: string;
}

/** esbuild's options for one function's bundle. */
export function bundleOptions(b: FunctionBundle): BuildOptions {
  return {
    absWorkingDir: b.projectRoot,
    entryPoints: { index: b.entry },
    outdir: b.outdir,
    outExtension: { '.js': '.mjs' },
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
