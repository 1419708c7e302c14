/**
 * `http_sd_configs` entries (§10.3): Prometheus `http.SDConfig`, i.e. `url`, `refresh_interval`
 * and the inline HTTP client fields (§1.5).
 *
 * The config loader carries the entry as plain data (`ScrapeConfig.otherSdConfigs`). To apply the
 * loader's own HTTP client rules (field checks, mutual exclusions, `<secret>` handling, `*_file`
 * resolution) without a second implementation, the plain value is turned back into a YAML node
 * tree and read with {@link parseHttpClientConfig}. Scalars keep the types the loader resolved
 * (`yes` is already `true`), so no YAML 1.1 rule is applied twice.
 */
import { Document, LineCounter } from 'yaml';
import { Diagnostics } from '../../config/diagnostics.js';
import { HTTP_CLIENT_FIELDS, parseHttpClientConfig, redactUrl } from '../../config/http-client.js';
import type { HttpClientConfig } from '../../config/types.js';
import { YamlReader } from '../../config/yaml-reader.js';
import { HttpSdError, HttpSdErrorCode } from './error.js';

/** `refresh_interval` default (§10.3), ms. */
export const DEFAULT_HTTP_SD_REFRESH_INTERVAL = 60_000;

const HTTP_SD_FIELDS: ReadonlySet<string> = new Set([
  'url',
  'refresh_interval',
  ...HTTP_CLIENT_FIELDS,
]);

export interface HttpSdConfig {
  /** The URL as written (also the `__meta_url` value). */
  readonly url: string;
  /** ms; also the request timeout (§10.3). */
  readonly refreshInterval: number;
  readonly httpClient: HttpClientConfig;
}

export interface HttpSdConfigOptions {
  /** Folder relative `*_file` paths resolve against. @default none: paths are used as given */
  readonly configDir?: string;
}

/**
 * Validates one `http_sd_configs` entry given as plain data. `where` names it in messages
 * (e.g. `job "node" http_sd_configs[0]`). Throws {@link HttpSdError} `HTTP_SD_CONFIG` listing
 * every problem; secret values never appear in it.
 */
export function parseHttpSdConfig(
  raw: unknown,
  where: string,
  options: HttpSdConfigOptions = {},
): HttpSdConfig {
  const doc = new Document(raw);
  const errors = new Diagnostics();
  const reader = new YamlReader(where, options.configDir ?? '', doc, new LineCounter(), errors);
  const s = reader.struct(reader.root(), 'http.SDConfig', HTTP_SD_FIELDS);
  const httpClient = s === undefined ? undefined : parseHttpClientConfig(s, { enableHttp2: true });
  const url = s?.string('url');
  const interval = s?.duration('refresh_interval');
  if (s !== undefined && errors.length === 0) {
    // http.SDConfig.Validate, in its order.
    if (url === undefined || url === '') {
      s.fail(undefined, 'URL is missing');
    } else {
      const problem = urlProblem(url);
      if (problem !== undefined) s.fail('url', problem);
    }
  }
  if (s === undefined || httpClient === undefined || url === undefined || errors.length > 0) {
    throw new HttpSdError(
      HttpSdErrorCode.config,
      `invalid http_sd config: ${errors.sorted().join('; ')}`,
    );
  }
  return {
    url,
    // As the loader does for file_sd: an unset or zero interval means the default.
    refreshInterval: interval || DEFAULT_HTTP_SD_REFRESH_INTERVAL,
    httpClient,
  };
}

function urlProblem(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return `invalid URL ${JSON.stringify(redactUrl(url))}`;
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    return "URL scheme must be 'http' or 'https'";
  }
  // Go's url.Parse, not WHATWG: `http:/x` and `http:///x` have no host (WHATWG takes `x`).
  const authority = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/(?:[^/?#@]*@)?([^/?#]*)/.exec(url);
  if (parsed.host === '' || authority === null || authority[1] === '') {
    return 'host is missing in URL';
  }
  return undefined;
}
