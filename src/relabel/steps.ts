/**
 * Relabeling one label set rule by rule, for people: what Prometheus 3.8 shows as a target's
 * "relabeling steps" (`/api/v1/targets/relabel_steps`). Each step is one rule with the labels
 * after it and whether the set is still kept; once a rule drops the set, every later step has
 * no labels and `keep: false`.
 *
 * It runs the same rule code as {@link applyRelabel} (a one-rule program per step), so the steps
 * always end where the hot path ends; the hot path itself is not touched.
 */
import type { RelabelConfig } from '../config/types.js';
import type { Labels } from '../model/labels.js';
import { RelabelBuilder } from './label-builder.js';
import { applyRelabelToBuilder, type RelabelProgram } from './relabel.js';

export interface RelabelStep {
  readonly rule: RelabelConfig;
  /** Labels after this rule, sorted; empty when the set was dropped by now. */
  readonly output: Labels;
  /** False from the rule that dropped the set on. */
  readonly keep: boolean;
}

/** Applies `program` to `labels` (sorted, no empty values) one rule at a time. Never throws. */
export function relabelSteps(program: RelabelProgram, labels: Labels): RelabelStep[] {
  const builder = new RelabelBuilder(labels);
  const steps: RelabelStep[] = [];
  let keep = true;
  for (const rule of program.rules) {
    if (keep) keep = applyRelabelToBuilder({ rules: [rule], scheme: program.scheme }, builder);
    steps.push({ rule: rule.config, output: keep ? builder.labels() : [], keep });
  }
  return steps;
}

/**
 * A rule as Prometheus marshals it in JSON (its YAML field names; empty fields left out, as
 * `omitempty` does): `action`, `source_labels`, `separator`, `regex`, `modulus`,
 * `target_label`, `replacement`.
 */
export function relabelRuleJson(rule: RelabelConfig): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (rule.sourceLabels.length > 0) out.source_labels = [...rule.sourceLabels];
  if (rule.separator !== '') out.separator = rule.separator;
  if (rule.regex !== '') out.regex = rule.regex;
  if (rule.modulus !== 0) out.modulus = rule.modulus;
  if (rule.targetLabel !== '') out.target_label = rule.targetLabel;
  if (rule.replacement !== '') out.replacement = rule.replacement;
  out.action = rule.action;
  return out;
}
