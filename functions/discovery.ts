/** Scheduled every minute: service discovery → targets table (src/serverless/discovery.ts). */
import { createDiscoveryRuntime, handleDiscovery } from '../src/serverless/discovery.js';
import { containerRuntime } from '../src/serverless/runtime.js';

const runtime = containerRuntime(createDiscoveryRuntime);

export const handler = async () => handleDiscovery(await runtime());
