/**
 * Helpers for the CDK template tests: configs in temporary folders, a stack built with bundling
 * skipped (`aws:cdk:bundling-stacks: []`, docs/testing.md "CDK offline"), and the IAM statements of
 * one function's role in the synthesized template.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { App, Stack, type StackProps } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { CfnRole } from 'aws-cdk-lib/aws-iam';
import { expect } from 'vitest';
import { LambdaScraper, type LambdaScraperProps } from '../../infra/lambda-scraper.js';
import { loadScraperConfig, type ScraperConfig } from '../../infra/scraper-config.js';
import { checkConfigCommand } from '../../src/cli/check.js';
import type { FunctionRole } from '../../src/contract.js';

/** Writes `files` (relative path → text) into a new temporary folder; returns its path. */
export function tempFolder(files: Readonly<Record<string, string>>): string {
  const dir = mkdtempSync(join(tmpdir(), 'lambdascrape-infra-'));
  for (const [rel, text] of Object.entries(files)) {
    const path = join(dir, rel);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text);
  }
  return dir;
}

/** A prometheus.yml with `text` (plus `files` beside it), loaded and checked. */
export async function configFrom(
  text: string,
  files: Readonly<Record<string, string>> = {},
): Promise<ScraperConfig> {
  const dir = tempFolder({ 'prometheus.yml': text, ...files });
  return loadScraperConfig(join(dir, 'prometheus.yml'), { env: {} });
}

export const STATIC_ONLY = `
scrape_configs:
  - job_name: web
    static_configs:
      - targets: [example.com:9100]
remote_write:
  - url: https://receiver.example.com/api/v1/write
`;

/** An App that never bundles: synth of a stack takes well under a second. */
export function unbundledApp(): App {
  return new App({ context: { 'aws:cdk:bundling-stacks': [] } });
}

export interface Built {
  readonly app: App;
  readonly stack: Stack;
  readonly scraper: LambdaScraper;
  readonly template: Template;
}

/** A stack holding one LambdaScraper (id `Scraper`), synthesized without bundling. */
export function build(
  props: LambdaScraperProps | ((stack: Stack) => LambdaScraperProps),
  options: { app?: App; stackProps?: StackProps } = {},
): Built {
  const app = options.app ?? unbundledApp();
  const stack = new Stack(app, 'Test', options.stackProps);
  const scraper = new LambdaScraper(
    stack,
    'Scraper',
    typeof props === 'function' ? props(stack) : props,
  );
  return { app, stack, scraper, template: Template.fromStack(stack) };
}

export interface Statement {
  readonly sid: string | undefined;
  readonly actions: readonly string[];
  readonly resources: readonly unknown[];
}

const asList = <T>(v: T | readonly T[] | undefined): T[] =>
  v === undefined ? [] : Array.isArray(v) ? [...(v as T[])] : [v as T];

/** Every statement of every policy attached to `role`'s function role, in template form. */
export function statementsOf(built: Built, role: FunctionRole): Statement[] {
  const fnRole = built.scraper.functions[role].role!;
  const roleId = built.stack.getLogicalId(fnRole.node.defaultChild as CfnRole);
  const policies = built.template.findResources('AWS::IAM::Policy');
  const out: Statement[] = [];
  for (const policy of Object.values(policies)) {
    const props = policy.Properties as {
      Roles: { Ref: string }[];
      PolicyDocument: { Statement: Record<string, unknown>[] };
    };
    if (!props.Roles.some((r) => r.Ref === roleId)) continue;
    for (const s of props.PolicyDocument.Statement) {
      expect(s.Effect).toBe('Allow');
      out.push({
        sid: s.Sid as string | undefined,
        actions: asList(s.Action as string | string[]),
        resources: asList(s.Resource),
      });
    }
  }
  return out;
}

/** All actions granted to a function, sorted and unique. */
export function actionsOf(built: Built, role: FunctionRole): string[] {
  return [...new Set(statementsOf(built, role).flatMap((s) => s.actions))].sort();
}

/** The statement with this Sid (exactly one), or undefined. */
export function statement(built: Built, role: FunctionRole, sid: string): Statement | undefined {
  const found = statementsOf(built, role).filter((s) => s.sid === sid);
  expect(found.length).toBeLessThanOrEqual(1);
  return found[0];
}

/** What `lambdascrape check config PATH` writes to stderr, and its exit code. */
export async function checkConfigOutput(path: string): Promise<{ code: number; stderr: string }> {
  let stderr = '';
  const code = await checkConfigCommand([path], {
    stdout: () => {},
    stderr: (t) => {
      stderr += t;
    },
    readStdin: async () => new Uint8Array(),
    env: {},
  });
  return { code, stderr };
}

/** `{ Ref: logicalId }` of a construct's default CloudFormation resource. */
export function refTo(
  stack: Stack,
  construct: { node: { defaultChild?: unknown } },
): { Ref: string } {
  return { Ref: stack.getLogicalId(construct.node.defaultChild as CfnRole) };
}
