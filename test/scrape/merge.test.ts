import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  compareLabelNames,
  type Label,
  type Labels,
  labelsFromRecord,
  labelsToRecord,
} from '../../src/model/labels.js';
import { mergeTargetLabels } from '../../src/scrape/merge.js';

const l = (r: Record<string, string>) => labelsFromRecord(r);

describe('mergeTargetLabels, honor_labels=false (§6.1 4a)', () => {
  const e = (n: number) => `${'exported_'.repeat(n)}foo`;
  type Rec = Record<string, string>;
  it.each<{ target: Rec; scraped: Rec; want: Rec }>([
    { target: { foo: '2' }, scraped: { foo: '1' }, want: { exported_foo: '1', foo: '2' } },
    {
      target: { foo: '2', exported_foo: '3' },
      scraped: { foo: '1' },
      want: { exported_exported_foo: '1', exported_foo: '3', foo: '2' },
    },
    {
      target: { foo: '3' },
      scraped: { foo: '1', exported_foo: '2' },
      want: { exported_exported_foo: '1', exported_foo: '2', foo: '3' },
    },
    {
      target: { exported_foo: '2' },
      scraped: { exported_foo: '1' },
      want: { exported_exported_foo: '1', exported_foo: '2' },
    },
    {
      target: { foo: '3', exported_foo: '4' },
      scraped: { foo: '1', exported_foo: '2' },
      want: { [e(2)]: '1', [e(3)]: '2', exported_foo: '4', foo: '3' },
    },
    {
      target: { foo: '0', [e(2)]: '1', [e(3)]: '2' },
      scraped: { foo: '3', exported_foo: '4', [e(3)]: '5' },
      want: { [e(5)]: '5', [e(4)]: '3', [e(3)]: '2', [e(2)]: '1', exported_foo: '4', foo: '0' },
    },
  ])('target $target + scraped $scraped', ({ target, scraped, want }) => {
    const got = mergeTargetLabels(l({ __name__: 'm', ...scraped }), l(target), false);
    expect(labelsToRecord(got)).toEqual({ __name__: 'm', ...want });
    expect(got.map((x) => x.name)).toEqual([...got.map((x) => x.name)].sort());
  });

  it('an empty scraped value is absent, so no exported_ label appears', () => {
    const scraped = [
      { name: '__name__', value: 'm' },
      { name: 'job', value: '' },
    ];
    expect(labelsToRecord(mergeTargetLabels(scraped, l({ job: 'j' }), false))).toEqual({
      __name__: 'm',
      job: 'j',
    });
  });
});

describe('mergeTargetLabels, honor_labels=true', () => {
  it('keeps scraped values over target values', () => {
    const got = mergeTargetLabels(
      l({ __name__: 'm', job: 'pushed' }),
      l({ job: 'pgw', instance: 'h:9091' }),
      true,
    );
    expect(labelsToRecord(got)).toEqual({ __name__: 'm', job: 'pushed', instance: 'h:9091' });
  });

  it('an empty scraped value blocks the target label and then vanishes', () => {
    const scraped = [
      { name: '__name__', value: 'm' },
      { name: 'instance', value: '' },
    ];
    const got = mergeTargetLabels(scraped, l({ instance: 'h:1', job: 'j' }), true);
    expect(labelsToRecord(got)).toEqual({ __name__: 'm', job: 'j' });
  });
});

/** The merge as first written (filter, insert, sort): the reference for the one-pass merge. */
function referenceMerge(scraped: Labels, target: Labels, honorLabels: boolean): Label[] {
  if (target.length === 0) return scraped.filter((x) => x.value !== '');
  if (honorLabels) {
    const out = scraped.filter((x) => x.value !== '');
    for (const t of target) if (!scraped.some((x) => x.name === t.name)) out.push(t);
    return out.sort(compareLabelNames);
  }
  const out: Label[] = scraped.filter((x) => x.value !== '');
  const conflicts: Label[] = [];
  for (const t of target) {
    const i = out.findIndex((x) => x.name === t.name);
    if (i >= 0) {
      conflicts.push(out[i]!);
      out[i] = t;
    } else {
      out.push(t);
    }
  }
  conflicts.sort((a, b) => a.name.length - b.name.length);
  for (const c of conflicts) {
    let name = `exported_${c.name}`;
    while (out.some((x) => x.name === name)) name = `exported_${name}`;
    out.push({ name, value: c.value });
  }
  return out.sort(compareLabelNames);
}

describe('mergeTargetLabels agrees with the filter-and-sort reference', () => {
  const name = fc.constantFrom('__name__', 'a', 'b', 'instance', 'job', 'exported_job', 'zone');
  const label = fc.record({ name, value: fc.constantFrom('', '1', '2') });
  it('for sorted, unsorted, repeated and empty-valued scraped labels', () => {
    fc.assert(
      fc.property(
        fc.array(label, { maxLength: 6 }),
        fc.boolean(),
        fc.dictionary(name, fc.constantFrom('t', 'u'), { maxKeys: 4 }),
        fc.boolean(),
        (raw, sortScraped, target, honor) => {
          const scraped = sortScraped ? [...raw].sort(compareLabelNames) : raw;
          const t = labelsFromRecord(target);
          expect(mergeTargetLabels(scraped, t, honor)).toEqual(referenceMerge(scraped, t, honor));
        },
      ),
      { numRuns: 2000 },
    );
  });
});
