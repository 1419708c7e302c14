import { HTTP_CLIENT_FIELDS } from './http-client.js';
import type { Struct } from './yaml-reader.js';

/**
 * Settings Prometheus accepts that lambdascrape cannot honour, in one table. The code reading
 * each block (the loader for global, scrape and remote-write configs; the discovery mechanisms
 * for their entries) calls {@link refuseUnsupported} on it, so `check config`, `run`,
 * `simulate`, the Lambda functions and `cdk synth` refuse exactly these settings, all with the
 * message `<what> is not supported by lambdascrape: <why>` at the field's `file:line:col`,
 * instead of accepting a config that fails when it runs.
 *
 * Adding a setting: one row. Remove it in the change that makes the runtime honour it.
 */

/** The AWS discovery keys: each calls AWS through the AWS SDK's HTTP client. */
const AWS_SD_BLOCKS = [
  'ec2_sd_configs',
  'aws_sd_configs',
  'ecs_sd_configs',
  'elasticache_sd_configs',
  'lightsail_sd_configs',
  'msk_sd_configs',
  'rds_sd_configs',
] as const;

/** The blocks the table knows, named like their YAML keys. */
export type UnsupportedBlock =
  | 'global'
  | 'scrape_config'
  | 'remote_write'
  | (typeof AWS_SD_BLOCKS)[number];

export interface UnsupportedSetting {
  readonly block: UnsupportedBlock;
  readonly field: string;
  /** What the message names. @default the field */
  readonly what?: string;
  /** Whether the written value is refused. @default any value but null */
  readonly refuses?: (s: Struct) => boolean;
  /** Completes the message: what lambdascrape lacks, and what to write instead. */
  readonly why: string;
}

/** lambdascrape calls AWS APIs through the AWS SDK's HTTP client, which these cannot configure. */
const EC2_IGNORED_HTTP_FIELDS = new Set(['follow_redirects', 'enable_http2']);
const AWS_HTTP = (api: string) =>
  `it calls the ${api} through the AWS SDK's HTTP client, which this cannot configure (only follow_redirects and enable_http2 are accepted, and ignored)`;

/**
 * The aws_sd_configs roles Prometheus has and lambdascrape does not run yet (the same as
 * `LACKING_AWS_SD_ROLES` of src/discovery/aws/config.ts, which imports this module): none now;
 * the refusal below stays for a role Prometheus may add (test/discovery/aws-lacking-role.test.ts
 * exercises the check's path for one).
 */
const AWS_SD_ROLES_NOT_RUN: readonly string[] = [];

export const UNSUPPORTED_SETTINGS: readonly UnsupportedSetting[] = [
  {
    block: 'remote_write',
    field: 'azuread',
    why: 'remote writes authenticate with basic_auth, authorization or sigv4',
  },
  {
    block: 'remote_write',
    field: 'google_iam',
    why: 'remote writes authenticate with basic_auth, authorization or sigv4',
  },
  ...AWS_SD_BLOCKS.flatMap((block) =>
    [...HTTP_CLIENT_FIELDS]
      .filter((field) => !EC2_IGNORED_HTTP_FIELDS.has(field))
      .map(
        (field): UnsupportedSetting => ({
          block,
          field,
          what: `${field} in ${block}`,
          why: AWS_HTTP(block === 'ec2_sd_configs' ? 'EC2 API' : 'AWS APIs'),
        }),
      ),
  ),
  ...AWS_SD_ROLES_NOT_RUN.map(
    (role): UnsupportedSetting => ({
      block: 'aws_sd_configs',
      field: 'role',
      what: `role: ${role} in aws_sd_configs`,
      refuses: (s) => s.string('role') === role,
      why: 'only the roles ecs, ec2, elasticache, lightsail, msk and rds run yet (the discovery check ignores such an entry, with a warning, in a job with other discovery, and skips a job with only such entries under --skip-unsupported-discovery)',
    }),
  ),
];

/**
 * Records an error on `s` for every setting of the table that `block` refuses and `s` holds.
 * A value of the wrong type is reported by the block's own reading; reading it again here adds
 * nothing (the error sink keeps a message once).
 */
export function refuseUnsupported(
  s: Struct,
  block: UnsupportedBlock,
  /** Settings of the table left alone here (a caller that handles them itself). */
  except: (setting: UnsupportedSetting) => boolean = () => false,
): void {
  for (const setting of UNSUPPORTED_SETTINGS) {
    if (setting.block !== block || s.value(setting.field) === null) continue;
    if (except(setting)) continue;
    if (setting.refuses !== undefined && !setting.refuses(s)) continue;
    const what = setting.what ?? setting.field;
    s.fail(setting.field, `${what} is not supported by lambdascrape: ${setting.why}`);
  }
}
