// `npm run demo`: serves examples/demo-metrics.prom on 127.0.0.1:19464, then runs
// `lambdascrape scrape --config examples/demo.yml --job demo` once against it.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { processIo } from '../dist/src/cli/io.js';
import { runCli } from '../dist/src/cli/main.js';

const body = readFileSync(new URL('./demo-metrics.prom', import.meta.url));
const server = createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
  res.end(body);
});
server.listen(19464, '127.0.0.1', async () => {
  const config = new URL('./demo.yml', import.meta.url).pathname;
  try {
    process.exitCode = await runCli(['scrape', '--config', config, '--job', 'demo'], processIo);
  } finally {
    server.close();
  }
});
