/** A handler that does nothing: bundles in milliseconds, so a test can bundle for real. */
export const handler = async (): Promise<Record<string, never>> => ({});
