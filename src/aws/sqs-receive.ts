/**
 * Receiving and deleting SQS messages as Lambda's SQS event source does: what
 * `lambdascrape simulate` uses to drive the queue-triggered handlers on one machine. A deployed
 * function never calls these (Lambda's poller does the receiving and the deleting).
 *
 * {@link receiveMessages} long polls once and returns the messages as handler records;
 * {@link deleteMessages} deletes the records a batch did not report as failed, in one
 * DeleteMessageBatch (at most 10, the batch a receive returns), and throws
 * {@link SqsReceiveError} `SQS_DELETE_FAILED` when any delete failed (those messages come back
 * after the visibility timeout).
 */
import {
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';

export const SQS_RECEIVE_ERROR_CODES = {
  deleteFailed: 'SQS_DELETE_FAILED',
} as const;
export type SqsReceiveErrorCode =
  (typeof SQS_RECEIVE_ERROR_CODES)[keyof typeof SQS_RECEIVE_ERROR_CODES];

/** The one error class of this module. */
export class SqsReceiveError extends Error {
  override readonly name = 'SqsReceiveError';
  constructor(
    readonly code: SqsReceiveErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** One received message: the fields a handler record has, and what deleting it takes. */
export interface ReceivedMessage {
  readonly messageId: string;
  readonly body: string;
  readonly receiptHandle: string;
  /** The system attributes Lambda passes to a handler (FIFO: MessageGroupId). */
  readonly attributes: {
    readonly ApproximateReceiveCount?: string;
    readonly MessageGroupId?: string;
  };
}

export interface ReceiveOptions {
  /** 1–10. @default 10 */
  readonly maxMessages?: number;
  /** Long-poll wait, 0–20 s. @default 20 */
  readonly waitSeconds?: number;
  /** Ends the poll early (the SDK rejects with an abort error). */
  readonly abortSignal?: AbortSignal;
}

/** One long poll of `queueUrl`; [] when nothing came within the wait. SDK errors propagate. */
export async function receiveMessages(
  client: SQSClient,
  queueUrl: string,
  options: ReceiveOptions = {},
): Promise<ReceivedMessage[]> {
  const r = await client.send(
    new ReceiveMessageCommand({
      QueueUrl: queueUrl,
      MaxNumberOfMessages: options.maxMessages ?? 10,
      WaitTimeSeconds: options.waitSeconds ?? 20,
      MessageSystemAttributeNames: ['ApproximateReceiveCount', 'MessageGroupId'],
    }),
    options.abortSignal === undefined ? {} : { abortSignal: options.abortSignal },
  );
  return (r.Messages ?? []).map((m) => ({
    messageId: m.MessageId ?? '',
    body: m.Body ?? '',
    receiptHandle: m.ReceiptHandle ?? '',
    attributes: {
      ...(m.Attributes?.ApproximateReceiveCount === undefined
        ? {}
        : { ApproximateReceiveCount: m.Attributes.ApproximateReceiveCount }),
      ...(m.Attributes?.MessageGroupId === undefined
        ? {}
        : { MessageGroupId: m.Attributes.MessageGroupId }),
    },
  }));
}

/** Deletes `messages` (at most 10) from `queueUrl`; see the file comment for the errors. */
export async function deleteMessages(
  client: SQSClient,
  queueUrl: string,
  messages: readonly ReceivedMessage[],
): Promise<void> {
  if (messages.length === 0) return;
  const r = await client.send(
    new DeleteMessageBatchCommand({
      QueueUrl: queueUrl,
      Entries: messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.receiptHandle })),
    }),
  );
  const failed = r.Failed ?? [];
  if (failed.length > 0) {
    throw new SqsReceiveError(
      SQS_RECEIVE_ERROR_CODES.deleteFailed,
      `${failed.length} of ${messages.length} deletes failed`,
    );
  }
}
