/**
 * Fault injection for `lambdascrape simulate` (docs/reliability.md): a test or a rehearsal
 * decides, per AWS request a simulated function makes, whether it fails. The hooks sit on the
 * runtime's DynamoDB and SQS clients as SDK middleware *outside* the SDK's own retries, so an
 * injected failure is what the code sees after them: a throttle that did not clear, an SQS
 * error. The simulated Lambda poller's receives and deletes (on the first deployment's SQS
 * client) go through the same hook as requests of the function they poll for.
 *
 * Contract: `decide` is called before each request with the function making it (undefined
 * outside any invocation, e.g. while a deployment starts) and the SDK command name (e.g.
 * `UpdateItemCommand`, `SendMessageBatchCommand`); the Error it returns is thrown as that
 * request's failure, nothing is sent. It must not throw itself.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { FunctionName } from '../serverless/cost.js';

export interface FaultPoint {
  /** The AWS service of the request. */
  readonly service: 'dynamodb' | 'sqs';
  /** The SDK command, e.g. `UpdateItemCommand`. */
  readonly command: string;
  /** The simulated function whose invocation (or poller) makes the request. */
  readonly fn: FunctionName | undefined;
}

/** Returns the failure of a request, or undefined to let it through. */
export type FaultDecider = (point: FaultPoint) => Error | undefined;

/** Installs `decide` on a runtime's clients; `currentFunction` names the invoking function. */
export function injectFaults(
  clients: { readonly dynamodb: DynamoDBClient; readonly sqs: SQSClient },
  decide: FaultDecider,
  currentFunction: () => FunctionName | undefined,
): void {
  const hook =
    (service: FaultPoint['service']) =>
    // biome-ignore lint/suspicious/noExplicitAny: the SDK's middleware types are per client
    (next: (args: any) => Promise<any>, context: { commandName?: string }) =>
    // biome-ignore lint/suspicious/noExplicitAny: as above
    async (args: any) => {
      const failure = decide({
        service,
        command: context.commandName ?? '',
        fn: currentFunction(),
      });
      if (failure !== undefined) throw failure;
      return next(args);
    };
  clients.dynamodb.middlewareStack.add(hook('dynamodb'), {
    step: 'initialize',
    name: 'lambdascrapeSimulateFaults',
  });
  clients.sqs.middlewareStack.add(hook('sqs'), {
    step: 'initialize',
    name: 'lambdascrapeSimulateFaults',
  });
}

/** An AWS-style throttling error (what DynamoDB answers when it sheds load). */
export function throttled(service: FaultPoint['service']): Error {
  const err = new Error(`injected: ${service} request throttled`);
  err.name = service === 'dynamodb' ? 'ProvisionedThroughputExceededException' : 'RequestThrottled';
  return err;
}
