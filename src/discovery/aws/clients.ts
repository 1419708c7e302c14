/**
 * The AWS SDK clients of every role (the ECS role's two here; the others' through
 * `role-discoverer.ts`): loaded on first use, built from the config, retrying throttled calls
 * with back-off, and reading each response under a size cap.
 *
 * - Loading: a role's SDK module (`sdk.ts`, `msk-sdk.ts`, …) is imported on its first refresh
 *   ({@link sdkLoader}), so the functions that never run AWS discovery (scraper, dispatcher,
 *   outbox) never load it; their bundles are built with
 *   `process.env.LAMBDASCRAPE_BUNDLE_EC2` defined as "false" (infra/bundle.ts, the switch of the
 *   discovery function's AWS clients), which folds the import away altogether.
 * - Retries: the SDK's standard mode with {@link MAX_ATTEMPTS} attempts: ThrottlingException,
 *   5xx answers and network errors are retried after an exponential back-off with jitter (its
 *   retry quota outlives a refresh, since the clients are kept). Not the adaptive mode: its
 *   client-side rate limiter, started from the few calls a refresh makes, held a refresh back
 *   for seconds after a few throttles.
 * - Untrusted answers: a body over {@link MAX_RESPONSE_BYTES} is an error before the SDK parses
 *   it; what the SDK returns is still read as unknown (`read.ts`), since it does not check types.
 */
import type { EC2Client, EC2ClientConfig } from '@aws-sdk/client-ec2';
import type { ECSClient, ECSClientConfig } from '@aws-sdk/client-ecs';
import { awsCredentials } from '../ec2/index.js';
import type { AwsCommonConfig } from './config.js';

/**
 * A role's SDK module (`sdk.ts`, `msk-sdk.ts`, …), imported on the first call and kept; an
 * error, without importing it, in the bundles built without the AWS discovery clients (see the
 * file comment).
 */
export function sdkLoader<T>(load: () => Promise<T>): () => Promise<T> {
  let loaded: Promise<T> | undefined;
  return () => {
    loaded ??=
      process.env.LAMBDASCRAPE_BUNDLE_EC2 === 'false'
        ? Promise.reject(new Error('this function was bundled without the AWS discovery clients'))
        : load();
    return loaded;
  };
}

export type AwsSdk = typeof import('./sdk.js');

/** The ECS and EC2 clients' module, loaded once (see the file comment). */
export const loadAwsSdk: () => Promise<AwsSdk> = sdkLoader(() => import('./sdk.js'));

/** Cap on one response body; DescribeTasks of 100 tasks with many containers stays far below. */
export const MAX_RESPONSE_BYTES = 32 * 1024 * 1024;

/** Attempts per call, the first included (the SDK's default is 3). */
export const MAX_ATTEMPTS = 5;

/** Session name of an assumed role (visible in CloudTrail). */
const ROLE_SESSION_NAME = 'lambdascrape-aws-sd';

export interface EcsDeps {
  /** Builds the ECS client from the options the config asks for. @default `new ECSClient(opts)` */
  readonly createEcsClient?: (opts: ECSClientConfig) => ECSClient;
  /**
   * Builds the EC2 client that reads the container hosts and network interfaces. As in
   * Prometheus, the config's `endpoint` is not passed to it (it names the ECS endpoint); the
   * SDK's own `AWS_ENDPOINT_URL_EC2` still applies. @default `new EC2Client(opts)`
   */
  readonly createEc2Client?: (opts: EC2ClientConfig) => EC2Client;
}

/** The options every client shares: region, credentials, profile, retries. */
export function sharedOptions(config: AwsCommonConfig) {
  return {
    ...(config.region === undefined ? {} : { region: config.region }),
    ...(config.profile === undefined ? {} : { profile: config.profile }),
    credentials: awsCredentials(config, ROLE_SESSION_NAME),
    retryMode: 'standard',
    maxAttempts: MAX_ATTEMPTS,
  } as const;
}

/** The options of a role's own service client: {@link sharedOptions} and the config's `endpoint`. */
export function serviceClientOptions(config: AwsCommonConfig) {
  return {
    ...sharedOptions(config),
    ...(config.endpoint === undefined ? {} : { endpoint: config.endpoint }),
  };
}

export type ServiceClientOptions = ReturnType<typeof serviceClientOptions>;

export function ec2ClientOptions(config: AwsCommonConfig): EC2ClientConfig {
  return sharedOptions(config);
}

/** The two clients of one discoverer. */
export interface EcsClients {
  readonly ecs: ECSClient;
  readonly ec2: EC2Client;
}

export function createEcsClients(
  loaded: AwsSdk,
  config: AwsCommonConfig,
  deps: EcsDeps,
): EcsClients {
  const ecs = (deps.createEcsClient ?? ((o) => new loaded.ECSClient(o)))(
    serviceClientOptions(config),
  );
  const ec2 = (deps.createEc2Client ?? ((o) => new loaded.EC2Client(o)))(ec2ClientOptions(config));
  capResponses(ecs);
  capResponses(ec2);
  return { ecs, ec2 };
}

/** The part of a smithy middleware stack {@link capResponses} uses. */
interface CapStack {
  add(
    middleware: (next: (args: unknown) => Promise<unknown>) => (args: unknown) => Promise<unknown>,
    options: { step: 'deserialize'; priority: 'low'; name: string },
  ): void;
}

const CAP_NAME = 'lambdascrapeResponseCap';

/**
 * Reads every response body into memory under {@link MAX_RESPONSE_BYTES} before the SDK's
 * deserializer sees it. Added at low priority in the deserialize step, so it runs inside the
 * deserializer: it gets the raw response first.
 */
export function capResponses(client: { readonly middlewareStack: object }): void {
  // The stack's overloads are typed per command; this middleware handles any response.
  (client.middlewareStack as CapStack).add(
    (next) => async (args) => {
      const out = (await next(args)) as { response?: { body?: unknown; headers?: unknown } };
      const response = out.response;
      if (response !== undefined) response.body = await readCapped(response.body);
      return out;
    },
    { step: 'deserialize', priority: 'low', name: CAP_NAME },
  );
}

/** The body as bytes, or an error once it passes the cap (the stream is destroyed). */
async function readCapped(body: unknown): Promise<Uint8Array> {
  if (body instanceof Uint8Array) {
    if (body.byteLength > MAX_RESPONSE_BYTES) throw tooLarge();
    return body;
  }
  if (body === undefined || body === null) return new Uint8Array(0);
  const stream = body as AsyncIterable<Uint8Array | string> & { destroy?: () => void };
  if (typeof stream[Symbol.asyncIterator] !== 'function') return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    size += bytes.byteLength;
    if (size > MAX_RESPONSE_BYTES) {
      stream.destroy?.();
      throw tooLarge();
    }
    chunks.push(bytes);
  }
  return Buffer.concat(chunks);
}

function tooLarge(): Error {
  return new Error(`response larger than ${MAX_RESPONSE_BYTES} bytes`);
}
