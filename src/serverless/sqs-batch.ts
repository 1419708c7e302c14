/**
 * What the SQS-triggered functions (scraper, outbox) receive and return, without
 * @types/aws-lambda: the fields of Lambda's SQS event and context they read, and the partial
 * batch response (the event source mappings enable `ReportBatchItemFailures`).
 */

/** The fields of an SQS record the handlers read. */
export interface SqsRecord {
  readonly messageId: string;
  readonly body: string;
  /** What a later visibility change of this delivery takes (Lambda's records have it). */
  readonly receiptHandle?: string;
  /** SQS system attributes, as Lambda passes them (FIFO: MessageGroupId). */
  readonly attributes?: {
    readonly ApproximateReceiveCount?: string;
    readonly MessageGroupId?: string;
  };
}

export interface SqsBatchEvent {
  readonly Records: readonly SqsRecord[];
}

/** The part of the Lambda context the handlers use. */
export interface InvocationContext {
  getRemainingTimeInMillis(): number;
}

/** SQS partial batch response: the records to deliver again. */
export interface SqsBatchResponse {
  batchItemFailures: { itemIdentifier: string }[];
}

/**
 * Kept back from the invocation's remaining time when computing a task's deadline: the worker
 * keeps its own margin for parking and the state write; this one covers returning the batch
 * response before Lambda's timeout.
 */
export const HANDLER_MARGIN_MS = 500;

/** The deadline of an invocation that started at `startMs` (see {@link HANDLER_MARGIN_MS}). */
export function invocationDeadline(startMs: number, context: InvocationContext): number {
  return startMs + context.getRemainingTimeInMillis() - HANDLER_MARGIN_MS;
}
