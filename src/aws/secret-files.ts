/**
 * The mapping of credential files to AWS Secrets Manager secrets ({@link SECRET_FILES_ENV}),
 * its parser and the error class shared with `secrets-manager.ts`. No AWS SDK import here: the
 * environment reader (`src/serverless/env.ts`) and the CDK construct use it without loading the
 * Secrets Manager client; `secrets-manager.ts` fetches the secrets.
 */

import { LAMBDA_ENV } from '../contract.js';

/** The environment variable holding the path → secret mapping (JSON object). */
export const SECRET_FILES_ENV = LAMBDA_ENV.secretFiles;

export const SECRET_FILES_ERROR_CODES = {
  /**
   * {@link SECRET_FILES_ENV} is not a JSON object of non-empty strings, or maps one file to two
   * secrets; see `problems`.
   */
  invalidEnv: 'SECRET_FILES_ENV_INVALID',
  /** One or more secrets could not be fetched; see `problems`. Nothing was installed. */
  unreadable: 'SECRET_FILES_UNREADABLE',
} as const;
export type SecretFilesErrorCode =
  (typeof SECRET_FILES_ERROR_CODES)[keyof typeof SECRET_FILES_ERROR_CODES];

/**
 * The one error class of this module. `problems` holds one line per problem (paths, secret ids
 * and SDK error names only); for `SECRET_FILES_UNREADABLE`, `cause` is the SDK error when one
 * secret failed, else an `AggregateError` of them.
 */
export class SecretFilesError extends Error {
  override readonly name = 'SecretFilesError';
  constructor(
    readonly code: SecretFilesErrorCode,
    readonly problems: readonly string[],
    options?: { cause?: unknown },
  ) {
    super(
      code === SECRET_FILES_ERROR_CODES.invalidEnv
        ? `invalid ${SECRET_FILES_ENV}: ${problems.join('; ')}`
        : `cannot read secrets for credential files: ${problems.join('; ')}`,
      options,
    );
  }
}

/** Path as written in prometheus.yml → secret ARN or name. */
export type SecretFileMapping = ReadonlyMap<string, string>;

const quote = (s: string) => JSON.stringify(s);

function typeName(value: unknown): string {
  if (value === null) return 'null';
  return Array.isArray(value) ? 'array' : typeof value;
}

/**
 * Parses {@link SECRET_FILES_ENV}. Unset, empty or blank means no secrets (an empty mapping).
 * Otherwise the value must be a JSON object whose keys are non-empty paths and whose values are
 * non-empty secret ids, neither with surrounding whitespace (such a key could never match a YAML
 * scalar, such an id no secret). Throws {@link SecretFilesError} `SECRET_FILES_ENV_INVALID`
 * listing every problem at once. (JSON.parse keeps the last of duplicate keys silently.)
 */
export function parseSecretFilesEnv(raw: string | undefined): SecretFileMapping {
  if (raw === undefined || raw.trim() === '') return new Map();
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (cause) {
    // The variable holds paths and secret ids, not secret values: its parse error may be shown.
    const why = cause instanceof Error ? cause.message : String(cause);
    throw new SecretFilesError(SECRET_FILES_ERROR_CODES.invalidEnv, [`not valid JSON (${why})`], {
      cause,
    });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new SecretFilesError(SECRET_FILES_ERROR_CODES.invalidEnv, [
      `must be a JSON object {"<path>": "<secret ARN or name>"}, got ${typeName(parsed)}`,
    ]);
  }
  const problems: string[] = [];
  const mapping = new Map<string, string>();
  for (const [path, id] of Object.entries(parsed)) {
    const before = problems.length;
    if (path.trim() === '') problems.push(`path ${quote(path)} must not be empty`);
    else if (path.trim() !== path) {
      problems.push(`path ${quote(path)} must not have leading or trailing whitespace`);
    }
    if (typeof id !== 'string') {
      problems.push(
        `${quote(path)}: secret id must be a string (ARN or name), got ${typeName(id)}`,
      );
    } else if (id.trim() === '') {
      problems.push(`${quote(path)}: secret id must not be empty`);
    } else if (id.trim() !== id) {
      problems.push(
        `${quote(path)}: secret id ${quote(id)} must not have leading or trailing whitespace`,
      );
    }
    if (problems.length === before && typeof id === 'string') mapping.set(path, id);
  }
  if (problems.length > 0) {
    throw new SecretFilesError(SECRET_FILES_ERROR_CODES.invalidEnv, problems);
  }
  return mapping;
}

/**
 * The distinct secret ids (ARNs or names) a mapping references, sorted: what the function's
 * role needs `secretsmanager:GetSecretValue` on, and nothing more. (IAM matches a secret by its
 * full ARN, which ends in a random 6-character suffix: a name or partial ARN needs `-??????`
 * appended in a policy.)
 */
export function referencedSecretIds(
  mapping: SecretFileMapping | Readonly<Record<string, string>>,
): string[] {
  const ids = mapping instanceof Map ? [...mapping.values()] : Object.values(mapping);
  return [...new Set(ids)].sort();
}
