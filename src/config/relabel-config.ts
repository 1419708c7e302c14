import { RE2JS } from 're2js';
import type { Node } from 'yaml';
import { isValidLabelName } from './label-names.js';
import {
  RELABEL_ACTIONS,
  type RelabelAction,
  type RelabelConfig,
  type ValidationScheme,
} from './types.js';
import type { Struct, YamlReader } from './yaml-reader.js';

/** Defaults of an unwritten field (§1.6). */
export const RELABEL_DEFAULTS = {
  separator: ';',
  regex: '(.*)',
  replacement: '$1',
  action: 'replace',
} as const;

export const FIELDS = new Set([
  'source_labels',
  'separator',
  'regex',
  'modulus',
  'target_label',
  'replacement',
  'action',
]);

/** Legacy-scheme target labels may contain `$1` / `${name}` references (§1.6 rule 4). */
const LEGACY_TARGET_WITH_VARS = RE2JS.compile('^(?:(?:[a-zA-Z_]|\\$(?:\\{\\w+\\}|\\w+))+\\w*)+$');

/** Compiles a relabel regex the way it runs (§1.6, §3): RE2, anchored, dot matches newline. */
export function compileRelabelRegex(regex: string): RE2JS {
  return RE2JS.compile(`^(?s:${regex})$`);
}

/**
 * Parses a list of relabel rules (`relabel_configs`, `metric_relabel_configs`,
 * `write_relabel_configs`), validating each with `scheme` (§1.6). `nullRuleMessage` is the error
 * for a null entry, which differs by list in Prometheus. Invalid rules are reported and left out.
 */
export function parseRelabelConfigs(
  reader: YamlReader,
  node: Node | null,
  scheme: ValidationScheme,
  nullRuleMessage: string,
): RelabelConfig[] {
  const items = reader.items(node, '[]*relabel.Config');
  if (items === undefined) return [];
  const out: RelabelConfig[] = [];
  for (const item of items) {
    if (item.value === null) {
      reader.fail(item.at, nullRuleMessage);
      continue;
    }
    const rule = parseRelabelConfig(reader, item.value, scheme);
    if (rule !== undefined) out.push(rule);
  }
  return out;
}

function parseRelabelConfig(
  reader: YamlReader,
  node: Node,
  scheme: ValidationScheme,
): RelabelConfig | undefined {
  const errorsBefore = reader.errors.length;
  const s = reader.struct(node, 'relabel.Config', FIELDS);
  if (s === undefined) return undefined;

  let action: RelabelAction | '' = RELABEL_DEFAULTS.action;
  if (s.has('action')) {
    const written = s.string('action') ?? '';
    const lower = written.toLowerCase();
    if (s.value('action') === null) action = '';
    else if ((RELABEL_ACTIONS as readonly string[]).includes(lower))
      action = lower as RelabelAction;
    else s.fail('action', `unknown relabel action ${JSON.stringify(written)}`);
  }

  const sourceLabels = readSourceLabels(s);
  // A written null means the zero value in go-yaml, not the default.
  const separator = s.has('separator') ? (s.string('separator') ?? '') : RELABEL_DEFAULTS.separator;
  const replacement = s.has('replacement')
    ? (s.string('replacement') ?? '')
    : RELABEL_DEFAULTS.replacement;
  const targetLabel = s.string('target_label') ?? '';
  const modulus = s.integer('modulus', 'uint64') ?? 0;
  const regexSet = s.has('regex');
  const regex = regexSet ? (s.string('regex') ?? '') : RELABEL_DEFAULTS.regex;
  if (regexSet) {
    try {
      compileRelabelRegex(regex);
    } catch (err) {
      s.fail('regex', (err as Error).message);
    }
  }
  if (reader.errors.length > errorsBefore) return undefined;

  const rule = {
    sourceLabels,
    separator,
    regex,
    regexSet,
    modulus,
    targetLabel,
    replacement,
    action,
  };
  const problem = validate(rule, s, scheme);
  if (problem !== undefined) {
    s.fail(problem.field, problem.message);
    return undefined;
  }
  return { ...rule, action: action as RelabelAction };
}

function readSourceLabels(s: Struct): string[] {
  const labels = s.stringList('source_labels', 'model.LabelNames') ?? [];
  // Names are checked with the process-wide (UTF-8) scheme when decoded, as in Prometheus.
  for (const name of labels) {
    if (!isValidLabelName(name, 'utf8')) {
      s.fail('source_labels', `${JSON.stringify(name)} is not a valid label name`);
    }
  }
  return labels;
}

interface Problem {
  readonly field: string | undefined;
  readonly message: string;
}

/** `relabel.Config.Validate` (§1.6 rules 1–9), first failing rule wins. */
function validate(
  rule: Omit<RelabelConfig, 'action'> & { action: RelabelAction | '' },
  s: Struct,
  scheme: ValidationScheme,
): Problem | undefined {
  const { action, targetLabel, replacement } = rule;
  if (action === '') return { field: 'action', message: 'relabel action cannot be empty' };
  if (action === 'hashmod' && rule.modulus === 0) {
    return {
      field: 'modulus',
      message: 'relabel configuration for hashmod requires non-zero modulus',
    };
  }
  const needsTarget: readonly RelabelAction[] = [
    'replace',
    'hashmod',
    'lowercase',
    'uppercase',
    'keepequal',
    'dropequal',
  ];
  if (needsTarget.includes(action) && targetLabel === '') {
    return {
      field: 'target_label',
      message: `relabel configuration for ${action} action requires 'target_label' value`,
    };
  }
  const badTarget: Problem = {
    field: 'target_label',
    message: `${JSON.stringify(targetLabel)} is invalid 'target_label' for ${action} action`,
  };
  if (action === 'replace') {
    const ok = targetLabel.includes('$')
      ? isValidNameWithVars(targetLabel, scheme)
      : isValidLabelName(targetLabel, scheme);
    if (!ok) return badTarget;
  }
  const equalityOrCase: readonly RelabelAction[] = [
    'lowercase',
    'uppercase',
    'keepequal',
    'dropequal',
  ];
  if (equalityOrCase.includes(action)) {
    if (!isValidLabelName(targetLabel, scheme)) return badTarget;
    if (replacement !== RELABEL_DEFAULTS.replacement) {
      return { field: 'replacement', message: `'replacement' can not be set for ${action} action` };
    }
  }
  if (action === 'labelmap' && !isValidNameWithVars(replacement, scheme)) {
    return {
      field: 'replacement',
      message: `${JSON.stringify(replacement)} is invalid 'replacement' for ${action} action`,
    };
  }
  if (action === 'hashmod' && !isValidLabelName(targetLabel, scheme)) return badTarget;

  if (action === 'keepequal' || action === 'dropequal') {
    // Quirk kept from Prometheus (§1.6 rule 8): any written regex, even `(.*)`, is rejected.
    const extra = [
      rule.regexSet ? 'regex' : undefined,
      rule.modulus !== 0 ? 'modulus' : undefined,
      rule.separator !== RELABEL_DEFAULTS.separator ? 'separator' : undefined,
    ].find((f) => f !== undefined);
    if (extra !== undefined) {
      return {
        field: extra,
        message: `${action} action requires only 'source_labels' and \`target_label\`, and no other fields`,
      };
    }
  }
  if (action === 'labeldrop' || action === 'labelkeep') {
    const extra = [
      s.value('source_labels') !== null ? 'source_labels' : undefined,
      targetLabel !== '' ? 'target_label' : undefined,
      rule.modulus !== 0 ? 'modulus' : undefined,
      rule.separator !== RELABEL_DEFAULTS.separator ? 'separator' : undefined,
      replacement !== RELABEL_DEFAULTS.replacement ? 'replacement' : undefined,
    ].find((f) => f !== undefined);
    if (extra !== undefined) {
      return {
        field: extra,
        message: `${action} action requires only 'regex', and no other fields`,
      };
    }
  }
  return undefined;
}

/** A label name that may contain `$` references to match groups (§1.6 rules 4 and 6). */
function isValidNameWithVars(name: string, scheme: ValidationScheme): boolean {
  return scheme === 'utf8' ? isValidLabelName(name, scheme) : LEGACY_TARGET_WITH_VARS.matches(name);
}
