/** SQS outbox consumer with ReportBatchItemFailures: replays parked remote writes (src/serverless/outbox.ts). */
import { createOutboxRuntime, handleOutboxBatch } from '../src/serverless/outbox.js';
import { containerRuntime } from '../src/serverless/runtime.js';
import type { InvocationContext, SqsBatchEvent } from '../src/serverless/sqs-batch.js';

const runtime = containerRuntime(createOutboxRuntime);

export const handler = async (event: SqsBatchEvent, context: InvocationContext) =>
  handleOutboxBatch(await runtime(), event, context);
