/**
 * The label set of one Lightsail instance: the `__meta_lightsail_*` labels of Prometheus's
 * Lightsail role (discovery/aws/lightsail.go, `LightsailDiscovery.refresh`). The address is the
 * private IP with the configured port; an instance without a private IP is no target. Every
 * input is untrusted (`read.ts`).
 */
import { sanitizeTagName } from '../ec2/index.js';
import { joinHostPort, keyValueTags, list, record, str } from './read.js';

/** Meta label prefix of the lightsail role. */
export const LIGHTSAIL_LABEL = '__meta_lightsail_';

/** The target of one instance, or undefined without a private IP. */
export function lightsailTarget(
  instance: unknown,
  region: string,
  port: number,
): Record<string, string> | undefined {
  const i = record(instance);
  // Prometheus checks only that the field is present; an empty address is no target here.
  const privateIp = str(i.privateIpAddress);
  if (privateIp === undefined) return undefined;
  const labels: Record<string, string> = { __address__: joinHostPort(privateIp, port) };
  const set = (name: string, value: string | undefined): void => {
    // Empty means absent (§10).
    if (value !== undefined && value !== '') labels[`${LIGHTSAIL_LABEL}${name}`] = value;
  };
  set('private_ip', privateIp);
  set('region', region);
  set('availability_zone', str(record(i.location).availabilityZone));
  set('blueprint_id', str(i.blueprintId));
  set('bundle_id', str(i.bundleId));
  set('instance_name', str(i.name));
  set('instance_state', str(record(i.state).name));
  set('instance_support_code', str(i.supportCode));
  set('public_ip', str(i.publicIpAddress));
  const ipv6 = list(i.ipv6Addresses).filter((a): a is string => typeof a === 'string');
  if (ipv6.length > 0) set('ipv6_addresses', `,${ipv6.join(',')},`);
  for (const [key, value] of keyValueTags(i.tags)) set(`tag_${sanitizeTagName(key)}`, value);
  return labels;
}
