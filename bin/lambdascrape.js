#!/usr/bin/env node
import { processIo } from '../dist/src/cli/io.js';
// Runs the compiled CLI (`npm ci` builds it through the `prepare` script).
import { runCli } from '../dist/src/cli/main.js';

runCli(process.argv.slice(2), processIo).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`lambdascrape: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exitCode = 1;
  },
);
