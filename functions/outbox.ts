/** SQS outbox consumer with ReportBatchItemFailures: replays parked remote writes (handlers.ts). */
import {
  handleOutboxBatch,
  type InvocationContext,
  type SqsBatchEvent,
} from '../src/serverless/handlers.js';
import { getRuntime } from '../src/serverless/runtime.js';

export const handler = async (event: SqsBatchEvent, context: InvocationContext) =>
  handleOutboxBatch(await getRuntime(), event, context);
