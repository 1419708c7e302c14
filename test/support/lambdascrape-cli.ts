/**
 * `lambdascrape` from the sources, for tests that need it as a process of its own (killed with
 * SIGKILL, restarted): `node --import tsx test/support/lambdascrape-cli.ts <args>`. The same as
 * bin/lambdascrape.js, without the build.
 */
import { processIo } from '../../src/cli/io.js';
import { runCli } from '../../src/cli/main.js';

runCli(process.argv.slice(2), processIo).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`lambdascrape: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exitCode = 1;
  },
);
