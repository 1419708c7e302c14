import { describe, expect, it } from 'vitest';
import { ConsumedCapacityCounter } from '../../src/aws/dynamodb-batch.js';

describe('ConsumedCapacityCounter', () => {
  it.each([
    { name: 'nothing reported', consumed: undefined, kind: 'read', want: [0, 0] },
    { name: 'one read response', consumed: { CapacityUnits: 1.5 }, kind: 'read', want: [1.5, 0] },
    { name: 'one write response', consumed: { CapacityUnits: 3 }, kind: 'write', want: [0, 3] },
    {
      name: 'one entry per table (batch)',
      consumed: [{ CapacityUnits: 2 }, { CapacityUnits: 0.5 }],
      kind: 'write',
      want: [0, 2.5],
    },
    {
      name: 'split units win over the kind',
      consumed: { CapacityUnits: 6, ReadCapacityUnits: 1, WriteCapacityUnits: 5 },
      kind: 'read',
      want: [1, 5],
    },
    {
      name: 'bad numbers count as 0',
      consumed: [{ CapacityUnits: Number.NaN }, { CapacityUnits: -1 }, {}],
      kind: 'read',
      want: [0, 0],
    },
  ] as const)('$name', ({ consumed, kind, want }) => {
    const c = new ConsumedCapacityCounter();
    c.add(consumed, kind);
    expect(c.totals()).toEqual({ readUnits: want[0], writeUnits: want[1] });
  });

  it('accumulates across responses', () => {
    const c = new ConsumedCapacityCounter();
    c.add({ CapacityUnits: 1 }, 'read');
    c.add({ CapacityUnits: 2 }, 'write');
    c.add([{ CapacityUnits: 0.5 }], 'read');
    expect(c.totals()).toEqual({ readUnits: 1.5, writeUnits: 2 });
  });
});
