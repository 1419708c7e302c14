/**
 * `http_sd_configs` entries (§10.3): Prometheus `http.SDConfig`, i.e. `url`, `refresh_interval`
 * and the inline HTTP client fields (§1.5), read with the config loader's reader and its HTTP
 * client parser (field checks, mutual exclusions, `<secret>` handling, `*_file` resolution).
 */
import type { Node } from 'yaml';
import { HTTP_CLIENT_FIELDS, parseHttpClientConfig, redactUrl } from '../../config/http-client.js';
import type { HttpClientConfig } from '../../config/types.js';
import type { YamlReader } from '../../config/yaml-reader.js';

/** `refresh_interval` default (§10.3), ms. */
export const DEFAULT_HTTP_SD_REFRESH_INTERVAL = 60_000;

export const HTTP_SD_FIELDS: ReadonlySet<string> = new Set([
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

/**
 * Reads one `http_sd_configs` entry. Problems are recorded on `reader` as `file:line:col: message`
 * (secret values never appear) and give undefined.
 */
export function parseHttpSdConfig(reader: YamlReader, node: Node): HttpSdConfig | undefined {
  const errorsBefore = reader.errors.length;
  const s = reader.struct(node, 'http.SDConfig', HTTP_SD_FIELDS);
  if (s === undefined) return undefined;
  const httpClient = parseHttpClientConfig(s, { enableHttp2: true });
  const url = s.string('url') ?? '';
  const interval = s.duration('refresh_interval');
  if (reader.errors.length > errorsBefore) return undefined;
  // http.SDConfig.Validate, in its order.
  const problem = url === '' ? 'URL is missing' : urlProblem(url);
  if (problem !== undefined) {
    s.fail(s.has('url') ? 'url' : undefined, problem);
    return undefined;
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
