/**
 * Reading a kubeconfig file (`kubeconfig_file`) the way client-go's `BuildConfigFromFlags("",
 * path)` does for what discovery needs: the `current-context`, its cluster (`server`,
 * `certificate-authority[-data]`, `insecure-skip-tls-verify`, `tls-server-name`, `proxy-url`)
 * and its user (`token`, `tokenFile`, `client-certificate[-data]`, `client-key[-data]`,
 * `username`/`password`, or an `exec` credential plugin). Relative file paths resolve against
 * the kubeconfig's folder.
 *
 * Credential plugins are not run (a Lambda function has no `aws` binary, and discovery starts
 * no process): the one plugin recognised is `aws eks get-token` (also `aws-iam-authenticator
 * token`), whose token lambdascrape makes itself from the function's AWS credentials (eks.ts).
 * Any other `exec`, and `auth-provider`, is an error naming it.
 */
import { dirname, isAbsolute, resolve } from 'node:path';
import { parse } from 'yaml';
import { DEFAULT_TLS_CONFIG } from '../../config/http-client.js';
import { SecretValue } from '../../config/secret.js';
import type { HttpClientConfig, TlsConfig } from '../../config/types.js';
import { KubernetesSdError, KubernetesSdErrorCode } from './error.js';

/** An `aws eks get-token` plugin, recognised: what the token is made from. */
export interface EksExec {
  readonly clusterName: string;
  /** `--region`, or AWS_REGION / AWS_DEFAULT_REGION of the plugin's `env`. */
  readonly region: string | undefined;
}

export interface Kubeconfig {
  /** The cluster's `server`, no trailing `/`. */
  readonly server: string;
  readonly httpClient: HttpClientConfig;
  readonly eks: EksExec | undefined;
}

/** An HTTP client config with nothing set: Prometheus's defaults. */
export const PLAIN_HTTP_CLIENT: HttpClientConfig = {
  basicAuth: undefined,
  authorization: undefined,
  oauth2: undefined,
  tlsConfig: DEFAULT_TLS_CONFIG,
  followRedirects: true,
  enableHttp2: true,
  proxyUrl: undefined,
  noProxy: undefined,
  proxyFromEnvironment: false,
  proxyConnectHeader: {},
  httpHeaders: {},
};

type Obj = Record<string, unknown>;

function fail(path: string, message: string): never {
  throw new KubernetesSdError(KubernetesSdErrorCode.config, `kubeconfig ${path}: ${message}`);
}

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The entry of `list` (clusters, users, contexts) named `name`, its inner `key` object. */
function named(path: string, doc: Obj, list: string, key: string, name: string): Obj {
  const entries = doc[list] ?? [];
  if (!Array.isArray(entries)) fail(path, `${list} is not a list`);
  const entry = entries.find((e) => isObj(e) && e.name === name);
  if (entry === undefined) fail(path, `no ${key} named ${JSON.stringify(name)}`);
  const inner = (entry as Obj)[key] ?? {};
  if (!isObj(inner)) fail(path, `${list} entry ${JSON.stringify(name)}: ${key} is not an object`);
  return inner;
}

function str(path: string, o: Obj, key: string, where: string): string | undefined {
  const v = o[key];
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string') fail(path, `${where}.${key} is not a string`);
  return v;
}

function base64Data(path: string, o: Obj, key: string, where: string): string | undefined {
  const v = str(path, o, key, where);
  if (v === undefined) return undefined;
  if (!/^[A-Za-z0-9+/\s]*={0,2}\s*$/.test(v)) fail(path, `${where}.${key} is not base64`);
  return Buffer.from(v, 'base64').toString('utf8');
}

/** The `aws eks get-token` (or aws-iam-authenticator) plugin of `exec`, else an error. */
function eksExec(path: string, exec: Obj): EksExec {
  const command = str(path, exec, 'command', 'user.exec') ?? '';
  const rawArgs = exec.args ?? [];
  if (!Array.isArray(rawArgs) || !rawArgs.every((a) => typeof a === 'string')) {
    fail(path, 'user.exec.args is not a list of strings');
  }
  const args = rawArgs as string[];
  const env = new Map<string, string>();
  for (const e of Array.isArray(exec.env) ? exec.env : []) {
    if (isObj(e) && typeof e.name === 'string' && typeof e.value === 'string') {
      env.set(e.name, e.value);
    }
  }
  const base = command.split('/').pop() ?? '';
  const option = (...names: string[]): string | undefined => {
    for (let i = 0; i < args.length; i++) {
      for (const n of names) {
        if (args[i] === n) return args[i + 1];
        if (args[i]!.startsWith(`${n}=`)) return args[i]!.slice(n.length + 1);
      }
    }
    return undefined;
  };
  let clusterName: string | undefined;
  if (
    (base === 'aws' || base === 'aws.exe') &&
    args.includes('eks') &&
    args.includes('get-token')
  ) {
    clusterName = option('--cluster-name', '--cluster-id');
  } else if (base === 'aws-iam-authenticator' && args.includes('token')) {
    clusterName = option('-i', '--cluster-id');
  } else {
    fail(
      path,
      `the credential plugin ${JSON.stringify(command)} is not supported: lambdascrape runs no plugin and makes the token of 'aws eks get-token' itself; use that, a token, tokenFile or client certificate`,
    );
  }
  if (option('--role-arn', '-r') !== undefined) {
    fail(
      path,
      `--role-arn of ${JSON.stringify(command)} is not supported: give the function's own role an EKS access entry`,
    );
  }
  if (clusterName === undefined || clusterName === '') {
    fail(path, `${JSON.stringify(command)} needs --cluster-name`);
  }
  return {
    clusterName,
    region: option('--region') ?? env.get('AWS_REGION') ?? env.get('AWS_DEFAULT_REGION'),
  };
}

/**
 * Reads kubeconfig `text` (from file `path`). Throws {@link KubernetesSdError} (`config`) naming
 * the file and what is wrong; never a credential.
 */
export function parseKubeconfig(path: string, text: string): Kubeconfig {
  let doc: unknown;
  try {
    doc = parse(text, { maxAliasCount: 100 });
  } catch (err) {
    fail(path, `invalid YAML: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
  }
  if (!isObj(doc)) fail(path, 'not a mapping');
  const dir = dirname(path);
  const file = (p: string | undefined) =>
    p === undefined ? undefined : isAbsolute(p) ? p : resolve(dir, p);

  const currentContext = str(path, doc, 'current-context', 'kubeconfig');
  if (currentContext === undefined) fail(path, 'no current-context');
  const context = named(path, doc, 'contexts', 'context', currentContext);
  const clusterName = str(path, context, 'cluster', 'context') ?? '';
  const userName = str(path, context, 'user', 'context');
  const cluster = named(path, doc, 'clusters', 'cluster', clusterName);
  const user = userName === undefined ? {} : named(path, doc, 'users', 'user', userName);

  const server = str(path, cluster, 'server', 'cluster');
  if (server === undefined) fail(path, `cluster ${JSON.stringify(clusterName)} has no server`);
  let url: URL;
  try {
    url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(server) ? server : `https://${server}`);
  } catch {
    fail(path, `cluster ${JSON.stringify(clusterName)}: server is not a URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    fail(path, `cluster ${JSON.stringify(clusterName)}: server is not an http or https URL`);
  }
  const insecure = cluster['insecure-skip-tls-verify'];
  if (insecure !== undefined && insecure !== null && typeof insecure !== 'boolean') {
    fail(path, 'cluster.insecure-skip-tls-verify is not a boolean');
  }
  const key = base64Data(path, user, 'client-key-data', 'user');
  const tlsConfig: TlsConfig = {
    ...DEFAULT_TLS_CONFIG,
    ca: base64Data(path, cluster, 'certificate-authority-data', 'cluster'),
    caFile: file(str(path, cluster, 'certificate-authority', 'cluster')),
    cert: base64Data(path, user, 'client-certificate-data', 'user'),
    certFile: file(str(path, user, 'client-certificate', 'user')),
    key: key === undefined ? undefined : new SecretValue(key),
    keyFile: file(str(path, user, 'client-key', 'user')),
    serverName: str(path, cluster, 'tls-server-name', 'cluster'),
    insecureSkipVerify: insecure === true,
  };
  if (user['auth-provider'] !== undefined && user['auth-provider'] !== null) {
    fail(path, 'user.auth-provider is not supported: use a token, tokenFile or client certificate');
  }
  const token = str(path, user, 'token', 'user');
  const tokenFile = file(str(path, user, 'tokenFile', 'user'));
  const username = str(path, user, 'username', 'user');
  const password = str(path, user, 'password', 'user');
  const exec = user.exec;
  const eks = isObj(exec) ? eksExec(path, exec) : undefined;
  return {
    server: url.href.replace(/\/+$/, ''),
    httpClient: {
      ...PLAIN_HTTP_CLIENT,
      tlsConfig,
      proxyUrl: str(path, cluster, 'proxy-url', 'cluster'),
      // client-go: a token (or token file) wins over basic auth.
      authorization:
        token !== undefined || tokenFile !== undefined
          ? {
              type: 'Bearer',
              credentials: token === undefined ? undefined : new SecretValue(token),
              credentialsFile: token === undefined ? tokenFile : undefined,
            }
          : undefined,
      basicAuth:
        token === undefined && tokenFile === undefined && username !== undefined
          ? {
              username,
              usernameFile: undefined,
              password: password === undefined ? undefined : new SecretValue(password),
              passwordFile: undefined,
            }
          : undefined,
    },
    eks,
  };
}
