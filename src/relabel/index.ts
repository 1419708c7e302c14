/** Public surface of the relabel engine (§3). */
export { toLowerSimple, toUpperSimple } from './case-mapping.js';
export { RelabelError } from './errors.js';
export { RelabelBuilder } from './label-builder.js';
export { RelabelRegex } from './regex.js';
export {
  applyRelabel,
  applyRelabelToBuilder,
  type CompiledRelabelRule,
  compileRelabelConfigs,
  hashMod,
  isValidLabelName,
  type RelabelProgram,
} from './relabel.js';
export { type RelabelStep, relabelRuleJson, relabelSteps } from './steps.js';
export {
  type CompiledTemplate,
  compileTemplate,
  expandCompiled,
  expandTemplate,
  type MatchIndexes,
} from './template.js';
