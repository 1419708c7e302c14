/**
 * AWS Signature Version 4 for remote write, so that Amazon Managed Prometheus (service `aps`)
 * can be the backend: `remote_write[].sigv4` is one of the auth options of §11.2 (at most one
 * per remote_write; config validation enforces that). Behaviour follows Prometheus's
 * `prometheus/sigv4` round tripper, with the AWS SDK for JavaScript v3 doing the work:
 * `@smithy/signature-v4` signs, `@aws-sdk/credential-providers` finds credentials.
 *
 * Credentials, first match wins:
 * 1. `access_key` + `secret_key` from the config (static);
 * 2. else `profile`: that profile of the shared files (`fromIni`; AWS_SHARED_CREDENTIALS_FILE,
 *    AWS_CONFIG_FILE move them); a profile may itself assume a role, run a process, use SSO;
 * 3. else the SDK's default Node chain (`fromNodeProviderChain`): environment (Lambda puts the
 *    function role's keys there), AWS_PROFILE / `default` profile, web identity token file,
 *    container and instance metadata.
 * With `role_arn`, the credentials above are only the source for STS AssumeRole
 * (`fromTemporaryCredentials`, with `external_id` when set; `use_fips_sts_endpoint` picks STS's
 * FIPS endpoint) and the assumed role signs.
 *
 * Region: `region`, else AWS_REGION, else AWS_DEFAULT_REGION, else `region` of the profile
 * (`profile`, else AWS_PROFILE, else `default`) in the AWS config file. None → every attempt
 * fails with `SIGV4_NO_REGION`, not recoverable (Prometheus refuses such a config at start).
 * Service: `service` when set, else {@link DEFAULT_SIGV4_SERVICE}.
 *
 * Contracts:
 * - Nothing is loaded when the signer is created: the AWS modules are imported, the region
 *   resolved and credentials fetched on the first `sign` (a remote_write without sigv4 never
 *   pays for the SDK at cold start). Credentials are cached and fetched again from
 *   {@link CREDENTIALS_REFRESH_WINDOW_MS} before their expiration; concurrent attempts share one
 *   fetch; when a refresh fails while the cached credentials are still valid, those are used.
 * - Every attempt is signed afresh (its own x-amz-date, and `retry-attempt` is signed).
 * - Signed: every header the client sets except those SigV4 never signs (user-agent,
 *   authorization, connection, …), i.e. host, content-encoding, content-type,
 *   x-prometheus-remote-write-version, retry-attempt, configured headers, plus x-amz-date,
 *   x-amz-content-sha256 (SHA-256 of the snappy body as sent) and, with session credentials,
 *   x-amz-security-token. `host` is set here to the URL's host (with a non-default port);
 *   undici sends a given host header verbatim, so what is signed is what goes out.
 *   Multi-valued headers are joined into one line ("a, b") so both sides see the same value.
 * - Secrets (secret key, session token) never appear in an error: messages from the SDK are
 *   redacted and the SDK's error objects are not kept as causes.
 * - A redirect to another path or host is not re-signed; AMP does not redirect.
 */

import type { SigV4Config } from '../config/types.js';
import { abortable } from '../http/abortable.js';
import type { RequestSigner, SignableRequest } from './client.js';

/** Prometheus's default signing service: Amazon Managed Service for Prometheus. */
export const DEFAULT_SIGV4_SERVICE = 'aps';

/** Cached credentials are fetched again this long before they expire (the SDK's own window). */
export const CREDENTIALS_REFRESH_WINDOW_MS = 5 * 60_000;

/** Cached credentials still this far from expiry are used when a refresh fails. */
const STILL_VALID_MARGIN_MS = 10_000;

export const SIGV4_ERROR_CODES = {
  /** No region in the config, the environment or the profile. Not recoverable. */
  noRegion: 'SIGV4_NO_REGION',
  /** Credentials could not be obtained (chain exhausted, STS refused, files unreadable). Recoverable. */
  credentials: 'SIGV4_CREDENTIALS',
  /** The attempt's signal aborted (timeout or deadline) while waiting for credentials. Recoverable. */
  aborted: 'SIGV4_ABORTED',
  /** Signing itself failed (or the AWS modules could not be loaded). Recoverable. */
  signing: 'SIGV4_SIGNING',
  /** The sigv4 config cannot work (e.g. access_key without secret_key). Not recoverable. */
  invalidConfig: 'SIGV4_INVALID_CONFIG',
} as const;
export type SigV4ErrorCode = (typeof SIGV4_ERROR_CODES)[keyof typeof SIGV4_ERROR_CODES];

/**
 * The one error class of this module. `recoverable` follows remote write's meaning (§11.3): the
 * client turns a thrown SigV4Error into `RW_CREDENTIALS` with the same `recoverable`. Messages
 * never contain secrets; there is deliberately no `cause`.
 */
export class SigV4Error extends Error {
  override readonly name = 'SigV4Error';
  readonly code: SigV4ErrorCode;
  readonly recoverable: boolean;

  constructor(code: SigV4ErrorCode, message: string, recoverable: boolean) {
    super(message);
    this.code = code;
    this.recoverable = recoverable;
  }
}

/** AWS credentials as the SDK's providers return them. */
export interface SigV4Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string | undefined;
  readonly expiration?: Date | undefined;
}

export interface SigV4SignerOptions {
  /**
   * STS endpoint for `role_arn` (tests; a VPC endpoint). Default: the SDK's regional endpoint,
   * which AWS_ENDPOINT_URL_STS also overrides.
   */
  readonly stsEndpoint?: string;
  /** Signing time. Default `new Date()`. For tests. */
  readonly now?: () => Date;
}

/**
 * A {@link RequestSigner} for a `sigv4` config. Cheap and synchronous: see the module comment for
 * when things load. Throws {@link SigV4Error} `SIGV4_INVALID_CONFIG` only for a config that the
 * config loader would have refused.
 */
export function createSigV4Signer(
  config: SigV4Config,
  options: SigV4SignerOptions = {},
): RequestSigner {
  if ((config.accessKey === undefined) !== (config.secretKey === undefined)) {
    throw new SigV4Error(
      SIGV4_ERROR_CODES.invalidConfig,
      'access_key and secret_key must be given together',
      false,
    );
  }
  if (config.externalId !== undefined && config.roleArn === undefined) {
    throw new SigV4Error(
      SIGV4_ERROR_CODES.invalidConfig,
      'external_id can only be used with role_arn',
      false,
    );
  }
  const service = config.service ?? DEFAULT_SIGV4_SERVICE;
  const now = options.now ?? (() => new Date());
  let last: SigV4Credentials | undefined;
  const redact = (text: string): string =>
    redactSecrets(text, [
      config.secretKey?.reveal(),
      last?.secretAccessKey,
      last?.sessionToken,
      process.env.AWS_SECRET_ACCESS_KEY,
      process.env.AWS_SESSION_TOKEN,
    ]);

  let pendingSetup: Promise<Setup> | undefined;
  const getSetup = (): Promise<Setup> => {
    pendingSetup ??= buildSetup(config, options, redact).catch((e: unknown) => {
      pendingSetup = undefined; // try again on the next attempt
      throw e;
    });
    return pendingSetup;
  };

  return {
    async sign(request: SignableRequest): Promise<void> {
      let setup: Setup;
      try {
        setup = await abortable(getSetup(), request.signal, abandoned);
      } catch (e) {
        if (e instanceof SigV4Error) throw e;
        throw new SigV4Error(
          SIGV4_ERROR_CODES.signing,
          `cannot prepare SigV4 signing: ${redact(describe(e))}`,
          true,
        );
      }
      const { modules, region, credentials } = setup;
      let creds: SigV4Credentials;
      try {
        creds = await abortable(credentials(), request.signal, abandoned);
      } catch (e) {
        if (e instanceof SigV4Error) throw e;
        throw new SigV4Error(
          SIGV4_ERROR_CODES.credentials,
          `cannot get AWS credentials: ${redact(describe(e))}`,
          true,
        );
      }
      last = creds;

      const headers = request.headers;
      for (const [name, value] of Object.entries(headers)) {
        if (Array.isArray(value)) headers[name] = value.join(', ');
      }
      // The signer computes these; a stale or configured one must not be trusted (a present
      // x-amz-content-sha256 would be taken as the payload hash as is).
      for (const name of SIGNER_OWNED_HEADERS) delete headers[name];
      headers.host = request.url.host;

      try {
        const signer = new modules.SignatureV4({
          credentials: creds,
          region,
          service,
          sha256: modules.Sha256,
          applyChecksum: true,
          uriEscapePath: true,
        });
        const signed = await signer.sign(
          {
            method: request.method,
            protocol: request.url.protocol,
            hostname: request.url.hostname,
            path: request.url.pathname,
            query: queryOf(request.url),
            headers: { ...(headers as Record<string, string>) },
            body: request.body,
          },
          { signingDate: now() },
        );
        for (const name of Object.keys(headers)) delete headers[name];
        Object.assign(headers, signed.headers);
      } catch (e) {
        throw new SigV4Error(
          SIGV4_ERROR_CODES.signing,
          `cannot sign the request: ${redact(describe(e))}`,
          true,
        );
      }
    },
  };
}

/** Set by the signer; removed before signing so that only the signer's own values are sent. */
const SIGNER_OWNED_HEADERS = [
  'authorization',
  'x-amz-date',
  'x-amz-security-token',
  'x-amz-content-sha256',
  'host',
] as const;

interface AwsModules {
  readonly SignatureV4: typeof import('@smithy/signature-v4').SignatureV4;
  readonly Sha256: new (
    secret?: ConstructorParameters<typeof import('@smithy/hash-node').Hash>[1],
  ) => InstanceType<typeof import('@smithy/hash-node').Hash>;
  readonly providers: typeof import('@aws-sdk/credential-providers');
  readonly loadConfig: typeof import('@smithy/core/config').loadConfig;
}

interface Setup {
  readonly modules: AwsModules;
  readonly region: string;
  /** Memoized; rejects with whatever the provider threw. */
  readonly credentials: () => Promise<SigV4Credentials>;
}

let modulesPromise: Promise<AwsModules> | undefined;

/** The AWS SDK modules, imported once per process on first use. */
function loadModules(): Promise<AwsModules> {
  modulesPromise ??= (async () => {
    const [signature, hash, providers, config] = await Promise.all([
      import('@smithy/signature-v4'),
      import('@smithy/hash-node'),
      import('@aws-sdk/credential-providers'),
      import('@smithy/core/config'),
    ]);
    class Sha256 extends hash.Hash {
      constructor(secret?: ConstructorParameters<typeof hash.Hash>[1]) {
        super('sha256', secret);
      }
    }
    return {
      SignatureV4: signature.SignatureV4,
      Sha256,
      providers,
      loadConfig: config.loadConfig,
    };
  })().catch((e: unknown) => {
    modulesPromise = undefined;
    throw e;
  });
  return modulesPromise;
}

async function buildSetup(
  config: SigV4Config,
  options: SigV4SignerOptions,
  redact: (text: string) => string,
): Promise<Setup> {
  let modules: AwsModules;
  try {
    modules = await loadModules();
  } catch (e) {
    throw new SigV4Error(
      SIGV4_ERROR_CODES.signing,
      `cannot load the AWS SDK modules: ${describe(e)}`,
      true,
    );
  }
  const region = await resolveRegion(config, modules, redact);
  const { fromIni, fromNodeProviderChain, fromTemporaryCredentials } = modules.providers;

  let source: () => Promise<SigV4Credentials>;
  if (config.accessKey !== undefined && config.secretKey !== undefined) {
    const fixed: SigV4Credentials = {
      accessKeyId: config.accessKey,
      secretAccessKey: config.secretKey.reveal(),
    };
    source = async () => fixed;
  } else if (config.profile !== undefined) {
    const provider = fromIni({ profile: config.profile });
    source = () => provider();
  } else {
    const provider = fromNodeProviderChain();
    source = () => provider();
  }

  let provider = source;
  if (config.roleArn !== undefined) {
    const assume = fromTemporaryCredentials({
      params: {
        RoleArn: config.roleArn,
        ...(config.externalId === undefined ? {} : { ExternalId: config.externalId }),
      },
      masterCredentials: memoizeCredentials(source),
      clientConfig: {
        region,
        useFipsEndpoint: config.useFipsStsEndpoint,
        ...(options.stsEndpoint === undefined ? {} : { endpoint: options.stsEndpoint }),
        // Bounds a hanging STS call (the attempt's own signal bounds the wait for it anyway).
        requestHandler: { connectionTimeout: 5_000, requestTimeout: 10_000 },
      },
    });
    provider = () => assume();
  }
  return { modules, region, credentials: memoizeCredentials(provider) };
}

/** See the module comment for the order. */
async function resolveRegion(
  config: SigV4Config,
  modules: AwsModules,
  redact: (text: string) => string,
): Promise<string> {
  const fromEnv = (name: string): string | undefined => {
    const value = process.env[name]?.trim();
    return value === undefined || value === '' ? undefined : value;
  };
  let region = config.region ?? fromEnv('AWS_REGION') ?? fromEnv('AWS_DEFAULT_REGION');
  if (region === undefined) {
    try {
      region = await modules.loadConfig<string | undefined>(
        {
          environmentVariableSelector: () => undefined,
          configFileSelector: (profile) => profile.region?.trim() || undefined,
          default: () => undefined,
        },
        config.profile === undefined ? {} : { profile: config.profile },
      )();
    } catch (e) {
      throw new SigV4Error(
        SIGV4_ERROR_CODES.noRegion,
        `cannot read the region from the AWS config file: ${redact(describe(e))}`,
        false,
      );
    }
  }
  if (region === undefined) {
    throw new SigV4Error(
      SIGV4_ERROR_CODES.noRegion,
      'no AWS region: set sigv4.region, AWS_REGION or AWS_DEFAULT_REGION, or region in the profile of the AWS config file',
      false,
    );
  }
  return region;
}

/**
 * Caches what `provider` returns until {@link CREDENTIALS_REFRESH_WINDOW_MS} before its
 * expiration (forever without one); concurrent callers share one call; a failed refresh falls
 * back to cached credentials that have not expired yet.
 */
function memoizeCredentials(
  provider: () => Promise<SigV4Credentials>,
): () => Promise<SigV4Credentials> {
  let cached: SigV4Credentials | undefined;
  let pending: Promise<SigV4Credentials> | undefined;
  const msLeft = (c: SigV4Credentials) =>
    c.expiration === undefined ? Number.POSITIVE_INFINITY : c.expiration.getTime() - Date.now();
  return async () => {
    if (cached !== undefined && msLeft(cached) > CREDENTIALS_REFRESH_WINDOW_MS) return cached;
    pending ??= provider().then(
      (c) => {
        pending = undefined;
        cached = c;
        return c;
      },
      (e: unknown) => {
        pending = undefined;
        throw e;
      },
    );
    try {
      return await pending;
    } catch (e) {
      if (cached !== undefined && msLeft(cached) > STILL_VALID_MARGIN_MS) return cached;
      throw e;
    }
  };
}

/** What an attempt rejects with when its signal aborts while credentials load. */
function abandoned(): SigV4Error {
  return new SigV4Error(
    SIGV4_ERROR_CODES.aborted,
    'attempt abandoned while waiting for AWS credentials',
    true,
  );
}

/** The URL's query as the signer wants it (decoded; repeated keys as arrays). */
function queryOf(url: URL): Record<string, string | string[]> {
  const query: Record<string, string | string[]> = {};
  for (const [key, value] of url.searchParams) {
    const prev = query[key];
    query[key] =
      prev === undefined ? value : Array.isArray(prev) ? [...prev, value] : [prev, value];
  }
  return query;
}

function describe(e: unknown): string {
  if (e instanceof Error) {
    return e.name === 'Error' || e.name === '' ? e.message : `${e.name}: ${e.message}`;
  }
  return String(e);
}

/** `text` with every given secret (of 4+ characters) replaced by `<secret>`. */
function redactSecrets(text: string, secrets: readonly (string | undefined)[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret !== undefined && secret.length >= 4) out = out.split(secret).join('<secret>');
  }
  return out;
}
