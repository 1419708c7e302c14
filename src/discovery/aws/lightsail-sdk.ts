/**
 * The parts of `@aws-sdk/client-lightsail` Lightsail discovery uses, imported by name so a
 * bundler keeps only these; loaded on the first refresh of a `lightsail` entry (`lightsail.ts`).
 */
export { GetInstancesCommand, LightsailClient } from '@aws-sdk/client-lightsail';
