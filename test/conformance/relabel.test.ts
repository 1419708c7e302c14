/**
 * Runs every case of the shared relabel conformance data (`../shared/conformance/relabel`,
 * converted from Prometheus's TestRelabel table; see its README): fields use Prometheus YAML
 * names, a field equal to its YAML default is omitted, and an omitted `regex` means the rule did
 * not set one (which matters for the replace fast path, §3).
 *
 * The data lives outside the repository (test/support/shared-data.ts): when it is absent the
 * tests are skipped with a printed reason, or fail under CI=true.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import {
  RELABEL_ACTIONS,
  type RelabelAction,
  type RelabelConfig,
  type ValidationScheme,
} from '../../src/config/types.js';
import { labelsFromRecord } from '../../src/model/labels.js';
import { applyRelabel, compileRelabelConfigs } from '../../src/relabel/index.js';
import { describeWithSharedData } from '../support/shared-data.js';

interface RawRelabelConfig {
  readonly source_labels?: string[];
  readonly separator?: string;
  readonly regex?: string | null;
  readonly modulus?: number;
  readonly target_label?: string;
  readonly replacement?: string;
  readonly action: string;
}

interface RelabelCase {
  readonly name: string;
  readonly input_labels: Record<string, string>;
  readonly relabel_configs: RawRelabelConfig[];
  readonly expected_labels: Record<string, string> | null;
  readonly name_validation_scheme: ValidationScheme;
}

function isAction(a: string): a is RelabelAction {
  return (RELABEL_ACTIONS as readonly string[]).includes(a);
}

/** YAML field names → RelabelConfig with Prometheus's defaults (§1.6). */
function toRelabelConfig(raw: RawRelabelConfig): RelabelConfig {
  const action = raw.action.toLowerCase();
  if (!isAction(action)) throw new Error(`unknown relabel action ${raw.action}`);
  return {
    sourceLabels: raw.source_labels ?? [],
    separator: raw.separator ?? ';',
    // An explicit null regex is the empty regex, not the default (§1.6).
    regex: 'regex' in raw ? (raw.regex ?? '') : '(.*)',
    regexSet: 'regex' in raw,
    modulus: raw.modulus ?? 0,
    targetLabel: raw.target_label ?? '',
    replacement: raw.replacement ?? '$1',
    action,
  };
}

describeWithSharedData(
  'relabel conformance (Prometheus TestRelabel, §3)',
  'conformance/relabel',
  (dir) => {
    const cases = JSON.parse(readFileSync(path.join(dir, 'cases.json'), 'utf8')) as RelabelCase[];

    it('has all 34 cases', () => {
      expect(cases).toHaveLength(34);
    });

    it.each(cases)('$name', (c) => {
      const program = compileRelabelConfigs(
        c.relabel_configs.map(toRelabelConfig),
        c.name_validation_scheme,
      );
      const out = applyRelabel(program, labelsFromRecord(c.input_labels));
      if (c.expected_labels === null) {
        expect(out).toBeNull();
      } else {
        expect(out).toEqual(labelsFromRecord(c.expected_labels));
      }
    });
  },
);
