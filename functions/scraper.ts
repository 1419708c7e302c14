/** SQS scrape queue consumer with ReportBatchItemFailures (src/serverless/scraper.ts). */
import { containerRuntime } from '../src/serverless/runtime.js';
import { createScraperRuntime, handleScrapeBatch } from '../src/serverless/scraper.js';
import type { InvocationContext, SqsBatchEvent } from '../src/serverless/sqs-batch.js';

const runtime = containerRuntime(createScraperRuntime);

export const handler = async (event: SqsBatchEvent, context: InvocationContext) =>
  handleScrapeBatch(await runtime(), event, context);
