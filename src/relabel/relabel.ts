/**
 * The relabel engine (§3, config fields §1.6): `relabel_configs`, `metric_relabel_configs` and
 * `write_relabel_configs` compiled once into a {@link RelabelProgram}, then applied to label sets.
 *
 * Inputs are expected to have passed the config loader's validation (§1.6: required
 * target_label, valid names, fields allowed per action). Compiling only re-checks what applying
 * needs in order to be total: regexes compile, actions are known, hashmod has a modulus.
 */
import { createHash } from 'node:crypto';
import {
  RELABEL_ACTIONS,
  type RelabelAction,
  type RelabelConfig,
  type ValidationScheme,
} from '../config/types.js';
import { isLegacyLabelName, isWellFormedUtf16, type Labels } from '../model/labels.js';
import { toLowerSimple, toUpperSimple } from './case-mapping.js';
import { RelabelError } from './errors.js';
import { RelabelBuilder } from './label-builder.js';
import { RelabelRegex } from './regex.js';
import { type CompiledTemplate, compileTemplate, expandCompiled } from './template.js';

/** One rule, compiled: its regex, its templates resolved against the regex's groups. */
export interface CompiledRelabelRule {
  readonly config: RelabelConfig;
  readonly action: RelabelAction;
  readonly sourceLabels: readonly string[];
  readonly separator: string;
  readonly regex: RelabelRegex;
  readonly targetLabel: string;
  readonly replacement: string;
  readonly target: CompiledTemplate;
  readonly replacementTemplate: CompiledTemplate;
  /**
   * `replace` fast path (§3): taken when the joined value is '' and this is true — regex left at
   * its default and no `$` in target_label or replacement. Then target_label is set literally.
   */
  readonly literalWhenEmpty: boolean;
  /** Whether replace/labelmap need group offsets (a template references a group). */
  readonly needsGroups: boolean;
  /** For a target_label without group references: whether it is a valid name under the scheme. */
  readonly literalTargetValid: boolean;
  readonly modulus: number;
}

/** Relabel configs compiled for repeated application; immutable, safe to share. */
export interface RelabelProgram {
  readonly rules: readonly CompiledRelabelRule[];
  /** Label name validation for expanded `replace` target labels (§1.6). */
  readonly scheme: ValidationScheme;
}

const ACTIONS: ReadonlySet<string> = new Set<RelabelAction>(RELABEL_ACTIONS);

/** Label name validity (§1.6): utf8 → non-empty valid UTF-8; legacy → `[a-zA-Z_][a-zA-Z0-9_]*`. */
export function isValidLabelName(name: string, scheme: ValidationScheme): boolean {
  if (scheme === 'legacy') return isLegacyLabelName(name);
  return name.length > 0 && isWellFormedUtf16(name);
}

/**
 * Compiles `configs` in order. Each regex is compiled once with RE2 as `^(?s:<regex>)$`.
 * `scheme` (default utf8, Prometheus 3's default) decides which expanded `replace` target labels
 * are valid. Throws {@link RelabelError} naming the rule's position.
 */
export function compileRelabelConfigs(
  configs: readonly RelabelConfig[],
  scheme: ValidationScheme = 'utf8',
): RelabelProgram {
  const rules = configs.map((config, index) => {
    try {
      return compileRule(config, scheme);
    } catch (err) {
      if (err instanceof RelabelError) {
        throw new RelabelError(`relabel config #${index + 1}: ${err.message}`, {
          cause: err.cause,
        });
      }
      throw err;
    }
  });
  return { rules, scheme };
}

function compileRule(config: RelabelConfig, scheme: ValidationScheme): CompiledRelabelRule {
  if (!ACTIONS.has(config.action)) {
    throw new RelabelError(`unknown relabel action ${JSON.stringify(config.action)}`);
  }
  if (
    config.action === 'hashmod' &&
    !(Number.isSafeInteger(config.modulus) && config.modulus > 0)
  ) {
    throw new RelabelError(
      `hashmod requires a positive integer modulus, got ${String(config.modulus)}`,
    );
  }
  const regex = new RelabelRegex(config.regex);
  const target = compileTemplate(config.targetLabel, regex.groupCount, regex.groupNames);
  const replacementTemplate = compileTemplate(
    config.replacement,
    regex.groupCount,
    regex.groupNames,
  );
  return {
    config,
    action: config.action,
    sourceLabels: config.sourceLabels,
    separator: config.separator,
    regex,
    targetLabel: config.targetLabel,
    replacement: config.replacement,
    target,
    replacementTemplate,
    literalWhenEmpty:
      !config.regexSet && !config.targetLabel.includes('$') && !config.replacement.includes('$'),
    needsGroups: !target.isLiteral || !replacementTemplate.isLiteral,
    literalTargetValid: target.isLiteral && isValidLabelName(target.literal, scheme),
    modulus: config.modulus,
  };
}

/**
 * Applies `program` to `labels` (sorted, no empty values). Returns the resulting set, sorted and
 * without empty values, or null when a rule dropped it. Returns `labels` itself when nothing
 * changed. Never throws.
 */
export function applyRelabel(program: RelabelProgram, labels: Labels): Labels | null {
  if (program.rules.length === 0) return labels;
  const builder = scratchBuilder.reset(labels);
  const kept = applyRelabelToBuilder(program, builder);
  const out = kept ? builder.labels() : null;
  scratchBuilder.reset(EMPTY);
  return out;
}

const EMPTY: Labels = [];
/** applyRelabel is synchronous and calls no user code, so one builder serves every call. */
const scratchBuilder = new RelabelBuilder();

/**
 * Applies `program` to a builder in place; false when a rule dropped the set (the builder is then
 * left part-way). For callers that already hold a builder, e.g. to merge labels and relabel
 * without an intermediate array.
 */
export function applyRelabelToBuilder(program: RelabelProgram, builder: RelabelBuilder): boolean {
  const rules = program.rules;
  for (let i = 0; i < rules.length; i++) {
    if (!applyRule(rules[i]!, builder, program.scheme)) return false;
  }
  return true;
}

/** The joined source value (§3 common pre-step): missing labels contribute ''. */
function sourceValue(rule: CompiledRelabelRule, b: RelabelBuilder): string {
  const names = rule.sourceLabels;
  const n = names.length;
  if (n === 0) return '';
  let value = b.get(names[0]!);
  for (let i = 1; i < n; i++) value += rule.separator + b.get(names[i]!);
  return value;
}

/** One rule (§3). Returns false when the label set is dropped. */
function applyRule(
  rule: CompiledRelabelRule,
  b: RelabelBuilder,
  scheme: ValidationScheme,
): boolean {
  switch (rule.action) {
    case 'drop':
      return !rule.regex.test(sourceValue(rule, b));
    case 'keep':
      return rule.regex.test(sourceValue(rule, b));
    case 'dropequal':
      return b.get(rule.targetLabel) !== sourceValue(rule, b);
    case 'keepequal':
      return b.get(rule.targetLabel) === sourceValue(rule, b);
    case 'replace':
      replace(rule, b, scheme);
      return true;
    case 'lowercase':
      b.set(rule.targetLabel, toLowerSimple(sourceValue(rule, b)));
      return true;
    case 'uppercase':
      b.set(rule.targetLabel, toUpperSimple(sourceValue(rule, b)));
      return true;
    case 'hashmod':
      b.set(rule.targetLabel, hashMod(sourceValue(rule, b), rule.modulus));
      return true;
    case 'labelmap':
      labelMap(rule, b);
      return true;
    case 'labeldrop': {
      const regex = rule.regex;
      b.deleteWhere((name) => regex.test(name));
      return true;
    }
    case 'labelkeep': {
      const regex = rule.regex;
      b.deleteWhere((name) => !regex.test(name));
      return true;
    }
  }
}

function replace(rule: CompiledRelabelRule, b: RelabelBuilder, scheme: ValidationScheme): void {
  const value = sourceValue(rule, b);
  if (value === '' && rule.literalWhenEmpty) {
    b.set(rule.targetLabel, rule.replacement);
    return;
  }
  let target: string;
  let result: string;
  if (!rule.needsGroups) {
    // Neither template references a group: only whether it matches matters.
    if (!rule.literalTargetValid || !rule.regex.test(value)) return;
    target = rule.target.literal;
    result = rule.replacementTemplate.literal;
  } else {
    const match = rule.regex.exec(value);
    if (match === null) return;
    target = expandCompiled(rule.target, value, match);
    if (!isValidLabelName(target, scheme)) return;
    result = expandCompiled(rule.replacementTemplate, value, match);
  }
  if (result === '') b.del(target);
  else b.set(target, result);
}

/** Pending `labelmap` writes, reused; labelMap is not re-entrant and needs no more. */
const pendingNames: string[] = [];
const pendingValues: string[] = [];

/**
 * labelmap (§3): visit a snapshot of the labels in builder order; for each name the regex
 * matches, set `replaceAll(name, replacement) = value`. Writes are collected first and applied in
 * visiting order, which is what setting them during Prometheus's snapshot iteration amounts to.
 * The new name is not validated, as in Prometheus; an invalid one fails later validation.
 */
function labelMap(rule: CompiledRelabelRule, b: RelabelBuilder): void {
  const regex = rule.regex;
  const replacement = rule.replacementTemplate;
  b.forEach((name, value) => {
    const newName = regex.replaceAllIfMatch(name, replacement);
    if (newName === null) return;
    pendingNames.push(newName);
    pendingValues.push(value);
  });
  for (let i = 0; i < pendingNames.length; i++) b.set(pendingNames[i]!, pendingValues[i]!);
  pendingNames.length = 0;
  pendingValues.length = 0;
}

/** 2^32 mod m is folded in with plain doubles while every product stays below 2^53. */
const SMALL_MODULUS_LIMIT = 2 ** 26;

/**
 * hashmod (§3): MD5 of the UTF-8 bytes of `value`; bytes 8..15 of the digest as a big-endian
 * uint64; that modulo `modulus`, in decimal. `baz` mod 1000 → `976`.
 */
export function hashMod(value: string, modulus: number): string {
  const digest = createHash('md5').update(value, 'utf8').digest();
  if (modulus <= SMALL_MODULUS_LIMIT) {
    const hi = digest.readUInt32BE(8);
    const lo = digest.readUInt32BE(12);
    // (hi·2^32 + lo) mod m = ((hi mod m)·(2^32 mod m) + lo) mod m; the sum is < 2^52 + 2^32.
    return String(((hi % modulus) * (0x1_0000_0000 % modulus) + lo) % modulus);
  }
  return (digest.readBigUInt64BE(8) % BigInt(modulus)).toString();
}
