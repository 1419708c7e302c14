/**
 * The files a prometheus.yml needs beside it, as the construct sees them at synth time:
 * - files it reads as data (`scrape_config_files` matches, `file_sd_configs` matches, and the
 *   operator's `extraFiles`): copied into every function's bundle, keeping their place relative
 *   to the config, so the same relative paths resolve under /var/task;
 * - credential files (`*_file` of the HTTP client settings, §1.5): those holding a secret must
 *   come from Secrets Manager (`secretFiles`), never from the bundle, which is stored in clear;
 * - inline secrets (`password:`, `bearer_token:`, `secret_key:` …, a password in a URL's
 *   userinfo, a `token`-like query value or `params` entry), which would end up in clear in the
 *   bundle.
 *
 * Every function here is pure over the loaded config (plus directory listings for globs) and
 * reports problems as strings; the construct turns them into one error.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { glob } from '../src/config/glob.js';
import type { Config, HttpClientConfig, Secret, TlsConfig } from '../src/config/types.js';
import { matchStar } from '../src/discovery/file/glob.js';
import { LAMBDA_TASK_ROOT, type ScraperConfig } from './scraper-config.js';

/** A file copied into the bundle: `source` here → `target` relative to the task root. */
export interface BundleFile {
  readonly source: string;
  readonly target: string;
}

/**
 * `secret`: the file holds a credential (password, token, private key) and must come from
 * Secrets Manager. `plain`: it may be bundled (a CA certificate, a user name).
 */
export type FileRefKind = 'secret' | 'plain';

/** One `*_file` setting of the config. */
export interface FileRef {
  /** Absolute path on this machine (resolved as the loader resolves it). */
  readonly path: string;
  /** YAML field, e.g. `password_file`. */
  readonly field: string;
  /** Where it is, e.g. `remote_write "grafana" basic_auth`. */
  readonly where: string;
  readonly kind: FileRefKind;
}

/** Fields of raw (carried-as-data) SD configs, by YAML name: which hold a secret. */
const SECRET_FILE_FIELDS: ReadonlySet<string> = new Set([
  'password_file',
  'credentials_file',
  'bearer_token_file',
  'client_secret_file',
  'client_certificate_key_file',
  'key_file',
]);

/**
 * `secret` when the kubeconfig at `path` carries a credential of its own — a user's `token`,
 * `password`, `client-key-data`, `client-key` or `auth-provider` — or cannot be read as one;
 * `plain` for a kubeconfig whose users only name an exec plugin (EKS's `aws eks get-token`,
 * which the functions make from their role), which may be bundled.
 */
function kubeconfigKind(path: string): FileRefKind {
  let users: unknown;
  try {
    users = (parseYaml(readFileSync(path, 'utf8')) as { users?: unknown } | null)?.users;
  } catch {
    return 'secret';
  }
  if (users === undefined || users === null) return 'plain';
  if (!Array.isArray(users)) return 'secret';
  const CREDENTIALS = ['token', 'password', 'client-key-data', 'client-key', 'auth-provider'];
  for (const u of users) {
    const user = isRecord(u) ? u.user : undefined;
    if (user === undefined || user === null) continue;
    if (!isRecord(user) || CREDENTIALS.some((k) => user[k] !== undefined)) return 'secret';
  }
  return 'plain';
}

/** Inline secret fields of raw SD configs (ec2 `secret_key`, consul `token`, …). */
const INLINE_SECRET_FIELDS: ReadonlySet<string> = new Set([
  'password',
  'credentials',
  'bearer_token',
  'client_secret',
  'client_certificate_key',
  'secret_key',
  'token',
  'key',
]);

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Collects the `*_file` settings of one HTTP client config (§1.5) into `out`. */
function httpClientRefs(http: HttpClientConfig, where: string, out: FileRef[]): void {
  const add = (path: string | undefined, field: string, at: string, kind: FileRefKind) => {
    if (path !== undefined) out.push({ path, field, where: at, kind });
  };
  const tls = (t: TlsConfig, at: string) => {
    add(t.caFile, 'ca_file', at, 'plain');
    add(t.certFile, 'cert_file', at, 'plain');
    add(t.keyFile, 'key_file', at, 'secret');
  };
  add(http.basicAuth?.usernameFile, 'username_file', `${where} basic_auth`, 'plain');
  add(http.basicAuth?.passwordFile, 'password_file', `${where} basic_auth`, 'secret');
  // bearer_token_file is folded into authorization.credentials_file by the loader.
  add(http.authorization?.credentialsFile, 'credentials_file', `${where} authorization`, 'secret');
  const oauth2 = http.oauth2;
  if (oauth2 !== undefined) {
    add(oauth2.clientSecretFile, 'client_secret_file', `${where} oauth2`, 'secret');
    add(
      oauth2.clientCertificateKeyFile,
      'client_certificate_key_file',
      `${where} oauth2`,
      'secret',
    );
    tls(oauth2.tlsConfig, `${where} oauth2 tls_config`);
  }
  tls(http.tlsConfig, `${where} tls_config`);
  for (const [name, header] of Object.entries(http.httpHeaders)) {
    for (const path of header.files) {
      add(path, 'files', `${where} http_headers ${JSON.stringify(name)}`, 'secret');
    }
  }
}

/** Walks a raw SD config (plain YAML data) for `*_file` strings and `http_headers.*.files`. */
function rawRefs(value: unknown, where: string, dir: string, out: FileRef[]): void {
  if (Array.isArray(value)) {
    value.forEach((v, i) => {
      rawRefs(v, `${where}[${i}]`, dir, out);
    });
    return;
  }
  if (!isRecord(value)) return;
  for (const [key, v] of Object.entries(value)) {
    if (key.endsWith('_file') && typeof v === 'string' && v !== '') {
      const path = resolve(dir, v);
      const kind =
        key === 'kubeconfig_file'
          ? kubeconfigKind(path)
          : SECRET_FILE_FIELDS.has(key)
            ? 'secret'
            : 'plain';
      out.push({ path, field: key, where, kind });
    } else if (key === 'http_headers' && isRecord(v)) {
      for (const [name, header] of Object.entries(v)) {
        const files = isRecord(header) ? header.files : undefined;
        if (!Array.isArray(files)) continue;
        for (const f of files) {
          if (typeof f === 'string' && f !== '') {
            out.push({
              path: resolve(dir, f),
              field: 'files',
              where: `${where} http_headers ${JSON.stringify(name)}`,
              kind: 'secret',
            });
          }
        }
      }
    } else {
      rawRefs(v, `${where} ${key}`, dir, out);
    }
  }
}

/** Every `*_file` setting of the config: scrape jobs, their raw SD configs, remote writes. */
export function credentialFileRefs(config: Config, dir: string): FileRef[] {
  const out: FileRef[] = [];
  for (const job of config.scrapeConfigs) {
    const where = `job ${JSON.stringify(job.jobName)}`;
    httpClientRefs(job.httpClient, where, out);
    for (const [field, list] of Object.entries(job.otherSdConfigs)) {
      rawRefs(list, `${where} ${field}`, dir, out);
    }
  }
  for (const rw of config.remoteWrite) {
    httpClientRefs(rw.httpClient, `remote_write ${JSON.stringify(rw.name)}`, out);
  }
  return out;
}

const isSecret = (v: unknown): v is Secret =>
  typeof v === 'object' && v !== null && typeof (v as { reveal?: unknown }).reveal === 'function';

function secretsIn(value: unknown, where: string, out: string[], seen: Set<object>): void {
  if (value === null || typeof value !== 'object') return;
  if (isSecret(value)) {
    out.push(where);
    return;
  }
  if (seen.has(value)) return;
  seen.add(value);
  if (Array.isArray(value)) {
    value.forEach((v, i) => {
      secretsIn(v, `${where}[${i}]`, out, seen);
    });
    return;
  }
  for (const [key, v] of Object.entries(value)) secretsIn(v, `${where}.${key}`, out, seen);
}

function rawSecretsIn(value: unknown, where: string, out: string[]): void {
  if (Array.isArray(value)) {
    value.forEach((v, i) => {
      rawSecretsIn(v, `${where}[${i}]`, out);
    });
    return;
  }
  if (!isRecord(value)) return;
  for (const [key, v] of Object.entries(value)) {
    if (INLINE_SECRET_FIELDS.has(key) && typeof v === 'string' && v !== '')
      out.push(`${where}.${key}`);
    else if ((key === 'url' || key.endsWith('_url')) && typeof v === 'string') {
      urlSecrets(v, `${where}.${key}`, out);
    } else if (key === 'proxy_connect_header' && isRecord(v)) {
      // Every value of a CONNECT header is a secret (common:config ProxyHeader).
      for (const [name, values] of Object.entries(v)) {
        if (Array.isArray(values) && values.some((x) => x !== '' && x !== null)) {
          out.push(`${where}.proxy_connect_header.${name}`);
        }
      }
    } else if (key === 'http_headers' && isRecord(v)) {
      for (const [name, header] of Object.entries(v)) {
        const secrets = isRecord(header) ? header.secrets : undefined;
        if (Array.isArray(secrets) && secrets.length > 0) {
          out.push(`${where}.http_headers.${name}.secrets`);
        }
      }
    } else rawSecretsIn(v, `${where}.${key}`, out);
  }
}

/**
 * Query parameter names that say they hold a credential (`token`, `access_token`, `api_key`,
 * `apikey`, `password`, …): the rule the logger redacts field names by (src/log/logger.ts).
 */
const CREDENTIAL_NAME =
  /(^|[_.-])(password|passwd|secret|token|bearer|authorization|credentials?|api_?key)($|[_.-])/i;

/**
 * The secrets a URL as written holds: a password in its userinfo (what Go's `URL.Redacted`
 * hides), a non-empty value of a credential-named query parameter. A URL that does not parse
 * is the loader's business.
 */
function urlSecrets(url: string | undefined, where: string, out: string[]): void {
  if (url === undefined || url === '') return;
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return;
  }
  if (u.password !== '') out.push(`${where} (password in userinfo)`);
  for (const [name, value] of u.searchParams) {
    if (value !== '' && CREDENTIAL_NAME.test(name)) {
      out.push(`${where} (query token)`);
      return;
    }
  }
}

/**
 * The URLs of one HTTP client config that may carry credentials: `proxy_url`, and oauth2's
 * `token_url` and its own `proxy_url`. (`proxy_connect_header` values are `Secret`s, found by
 * {@link secretsIn}.)
 */
function httpClientUrlSecrets(http: HttpClientConfig, where: string, out: string[]): void {
  urlSecrets(http.proxyUrl, `${where}.proxyUrl`, out);
  urlSecrets(http.oauth2?.tokenUrl, `${where}.oauth2.tokenUrl`, out);
  urlSecrets(http.oauth2?.proxyUrl, `${where}.oauth2.proxyUrl`, out);
}

/**
 * Where the config holds a secret inline (field paths in the typed config, never the value),
 * e.g. `remote_write "grafana".httpClient.basicAuth.password`. Besides the `Secret` fields:
 * URLs with a password in their userinfo or a token-like query value (`proxy_url`, oauth2
 * `token_url` and `proxy_url`, SD URLs, remote-write URLs), raw SD configs' `proxy_connect_header` and `params` / `__param_*` labels named like a credential — all of them
 * would be bundled in clear like a `password:` (issue 13).
 */
export function inlineSecretFields(config: Config): string[] {
  const out: string[] = [];
  const seen = new Set<object>();
  for (const job of config.scrapeConfigs) {
    const where = `job ${JSON.stringify(job.jobName)}`;
    secretsIn(job.httpClient, `${where}.httpClient`, out, seen);
    httpClientUrlSecrets(job.httpClient, `${where}.httpClient`, out);
    for (const [name, values] of Object.entries(job.params)) {
      if (CREDENTIAL_NAME.test(name) && values.some((v) => v !== '')) {
        out.push(`${where}.params.${name}`);
      }
    }
    job.staticConfigs.forEach((sc, i) => {
      for (const [name, value] of Object.entries(sc.labels)) {
        const param = name.startsWith('__param_') ? name.slice('__param_'.length) : undefined;
        if (param !== undefined && value !== '' && CREDENTIAL_NAME.test(param)) {
          out.push(`${where}.static_configs[${i}].labels.${name}`);
        }
      }
    });
    for (const [field, list] of Object.entries(job.otherSdConfigs)) {
      rawSecretsIn(list, `${where}.${field}`, out);
    }
  }
  for (const rw of config.remoteWrite) {
    const where = `remote_write ${JSON.stringify(rw.name)}`;
    secretsIn(rw.httpClient, `${where}.httpClient`, out, seen);
    secretsIn(rw.sigv4, `${where}.sigv4`, out, seen);
    urlSecrets(rw.url, `${where}.url`, out);
    httpClientUrlSecrets(rw.httpClient, `${where}.httpClient`, out);
  }
  return out;
}

/** `path` relative to `dir` when inside it (never `..`), else undefined. */
export function insideDir(dir: string, path: string): string | undefined {
  const rel = relative(dir, path);
  if (rel === '' || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) return undefined;
  return rel.split(sep).join('/');
}

const lambdaRel = (path: string): string | undefined => insideDir(LAMBDA_TASK_ROOT, path);

/** Matches of a file_sd pattern (`*` in the last element only, §10.2) on this machine. */
function fileSdMatches(pattern: string): string[] {
  if (!pattern.includes('*')) return existsSync(pattern) ? [pattern] : [];
  const slash = pattern.lastIndexOf('/');
  const dir = pattern.slice(0, slash) || '/';
  const base = pattern.slice(slash + 1);
  let names: string[];
  try {
    names = readdirSync(dir).sort();
  } catch {
    return [];
  }
  return names.filter((n) => matchStar(base, n)).map((n) => join(dir, n));
}

export interface BundlePlan {
  readonly files: readonly BundleFile[];
  /** Problems that make the config undeployable as is (absolute or outside paths, …). */
  readonly errors: readonly string[];
  /** Things to tell the operator (patterns matching nothing, …). */
  readonly warnings: readonly string[];
}

/**
 * The data files to bundle next to prometheus.yml: matches of `scrape_config_files` and of
 * every job's `file_sd_configs`, plus `extraFiles` (relative to the config folder). Each must
 * sit inside the config folder and be written as a relative path, so that it resolves under
 * /var/task as it does here. Matches are taken now: a file added later needs a new deploy.
 */
export function planBundleFiles(sc: ScraperConfig, extraFiles: readonly string[]): BundlePlan {
  const files = new Map<string, BundleFile>();
  const errors: string[] = [];
  const warnings: string[] = [];
  const add = (source: string, what: string) => {
    const target = insideDir(sc.dir, source);
    if (target === undefined) {
      errors.push(
        `${what} ${source} is outside the config folder ${sc.dir}; move it beside the config`,
      );
      return;
    }
    if (!statSync(source).isFile()) {
      errors.push(`${what} ${source} is not a regular file`);
      return;
    }
    files.set(target, { source, target });
  };

  // Patterns as the functions see them: absolute ones do not move with the bundle.
  const written = (lambdaPath: string, localPath: string, what: string): boolean => {
    if (lambdaRel(lambdaPath) !== undefined) return true;
    errors.push(
      `${what} ${JSON.stringify(localPath)} is an absolute path: the functions read the config from ${LAMBDA_TASK_ROOT}, so write it relative to the config file`,
    );
    return false;
  };

  const lambdaPatterns = sc.lambdaView.scrapeConfigFiles ?? [];
  (sc.config.scrapeConfigFiles ?? []).forEach((pattern, i) => {
    const what = 'scrape_config_files pattern';
    if (!written(lambdaPatterns[i] ?? pattern, pattern, what)) return;
    const matches = glob(pattern);
    if (matches.length === 0) warnings.push(`${what} ${pattern} matches no file`);
    for (const m of matches) add(m, 'scrape_config_files file');
  });

  sc.config.scrapeConfigs.forEach((job) => {
    // Jobs of the main file have a Lambda view; those of scrape_config_files do not (their
    // paths resolve against their own folder, which the checks above keep inside).
    // By name: a check may have left jobs out of `config` (skipped for lacking discovery).
    const lambdaJob = sc.lambdaView.scrapeConfigs.find((l) => l.jobName === job.jobName);
    job.fileSdConfigs.forEach((sd, k) => {
      sd.files.forEach((pattern, f) => {
        const what = `job ${JSON.stringify(job.jobName)} file_sd_configs file`;
        const lambdaPattern = lambdaJob?.fileSdConfigs[k]?.files[f];
        if (lambdaPattern !== undefined && !written(lambdaPattern, pattern, what)) return;
        const matches = fileSdMatches(pattern);
        if (matches.length === 0) warnings.push(`${what} ${pattern} matches no file`);
        for (const m of matches) add(m, what);
      });
    });
  });

  for (const extra of extraFiles) {
    if (isAbsolute(extra)) {
      errors.push(
        `extraFiles entry ${JSON.stringify(extra)} must be relative to the config folder`,
      );
      continue;
    }
    const source = resolve(sc.dir, extra);
    if (!existsSync(source)) {
      errors.push(`extraFiles entry ${JSON.stringify(extra)} does not exist (${source})`);
      continue;
    }
    add(source, 'extraFiles entry');
  }
  return {
    files: [...files.values()].sort((a, b) =>
      a.target < b.target ? -1 : a.target > b.target ? 1 : 0,
    ),
    errors,
    warnings,
  };
}
