/**
 * How many messages a queue holds, for the self-metrics' outbox depth: one
 * `GetQueueAttributes` request (IAM: `sqs:GetQueueAttributes` on that queue).
 *
 * Depth = ApproximateNumberOfMessages (visible) + ApproximateNumberOfMessagesDelayed +
 * ApproximateNumberOfMessagesNotVisible (in flight). All three, not the visible count alone: a
 * parked write waits with a DelaySeconds of 30–900 s (`nextOutboxDelaySeconds` in
 * src/pipeline/outbox-policy.ts), so most of an outbox's backlog is delayed, and a write being
 * replayed is in flight; both are writes not yet delivered. The three are approximate (SQS API reference, GetQueueAttributes) and
 * lag by up to a minute, which a gauge sampled once a minute tolerates.
 *
 * {@link readQueueDepth} throws {@link SqsQueueDepthError} `SQS_QUEUE_DEPTH_FAILED` with the SDK
 * error as `cause` (after the SDK's own retries, or when `timeoutMs` passed), or when an
 * attribute is missing or not a whole number. Callers treat it as not fatal.
 */
import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';

export const SQS_QUEUE_DEPTH_ERROR_CODES = {
  failed: 'SQS_QUEUE_DEPTH_FAILED',
} as const;
export type SqsQueueDepthErrorCode =
  (typeof SQS_QUEUE_DEPTH_ERROR_CODES)[keyof typeof SQS_QUEUE_DEPTH_ERROR_CODES];

/** The one error class of this module. */
export class SqsQueueDepthError extends Error {
  override readonly name = 'SqsQueueDepthError';
  readonly code: SqsQueueDepthErrorCode = SQS_QUEUE_DEPTH_ERROR_CODES.failed;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Messages in a queue by state; `total` is their sum. */
export interface QueueDepth {
  readonly visible: number;
  readonly delayed: number;
  readonly inFlight: number;
  readonly total: number;
}

/** Longest a depth request may take by default (ms): the caller has other work to do. */
export const DEFAULT_QUEUE_DEPTH_TIMEOUT_MS = 3_000;

const ATTRIBUTES = {
  visible: 'ApproximateNumberOfMessages',
  delayed: 'ApproximateNumberOfMessagesDelayed',
  inFlight: 'ApproximateNumberOfMessagesNotVisible',
} as const;

/** The queue's depth (see the file comment); aborted after `timeoutMs`. */
export async function readQueueDepth(
  client: SQSClient,
  queueUrl: string,
  timeoutMs = DEFAULT_QUEUE_DEPTH_TIMEOUT_MS,
): Promise<QueueDepth> {
  let attributes: Partial<Record<string, string>>;
  try {
    const out = await client.send(
      new GetQueueAttributesCommand({
        QueueUrl: queueUrl,
        AttributeNames: [ATTRIBUTES.visible, ATTRIBUTES.delayed, ATTRIBUTES.inFlight],
      }),
      { abortSignal: AbortSignal.timeout(timeoutMs) },
    );
    attributes = out.Attributes ?? {};
  } catch (err) {
    const why = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    throw new SqsQueueDepthError(`cannot read the depth of queue ${queueUrl}: ${why}`, {
      cause: err,
    });
  }
  const count = (name: string): number => {
    const raw = attributes[name];
    const n = raw !== undefined && /^[0-9]+$/.test(raw) ? Number(raw) : Number.NaN;
    if (!Number.isSafeInteger(n)) {
      throw new SqsQueueDepthError(
        `queue ${queueUrl}: attribute ${name} is ${raw === undefined ? 'missing' : JSON.stringify(raw)}`,
      );
    }
    return n;
  };
  const visible = count(ATTRIBUTES.visible);
  const delayed = count(ATTRIBUTES.delayed);
  const inFlight = count(ATTRIBUTES.inFlight);
  return { visible, delayed, inFlight, total: visible + delayed + inFlight };
}
