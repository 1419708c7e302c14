/**
 * Which proxy a request goes through, and the dispatcher that sends it there (§1.5 proxy
 * settings, common:config `ProxyConfig.Proxy`). The choice is made per request (per redirect
 * hop), from the target URL alone:
 *
 * - `proxy_url` alone: every request goes through it (Go's `http.ProxyURL`), loopback included.
 * - `proxy_url` + `no_proxy`: Go's `httpproxy.Config{HTTPProxy, HTTPSProxy: proxy_url, NoProxy}`,
 *   see {@link httpProxyFunc}: `localhost` and loopback literals never use the proxy, and the
 *   entries of `no_proxy` bypass it.
 * - `proxy_from_environment`: the same function built from HTTP_PROXY / HTTPS_PROXY / NO_PROXY
 *   (upper case first, then lower case; empty counts as unset) and REQUEST_METHOD, read once
 *   when the dispatcher is built, through an {@link EnvironmentSource}.
 *
 * How a proxied request is sent, as Go's transport does it: an `http:` target through an
 * `http:`/`https:` proxy is a forward request (absolute URI, `Proxy-Authorization` from the
 * proxy URL's userinfo, no `proxy_connect_header`); an `https:` target is tunnelled with CONNECT,
 * which carries `proxy_connect_header` and the userinfo's `Proxy-Authorization` (that one wins
 * over a configured header of the same name). The header values are secrets: they are revealed
 * only into the requests and never into a message.
 */
import { BlockList, isIP } from 'node:net';
import type { Dispatcher } from 'undici';
import type { Secret } from '../config/types.js';
import { Dispatcher as DispatcherClass } from './undici.js';

/** Where proxy settings read environment variables from. */
export type EnvironmentSource = (name: string) => string | undefined;

/** The process environment: the default source, and the only place here that reads it. */
export const processEnvironment: EnvironmentSource = (name) => process.env[name];

/** The proxy settings of one HTTP client config (or of an oauth2 block). */
export interface ProxySettings {
  readonly proxyUrl: string | undefined;
  readonly noProxy?: string | undefined;
  readonly proxyFromEnvironment?: boolean | undefined;
  readonly proxyConnectHeader?: Readonly<Record<string, readonly Secret[]>> | undefined;
}

/** Go's `httpproxy.Config`: proxy URLs as written, the NO_PROXY list, whether CGI rules apply. */
export interface HttpProxyConfig {
  readonly httpProxy: string;
  readonly httpsProxy: string;
  readonly noProxy: string;
  /** REQUEST_METHOD is set: an HTTP_PROXY value is refused rather than used (golang.org/s/cgihttpproxy). */
  readonly cgi: boolean;
}

/** The proxy for a target URL, or undefined to connect directly. May throw {@link ProxyError}. */
export type ProxyFunc = (target: URL) => URL | undefined;

/** Code `PROXY_REFUSED`: the environment's HTTP_PROXY is not used in a CGI environment. */
export class ProxyError extends Error {
  readonly code = 'PROXY_REFUSED';
}

/** `httpproxy.FromEnvironment`, reading `env`. */
export function proxyConfigFromEnvironment(env: EnvironmentSource): HttpProxyConfig {
  const any = (...names: string[]) => {
    for (const n of names) {
      const v = env(n);
      if (v !== undefined && v !== '') return v;
    }
    return '';
  };
  return {
    httpProxy: any('HTTP_PROXY', 'http_proxy'),
    httpsProxy: any('HTTPS_PROXY', 'https_proxy'),
    noProxy: any('NO_PROXY', 'no_proxy'),
    cgi: (env('REQUEST_METHOD') ?? '') !== '',
  };
}

/**
 * The proxy function of a config's settings, or undefined when no proxy is configured (or the
 * environment names none). `env` is read now, once.
 */
export function proxyFuncFor(
  settings: ProxySettings,
  env: EnvironmentSource = processEnvironment,
): ProxyFunc | undefined {
  let config: HttpProxyConfig;
  if (settings.proxyFromEnvironment) {
    config = proxyConfigFromEnvironment(env);
    if (config.httpProxy === '' && config.httpsProxy === '') return undefined;
  } else if (settings.proxyUrl !== undefined && settings.proxyUrl !== '') {
    const proxy = new URL(settings.proxyUrl);
    if (settings.noProxy === undefined || settings.noProxy === '') return () => proxy;
    config = {
      httpProxy: settings.proxyUrl,
      httpsProxy: settings.proxyUrl,
      noProxy: settings.noProxy,
      cgi: false,
    };
  } else {
    return undefined;
  }
  return httpProxyFunc(config);
}

/** `httpproxy.parseProxy`: a URL, or `host[:port]` taken as `http://host[:port]`; else none. */
function parseProxyUrl(text: string): URL | undefined {
  if (text === '') return undefined;
  let url: URL | undefined;
  try {
    url = new URL(text);
  } catch {
    url = undefined;
  }
  if (url === undefined || url.host === '') {
    try {
      return new URL(`http://${text}`);
    } catch {
      return url;
    }
  }
  return url;
}

type Matcher = (host: string, port: string, ip: Ip | undefined) => boolean;

/**
 * Go's `httpproxy.Config.ProxyFunc`. NO_PROXY entries are comma-separated, trimmed and
 * lower-cased; `*` bypasses everything; an IP or CIDR (`10.0.0.0/8`, `::1`, `[::1]:80`) matches
 * IP-literal targets only (names are not resolved); a name matches itself and its subdomains,
 * `.name` (or `*.name`) subdomains only; any entry may carry a port (`name:8080`), compared with
 * the target's port (80/443 when the URL has none). Malformed entries are ignored.
 */
export function httpProxyFunc(config: HttpProxyConfig): ProxyFunc {
  const httpProxy = parseProxyUrl(config.httpProxy);
  const httpsProxy = parseProxyUrl(config.httpsProxy);
  const { ipMatchers, domainMatchers } = parseNoProxy(config.noProxy);
  const useProxy = (target: URL): boolean => {
    const host = hostnameOf(target);
    const port = target.port || DEFAULT_PORTS[target.protocol] || '';
    if (host === 'localhost') return false;
    const ip = parseIp(host);
    if (ip !== undefined && LOOPBACK.check(ip.address, ip.family)) return false;
    const name = host.trim().toLowerCase();
    if (ip !== undefined && ipMatchers.some((m) => m(name, port, ip))) return false;
    return !domainMatchers.some((m) => m(name, port, ip));
  };
  return (target) => {
    let proxy: URL | undefined;
    if (target.protocol === 'https:') {
      proxy = httpsProxy;
    } else if (target.protocol === 'http:') {
      proxy = httpProxy;
      if (proxy !== undefined && config.cgi) {
        throw new ProxyError(
          'refusing to use HTTP_PROXY value in CGI environment; see golang.org/s/cgihttpproxy',
        );
      }
    }
    if (proxy === undefined || !useProxy(target)) return undefined;
    return proxy;
  };
}

const DEFAULT_PORTS: Readonly<Record<string, string>> = {
  'http:': '80',
  'https:': '443',
  'socks5:': '1080',
};

/** A URL's host without IPv6 brackets (Go's `URL.Hostname`); WHATWG URLs are already punycode. */
function hostnameOf(url: URL): string {
  const h = url.hostname;
  return h.startsWith('[') && h.endsWith(']') ? h.slice(1, -1) : h;
}

function parseNoProxy(text: string): { ipMatchers: Matcher[]; domainMatchers: Matcher[] } {
  const ipMatchers: Matcher[] = [];
  const domainMatchers: Matcher[] = [];
  for (const raw of text.split(',')) {
    const p = raw.trim().toLowerCase();
    if (p === '') continue;
    if (p === '*') return { ipMatchers: [() => true], domainMatchers: [() => true] };
    const cidr = parseCidr(p);
    if (cidr !== undefined) {
      ipMatchers.push((_h, _p, ip) => ip !== undefined && cidr(ip));
      continue;
    }
    let phost: string;
    let pport = '';
    const split = splitHostPort(p);
    if (split !== undefined) {
      if (split.host === '') continue;
      phost = split.host;
      pport = split.port;
    } else {
      phost = p;
    }
    const pip = parseIp(phost);
    if (pip !== undefined) {
      const same = ipList((l) => l.addAddress(pip.address, pip.family));
      ipMatchers.push(
        (_h, port, ip) => ip !== undefined && same(ip) && (pport === '' || pport === port),
      );
      continue;
    }
    if (phost.startsWith('*.')) phost = phost.slice(1);
    const matchHost = !phost.startsWith('.');
    if (matchHost) phost = `.${phost}`;
    phost = toAscii(phost);
    const suffix = phost;
    domainMatchers.push((host, port, ip) => {
      if (ip !== undefined) return false;
      if (host.endsWith(suffix) || (matchHost && host === suffix.slice(1))) {
        return pport === '' || pport === port;
      }
      return false;
    });
  }
  return { ipMatchers, domainMatchers };
}

/** IDNA to ASCII for a `.name` suffix; the text as it is when it is ASCII or does not convert. */
function toAscii(dotted: string): string {
  if (/^[\x00-\x7f]*$/.test(dotted)) return dotted;
  try {
    const host = new URL(`http://x${dotted}`).hostname;
    return host.slice(1);
  } catch {
    return dotted;
  }
}

/** Go's `net.SplitHostPort`; undefined where it fails (no port, too many colons, stray brackets). */
function splitHostPort(s: string): { host: string; port: string } | undefined {
  let host: string;
  let rest: string;
  if (s.startsWith('[')) {
    const end = s.indexOf(']');
    if (end < 0) return undefined;
    host = s.slice(1, end);
    rest = s.slice(end + 1);
    if (!rest.startsWith(':') || host.includes('[') || host.includes(']')) return undefined;
  } else {
    const i = s.lastIndexOf(':');
    if (i < 0) return undefined;
    host = s.slice(0, i);
    rest = s.slice(i);
    if (host.includes(':') || host.includes('[') || host.includes(']')) return undefined;
  }
  const port = rest.slice(1);
  if (port.includes('[') || port.includes(']')) return undefined;
  return { host, port };
}

/** An IP literal and its family, for BlockList (which matches IPv4-mapped IPv6 to IPv4 rules). */
interface Ip {
  readonly address: string;
  readonly family: 'ipv4' | 'ipv6';
}

/** Go's `net.ParseIP`: a literal without a zone. */
function parseIp(text: string): Ip | undefined {
  const v = text.includes('%') ? 0 : isIP(text);
  return v === 0 ? undefined : { address: text, family: v === 4 ? 'ipv4' : 'ipv6' };
}

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

/** A BlockList matcher of one NO_PROXY IP or CIDR entry. */
function ipList(add: (list: BlockList) => void): (ip: Ip) => boolean {
  const list = new BlockList();
  add(list);
  return (ip) => list.check(ip.address, ip.family);
}

/** Go's `net.ParseCIDR` (a literal address, a prefix within its family's width) as a matcher. */
function parseCidr(text: string): ((ip: Ip) => boolean) | undefined {
  const slash = text.indexOf('/');
  if (slash < 0) return undefined;
  const ip = parseIp(text.slice(0, slash));
  const prefix = text.slice(slash + 1);
  if (ip === undefined || !/^[0-9]{1,3}$/.test(prefix)) return undefined;
  const bits = Number(prefix);
  if (bits > (ip.family === 'ipv4' ? 32 : 128)) return undefined;
  const inside = ipList((l) => l.addSubnet(ip.address, bits, ip.family));
  // Go's IPNet.Contains: an IPv6 network holds no IPv4 address.
  return ip.family === 'ipv6' ? (t) => t.family === 'ipv6' && inside(t) : inside;
}

/** A proxy URL's user name and password, percent-decoded (as written when they do not decode). */
export function proxyUserinfo(proxy: URL): { username: string; password: string } {
  const decode = (s: string) => {
    try {
      return decodeURIComponent(s);
    } catch {
      return s;
    }
  };
  return { username: decode(proxy.username), password: decode(proxy.password) };
}

/** Go's `proxyAuth`: `Basic` credentials from a proxy URL's userinfo, if it has any. */
export function proxyAuthorization(proxy: URL): string | undefined {
  if (proxy.username === '' && proxy.password === '') return undefined;
  const { username, password } = proxyUserinfo(proxy);
  return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
}

/** A proxy URL without its userinfo (what may be handed to code that could quote it). */
export function withoutUserinfo(proxy: URL): URL {
  const bare = new URL(proxy.href);
  bare.username = '';
  bare.password = '';
  return bare;
}

/**
 * The CONNECT headers: `proxy_connect_header` revealed (one line per value; a name with no
 * values is not sent), with the userinfo's `Proxy-Authorization` replacing a configured one.
 */
export function connectHeaders(
  configured: Readonly<Record<string, readonly Secret[]>> | undefined,
  authorization: string | undefined,
): Record<string, string | string[]> {
  const headers: Record<string, string | string[]> = Object.create(null);
  for (const [name, values] of Object.entries(configured ?? {})) {
    if (authorization !== undefined && name.toLowerCase() === 'proxy-authorization') continue;
    if (values.length === 0) continue;
    headers[name] = values.map((v) => v.reveal());
  }
  if (authorization !== undefined) headers['proxy-authorization'] = authorization;
  return headers;
}

/**
 * A dispatcher that sends every request on through others and owns them: closing or destroying
 * it closes or destroys each of them, with undici's overloads (a promise when no callback is
 * given; the callback is called once all are done, whether they succeeded or not).
 */
abstract class ForwardingDispatcher extends DispatcherClass {
  /** The dispatchers this one has sent requests through (or may), at the time of the call. */
  protected abstract forwardsTo(): Dispatcher[];

  override close(): Promise<void>;
  override close(callback: () => void): void;
  override close(callback?: () => void): Promise<void> | undefined {
    const done = Promise.all(this.forwardsTo().map((d) => d.close())).then(() => undefined);
    if (callback === undefined) return done;
    done.then(callback, callback);
    return undefined;
  }

  override destroy(err: Error | null, callback: () => void): void;
  override destroy(callback: () => void): void;
  override destroy(err: Error | null): Promise<void>;
  override destroy(): Promise<void>;
  override destroy(a?: Error | null | (() => void), b?: () => void): Promise<void> | undefined {
    const err = typeof a === 'function' ? null : (a ?? null);
    const callback = typeof a === 'function' ? a : b;
    const done = Promise.all(this.forwardsTo().map((d) => d.destroy(err))).then(() => undefined);
    if (callback === undefined) return done;
    done.then(callback, callback);
    return undefined;
  }
}

/** How {@link ProxyRouter} reaches a proxy for targets of one scheme. */
export type ProxyDispatcherFactory = (proxy: URL, targetProtocol: string) => Dispatcher;

/**
 * Sends each request directly or through the proxy {@link ProxyFunc} names for its origin. The
 * dispatchers for a proxy are built on first use, one per proxy and target scheme, and closed
 * with the router.
 */
export class ProxyRouter extends ForwardingDispatcher {
  private readonly viaProxy = new Map<string, Dispatcher>();

  constructor(
    private readonly route: ProxyFunc,
    private readonly direct: Dispatcher,
    private readonly factory: ProxyDispatcherFactory,
  ) {
    super();
  }

  override dispatch(opts: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler) {
    const origin = new URL(String(opts.origin));
    const proxy = this.route(origin);
    if (proxy === undefined) return this.direct.dispatch(opts, handler);
    const key = `${origin.protocol} ${proxy.href}`;
    let via = this.viaProxy.get(key);
    if (via === undefined) {
      via = this.factory(proxy, origin.protocol);
      this.viaProxy.set(key, via);
    }
    return via.dispatch(opts, handler);
  }

  protected override forwardsTo(): Dispatcher[] {
    return [this.direct, ...this.viaProxy.values()];
  }
}

/**
 * An `http:` target through a proxy, Go's way: the request goes to the proxy with the target's
 * absolute URI as its path, the target's `host`, and the userinfo's `Proxy-Authorization`. The
 * proxy's answer is the response (a 407 is a response like any other, as in Go).
 */
export class ForwardProxy extends ForwardingDispatcher {
  constructor(
    private readonly toProxy: Dispatcher,
    private readonly authorization: string | undefined,
  ) {
    super();
  }

  override dispatch(opts: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler) {
    const target = new URL(String(opts.origin));
    const headers = flatHeaders(opts.headers);
    const has = (name: string) =>
      headers.some((v, i) => i % 2 === 0 && String(v).toLowerCase() === name);
    if (!has('host')) headers.push('host', target.host);
    if (this.authorization !== undefined) headers.push('proxy-authorization', this.authorization);
    const path = opts.path.startsWith('/') ? opts.path : `/${opts.path}`;
    return this.toProxy.dispatch({ ...opts, path: `${target.origin}${path}`, headers }, handler);
  }

  protected override forwardsTo(): Dispatcher[] {
    return [this.toProxy];
  }
}

/** Request headers in any form undici takes, as a flat `[name, value, …]` list of strings. */
function flatHeaders(headers: Dispatcher.DispatchOptions['headers']): string[] {
  const out: string[] = [];
  const add = (name: unknown, value: unknown) => {
    if (value === undefined || value === null) return;
    if (Array.isArray(value)) for (const v of value) out.push(String(name), String(v));
    else out.push(String(name), String(value));
  };
  if (headers === undefined || headers === null) return out;
  if (Array.isArray(headers)) {
    if (headers.length > 0 && Array.isArray(headers[0])) {
      for (const pair of headers as unknown as unknown[][]) add(pair[0], pair[1]);
    } else {
      for (let i = 0; i + 1 < headers.length; i += 2) add(headers[i], headers[i + 1]);
    }
    return out;
  }
  if (typeof headers === 'object' && Symbol.iterator in headers) {
    for (const [name, value] of headers as Iterable<[unknown, unknown]>) add(name, value);
    return out;
  }
  for (const [name, value] of Object.entries(headers)) add(name, value);
  return out;
}
