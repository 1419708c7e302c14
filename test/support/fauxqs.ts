/**
 * An in-process SQS (fauxqs, docs/testing.md) for tests of the SQS adapters with the real
 * `@aws-sdk/client-sqs`. The endpoint is passed to the client explicitly (an env-only endpoint
 * makes the client call `sqs.<region>.localhost`). Known gaps: a bogus receipt handle deletes
 * "successfully"; DelaySeconds above 900 is not rejected.
 */
import { randomUUID } from 'node:crypto';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { startFauxqs } from 'fauxqs';

export interface LocalSqs {
  readonly endpoint: string;
  readonly client: SQSClient;
  stop(): Promise<void>;
}

/** Starts fauxqs on a free loopback port and a client for it. */
export async function startLocalSqs(): Promise<LocalSqs> {
  const server = await startFauxqs({ port: 0, logger: false, host: '127.0.0.1' });
  const client = new SQSClient({
    endpoint: server.address,
    region: 'us-east-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
  });
  return {
    endpoint: server.address,
    client,
    async stop() {
      client.destroy();
      await server.stop();
    },
  };
}

export interface CreateQueueOptions {
  /** Also create `<name>-dlq` and redrive to it after `maxReceiveCount` receives. */
  readonly dlq?: boolean;
  /** @default 3 */
  readonly maxReceiveCount?: number;
  /** Queue's default visibility timeout, seconds. */
  readonly visibilityTimeout?: number;
  /** Queue's MaximumMessageSize, bytes. */
  readonly maximumMessageSize?: number;
  /** A FIFO queue (name ending `.fifo`; its DLQ FIFO too), as the outbox is. */
  readonly fifo?: boolean;
}

export interface TestQueue {
  readonly url: string;
  readonly dlqUrl?: string;
}

/** A queue of its own per test; `name` defaults to `t-<uuid>`. */
export async function createQueue(
  client: SQSClient,
  name = `t-${randomUUID()}`,
  options: CreateQueueOptions = {},
): Promise<TestQueue> {
  const attributes: Record<string, string> = {};
  const suffix = options.fifo === true ? '.fifo' : '';
  if (options.fifo === true) attributes.FifoQueue = 'true';
  if (options.visibilityTimeout !== undefined) {
    attributes.VisibilityTimeout = String(options.visibilityTimeout);
  }
  if (options.maximumMessageSize !== undefined) {
    attributes.MaximumMessageSize = String(options.maximumMessageSize);
  }
  let dlqUrl: string | undefined;
  if (options.dlq === true) {
    const dlq = await client.send(
      new CreateQueueCommand({
        QueueName: `${name}-dlq${suffix}`,
        Attributes: options.fifo === true ? { FifoQueue: 'true' } : {},
      }),
    );
    dlqUrl = dlq.QueueUrl!;
    const attrs = await client.send(
      new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ['QueueArn'] }),
    );
    attributes.RedrivePolicy = JSON.stringify({
      deadLetterTargetArn: attrs.Attributes!.QueueArn,
      maxReceiveCount: options.maxReceiveCount ?? 3,
    });
  }
  const q = await client.send(
    new CreateQueueCommand({ QueueName: `${name}${suffix}`, Attributes: attributes }),
  );
  return dlqUrl === undefined ? { url: q.QueueUrl! } : { url: q.QueueUrl!, dlqUrl };
}

/**
 * Receives (long polling, up to 10 per request, without deleting) until `count` messages came
 * or `timeoutMs` passed; each message with the time it was received.
 */
export async function receiveAll(
  client: SQSClient,
  queueUrl: string,
  count: number,
  timeoutMs = 5_000,
): Promise<{ message: Message; receivedAtMs: number }[]> {
  const out: { message: Message; receivedAtMs: number }[] = [];
  const deadline = Date.now() + timeoutMs;
  while (out.length < count && Date.now() < deadline) {
    const wait = Math.max(0, Math.min(1, Math.floor((deadline - Date.now()) / 1000)));
    const r = await client.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: wait,
        VisibilityTimeout: 60,
      }),
    );
    const now = Date.now();
    for (const message of r.Messages ?? []) out.push({ message, receivedAtMs: now });
  }
  return out;
}
