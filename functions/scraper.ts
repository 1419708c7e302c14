/** SQS scrape queue consumer with ReportBatchItemFailures (src/serverless/handlers.ts). */
import {
  handleScrapeBatch,
  type InvocationContext,
  type SqsBatchEvent,
} from '../src/serverless/handlers.js';
import { getRuntime } from '../src/serverless/runtime.js';

export const handler = async (event: SqsBatchEvent, context: InvocationContext) =>
  handleScrapeBatch(await getRuntime(), event, context);
