/** Scheduled every minute: plans the next window's scrape tasks (src/serverless/dispatcher.ts). */
import { createDispatcherRuntime, handleDispatch } from '../src/serverless/dispatcher.js';
import { containerRuntime } from '../src/serverless/runtime.js';

const runtime = containerRuntime(createDispatcherRuntime);

export const handler = async () => handleDispatch(await runtime());
