/**
 * Reading AWS answers as untrusted data: the SDK parses JSON and XML but does not check the
 * types of what it returns (a `taskArn` may be a number, `tags` a string), so every field is
 * narrowed here before use. Nothing in this file throws.
 */

/** The value when it is a non-empty string (empty means absent, §10). */
export function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** The value when it is an array, else an empty one. */
export function list(value: unknown): readonly unknown[] {
  return Array.isArray(value) ? value : [];
}

/** The value when it is a plain object, else an empty one. */
export function record(value: unknown): Readonly<Record<string, unknown>> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

/** The `{key, value}` pairs of an ECS or Lightsail `tags` list (both strings; an empty value is kept). */
export function keyValueTags(value: unknown): [string, string][] {
  const tags: [string, string][] = [];
  for (const item of list(value)) {
    const { key, value: v } = record(item);
    if (typeof key === 'string' && typeof v === 'string') tags.push([key, v]);
  }
  return tags;
}

/** The `{Key, Value}` pairs of an EC2 `Tags` list. */
export function ec2Tags(value: unknown): [string, string][] {
  const tags: [string, string][] = [];
  for (const item of list(value)) {
    const { Key, Value } = record(item);
    if (typeof Key === 'string' && typeof Value === 'string') tags.push([Key, Value]);
  }
  return tags;
}

/** `host:port`, the host bracketed when it is an IPv6 address. */
export function joinHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
