/**
 * Where a discoverer's API requests go and how they authenticate, from the entry's settings in
 * Prometheus's order: `kubeconfig_file`, else `api_server` with the entry's HTTP client
 * settings, else in-cluster (the pod's service account). The environment is never read here:
 * in-cluster values come from {@link InClusterEnv} (the driver fills it from
 * KUBERNETES_SERVICE_HOST/PORT), files through the injected `readFile`.
 */
import { readFile as fsReadFile } from 'node:fs/promises';
import { redactUrl } from '../../config/http-client.js';
import type { HttpClientConfig } from '../../config/types.js';
import type { KubernetesSdConfig } from './config.js';
import { KubernetesSdError, KubernetesSdErrorCode } from './error.js';
import { type EksExec, PLAIN_HTTP_CLIENT, parseKubeconfig } from './kubeconfig.js';

export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/** What in-cluster configuration takes from the process (rest.InClusterConfig). */
export interface InClusterEnv {
  /** KUBERNETES_SERVICE_HOST */
  readonly host: string | undefined;
  /** KUBERNETES_SERVICE_PORT */
  readonly port: string | undefined;
  /** @default `${SERVICE_ACCOUNT_DIR}/token` */
  readonly tokenFile?: string;
  /** @default `${SERVICE_ACCOUNT_DIR}/ca.crt` */
  readonly caFile?: string;
  /** @default `${SERVICE_ACCOUNT_DIR}/namespace` */
  readonly namespaceFile?: string;
}

/** Makes the bearer token of an `aws eks get-token` plugin (see eks.ts). */
export type EksTokenSource = (exec: EksExec) => Promise<string>;

export interface ConnectionDeps {
  /** Absent: in-cluster configuration fails (not running in a pod). */
  readonly inCluster?: InClusterEnv;
  /** Reads kubeconfig and service-account namespace files. @default node:fs readFile */
  readonly readFile?: (path: string) => Promise<string>;
  /** Absent: a kubeconfig with `aws eks get-token` fails. */
  readonly eksToken?: EksTokenSource;
}

export interface KubeConnection {
  /** Base URL of the API server, no trailing `/`. */
  readonly server: string;
  /** `server` with any password masked, for messages. */
  readonly shownServer: string;
  readonly httpClient: HttpClientConfig;
  /** A bearer token made per request (EKS), replacing the client config's authorization. */
  readonly bearerToken?: () => Promise<string>;
  /** The pod's own namespace, in-cluster with `own_namespace` only. */
  readonly ownNamespace?: string;
}

function configError(message: string, cause?: unknown): KubernetesSdError {
  return new KubernetesSdError(
    KubernetesSdErrorCode.config,
    message,
    cause === undefined ? undefined : { cause },
  );
}

async function read(deps: ConnectionDeps, path: string, what: string): Promise<string> {
  try {
    return await (deps.readFile ?? ((p: string) => fsReadFile(p, 'utf8')))(path);
  } catch (err) {
    throw configError(`cannot read ${what} ${path}: ${(err as Error).message ?? String(err)}`, err);
  }
}

export async function resolveConnection(
  config: KubernetesSdConfig,
  deps: ConnectionDeps,
): Promise<KubeConnection> {
  if (config.kubeconfigFile !== undefined) {
    const path = config.kubeconfigFile;
    const kc = parseKubeconfig(path, await read(deps, path, 'kubeconfig'));
    const eks = kc.eks;
    let bearerToken: (() => Promise<string>) | undefined;
    if (eks !== undefined) {
      const source = deps.eksToken;
      if (source === undefined) {
        throw configError(`kubeconfig ${path}: no AWS credentials to make an EKS token with`);
      }
      bearerToken = () => source(eks);
    }
    return {
      server: kc.server,
      shownServer: redactUrl(kc.server),
      httpClient: kc.httpClient,
      ...(bearerToken === undefined ? {} : { bearerToken }),
    };
  }
  if (config.apiServer !== undefined) {
    const server = config.apiServer.replace(/\/+$/, '');
    return { server, shownServer: redactUrl(server), httpClient: config.httpClient };
  }
  const env = deps.inCluster;
  if (env?.host === undefined || env.host === '' || env.port === undefined || env.port === '') {
    throw configError(
      'unable to load in-cluster configuration, KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be defined (or set api_server or kubeconfig_file)',
    );
  }
  const host = env.host.includes(':') ? `[${env.host}]` : env.host;
  const server = `https://${host}:${env.port}`;
  let ownNamespace: string | undefined;
  if (config.ownNamespace) {
    const path = env.namespaceFile ?? `${SERVICE_ACCOUNT_DIR}/namespace`;
    ownNamespace = await read(deps, path, "the pod's namespace file");
    if (ownNamespace === '') throw configError('could not read own namespace name (empty file)');
  }
  return {
    server,
    shownServer: server,
    httpClient: {
      ...PLAIN_HTTP_CLIENT,
      tlsConfig: {
        ...PLAIN_HTTP_CLIENT.tlsConfig,
        caFile: env.caFile ?? `${SERVICE_ACCOUNT_DIR}/ca.crt`,
      },
      // Read on every request, so the kubelet's token rotation is picked up.
      authorization: {
        type: 'Bearer',
        credentials: undefined,
        credentialsFile: env.tokenFile ?? `${SERVICE_ACCOUNT_DIR}/token`,
      },
    },
    ...(ownNamespace === undefined ? {} : { ownNamespace }),
  };
}
