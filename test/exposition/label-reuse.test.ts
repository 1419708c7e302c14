/**
 * Whatever a parser carries over from one series to the next (scan state, reused strings or
 * label objects), each series' labels must be exactly what parsing its line alone gives.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createParser, EntryKind, type ExpositionFormat } from '../../src/exposition/index.js';
import type { Labels } from '../../src/model/labels.js';

function seriesLabels(format: ExpositionFormat, body: string): Labels[] {
  const p = createParser(format, body);
  const out: Labels[] = [];
  for (let k = p.next(); k !== EntryKind.EOF; k = p.next()) {
    if (k === EntryKind.Series) out.push(p.labels());
  }
  return out;
}

const name = fc.constantFrom('a', 'b', 'le', 'quantile', 'code', '"a"', '"dotted.name"');
// Values whose text is another's raw bytes (raw `a\\nb` reads as `a\nb`, which raw means a
// newline), bounds that normalise, long ones, ones differing in a single inner character.
const value = fc.constantFrom(
  'a\\\\nb',
  'abcd',
  'axcd',
  '1',
  '1.0',
  '+Inf',
  'x',
  'a\\"b',
  'a\\\\b',
  'a\\nb',
  'svc-65e68e-2473',
  'svc-65e68e-2474',
  '',
);
const metric = fc.constantFrom('m', 'm_bucket', 'm_sum', 'other_metric_with_a_long_name');
const line = fc
  .tuple(metric, fc.array(fc.tuple(name, value), { maxLength: 4 }))
  .map(([m, pairs]) => `${m}{${pairs.map(([n, v]) => `${n}="${v}"`).join(',')}} 1`);

describe('labels in a body equal labels of lines parsed alone', () => {
  for (const [format, type, eof] of [
    ['prometheus-text', 'histogram', ''],
    ['prometheus-text', 'summary', ''],
    ['openmetrics', 'unknown', '# EOF\n'],
  ] as const) {
    it(`${format}, TYPE ${type}: each series' labels equal those of its line parsed alone`, () => {
      fc.assert(
        fc.property(fc.array(line, { minLength: 1, maxLength: 12 }), (lines) => {
          const head = `# TYPE m ${type}\n`;
          let whole: Labels[];
          try {
            whole = seriesLabels(format, `${head}${lines.join('\n')}\n${eof}`);
          } catch {
            return; // an invalid combination (e.g. a repeated name in OpenMetrics)
          }
          const alone = lines.map((l) => seriesLabels(format, `${head}${l}\n${eof}`)[0]);
          expect(whole).toEqual(alone);
        }),
        { numRuns: 500 },
      );
    });
  }
});
