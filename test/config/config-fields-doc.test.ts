import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { allSources, catalogue, OVERRIDES } from '../../scripts/config-field-catalogue.js';
import { DOC_PATH, renderConfigFields } from '../../scripts/config-fields.js';
import { isAlertmanagerField } from '../../src/config/alerting.js';
import { isScrapeField } from '../../src/config/scrape-config.js';
import { GO_TYPE as AWS_GO_TYPE, AWS_SERVICE_SD_KEYS } from '../../src/discovery/aws/config.js';
import { FILTER_GO_TYPE, GO_TYPE } from '../../src/discovery/ec2/config.js';

const SRC = join(import.meta.dirname, '../../src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(path);
    return e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') ? [path] : [];
  });
}

/** The Go type argument of every `.struct(node, goType, known)` call in src/, as written. */
function structCallTypes(): string[] {
  const out: string[] = [];
  for (const file of sourceFiles(SRC)) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/\.struct\(\s*[^,]+,\s*([^,]+?)\s*,/g)) out.push(m[1]!);
  }
  return out;
}

/** Non-literal type arguments, each with the Go types it stands for. */
const TYPE_CONSTANTS: Readonly<Record<string, readonly string[]>> = {
  GO_TYPE: [GO_TYPE],
  FILTER_GO_TYPE: [FILTER_GO_TYPE],
  // src/discovery/unsupported.ts: the mechanisms' tables, walked by the catalogue.
  'block.goType': [],
  // src/discovery/aws/config.ts: aws_sd_configs and the per-service keys.
  'key.goType': [AWS_GO_TYPE, ...AWS_SERVICE_SD_KEYS.map((key) => key.goType)],
};

describe('docs/config-fields.md', () => {
  it('is what scripts/config-fields.ts renders from the loader', () => {
    const written = readFileSync(DOC_PATH, 'utf8');
    expect(
      written === renderConfigFields(),
      'docs/config-fields.md is out of date: run `npx tsx scripts/config-fields.ts` and commit it',
    ).toBe(true);
  });

  it('has an entry for every mapping the loader reads with reader.struct()', () => {
    const known = new Set(catalogue().map((s) => s.goType));
    const called = new Set<string>();
    for (const arg of structCallTypes()) {
      const literal = /^'([^']+)'$/.exec(arg);
      const types = literal ? [literal[1]!] : TYPE_CONSTANTS[arg];
      expect(types, `struct() called with ${arg}: teach the catalogue about it`).toBeDefined();
      for (const t of types ?? []) called.add(t);
    }
    for (const goType of called) expect(known, `${goType} is not catalogued`).toContain(goType);
    // And the other way: a catalogued type (besides the unsupported mechanisms') is still read.
    const fromMechanisms = new Set(
      catalogue()
        .filter((s) => s.ignored?.includes('discovery mechanism'))
        .map((s) => s.goType),
    );
    for (const goType of known) {
      if (!fromMechanisms.has(goType))
        expect(called, `${goType} is read nowhere`).toContain(goType);
    }
  });

  it('lists each shared type with the same fields wherever it is read', () => {
    const byType = new Map<string, Set<string>>();
    for (const { goType, fields } of allSources()) {
      const first = byType.get(goType);
      if (first === undefined) byType.set(goType, fields);
      else expect([...fields].sort(), goType).toEqual([...first].sort());
    }
  });

  it('has overrides only for fields the loader accepts', () => {
    const fields = new Set(
      catalogue().flatMap((s) => s.fields.map((f) => `${s.goType}.${f.field}`)),
    );
    for (const key of Object.keys(OVERRIDES)) expect(fields, key).toContain(key);
  });

  it("lists fields the loader's predicates accept", () => {
    const byType = new Map(catalogue().map((s) => [s.goType, s.fields.map((f) => f.field)]));
    for (const field of byType.get('config.ScrapeConfig') ?? []) {
      expect(isScrapeField(field), field).toBe(true);
    }
    for (const field of byType.get('config.AlertmanagerConfig') ?? []) {
      expect(isAlertmanagerField(field), field).toBe(true);
    }
  });
});
