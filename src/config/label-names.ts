import { isLegacyLabelName, isWellFormedUtf16 } from '../model/labels.js';
import type { ValidationScheme } from './types.js';

/**
 * Label name validity under a validation scheme (§1.6): `utf8` accepts any non-empty string that
 * encodes to valid UTF-8; `legacy` requires `[a-zA-Z_][a-zA-Z0-9_]*`.
 */
export function isValidLabelName(name: string, scheme: ValidationScheme): boolean {
  return scheme === 'legacy' ? isLegacyLabelName(name) : name !== '' && isWellFormedUtf16(name);
}

/** Label values may be any valid UTF-8 (§1.6). */
export function isValidLabelValue(value: string): boolean {
  return isWellFormedUtf16(value);
}
