/**
 * Where an outgoing HTTP connection may go (docs/security.md, "The egress guard"). Targets and
 * SD answers are not trusted (decision 9): a discovered target may name any address and path,
 * including the Lambda function's own Runtime API, whose `/runtime/invocation/next` would make
 * the scraper take over its own invocation. Two rules, checked here and nowhere else:
 *
 * - **Runtime API** (on in the Lambda driver, always): no connection to the address and port of
 *   `AWS_LAMBDA_RUNTIME_API` (the Extensions API shares it). Any loopback or unspecified address
 *   (127.0.0.0/8, ::1, 0.0.0.0/8, ::, their IPv4-mapped forms) on that port counts as it. Applies
 *   to every connection: scrapes, SD requests and remote writes.
 * - **Denied ranges** (opt-in, both drivers): no connection to an address in one of the
 *   configured CIDR ranges. Applies to scrapes and SD requests (`scope: 'untrusted'`), not to
 *   remote write (`scope: 'backend'`), whose endpoint is the operator's own config.
 *
 * The check runs in undici's connector ({@link guardConnector}), i.e. on every new connection:
 * after DNS resolution (the guard resolves the name itself and connects to the address it
 * checked, so a second resolution cannot answer differently) and therefore on every redirect,
 * since a redirect to another origin opens its own connection. A name is refused when any of
 * its addresses is refused.
 *
 * The policy is one per process ({@link installEgressPolicy}), installed by the driver at start
 * (src/serverless/runtime.ts, src/cli/run.ts). It is process-wide on purpose: every dispatcher
 * built by src/http/client.ts reads it at connect time, so no caller can forget to pass it and
 * a dispatcher built before installation is covered too.
 */
import { lookup as dnsLookup } from 'node:dns';
import { BlockList, isIP } from 'node:net';
import type { buildConnector } from 'undici';

export const EGRESS_ERROR_CODES = {
  /** A connection was refused by the policy (`reason` says which rule). */
  refused: 'EGRESS_REFUSED',
  /** A CIDR list or AWS_LAMBDA_RUNTIME_API value does not parse. */
  invalid: 'EGRESS_POLICY_INVALID',
} as const;
export type EgressErrorCode = (typeof EGRESS_ERROR_CODES)[keyof typeof EGRESS_ERROR_CODES];

/** Why a connection was refused; also the `reason` label of the refusal counter. */
export const EGRESS_REFUSAL_REASONS = ['runtime_api', 'denied_range'] as const;
export type EgressRefusalReason = (typeof EGRESS_REFUSAL_REASONS)[number];

/** The one error class of this module. */
export class EgressError extends Error {
  override readonly name = 'EgressError';
  constructor(
    readonly code: EgressErrorCode,
    message: string,
    readonly reason?: EgressRefusalReason,
  ) {
    super(message);
  }
}

/** What a dispatcher's connections are for: which rules apply to them. */
export type EgressScope = 'untrusted' | 'backend';

export interface EgressPolicy {
  /** `AWS_LAMBDA_RUNTIME_API` as set by Lambda (`host:port`); undefined outside Lambda. */
  readonly runtimeApi?: string | undefined;
  /** Denied ranges, CIDR (`169.254.0.0/16`, `fd00::/8`) or single addresses. @default [] */
  readonly deniedRanges?: readonly string[];
}

interface CompiledPolicy {
  readonly runtimeApiPort: number | undefined;
  /** The Runtime API's own address (when an IP) and every loopback/unspecified address. */
  readonly runtimeApiHosts: BlockList;
  readonly denied: BlockList;
  /** Each range on its own, to name the one that refused. */
  readonly deniedEach: readonly { readonly text: string; readonly list: BlockList }[];
  readonly empty: boolean;
}

let installed: CompiledPolicy | undefined;
const refusals: Record<EgressRefusalReason, number> = { runtime_api: 0, denied_range: 0 };

/** One CIDR or address → [address, prefix, family]. Throws `EGRESS_POLICY_INVALID`. */
function parseRange(text: string): [string, number, 'ipv4' | 'ipv6'] {
  const [address = '', prefixText, extra] = text.split('/');
  const family = isIP(address);
  const max = family === 4 ? 32 : 128;
  const prefix =
    prefixText === undefined ? max : /^[0-9]{1,3}$/.test(prefixText) ? Number(prefixText) : -1;
  if (family === 0 || extra !== undefined || prefix < 0 || prefix > max) {
    throw new EgressError(
      EGRESS_ERROR_CODES.invalid,
      `invalid address range ${JSON.stringify(text)}: want an IPv4 or IPv6 CIDR such as 169.254.0.0/16`,
    );
  }
  return [address, prefix, family === 4 ? 'ipv4' : 'ipv6'];
}

/**
 * Parses a comma-separated list of CIDR ranges (spaces allowed, empty entries ignored), as
 * LAMBDASCRAPE_DENY_CIDRS and `run --deny-cidrs` take it. Throws `EGRESS_POLICY_INVALID`.
 */
export function parseCidrList(text: string): string[] {
  const ranges = text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  for (const r of ranges) parseRange(r);
  return ranges;
}

/** `host:port` of AWS_LAMBDA_RUNTIME_API. Throws `EGRESS_POLICY_INVALID`. */
function parseRuntimeApi(text: string): { host: string; port: number } {
  const m = /^\[?([^\]]*)\]?:([0-9]{1,5})$/.exec(text.trim());
  const port = m === null ? 0 : Number(m[2]);
  if (m === null || m[1] === '' || port < 1 || port > 65_535) {
    throw new EgressError(
      EGRESS_ERROR_CODES.invalid,
      `invalid AWS_LAMBDA_RUNTIME_API ${JSON.stringify(text)}: want host:port`,
    );
  }
  return { host: m[1] ?? '', port };
}

function compile(policy: EgressPolicy): CompiledPolicy {
  const runtimeApiHosts = new BlockList();
  let runtimeApiPort: number | undefined;
  if (policy.runtimeApi !== undefined && policy.runtimeApi.trim() !== '') {
    const api = parseRuntimeApi(policy.runtimeApi);
    runtimeApiPort = api.port;
    // Loopback and "this host" (0.0.0.0 and :: connect to the local host on Linux).
    runtimeApiHosts.addSubnet('127.0.0.0', 8, 'ipv4');
    runtimeApiHosts.addSubnet('0.0.0.0', 8, 'ipv4');
    runtimeApiHosts.addAddress('::1', 'ipv6');
    runtimeApiHosts.addAddress('::', 'ipv6');
    const family = isIP(api.host);
    if (family !== 0) runtimeApiHosts.addAddress(api.host, family === 4 ? 'ipv4' : 'ipv6');
  }
  const denied = new BlockList();
  const deniedEach = (policy.deniedRanges ?? []).map((text) => {
    const [address, prefix, family] = parseRange(text);
    denied.addSubnet(address, prefix, family);
    const list = new BlockList();
    list.addSubnet(address, prefix, family);
    return { text, list };
  });
  return {
    runtimeApiPort,
    runtimeApiHosts,
    denied,
    deniedEach,
    empty: runtimeApiPort === undefined && deniedEach.length === 0,
  };
}

/**
 * Installs the process's policy (replacing the previous one; `undefined` removes it). Throws
 * `EGRESS_POLICY_INVALID` for a bad range or AWS_LAMBDA_RUNTIME_API, leaving the previous policy.
 */
export function installEgressPolicy(policy: EgressPolicy | undefined): void {
  installed = policy === undefined ? undefined : compile(policy);
}

/** Connections refused since the process started, by reason (for the self-metrics). */
export function egressRefusals(): Readonly<Record<EgressRefusalReason, number>> {
  return { ...refusals };
}

function familyOf(address: string): 'ipv4' | 'ipv6' {
  return isIP(address) === 4 ? 'ipv4' : 'ipv6';
}

/**
 * The refusal for a connection to `address` (an IP) and `port` under the installed policy, or
 * undefined when it may go. Counts what it refuses. Message in Go's dial-error form, since it
 * ends up after `Get "<url>": ` in a scrape's error.
 */
export function checkEgress(
  address: string,
  port: number,
  scope: EgressScope,
): EgressError | undefined {
  const policy = installed;
  if (policy === undefined || policy.empty) return undefined;
  const family = familyOf(address);
  const shown = family === 'ipv6' ? `[${address}]:${port}` : `${address}:${port}`;
  let reason: EgressRefusalReason | undefined;
  let why = '';
  if (port === policy.runtimeApiPort && policy.runtimeApiHosts.check(address, family)) {
    reason = 'runtime_api';
    why = 'the Lambda Runtime API (AWS_LAMBDA_RUNTIME_API) is never a target';
  } else if (scope === 'untrusted' && policy.denied.check(address, family)) {
    reason = 'denied_range';
    const range = policy.deniedEach.find((r) => r.list.check(address, family));
    why = `address in denied range ${range?.text ?? '?'}`;
  }
  if (reason === undefined) return undefined;
  refusals[reason] += 1;
  return new EgressError(
    EGRESS_ERROR_CODES.refused,
    `dial tcp ${shown}: connection refused by lambdascrape: ${why}`,
    reason,
  );
}

/** Connection errors after which the next address of a name is tried, as Go's dialer does. */
const NEXT_ADDRESS_CODES = new Set([
  'ECONNREFUSED',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'EADDRNOTAVAIL',
  'EAFNOSUPPORT',
]);

/**
 * `base` (undici's connector) with the installed policy checked before every connection. With
 * no policy installed (or an empty one) it is `base` itself at the cost of one branch. Otherwise
 * a name is resolved here (all its addresses; any refused refuses the name) and `base` connects
 * to the checked addresses in order, the next one tried when one cannot be reached. TLS still
 * verifies the name: undici derives `servername` from `host`, which is left as it was.
 */
export function guardConnector(
  base: buildConnector.connector,
  scope: EgressScope,
): buildConnector.connector {
  return (options, callback) => {
    const policy = installed;
    if (policy === undefined || policy.empty) {
      base(options, callback);
      return;
    }
    const port = Number(options.port) || (options.protocol === 'https:' ? 443 : 80);
    const fail = (err: Error) => callback(err, null);
    if (isIP(options.hostname) !== 0) {
      const refused = checkEgress(options.hostname, port, scope);
      if (refused !== undefined) fail(refused);
      else base(options, callback);
      return;
    }
    dnsLookup(options.hostname, { all: true }, (err, addresses) => {
      if (err !== null) {
        fail(err);
        return;
      }
      for (const a of addresses) {
        const refused = checkEgress(a.address, port, scope);
        if (refused !== undefined) {
          fail(refused);
          return;
        }
      }
      const attempt = (i: number): void => {
        base({ ...options, hostname: addresses[i]?.address ?? options.hostname }, (e, socket) => {
          const code = (e as { code?: string } | null)?.code;
          if (
            e !== null &&
            i + 1 < addresses.length &&
            code !== undefined &&
            NEXT_ADDRESS_CODES.has(code)
          ) {
            attempt(i + 1);
          } else if (e !== null) {
            callback(e, null);
          } else {
            callback(null, socket);
          }
        });
      };
      attempt(0);
    });
  };
}
