import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { RelabelConfig } from '../../src/config/types.js';
import { labelsFromRecord, labelsToRecord } from '../../src/model/labels.js';
import {
  applyRelabel,
  compileRelabelConfigs,
  relabelRuleJson,
  relabelSteps,
} from '../../src/relabel/index.js';

function rule(r: Partial<RelabelConfig> & Pick<RelabelConfig, 'action'>): RelabelConfig {
  return {
    sourceLabels: [],
    separator: ';',
    regex: '(.*)',
    regexSet: r.regex !== undefined,
    modulus: 0,
    targetLabel: '',
    replacement: '$1',
    ...r,
  };
}

const RULES: RelabelConfig[] = [
  rule({ action: 'replace', targetLabel: 'env', replacement: 'development' }),
  rule({ action: 'labelmap', regex: '__meta_(.+)' }),
  rule({ action: 'drop', sourceLabels: ['__address__'], regex: 'localhost:.*' }),
  rule({ action: 'replace', targetLabel: 'late', replacement: 'never' }),
];

describe('relabelSteps', () => {
  it("gives each rule's output, like Prometheus's relabel_steps example", () => {
    const program = compileRelabelConfigs(RULES);
    const input = labelsFromRecord({ __address__: 'localhost:9090', __meta_zone: 'a', job: 'p' });
    const steps = relabelSteps(program, input);
    expect(steps.map((s) => ({ output: labelsToRecord(s.output), keep: s.keep }))).toEqual([
      {
        output: { __address__: 'localhost:9090', __meta_zone: 'a', env: 'development', job: 'p' },
        keep: true,
      },
      {
        output: {
          __address__: 'localhost:9090',
          __meta_zone: 'a',
          env: 'development',
          job: 'p',
          zone: 'a',
        },
        keep: true,
      },
      { output: {}, keep: false },
      { output: {}, keep: false },
    ]);
    expect(steps[0]!.rule).toBe(RULES[0]);
  });

  it('ends where applyRelabel ends, for any input', () => {
    const program = compileRelabelConfigs(RULES);
    fc.assert(
      fc.property(
        fc.dictionary(
          fc.constantFrom('__address__', '__meta_zone', '__meta_x', 'job', 'env'),
          fc.constantFrom('localhost:1', 'h:2', 'a', ''),
        ),
        (record) => {
          const input = labelsFromRecord(record);
          const steps = relabelSteps(program, input);
          const want = applyRelabel(program, input);
          const last = steps.at(-1)!;
          expect(last.keep).toBe(want !== null);
          expect(last.output).toEqual(want ?? []);
        },
      ),
    );
  });

  it('has no steps without rules', () => {
    expect(relabelSteps(compileRelabelConfigs([]), labelsFromRecord({ a: 'b' }))).toEqual([]);
  });

  it("writes a rule in Prometheus's field names, leaving empty fields out", () => {
    expect(relabelRuleJson(RULES[2]!)).toEqual({
      source_labels: ['__address__'],
      separator: ';',
      regex: 'localhost:.*',
      replacement: '$1',
      action: 'drop',
    });
    expect(
      relabelRuleJson(
        rule({ action: 'hashmod', modulus: 8, sourceLabels: ['a'], targetLabel: 't' }),
      ),
    ).toEqual({
      source_labels: ['a'],
      separator: ';',
      regex: '(.*)',
      modulus: 8,
      target_label: 't',
      replacement: '$1',
      action: 'hashmod',
    });
  });
});
