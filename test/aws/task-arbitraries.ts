/**
 * Arbitraries and fixtures of scrape tasks, shared by the task codec's unit tests and its fuzz
 * suite (valid encodings are the seeds the fuzz suite mutates).
 */
import fc from 'fast-check';
import type { Label, Labels } from '../../src/model/labels.js';
import type { ScrapeTask } from '../../src/ports.js';
import type { Target } from '../../src/targets/types.js';

export type ScrapeOnly = Extract<ScrapeTask, { kind: 'scrape' }>;

// Any code points (lone surrogates excluded: label text is valid UTF-8), plus the ones SQS
// refuses raw (U+FFFE, U+FFFF) and JSON's specials.
export const text = fc.oneof(
  fc.string({ unit: 'binary', minLength: 1, maxLength: 12 }),
  fc.constantFrom('\uffff', '\ufffe', 'a"b\\c\n', '\u0000', 'ünï😀', 'node'),
);

export function sortLabels(pairs: Iterable<[string, string]>): Labels {
  const out: Label[] = [...new Map(pairs)].map(([name, value]) => ({ name, value }));
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

export const pairs = fc.array(fc.tuple(text, text), { maxLength: 6 });

export const targetArb = (shared: [string, string][]) =>
  fc
    .record({
      job: text,
      own: pairs,
      discovered: pairs,
      weirdPublic: fc.option(pairs, { nil: undefined }),
      url: fc.webUrl(),
      intervalMs: fc.integer({ min: 1, max: 86_400_000 }),
      timeoutMs: fc.integer({ min: 1, max: 86_400_000 }),
      offsetFrac: fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
      id: fc.stringMatching(/^[0-9a-f]{16}$/),
    })
    .map((r): Target => {
      const labels = sortLabels([...shared, ...r.own]);
      return {
        job: r.job,
        labels,
        publicLabels:
          r.weirdPublic === undefined
            ? labels.filter((l) => !l.name.startsWith('__'))
            : sortLabels(r.weirdPublic),
        discoveredLabels: sortLabels([...shared, ...r.discovered]),
        url: r.url,
        intervalMs: r.intervalMs,
        timeoutMs: r.timeoutMs,
        offsetMs: Math.floor(r.offsetFrac * r.intervalMs),
        id: r.id,
      };
    });

export const scrapeArb: fc.Arbitrary<ScrapeOnly> = pairs.chain((shared) =>
  fc.record({
    kind: fc.constant('scrape' as const),
    slotMs: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
    targets: fc.array(targetArb(shared), { minLength: 1, maxLength: 12 }),
  }),
);
export const retireArb: fc.Arbitrary<ScrapeTask> = fc.record({
  kind: fc.constant('retire' as const),
  target: targetArb([]),
  staleTimeMs: fc.nat(),
});

/** A typical EC2-discovered node_exporter target, for sizes. */
export function ec2Target(i: number): Target {
  const addr = `10.0.${i >> 8}.${i & 255}:9100`;
  const labels = sortLabels([
    ['__address__', addr],
    ['__metrics_path__', '/metrics'],
    ['__scheme__', 'http'],
    ['__scrape_interval__', '15s'],
    ['__scrape_timeout__', '10s'],
    ['instance', `i-0abc${i.toString(16).padStart(12, '0')}`],
    ['job', 'node'],
    ['az', 'eu-west-1a'],
    ['env', 'prod'],
  ]);
  return {
    job: 'node',
    labels,
    publicLabels: labels.filter((l) => !l.name.startsWith('__')),
    discoveredLabels: sortLabels([
      ['__address__', addr],
      ['__metrics_path__', '/metrics'],
      ['__scheme__', 'http'],
      ['__scrape_interval__', '15s'],
      ['__scrape_timeout__', '10s'],
      ['job', 'node'],
      ['__meta_ec2_availability_zone', 'eu-west-1a'],
      ['__meta_ec2_instance_id', `i-0abc${i.toString(16).padStart(12, '0')}`],
      ['__meta_ec2_instance_state', 'running'],
      ['__meta_ec2_instance_type', 't3.medium'],
      ['__meta_ec2_private_ip', addr.split(':')[0]!],
      ['__meta_ec2_tag_env', 'prod'],
      ['__meta_ec2_vpc_id', 'vpc-0123456789abcdef0'],
    ]),
    url: `http://${addr}/metrics`,
    intervalMs: 15_000,
    timeoutMs: 10_000,
    offsetMs: (i * 7919) % 15_000,
    id: (0x1234567890abcn + BigInt(i)).toString(16).padStart(16, '0'),
  };
}
