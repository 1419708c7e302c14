#!/usr/bin/env node
// `npm start` and `npm run demo` build first; a full `tsc` takes 10–30 s even when nothing
// changed. This builds only when a source file (src/, functions/, the tsconfigs, package.json)
// is newer than the last build's record (dist/.tsbuildinfo, written by tsconfig.build.json).
import { execFileSync } from 'node:child_process';
import { readdirSync, statSync, utimesSync } from 'node:fs';
import { join } from 'node:path';

const RECORD = 'dist/.tsbuildinfo';
const SOURCES = ['src', 'functions', 'tsconfig.json', 'tsconfig.build.json', 'package.json'];

function newest(path) {
  const s = statSync(path, { throwIfNoEntry: false });
  if (s === undefined) return 0;
  if (!s.isDirectory()) return s.mtimeMs;
  let t = s.mtimeMs;
  for (const name of readdirSync(path)) t = Math.max(t, newest(join(path, name)));
  return t;
}

const built = statSync(RECORD, { throwIfNoEntry: false })?.mtimeMs ?? 0;
if (Math.max(...SOURCES.map(newest)) > built) {
  execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], {
    stdio: 'inherit',
  });
  // tsc leaves the record as it was when nothing needed emitting: mark this build as seen.
  const now = new Date();
  utimesSync(RECORD, now, now);
}
