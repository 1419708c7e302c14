/**
 * The parts of undici lambdascrape uses, loaded from undici's own files rather than its index.
 * Value imports of undici go through this module (`npm run deps` checks it); types come from
 * `undici` as usual.
 *
 * Why: undici is CommonJS, so a bundler keeps all of `undici/index.js` requires: fetch,
 * WebSocket, EventSource, the cache, cookies, the mock agents (esbuild cannot tree-shake
 * CommonJS). That was 526 KiB of each Lambda bundle; these files are about 300 KiB. The index
 * also reads `globalThis.Headers` at load (lib/web/cookies), which makes Node load its own
 * internal copy of undici during INIT.
 *
 * The module does what `undici/index.js` does for these parts and nothing else: it adds the
 * request API (`request`, `connect`, …) to `Dispatcher.prototype` (ProxyAgent itself calls
 * `connect` on its proxy client), and {@link request} is the index's `request` (same argument
 * checks, same global dispatcher when none is given). Checked against undici 7.x; its `lib/`
 * layout is not a public API, so a major upgrade must re-check the paths (the tests of
 * src/http, src/scrape and src/remotewrite go through this module).
 */
import type * as Undici from 'undici';
import api from 'undici/lib/api/index.js';
import buildConnector from 'undici/lib/core/connect.js';
import errors from 'undici/lib/core/errors.js';
import util from 'undici/lib/core/util.js';
import Agent from 'undici/lib/dispatcher/agent.js';
import Dispatcher from 'undici/lib/dispatcher/dispatcher.js';
import Pool from 'undici/lib/dispatcher/pool.js';
import ProxyAgent from 'undici/lib/dispatcher/proxy-agent.js';
import globalDispatcher from 'undici/lib/global.js';
import redirect from 'undici/lib/interceptor/redirect.js';

// As undici/index.js: `Object.assign(Dispatcher.prototype, api)`.
Object.assign(Dispatcher.prototype, api);

export { Agent, buildConnector, Dispatcher, Pool, ProxyAgent };

export const interceptors: Pick<typeof Undici.interceptors, 'redirect'> = { redirect };

type RequestOptions = Record<string, unknown> & {
  path?: unknown;
  method?: string;
  body?: unknown;
  agent?: unknown;
  dispatcher?: Undici.Dispatcher;
};

/** undici's `request(url, options)`: `makeDispatcher(api.request)` of undici/index.js. */
function indexRequest(url: unknown, options?: unknown, handler?: unknown): unknown {
  let opts = options as RequestOptions | null | undefined;
  if (typeof opts === 'function') {
    handler = opts;
    opts = null;
  }
  if (!url || (typeof url !== 'string' && typeof url !== 'object' && !(url instanceof URL))) {
    throw new errors.InvalidArgumentError('invalid url');
  }
  if (opts != null && typeof opts !== 'object') {
    throw new errors.InvalidArgumentError('invalid opts');
  }
  let target: URL;
  if (opts?.path != null) {
    if (typeof opts.path !== 'string') throw new errors.InvalidArgumentError('invalid opts.path');
    const path = opts.path.startsWith('/') ? opts.path : `/${opts.path}`;
    target = new URL(util.parseOrigin(url).origin + path);
  } else {
    if (!opts) opts = (typeof url === 'object' ? url : {}) as RequestOptions;
    target = util.parseURL(url);
  }
  const { agent, dispatcher = globalDispatcher.getGlobalDispatcher() } = opts;
  if (agent) {
    throw new errors.InvalidArgumentError('unsupported opts.agent. Did you mean opts.client?');
  }
  return api.request.call(
    dispatcher,
    {
      ...opts,
      origin: target.origin,
      path: target.search ? `${target.pathname}${target.search}` : target.pathname,
      method: opts.method || (opts.body ? 'PUT' : 'GET'),
    },
    handler,
  );
}

export const request = indexRequest as typeof Undici.request;
