import { GetQueueAttributesCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSqsClient } from '../../src/aws/clients.js';
import { deleteMessages, receiveMessages } from '../../src/aws/sqs-receive.js';
import { createQueue, type LocalSqs, startLocalSqs } from '../support/fauxqs.js';

let sqs: LocalSqs;
beforeAll(async () => {
  sqs = await startLocalSqs();
});
afterAll(async () => {
  await sqs?.stop();
});

async function depth(queueUrl: string): Promise<number> {
  const r = await sqs.client.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  const a = r.Attributes ?? {};
  return Number(a.ApproximateNumberOfMessages) + Number(a.ApproximateNumberOfMessagesNotVisible);
}

describe('receiveMessages and deleteMessages against fauxqs', () => {
  it('receives messages as handler records and deletes the ones given', async () => {
    // A client built by the factory, as the runtime builds its own.
    const client = createSqsClient({
      endpoint: sqs.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    });
    try {
      const q = await createQueue(client);
      for (const body of ['a', 'b', 'c']) {
        await client.send(new SendMessageCommand({ QueueUrl: q.url, MessageBody: body }));
      }
      const got = await receiveMessages(client, q.url, { waitSeconds: 1 });
      expect(got.map((m) => m.body).sort()).toEqual(['a', 'b', 'c']);
      for (const m of got) {
        expect(m.messageId).not.toBe('');
        expect(m.receiptHandle).not.toBe('');
      }
      await deleteMessages(client, q.url, got);
      await deleteMessages(client, q.url, []);
      expect(await depth(q.url)).toBe(0);
    } finally {
      client.destroy();
    }
  });

  it('returns [] when nothing comes within the wait', async () => {
    const q = await createQueue(sqs.client);
    expect(await receiveMessages(sqs.client, q.url, { waitSeconds: 0 })).toEqual([]);
  });
});
