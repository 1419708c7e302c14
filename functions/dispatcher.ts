/** Scheduled every minute: plans the next window's scrape tasks (src/serverless/handlers.ts). */
import { handleDispatch } from '../src/serverless/handlers.js';
import { getRuntime } from '../src/serverless/runtime.js';

export const handler = async () => handleDispatch(await getRuntime());
