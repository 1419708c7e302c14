import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { labelsFromRecord } from '../../src/model/labels.js';
import { RelabelBuilder } from '../../src/relabel/label-builder.js';

type Op = readonly ['set', string, string] | readonly ['del', string];

function build(base: Record<string, string>, ops: readonly Op[]): RelabelBuilder {
  const b = new RelabelBuilder(labelsFromRecord(base));
  for (const op of ops) {
    if (op[0] === 'set') b.set(op[1], op[2]);
    else b.del(op[1]);
  }
  return b;
}

function visitOrder(b: RelabelBuilder): string[] {
  const out: string[] = [];
  b.forEach((name, value) => {
    out.push(`${name}=${value}`);
  });
  return out;
}

describe('RelabelBuilder', () => {
  it.each<{ name: string; base: Record<string, string>; ops: Op[]; order: string[] }>([
    {
      name: 'untouched base labels in name order',
      base: { c: '3', a: '1', b: '2' },
      ops: [],
      order: ['a=1', 'b=2', 'c=3'],
    },
    {
      name: 'set labels after the base, in the order first set',
      base: { m: '1' },
      ops: [
        ['set', 'z', 'Z'],
        ['set', 'a', 'A'],
      ],
      order: ['m=1', 'z=Z', 'a=A'],
    },
    {
      name: 'an overwritten base label moves to the set part',
      base: { a: '1', b: '2' },
      ops: [['set', 'a', 'A']],
      order: ['b=2', 'a=A'],
    },
    {
      name: 'setting a base label to its own value still moves it',
      base: { a: '1', b: '2' },
      ops: [['set', 'a', '1']],
      order: ['b=2', 'a=1'],
    },
    {
      name: 'setting again keeps the first position',
      base: {},
      ops: [
        ['set', 'x', '1'],
        ['set', 'y', '2'],
        ['set', 'x', '3'],
      ],
      order: ['x=3', 'y=2'],
    },
    {
      name: 'delete then set puts the label at the end',
      base: {},
      ops: [
        ['set', 'x', '1'],
        ['set', 'y', '2'],
        ['del', 'x'],
        ['set', 'x', '3'],
      ],
      order: ['y=2', 'x=3'],
    },
    {
      name: 'a deleted base label set again appears in the set part',
      base: { a: '1', b: '2' },
      ops: [
        ['del', 'a'],
        ['set', 'a', 'A'],
      ],
      order: ['b=2', 'a=A'],
    },
    {
      name: 'setting the empty value deletes',
      base: { a: '1', b: '2' },
      ops: [
        ['set', 'x', '1'],
        ['set', 'x', ''],
        ['set', 'a', ''],
      ],
      order: ['b=2'],
    },
  ])('$name', ({ base, ops, order }) => {
    expect(visitOrder(build(base, ops))).toEqual(order);
  });

  it.each<{ name: string; base: Record<string, string>; ops: Op[]; out: Record<string, string> }>([
    { name: 'no change', base: { a: '1' }, ops: [], out: { a: '1' } },
    {
      name: 'mixed changes, sorted output',
      base: { b: '2', d: '4' },
      ops: [
        ['set', 'e', '5'],
        ['set', 'a', '1'],
        ['del', 'd'],
        ['set', 'c', '3'],
        ['set', 'b', 'B'],
      ],
      out: { a: '1', b: 'B', c: '3', e: '5' },
    },
    { name: 'delete everything', base: { a: '1' }, ops: [['del', 'a']], out: {} },
    { name: 'delete a missing label', base: { a: '1' }, ops: [['del', 'zz']], out: { a: '1' } },
  ])('labels(): $name', ({ base, ops, out }) => {
    expect(build(base, ops).labels()).toEqual(labelsFromRecord(out));
  });

  it('get sees sets and deletes', () => {
    const b = build({ a: '1', b: '2' }, [
      ['set', 'c', '3'],
      ['del', 'a'],
    ]);
    expect([b.get('a'), b.get('b'), b.get('c'), b.get('missing')]).toEqual(['', '2', '3', '']);
    b.set('a', 'again');
    expect(b.get('a')).toBe('again');
  });

  it('looks up large base sets (binary search) correctly', () => {
    const record: Record<string, string> = {};
    for (let i = 0; i < 40; i++) record[`label_${String(i).padStart(2, '0')}`] = `v${i}`;
    const b = new RelabelBuilder(labelsFromRecord(record));
    for (let i = 0; i < 40; i++) expect(b.get(`label_${String(i).padStart(2, '0')}`)).toBe(`v${i}`);
    expect(b.get('label_40')).toBe('');
    expect(b.get('a')).toBe('');
    expect(b.get('z')).toBe('');
  });

  it('returns the base array itself when nothing changed', () => {
    const base = labelsFromRecord({ a: '1' });
    expect(new RelabelBuilder(base).labels()).toBe(base);
  });

  it('deleteWhere tests each current label once', () => {
    const b = build({ a: '1', b: '2', c: '3' }, [
      ['set', 'd', '4'],
      ['set', 'a', 'A'],
    ]);
    const seen: string[] = [];
    b.deleteWhere((name) => {
      seen.push(name);
      return name === 'a' || name === 'c';
    });
    expect(seen).toEqual(['b', 'c', 'd', 'a']);
    expect(b.labels()).toEqual(labelsFromRecord({ b: '2', d: '4' }));
  });

  it('reset starts over', () => {
    const b = build({ a: '1' }, [['set', 'x', '1']]);
    const base = labelsFromRecord({ q: '1' });
    b.reset(base);
    expect(b.labels()).toBe(base);
    expect(b.get('x')).toBe('');
  });
});

describe('RelabelBuilder.labels() against a record model', () => {
  it('is the base with every set and delete applied, sorted, without empty values', () => {
    const name = fc.constantFrom('__name__', 'a', 'b', 'c', 'host', 'job', 'z');
    const op = fc.oneof(
      fc.tuple(fc.constant('set' as const), name, fc.constantFrom('', '1', '2')),
      fc.tuple(fc.constant('del' as const), name),
    );
    // One builder for every run, as relabeling uses it: nothing may leak from one set to the next.
    const b = new RelabelBuilder();
    fc.assert(
      fc.property(
        fc.dictionary(name, fc.constantFrom('x', 'y'), { maxKeys: 6 }),
        fc.array(op, { maxLength: 8 }),
        (base, ops) => {
          const model = new Map<string, string>(Object.entries(base));
          b.reset(labelsFromRecord(base));
          for (const o of ops) {
            if (o[0] === 'set') b.set(o[1], o[2]);
            else b.del(o[1]);
            if (o[0] === 'set' && o[2] !== '') model.set(o[1], o[2]);
            else model.delete(o[1]);
          }
          expect(b.labels()).toEqual(labelsFromRecord(Object.fromEntries(model)));
        },
      ),
      { numRuns: 3000 },
    );
  });
});
