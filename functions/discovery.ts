/** Scheduled every minute: service discovery → targets table (src/serverless/handlers.ts). */
import { handleDiscovery } from '../src/serverless/handlers.js';
import { getRuntime } from '../src/serverless/runtime.js';

export const handler = async () => handleDiscovery(await getRuntime());
