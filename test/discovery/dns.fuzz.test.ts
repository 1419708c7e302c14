/**
 * Fuzzing of DNS answers (§10.4, issue 13): a fake resolver returns arbitrary SRV/A/AAAA/MX/NS
 * records (odd names, empty names, ports out of range, huge lists) or fails in arbitrary ways;
 * `DnsDiscoverer.refresh` never throws, every target is a bounded string label set with a port
 * in 0–65535, every failure is a DnsSdError naming its name, and a failed name keeps its last
 * targets.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DNS_NAME_LABEL,
  DnsDiscoverer,
  type DnsMxRecord,
  type DnsRecordType,
  type DnsResolver,
  type DnsSdConfig,
  DnsSdError,
  type DnsSrvRecord,
} from '../../src/discovery/dns/index.js';
import { fuzzParams } from '../support/fuzz.js';
import { expectBounded, oddString } from './fuzz-inputs.js';

const TYPES: readonly DnsRecordType[] = ['SRV', 'A', 'AAAA', 'MX', 'NS'];
const NAMES = ['_svc._tcp.example.com', 'a.example.com', ''];
const PORT = 9100;

/** What one lookup answers: records, or a rejection with any value. */
type Outcome = { records: unknown[] } | { failure: unknown };

function config(type: DnsRecordType): DnsSdConfig {
  return { names: NAMES, type, port: type === 'SRV' ? 0 : PORT, refreshInterval: 30_000 };
}

/** A resolver answering every lookup with the outcome planned for the name. */
function fakeResolver(plan: ReadonlyMap<string, Outcome>): DnsResolver {
  const answer = async (name: string) => {
    const outcome = plan.get(name) ?? {
      failure: Object.assign(new Error('x'), { code: 'ENOTFOUND' }),
    };
    if ('failure' in outcome) throw outcome.failure;
    return outcome.records as never;
  };
  return {
    resolveSrv: answer,
    resolve4: answer,
    resolve6: answer,
    resolveMx: answer,
    resolveNs: answer,
  };
}

const host = fc.oneof(
  { weight: 4, arbitrary: oddString },
  fc.domain(),
  fc.ipV4(),
  fc.ipV6(),
  fc.constantFrom('.', 'a.', 'a..', '', 'x'.repeat(300)),
);
const port = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 0, max: 65_535 }) },
  fc.integer(),
  fc.double(),
  fc.constantFrom(-1, 65_536, Number.NaN, Number.POSITIVE_INFINITY, 0.5, 1e21),
);
const srv: fc.Arbitrary<DnsSrvRecord> = fc.record({
  name: host,
  port,
  priority: fc.integer(),
  weight: fc.integer(),
});
const mx: fc.Arbitrary<DnsMxRecord> = fc.record({ exchange: host, priority: fc.integer() });

function records(type: DnsRecordType): fc.Arbitrary<unknown[]> {
  const one: fc.Arbitrary<unknown> = type === 'SRV' ? srv : type === 'MX' ? mx : host;
  return fc.array(one, { maxLength: 8 });
}

const failure: fc.Arbitrary<unknown> = fc.oneof(
  fc
    .constantFrom('ENOTFOUND', 'ENODATA', 'ESERVFAIL', 'EREFUSED', 'ETIMEOUT', 'ECONNREFUSED')
    .map((code) => Object.assign(new Error(`query ${code}`), { code })),
  fc.record({ code: fc.oneof(oddString, fc.integer()) }),
  fc.anything(),
);

function outcome(type: DnsRecordType): fc.Arbitrary<Outcome> {
  return fc.oneof(
    { weight: 3, arbitrary: records(type).map((r) => ({ records: r })) },
    failure.map((f) => ({ failure: f })),
  );
}

const plan = (type: DnsRecordType) =>
  fc.tuple(...NAMES.map(() => outcome(type))).map((o) => new Map(NAMES.map((n, i) => [n, o[i]!])));

/** The longest string the records hold. */
function longest(p: ReadonlyMap<string, Outcome>): number {
  let max = 0;
  for (const o of p.values()) {
    if (!('records' in o)) continue;
    for (const r of o.records) {
      for (const s of typeof r === 'string' ? [r] : Object.values(r as object)) {
        if (typeof s === 'string') max = Math.max(max, s.length);
      }
    }
  }
  return max;
}

async function refreshChecked(type: DnsRecordType, p: ReadonlyMap<string, Outcome>) {
  const d = new DnsDiscoverer(config(type), fakeResolver(p));
  const result = await d.refresh();
  let count = 0;
  for (const o of p.values()) if ('records' in o) count += o.records.length;
  // Fixed part: ":65535", brackets, a trailing dot, the label names.
  expectBounded(result.groups, count, longest(p) + 40);
  for (const group of result.groups) {
    for (const t of group.targets) {
      const m = /:(\d+)$/.exec(t.__address__!);
      const ok = m !== null && Number(m[1]) <= 65_535 && t[DNS_NAME_LABEL] === group.source;
      if (!ok) expect(t).toMatchObject({ __address__: expect.stringMatching(/:\d{1,5}$/) });
    }
  }
  for (const err of result.errors) {
    expect(err).toBeInstanceOf(DnsSdError);
    expect(NAMES).toContain(err.subject);
    expect(err.message).toMatch(/^dns_sd lookup of \w+ records for ".*" failed/);
  }
  return { d, result };
}

describe('DnsDiscoverer: arbitrary answers from the resolver', () => {
  for (const type of TYPES) {
    it(`${type}: bounded targets with valid ports, or DnsSdErrors; never a throw`, async () => {
      await fc.assert(
        fc.asyncProperty(plan(type), async (p) => {
          await refreshChecked(type, p);
        }),
        fuzzParams(300),
      );
    });
  }

  it('a name whose lookup fails keeps its last targets; the others update', async () => {
    const type = fc.constantFrom(...TYPES);
    await fc.assert(
      fc.asyncProperty(
        type.chain((t) => fc.tuple(fc.constant(t), plan(t), plan(t))),
        async ([t, first, second]) => {
          const live = new Map(first);
          const d = new DnsDiscoverer(config(t), fakeResolver(live));
          const before = await d.refresh();
          for (const [k, v] of second) live.set(k, v);
          const after = await d.refresh();
          const failed = new Set(after.errors.map((e) => e.subject));
          for (const name of failed) {
            expect(after.groups.find((g) => g.source === name)).toEqual(
              before.groups.find((g) => g.source === name),
            );
          }
        },
      ),
      fuzzParams(200),
    );
  });

  it.each(TYPES)('%s: 100k records in linear time', async (type) => {
    const record =
      type === 'SRV'
        ? { name: 'host.example.com', port: 80, priority: 1, weight: 1 }
        : type === 'MX'
          ? { exchange: 'mx.example.com', priority: 1 }
          : type === 'AAAA'
            ? '2001:db8::1'
            : '10.0.0.1';
    const p = new Map<string, Outcome>([[NAMES[0]!, { records: Array(100_000).fill(record) }]]);
    const start = Date.now();
    const { result } = await refreshChecked(type, p);
    expect(result.groups[0]!.targets).toHaveLength(100_000);
    expect(Date.now() - start).toBeLessThan(5_000);
  });
});

describe('DnsDiscoverer: regressions', () => {
  it.each([Number.NaN, -1, 65_536, 0.5, 1e21])(
    'an SRV port %s (no DNS server can send it) is an error for that name, not "host:NaN"',
    async (badPort) => {
      const p = new Map<string, Outcome>([
        [
          NAMES[0]!,
          { records: [{ name: 'a.example.com', port: badPort, priority: 0, weight: 0 }] },
        ],
      ]);
      const { result } = await refreshChecked('SRV', p);
      expect(result.groups.find((g) => g.source === NAMES[0])).toBeUndefined();
      expect(result.errors.map((e) => e.message)).toEqual([
        `dns_sd lookup of SRV records for "${NAMES[0]}" failed: SRV record "a.example.com" has port ${badPort}, not an integer in 0-65535`,
      ]);
    },
  );

  it('a lookup rejected with a value that cannot be made a string is still a DnsSdError', async () => {
    const p = new Map<string, Outcome>([[NAMES[0]!, { failure: Object.create(null) }]]);
    const { result } = await refreshChecked('A', p);
    expect(result.errors).toHaveLength(1);
  });
});
