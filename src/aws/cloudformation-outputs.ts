/**
 * A deployed stack's outputs (CloudFormation DescribeStacks), for `lambdascrape status`: the
 * CDK app names the tables there (`TargetsTableName`, `StateTableName`,
 * infra/lambda-scrape-stack.ts). Kept apart from `clients.ts` so the Lambda bundles never load
 * the CloudFormation client.
 */
import {
  CloudFormationClient,
  DescribeStacksCommand,
  type Output,
} from '@aws-sdk/client-cloudformation';
import type { AwsClientOptions } from './clients.js';

export const STACK_OUTPUTS_ERROR_CODES = {
  /** The stack does not exist (in this account and region) or has no such outputs. */
  notFound: 'STACK_OUTPUTS_NOT_FOUND',
  /** The request failed (credentials, permissions, network); see `cause`. */
  request: 'STACK_OUTPUTS_REQUEST',
} as const;
export type StackOutputsErrorCode =
  (typeof STACK_OUTPUTS_ERROR_CODES)[keyof typeof STACK_OUTPUTS_ERROR_CODES];

export class StackOutputsError extends Error {
  override readonly name = 'StackOutputsError';
  constructor(
    readonly code: StackOutputsErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export function createCloudFormationClient(options: AwsClientOptions = {}): CloudFormationClient {
  return new CloudFormationClient({
    ...(options.region === undefined ? {} : { region: options.region }),
    ...(options.credentials === undefined ? {} : { credentials: { ...options.credentials } }),
    ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
  });
}

/**
 * The outputs of stack `stackName` by key. Throws {@link StackOutputsError}: `notFound` when
 * CloudFormation says the stack does not exist (a `ValidationError`), `request` otherwise.
 */
export async function stackOutputs(
  client: CloudFormationClient,
  stackName: string,
): Promise<Map<string, string>> {
  let outputs: Output[];
  try {
    const res = await client.send(new DescribeStacksCommand({ StackName: stackName }));
    const stack = res.Stacks?.[0];
    if (stack === undefined) {
      throw new StackOutputsError(
        STACK_OUTPUTS_ERROR_CODES.notFound,
        `stack ${stackName} not found`,
      );
    }
    outputs = stack.Outputs ?? [];
  } catch (cause) {
    if (cause instanceof StackOutputsError) throw cause;
    const name = (cause as { name?: string }).name;
    const text = (cause as Error).message;
    if (name === 'ValidationError' && /does not exist/i.test(text)) {
      throw new StackOutputsError(
        STACK_OUTPUTS_ERROR_CODES.notFound,
        `stack ${stackName} not found: ${text}`,
        { cause },
      );
    }
    throw new StackOutputsError(
      STACK_OUTPUTS_ERROR_CODES.request,
      `DescribeStacks of ${stackName} failed: ${name === undefined || name === 'Error' ? '' : `${name}: `}${text}`,
      { cause },
    );
  }
  const out = new Map<string, string>();
  for (const o of outputs) {
    if (o.OutputKey !== undefined && o.OutputValue !== undefined)
      out.set(o.OutputKey, o.OutputValue);
  }
  return out;
}
