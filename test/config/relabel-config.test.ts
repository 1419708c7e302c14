// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${…}` is config syntax under test here, not a template.
import { describe, expect, it } from 'vitest';
import { compileRelabelRegex } from '../../src/config/relabel-config.js';
import type { RelabelConfig } from '../../src/config/types.js';
import { load, loadErrors, onlyJob } from './helpers.js';

/** A job whose relabel_configs is the given single flow-style rule. */
function withRule(rule: string, global = ''): string {
  return `global: {${global}}\nscrape_configs:\n  - job_name: x\n    relabel_configs:\n      - ${rule}\n`;
}

function parseRule(rule: string, global = ''): RelabelConfig {
  const [parsed] = onlyJob(withRule(rule, global)).relabelConfigs;
  if (!parsed) throw new Error('no rule');
  return parsed;
}

const DEFAULTS: RelabelConfig = {
  sourceLabels: [],
  separator: ';',
  regex: '(.*)',
  regexSet: false,
  modulus: 0,
  targetLabel: '',
  replacement: '$1',
  action: 'replace',
};

describe('relabel_config defaults (§1.6)', () => {
  it.each([
    {
      name: 'only target_label',
      rule: '{target_label: t}',
      want: { ...DEFAULTS, targetLabel: 't' },
    },
    {
      name: 'every field written',
      rule: '{source_labels: [a, b], separator: "-", regex: "x(.)", modulus: 3, target_label: t, replacement: "${1}y", action: hashmod}',
      want: {
        sourceLabels: ['a', 'b'],
        separator: '-',
        regex: 'x(.)',
        regexSet: true,
        modulus: 3,
        targetLabel: 't',
        replacement: '${1}y',
        action: 'hashmod',
      },
    },
    {
      name: 'action is lower-cased',
      rule: '{action: LabelDrop, regex: tmp_.*}',
      want: { ...DEFAULTS, action: 'labeldrop', regex: 'tmp_.*', regexSet: true },
    },
    {
      name: 'explicit default regex is still "set"',
      rule: '{regex: "(.*)", target_label: t}',
      want: { ...DEFAULTS, targetLabel: 't', regexSet: true },
    },
    {
      name: 'null regex is the empty regex',
      rule: '{regex: null, target_label: t}',
      want: { ...DEFAULTS, targetLabel: 't', regex: '', regexSet: true },
    },
    {
      name: 'null separator and replacement are empty',
      rule: '{separator: ~, replacement: ~, target_label: t}',
      want: { ...DEFAULTS, targetLabel: 't', separator: '', replacement: '' },
    },
    {
      name: 'keepequal with source labels and target',
      rule: '{action: keepequal, source_labels: [a], target_label: b}',
      want: { ...DEFAULTS, action: 'keepequal', sourceLabels: ['a'], targetLabel: 'b' },
    },
    {
      name: 'replace with $ references in target_label (utf8)',
      rule: '{target_label: "${1}-x", regex: "(.+)"}',
      want: { ...DEFAULTS, targetLabel: '${1}-x', regex: '(.+)', regexSet: true },
    },
  ])('$name', ({ rule, want }) => {
    expect(parseRule(rule)).toEqual(want);
  });

  it('validates legacy target labels with $ references', () => {
    const rule = parseRule(
      '{target_label: "foo_${1}_$name", regex: "(?P<name>.)(.)"}',
      'metric_name_validation_scheme: legacy',
    );
    expect(rule.targetLabel).toBe('foo_${1}_$name');
  });

  it('parses write_relabel_configs and metric_relabel_configs too', () => {
    const config = load(
      'scrape_configs:\n  - job_name: x\n    metric_relabel_configs: [{action: drop, source_labels: [__name__], regex: go_.*}]\n' +
        'remote_write:\n  - url: http://rw\n    write_relabel_configs: [{action: labelkeep, regex: "job|instance|__name__"}]\n',
    );
    expect(config.scrapeConfigs[0]?.metricRelabelConfigs[0]).toMatchObject({
      action: 'drop',
      regex: 'go_.*',
    });
    expect(config.remoteWrite[0]?.writeRelabelConfigs[0]).toMatchObject({ action: 'labelkeep' });
  });
});

describe('relabel_config validation (§1.6)', () => {
  it.each([
    {
      rule: '{action: hashmod, target_label: t}',
      error: '5:9: relabel configuration for hashmod requires non-zero modulus',
    },
    {
      rule: '{action: replace}',
      error: "5:9: relabel configuration for replace action requires 'target_label' value",
    },
    {
      rule: '{source_labels: [a]}',
      error: "5:9: relabel configuration for replace action requires 'target_label' value",
    },
    {
      rule: '{action: uppercase, source_labels: [a]}',
      error: "5:9: relabel configuration for uppercase action requires 'target_label' value",
    },
    {
      rule: '{action: keepequal, source_labels: [a]}',
      error: "5:9: relabel configuration for keepequal action requires 'target_label' value",
    },
    {
      rule: '{action: Foo}',
      error: '5:18: unknown relabel action "Foo"',
    },
    {
      rule: '{action: ""}',
      error: '5:18: unknown relabel action ""',
    },
    {
      rule: '{action: null, target_label: t}',
      error: '5:10: relabel action cannot be empty',
    },
    {
      rule: '{target_label: "1-x"}',
      global: 'metric_name_validation_scheme: legacy',
      error: `5:24: "1-x" is invalid 'target_label' for replace action`,
    },
    {
      rule: '{target_label: "$1-x"}',
      global: 'metric_name_validation_scheme: legacy',
      error: `5:24: "$1-x" is invalid 'target_label' for replace action`,
    },
    {
      rule: '{action: lowercase, source_labels: [a], target_label: "${1}"}',
      error: `5:63: "\${1}" is invalid 'target_label' for lowercase action`,
      global: 'metric_name_validation_scheme: legacy',
    },
    {
      rule: '{action: lowercase, source_labels: [a], target_label: b, replacement: x}',
      error: "5:79: 'replacement' can not be set for lowercase action",
    },
    {
      rule: '{action: labelmap, regex: "a_(.*)", replacement: "b-$1"}',
      global: 'metric_name_validation_scheme: legacy',
      error: `5:58: "b-$1" is invalid 'replacement' for labelmap action`,
    },
    {
      rule: '{action: hashmod, modulus: 8, target_label: "a b"}',
      global: 'metric_name_validation_scheme: legacy',
      error: `5:53: "a b" is invalid 'target_label' for hashmod action`,
    },
    {
      rule: '{action: keepequal, source_labels: [a], target_label: b, regex: "(.*)"}',
      error:
        "5:73: keepequal action requires only 'source_labels' and `target_label`, and no other fields",
    },
    {
      rule: '{action: dropequal, source_labels: [a], target_label: b, regex: null}',
      error:
        "5:66: dropequal action requires only 'source_labels' and `target_label`, and no other fields",
    },
    {
      rule: '{action: dropequal, source_labels: [a], target_label: b, separator: ","}',
      error:
        "5:77: dropequal action requires only 'source_labels' and `target_label`, and no other fields",
    },
    {
      rule: '{action: keepequal, source_labels: [a], target_label: b, modulus: 2}',
      error:
        "5:75: keepequal action requires only 'source_labels' and `target_label`, and no other fields",
    },
    {
      rule: '{action: labeldrop, regex: a, source_labels: []}',
      error: "5:54: labeldrop action requires only 'regex', and no other fields",
    },
    {
      rule: '{action: labelkeep, regex: a, target_label: b}',
      error: "5:53: labelkeep action requires only 'regex', and no other fields",
    },
    {
      rule: '{action: labelkeep, replacement: b}',
      error: "5:42: labelkeep action requires only 'regex', and no other fields",
    },
    {
      rule: '{regex: "a(b", target_label: t}',
      error: '5:17: error parsing regexp: missing closing ): `^(?s:a(b)$`',
    },
    {
      rule: '{regex: "(?=x)", target_label: t}',
      error: '5:17: error parsing regexp: invalid or unsupported Perl syntax: `(?=`',
    },
    {
      rule: '{source_labels: [""], target_label: t}',
      error: '5:25: "" is not a valid label name',
    },
    {
      rule: '{source_labels: a, target_label: t}',
      error: '5:25: cannot unmarshal !!str `a` into model.LabelNames',
    },
    {
      rule: '{modulus: -1, action: hashmod, target_label: t}',
      error: '5:19: cannot unmarshal !!int `-1` into uint64',
    },
  ])('$rule → $error', ({ rule, error, global }) => {
    expect(loadErrors(withRule(rule, global))).toEqual([`prometheus.yml:${error}`]);
  });

  it('reports a null rule with the message of its list', () => {
    const errors = loadErrors(
      'scrape_configs:\n  - job_name: x\n    relabel_configs: [~]\n    metric_relabel_configs:\n      -\n' +
        'remote_write:\n  - url: http://rw\n    write_relabel_configs: [null]\n',
    );
    expect(errors).toEqual([
      'prometheus.yml:3:23: empty or null target relabeling rule in scrape config',
      'prometheus.yml:5:8: empty or null metric relabeling rule in scrape config',
      'prometheus.yml:8:29: empty or null relabeling rule in remote write config',
    ]);
  });
});

describe('compileRelabelRegex (§3)', () => {
  it.each([
    { regex: 'a.c', input: 'a\nc', matches: true },
    { regex: 'a', input: 'ab', matches: false },
    { regex: 'b', input: 'ab', matches: false },
    { regex: '^a$', input: 'a', matches: true },
    { regex: '', input: '', matches: true },
    { regex: '(?P<x>a)|b', input: 'b', matches: true },
  ])('$regex anchored and dot-all against $input → $matches', ({ regex, input, matches }) => {
    expect(compileRelabelRegex(regex).matches(input)).toBe(matches);
  });
});
