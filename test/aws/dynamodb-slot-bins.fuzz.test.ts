/**
 * Fuzz: slot-bin items (the state change log, decision 12, and the delivery backlog, decision
 * 13) as read from DynamoDB, treated as untrusted. A bin item of any shape decodes to its
 * members, `'overflowed'`, or SlotBinsError `SLOT_BINS_CORRUPT` — never to fewer members than
 * it lists (that would say "nothing changed" / "nothing held": the unsafe answer). Members of
 * any text are then read by the change log and the backlog without error, and every
 * well-formed member that concerns a wanted stream counts.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { heldByStream } from '../../src/aws/dynamodb-delivery-backlog.js';
import { binMembers, SlotBinsError } from '../../src/aws/dynamodb-slot-bins.js';
import { changedStreams } from '../../src/aws/dynamodb-state-change-log.js';
import { arbitraryItem, mutatedItem } from '../support/attribute-values.js';
import { errorOf, fuzzParams } from '../support/fuzz.js';

/** The suite's tests run longer with the fuzz scale: their timeout grows with it. */
const SCALED = { timeout: 30_000 * fuzzParams(1).numRuns! };

type Item = Record<string, AttributeValue>;
const NAMES = ['pk', 'sk', 's', 'o', 'expiresAt'] as const;

const stream: fc.Arbitrary<string> = fc.constantFrom(
  'aaaaaaaaaaaaaaaa',
  'bbbbbbbbbbbbbbbb',
  '0123456789abcdef',
);
const slot = fc.constantFrom(1_700_000_000_000, 1_700_000_003_000, 1_700_000_009_999);
/** Members as the two kinds write them, and text that is neither. */
const member = fc.oneof(
  fc.tuple(stream, slot, fc.nat(9)).map(([s, t, v]) => `${s}@${t}:${v}`),
  fc.tuple(stream, slot, fc.string({ maxLength: 8 })).map(([s, t, n]) => `${s}@${t}#${n}`),
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.constantFrom('@', '#', ':', '@#', 'x@:#', 'aaaaaaaaaaaaaaaa@', 'aaaaaaaaaaaaaaaa@#'),
);

const validBin: fc.Arbitrary<Item> = fc
  .record({ members: fc.uniqueArray(member, { minLength: 1, maxLength: 30 }), full: fc.boolean() })
  .map(({ members, full }) => ({
    pk: { S: 'x#1700000000000' },
    sk: { S: 'x' },
    s: { SS: members },
    ...(full ? { o: { BOOL: true } } : {}),
    expiresAt: { N: '1700003610' },
  }));

/** Decodes; on success no listed member is lost, and nothing is made up. */
async function membersOrCorrupt(items: Item[]) {
  let got: ReadonlySet<string> | 'overflowed' | undefined;
  const err = await errorOf(SlotBinsError, () => {
    got = binMembers(items);
  });
  if (err !== undefined) {
    expect(err.code).toBe('SLOT_BINS_CORRUPT');
    expect(err.message.length).toBeLessThan(200);
    return err;
  }
  if (got === 'overflowed') {
    expect(items.some((i) => i.o?.BOOL === true)).toBe(true);
    return got;
  }
  const listed = new Set(items.flatMap((i) => i.s?.SS ?? []));
  expect(got).toEqual(listed);
  // Members or an overflow flag held in another type are not "none": they are unknown.
  for (const i of items) {
    expect(i.s === undefined || Array.isArray(i.s.SS)).toBe(true);
    expect(i.o === undefined || typeof i.o.BOOL === 'boolean').toBe(true);
  }
  return got;
}

describe('slot bin items', SCALED, () => {
  it('arbitrary items: members, overflowed, or SLOT_BINS_CORRUPT; never a member lost', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(arbitraryItem(NAMES), { maxLength: 3 }), async (items) => {
        await membersOrCorrupt(items);
      }),
      fuzzParams(1_500),
    );
  });

  it('valid bins with attributes replaced, dropped or added: the same', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.oneof(validBin, mutatedItem(validBin, NAMES)), { minLength: 1, maxLength: 3 }),
        async (items) => {
          await membersOrCorrupt(items);
        },
      ),
      fuzzParams(1_500),
    );
  });
});

describe('bin members as the change log and the backlog read them', SCALED, () => {
  const wantedArb = fc.array(fc.tuple(stream, slot, fc.nat(9)), { maxLength: 4 });

  it('the change log: any member text; every record of another version counts', async () => {
    await fc.assert(
      fc.property(fc.array(member, { maxLength: 40 }), wantedArb, (members, w) => {
        const wanted = new Map(w.map(([s, slotMs, version]) => [s, { slotMs, version }]));
        const changed = changedStreams(members, wanted);
        for (const s of changed) expect(wanted.has(s)).toBe(true);
        for (const [s, { slotMs, version }] of wanted) {
          const other = members.some((m) => {
            const v = m.slice(`${s}@${slotMs}:`.length);
            return m.startsWith(`${s}@${slotMs}:`) && !v.includes(':') && v !== String(version);
          });
          if (other) expect(changed.has(s)).toBe(true);
        }
      }),
      fuzzParams(2_000),
    );
  });

  it('the backlog: any member text; every hold for the wanted slot counts', async () => {
    await fc.assert(
      fc.property(fc.array(member, { maxLength: 40 }), wantedArb, (members, w) => {
        const wanted = new Map(w.map(([s, slotMs]) => [s, slotMs]));
        const held = heldByStream(members, wanted);
        for (const s of held.keys()) expect(wanted.has(s)).toBe(true);
        for (const [s, slotMs] of wanted) {
          for (const m of members) {
            if (m.startsWith(`${s}@${slotMs}#`)) {
              expect(held.get(s)?.has(m.slice(`${s}@${slotMs}#`.length))).toBe(true);
            }
          }
        }
      }),
      fuzzParams(2_000),
    );
  });
});
