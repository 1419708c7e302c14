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

/** Pages a listing may have before a refresh gives up on it (a server that never ends one). */
export const MAX_PAGES = 10_000;

/**
 * Every page of a paged AWS listing: `call` gets the page token (undefined first) and returns
 * the raw page, `items` picks its entries, `tokenField` names the next page's token (`NextToken`,
 * `Marker`). More than {@link MAX_PAGES} pages, or a token seen before (a server paging in a
 * circle), is an error naming `what` (and the token by `tokenName`).
 */
export async function allPages(
  what: string,
  call: (token: string | undefined) => Promise<unknown>,
  items: (page: Readonly<Record<string, unknown>>) => readonly unknown[],
  tokenField: string,
  tokenName = 'token',
): Promise<unknown[]> {
  const all: unknown[] = [];
  const seen = new Set<string>();
  let token: string | undefined;
  for (let page = 0; ; page++) {
    if (page >= MAX_PAGES) throw new Error(`${what}: more than ${MAX_PAGES} pages`);
    const out = record(await call(token));
    all.push(...items(out));
    token = str(out[tokenField]);
    if (token === undefined) return all;
    if (seen.has(token)) throw new Error(`${what} repeated page ${tokenName}`);
    seen.add(token);
  }
}
