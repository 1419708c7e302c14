/**
 * The AWS SDK clients of the Lambda runtime and of `lambdascrape simulate`, built here so that
 * nothing outside `src/aws` imports the SDK: callers get a client from these factories and
 * hand it to the adapters of this folder. The client types are re-exported for the same
 * reason (a runtime that holds a client names its type through this module).
 *
 * One client per service per container (the runtime builds them at start and destroys them
 * on close); never one per invocation.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';

export type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
export type { SQSClient } from '@aws-sdk/client-sqs';

/** What a client is built with; every field absent means the SDK's default. */
export interface AwsClientOptions {
  /** @default the SDK's (AWS_REGION, which Lambda sets) */
  readonly region?: string;
  /** Static credentials (local stand-ins). @default the SDK's provider chain */
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
  /** A stand-in's URL (dynalite, fauxqs). @default the service's regional endpoint */
  readonly endpoint?: string;
}

export function createDynamoDbClient(options: AwsClientOptions = {}): DynamoDBClient {
  return new DynamoDBClient(sdkConfig(options));
}

export function createSqsClient(options: AwsClientOptions = {}): SQSClient {
  return new SQSClient(sdkConfig(options));
}

/** The options without undefined fields (the SDK reads a present `undefined` as a value). */
function sdkConfig(options: AwsClientOptions): AwsClientOptions {
  return {
    ...(options.region === undefined ? {} : { region: options.region }),
    ...(options.credentials === undefined ? {} : { credentials: { ...options.credentials } }),
    ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
  };
}
