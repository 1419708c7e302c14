/**
 * The relabeling steps of one target for the pages and `/api/v1/targets/relabel_steps`.
 *
 * Callers pass the labels they saw on a page or in the API, which are redacted (a `__param_*`
 * value reads `xxxxx`). When they equal the redacted discovered labels of a target the runner
 * knows, the steps are computed from that target's real labels, so they end where the target
 * really ends; every label shown is redacted again on the way out. Other label sets are
 * relabeled as given.
 */
import type { ScrapeConfig } from '../config/types.js';
import { redactLabelValue } from '../log/redact.js';
import { type Labels, labelsEqual } from '../model/labels.js';
import { compileRelabelConfigs, relabelRuleJson, relabelSteps } from '../relabel/index.js';
import type { RelabelStepsView } from './target-view.js';

/** `labels` with each value as the pages may show it ({@link redactLabelValue}). */
export function redactedLabels(labels: Labels): Labels {
  return labels.map((l) => {
    const value = redactLabelValue(l.name, l.value);
    return value === l.value ? l : { name: l.name, value };
  });
}

/**
 * The steps of `config`'s relabel_configs on `given` (sorted, no empty values), or on the real
 * labels among `known` (discovered label sets of the job's targets) whose redacted form equals
 * `given`.
 */
export function relabelStepsView(
  config: ScrapeConfig,
  known: Iterable<Labels>,
  given: Labels,
): RelabelStepsView {
  let input = given;
  for (const real of known) {
    if (labelsEqual(redactedLabels(real), given)) {
      input = real;
      break;
    }
  }
  const program = compileRelabelConfigs(config.relabelConfigs, config.metricNameValidationScheme);
  return {
    scrapePool: config.jobName,
    input: redactedLabels(input),
    steps: relabelSteps(program, input).map((step) => {
      const rule = relabelRuleJson(step.rule);
      const target = step.rule.targetLabel;
      if (typeof rule.replacement === 'string' && target !== '') {
        rule.replacement = redactLabelValue(target, rule.replacement);
      }
      return { rule, output: redactedLabels(step.output), keep: step.keep };
    }),
  };
}
