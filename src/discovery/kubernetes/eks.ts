/**
 * Amazon EKS bearer tokens, made the way `aws eks get-token` (and aws-iam-authenticator) makes
 * them, without running either: `k8s-aws-v1.` + base64url (no padding) of an STS
 * `GetCallerIdentity` URL presigned with SigV4 for 60 seconds, the header
 * `x-k8s-aws-id: <cluster name>` among the signed headers. EKS calls that URL and maps the
 * caller (the Lambda function's role) to a Kubernetes identity through the cluster's access
 * entries (docs/discovery-kubernetes.md).
 *
 * STS endpoint: `sts.<region>.amazonaws.com` (`.amazonaws.com.cn` in China) when a region is
 * known (the kubeconfig's `--region`, else the driver's default region), else the global
 * `sts.amazonaws.com` signed for us-east-1. A token is reused for
 * {@link EKS_TOKEN_REUSE_MS} (EKS accepts one for 15 minutes from its signing time).
 *
 * Credentials are injected ({@link EksTokenOptions.credentials}); the AWS signing modules are
 * imported on the first token, so a config without EKS never loads them.
 */
import { loadedOnFirstCall } from '../aws-credential-providers.js';
import type { EksTokenSource } from './connection.js';
import { KubernetesSdError, KubernetesSdErrorCode } from './error.js';
import type { EksExec } from './kubeconfig.js';

export const EKS_TOKEN_PREFIX = 'k8s-aws-v1.';
/** How long one token is sent before a new one is made. */
export const EKS_TOKEN_REUSE_MS = 10 * 60_000;

export interface AwsCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

export interface EksTokenOptions {
  /** The credentials tokens are signed with (the function's role). */
  readonly credentials: () => Promise<AwsCredentials>;
  /** The region when the kubeconfig names none. @default none: the global STS endpoint */
  readonly region?: string;
  /** @default Date.now */
  readonly now?: () => number;
}

/** The STS host and signing region for `region` (undefined: global endpoint). */
export function stsEndpoint(region: string | undefined): { host: string; signingRegion: string } {
  if (region === undefined || region === '') {
    return { host: 'sts.amazonaws.com', signingRegion: 'us-east-1' };
  }
  const suffix = region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com';
  return { host: `sts.${region}.${suffix}`, signingRegion: region };
}

interface Signing {
  readonly SignatureV4: typeof import('@smithy/signature-v4').SignatureV4;
  readonly Hash: typeof import('@smithy/hash-node').Hash;
}
let signing: Promise<Signing> | undefined;

function loadSigning(): Promise<Signing> {
  signing ??= Promise.all([import('@smithy/signature-v4'), import('@smithy/hash-node')]).then(
    ([sig, hash]) => ({ SignatureV4: sig.SignatureV4, Hash: hash.Hash }),
    (err: unknown) => {
      signing = undefined;
      throw err;
    },
  );
  return signing;
}

/** One token for `clusterName`, signed now with `credentials`. */
export async function makeEksToken(
  clusterName: string,
  region: string | undefined,
  credentials: AwsCredentials,
  now: number,
): Promise<string> {
  const { SignatureV4, Hash } = await loadSigning();
  const { host, signingRegion } = stsEndpoint(region);
  class Sha256 extends Hash {
    constructor(secret?: ConstructorParameters<typeof Hash>[1]) {
      super('sha256', secret);
    }
  }
  const signer = new SignatureV4({
    service: 'sts',
    region: signingRegion,
    credentials,
    sha256: Sha256,
  });
  const signed = await signer.presign(
    {
      method: 'GET',
      protocol: 'https:',
      hostname: host,
      path: '/',
      query: { Action: 'GetCallerIdentity', Version: '2011-06-15' },
      headers: { host, 'x-k8s-aws-id': clusterName },
    },
    { expiresIn: 60, signingDate: new Date(now) },
  );
  const query = Object.entries(signed.query ?? {})
    .flatMap(([k, v]) => (Array.isArray(v) ? v : [v]).map((x) => [k, String(x ?? '')] as const))
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
    .join('&');
  return EKS_TOKEN_PREFIX + Buffer.from(`https://${host}/?${query}`).toString('base64url');
}

/**
 * A token source for `aws eks get-token` kubeconfigs: one cached token per cluster and
 * region, made again after {@link EKS_TOKEN_REUSE_MS}. Failures are `eksToken` errors that
 * never contain a credential.
 */
export function eksTokenSource(options: EksTokenOptions): EksTokenSource {
  const now = options.now ?? Date.now;
  const cache = new Map<string, { token: string; madeAt: number }>();
  return async (exec: EksExec) => {
    const region = exec.region ?? options.region;
    const key = `${exec.clusterName}\u0000${region ?? ''}`;
    const t = now();
    const cached = cache.get(key);
    if (cached !== undefined && t - cached.madeAt < EKS_TOKEN_REUSE_MS && t >= cached.madeAt) {
      return cached.token;
    }
    let credentials: AwsCredentials;
    try {
      credentials = await options.credentials();
    } catch (err) {
      throw new KubernetesSdError(
        KubernetesSdErrorCode.eksToken,
        `no AWS credentials for the EKS token of cluster ${JSON.stringify(exec.clusterName)}: ${(err as Error)?.name ?? 'error'}`,
      );
    }
    let token: string;
    try {
      token = await makeEksToken(exec.clusterName, region, credentials, t);
    } catch (err) {
      throw new KubernetesSdError(
        KubernetesSdErrorCode.eksToken,
        `cannot sign the EKS token of cluster ${JSON.stringify(exec.clusterName)}: ${(err as Error)?.name ?? 'error'}`,
      );
    }
    cache.set(key, { token, madeAt: t });
    return token;
  };
}

/**
 * The token source drivers inject: credentials from the AWS SDK's default Node chain (in
 * Lambda, the function role's keys), loaded on first use. `region` is the driver's default
 * region (AWS_REGION in Lambda).
 */
export function defaultEksTokenSource(region: string | undefined): EksTokenSource {
  const credentials = loadedOnFirstCall((providers) => providers.fromNodeProviderChain());
  return eksTokenSource({
    ...(region === undefined || region === '' ? {} : { region }),
    credentials: () => credentials(),
  });
}
