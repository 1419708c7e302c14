import type { Label, Labels } from '../model/labels.js';
import { compareLabelNames } from '../model/labels.js';

/**
 * Merges a target's public labels into a scraped label set (§6.1 4a).
 *
 * `scraped` is the parser's output: sorted, and it may still hold empty values and repeated
 * names (a repeated name is caught later as a duplicate). The result is sorted and has no
 * empty values.
 *
 * honor_labels=true: a target label is added only when the scraped set has no label of that
 * name at all (an empty scraped value still blocks it, and then both vanish).
 * honor_labels=false: the target label wins; a clashing non-empty scraped value moves to
 * `exported_<name>`, then `exported_exported_<name>`, …, the first name still free, with
 * clashes resolved in order of increasing name length.
 */
export function mergeTargetLabels(scraped: Labels, target: Labels, honorLabels: boolean): Label[] {
  if (target.length === 0) return scraped.filter((l) => l.value !== '');
  // The usual case, no name in both: one merge pass instead of a sort (same result either way).
  const disjoint = mergeDisjoint(scraped, target);
  if (disjoint !== undefined) return disjoint;
  if (honorLabels) {
    const out = scraped.filter((l) => l.value !== '');
    for (const t of target) {
      if (!scraped.some((l) => l.name === t.name)) out.push(t);
    }
    return out.sort(compareLabelNames);
  }
  // Preserve repeated scraped names (they must still fail as duplicates), so work on a list.
  const out: Label[] = scraped.filter((l) => l.value !== '');
  const conflicts: Label[] = [];
  for (const t of target) {
    const i = out.findIndex((l) => l.name === t.name);
    if (i >= 0) {
      conflicts.push(out[i]!);
      out[i] = t;
    } else {
      out.push(t);
    }
  }
  if (conflicts.length > 0) {
    conflicts.sort((a, b) => a.name.length - b.name.length);
    for (const c of conflicts) {
      let name = `exported_${c.name}`;
      while (out.some((l) => l.name === name)) name = `exported_${name}`;
      out.push({ name, value: c.value });
    }
  }
  return out.sort(compareLabelNames);
}

/**
 * `scraped` without empty values merged with `target`, in name order; undefined when a name is
 * in both (empty scraped values included) or when either input is not sorted, for the general
 * path to handle. Repeated scraped names keep their order, as the stable sort keeps them.
 */
function mergeDisjoint(scraped: Labels, target: Labels): Label[] | undefined {
  const out: Label[] = [];
  const tn = target.length;
  let j = 0;
  let prevName = '';
  for (let i = 0; i < scraped.length; i++) {
    const l = scraped[i]!;
    const name = l.name;
    if (name < prevName) return undefined;
    prevName = name;
    while (j < tn) {
      const t = target[j]!;
      if (t.name > name) break;
      if (t.name === name || (j > 0 && target[j - 1]!.name >= t.name)) return undefined;
      out.push(t);
      j++;
    }
    if (l.value !== '') out.push(l);
  }
  for (; j < tn; j++) {
    const t = target[j]!;
    if (j > 0 && target[j - 1]!.name >= t.name) return undefined;
    out.push(t);
  }
  return out;
}
