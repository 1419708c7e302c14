/**
 * A real dnsmasq (Debian package) serving test zones on a free loopback port, for dns_sd tests
 * (docs/testing.md). Reads no system config (`--conf-file=/dev/null`, `--no-hosts`, `--no-resolv`):
 * names inside a `--local` zone answer from the given records (unknown ones NXDOMAIN), names
 * outside every zone are REFUSED. `restart(args)` replaces the records on the same port.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { promises as dns } from 'node:dns';
import { existsSync } from 'node:fs';
import { freePort } from './processes.js';

export const DNSMASQ_PATH = '/usr/sbin/dnsmasq';

export function dnsmasqAvailable(): boolean {
  return existsSync(DNSMASQ_PATH);
}

export interface RunningDnsmasq {
  readonly port: number;
  /** `127.0.0.1:<port>`, for `dns.setServers`. */
  readonly server: string;
  output(): string;
  /** Stops it and starts it again on the same port with other record arguments. */
  restart(recordArgs: readonly string[]): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts dnsmasq with `recordArgs` (e.g. `--local=/scrape.test/`, `--srv-host=…`) and waits
 * until `probe` (a name it answers, with any answer) resolves through it.
 */
export async function startDnsmasq(
  recordArgs: readonly string[],
  probe = 'probe.invalid',
): Promise<RunningDnsmasq> {
  const port = await freePort();
  let out = '';
  let child: ChildProcess | undefined;

  const start = async (args: readonly string[]) => {
    const proc = spawn(
      DNSMASQ_PATH,
      [
        '--no-daemon',
        '--conf-file=/dev/null',
        '--no-resolv',
        '--no-hosts',
        '--pid-file=',
        '--bind-interfaces',
        '--listen-address=127.0.0.1',
        `--port=${port}`,
        ...args,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child = proc;
    proc.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
    });
    proc.stderr?.on('data', (d: Buffer) => {
      out += d.toString();
    });
    const resolver = new dns.Resolver({ timeout: 200, tries: 1 });
    resolver.setServers([`127.0.0.1:${port}`]);
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      if (proc.exitCode !== null || proc.signalCode !== null) {
        throw new Error(`dnsmasq exited with ${proc.exitCode ?? proc.signalCode}: ${out}`);
      }
      try {
        await resolver.resolve4(probe);
        return;
      } catch (err) {
        // Any DNS answer (NXDOMAIN, REFUSED, no data) means it is serving.
        const code = (err as { code?: string }).code;
        if (code !== 'ECONNREFUSED' && code !== 'ETIMEOUT') return;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`dnsmasq not answering on port ${port}: ${out}`);
  };

  const halt = async () => {
    const proc = child;
    child = undefined;
    if (proc === undefined || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGTERM');
    await exited;
  };

  await start(recordArgs);
  return {
    port,
    server: `127.0.0.1:${port}`,
    output: () => out,
    restart: async (args) => {
      await halt();
      await start(args);
    },
    stop: halt,
  };
}
