/**
 * Types of the undici files src/http/undici.ts loads directly (undici ships types for its index
 * only). Each is CommonJS; the default import is its `module.exports`.
 */
declare module 'undici/lib/dispatcher/agent.js' {
  const Agent: typeof import('undici').Agent;
  export default Agent;
}
declare module 'undici/lib/dispatcher/dispatcher.js' {
  const Dispatcher: typeof import('undici').Dispatcher;
  export default Dispatcher;
}
declare module 'undici/lib/dispatcher/pool.js' {
  const Pool: typeof import('undici').Pool;
  export default Pool;
}
declare module 'undici/lib/dispatcher/proxy-agent.js' {
  const ProxyAgent: typeof import('undici').ProxyAgent;
  export default ProxyAgent;
}
declare module 'undici/lib/api/index.js' {
  const api: {
    readonly request: (
      this: import('undici').Dispatcher,
      opts: object,
      handler?: unknown,
    ) => unknown;
    readonly [name: string]: unknown;
  };
  export default api;
}
declare module 'undici/lib/core/connect.js' {
  const buildConnector: typeof import('undici').buildConnector;
  export default buildConnector;
}
declare module 'undici/lib/core/errors.js' {
  const errors: typeof import('undici').errors;
  export default errors;
}
declare module 'undici/lib/core/util.js' {
  const util: {
    parseOrigin(url: unknown): URL;
    parseURL(url: unknown): URL;
  };
  export default util;
}
declare module 'undici/lib/interceptor/redirect.js' {
  const redirect: typeof import('undici').interceptors.redirect;
  export default redirect;
}
declare module 'undici/lib/global.js' {
  const global: {
    getGlobalDispatcher(): import('undici').Dispatcher;
  };
  export default global;
}
