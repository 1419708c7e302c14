/**
 * Test servers for the egress guard (src/http/egress-guard.ts): one that plays the Lambda
 * Runtime API and records every request it gets (it must get none), one exporter, and a
 * redirector that answers every request with a 302 to a URL of the test's choice.
 */
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordingServer {
  /** `host:port`, as AWS_LAMBDA_RUNTIME_API would hold it. */
  readonly hostPort: string;
  readonly port: number;
  /** `method path` of every request received. */
  readonly requests: string[];
  close(): Promise<void>;
}

async function listen(
  host: string,
  answer: (path: string, res: import('node:http').ServerResponse) => void,
): Promise<RecordingServer> {
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    answer(req.url ?? '/', res);
  });
  server.listen(0, host);
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    hostPort: `${host}:${port}`,
    port,
    requests,
    close: async () => {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}

/** Plays the Runtime API: answers `invocation/next` with an event, as the real one would. */
export function startRuntimeApiFixture(host = '127.0.0.1'): Promise<RecordingServer> {
  return listen(host, (_path, res) => {
    res.writeHead(200, {
      'content-type': 'application/json',
      'lambda-runtime-aws-request-id': 'stolen-invocation',
    });
    res.end('{"Records":[]}');
  });
}

/** An exporter with one gauge. */
export function startExporter(host = '127.0.0.1'): Promise<RecordingServer> {
  return listen(host, (_path, res) => {
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
    res.end('# TYPE fixture_up gauge\nfixture_up 1\n');
  });
}

/** Answers every request with `302 Location: <to>`. */
export function startRedirector(to: () => string, host = '127.0.0.1'): Promise<RecordingServer> {
  return listen(host, (_path, res) => {
    res.writeHead(302, { location: to() });
    res.end();
  });
}
