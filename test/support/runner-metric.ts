/**
 * The sum of a metric's samples on a runner's `/metrics` page (text format), over the series
 * whose labels include `labels`. Throws when no such series is on the page.
 */
export async function runnerMetric(
  baseUrl: string,
  name: string,
  labels: Readonly<Record<string, string>> = {},
): Promise<number> {
  const text = await (await fetch(`${baseUrl}/metrics`)).text();
  let sum = 0;
  let seen = false;
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$/.exec(line);
    if (m?.[1] !== name) continue;
    const block = m[2] ?? '';
    if (Object.entries(labels).every(([k, v]) => block.includes(`${k}="${v}"`))) {
      sum += Number(m[3]);
      seen = true;
    }
  }
  if (!seen) throw new Error(`${name} not on the runner's /metrics:\n${text}`);
  return sum;
}
