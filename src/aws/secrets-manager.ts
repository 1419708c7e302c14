/**
 * Credentials from AWS Secrets Manager, without changing the operator's prometheus.yml: the
 * config keeps `password_file: /etc/prometheus/secrets/grafana` (or any other file of the HTTP
 * client settings, §1.5), and the deployment maps that path to a secret with the environment
 * variable {@link SECRET_FILES_ENV}, a JSON object
 * `{"<path exactly as written in prometheus.yml>": "<secret ARN or name>"}`.
 *
 * At container start {@link loadSecretFiles} fetches every secret once (GetSecretValue;
 * `SecretString` as text, else `SecretBinary` as bytes) and installs the values as the
 * in-memory overlay of `src/http/credential-files.ts`; from then on every read the HTTP client
 * makes of such a path gets the secret instead of the file system. Nothing is written to disk.
 *
 * Contracts:
 * - Values are never logged nor put into an error message or error field: errors name the path
 *   and the secret id (ARN or name) and, for a failed fetch, the SDK error's `name` only.
 * - Relative paths resolve as the config loader resolves `*_file`: against the folder of the
 *   config file (`YamlReader.filePath`). A path in a `scrape_config_files` file of another
 *   folder resolves against that file's folder there, so map such paths by their absolute form.
 * - This is the only module that imports `@aws-sdk/client-secrets-manager`: the scraper bundle
 *   pulls the client in only through here.
 */

import { isAbsolute, resolve } from 'node:path';
import {
  GetSecretValueCommand,
  type GetSecretValueCommandOutput,
  SecretsManagerClient,
  type SecretsManagerClientConfig,
} from '@aws-sdk/client-secrets-manager';
import { type CredentialFileContent, installCredentialFiles } from '../http/credential-files.js';
import {
  SECRET_FILES_ERROR_CODES,
  type SecretFileMapping,
  SecretFilesError,
} from './secret-files.js';

export {
  parseSecretFilesEnv,
  referencedSecretIds,
  SECRET_FILES_ENV,
  SECRET_FILES_ERROR_CODES,
  type SecretFileMapping,
  SecretFilesError,
  type SecretFilesErrorCode,
} from './secret-files.js';

/** What {@link loadSecretFiles} installed: configuration only, safe to log. */
export interface LoadedSecretFiles {
  /** The overlaid paths, resolved and sorted. */
  readonly paths: readonly string[];
  /** The secrets fetched, sorted, each once. */
  readonly secretIds: readonly string[];
}

const quote = (s: string) => JSON.stringify(s);

/** A Secrets Manager client (the runtime builds one at container start, only with secrets). */
export function createSecretsManagerClient(
  config: SecretsManagerClientConfig,
): SecretsManagerClient {
  return new SecretsManagerClient(config);
}

/**
 * A path of the mapping as the config loader resolves a `*_file`: kept when absolute, else
 * resolved against the config's folder (the working directory when `configDir` is '').
 */
function resolveAsConfigLoader(path: string, configDir: string): string {
  return isAbsolute(path) ? path : resolve(configDir, path);
}

/**
 * Fetches every secret of `mapping` (each distinct id once, all concurrently) and installs them
 * as the credential-file overlay, keyed by the path resolved against `configDir` (the folder of
 * the prometheus.yml). The overlay is installed only when every secret was read: otherwise it
 * throws {@link SecretFilesError} `SECRET_FILES_UNREADABLE` naming each failed secret (id, the
 * paths it serves, the SDK error's name) and installs nothing. Throws `SECRET_FILES_ENV_INVALID`
 * before any request when two paths that resolve to the same file name different secrets.
 * The SDK's own retry strategy applies to each request; nothing is retried here.
 */
export async function loadSecretFiles(
  client: SecretsManagerClient,
  mapping: SecretFileMapping,
  configDir: string,
): Promise<LoadedSecretFiles> {
  const pathsBySecret = new Map<string, string[]>();
  const secretByPath = new Map<string, string>();
  const conflicts: string[] = [];
  for (const [written, id] of mapping) {
    const path = resolve(resolveAsConfigLoader(written, configDir));
    const other = secretByPath.get(path);
    if (other !== undefined && other !== id) {
      conflicts.push(
        `${quote(written)} resolves to ${path}, already mapped to secret ${quote(other)}`,
      );
      continue;
    }
    secretByPath.set(path, id);
    const paths = pathsBySecret.get(id) ?? [];
    if (!paths.includes(path)) paths.push(path);
    pathsBySecret.set(id, paths);
  }
  if (conflicts.length > 0) {
    throw new SecretFilesError(SECRET_FILES_ERROR_CODES.invalidEnv, conflicts);
  }

  const ids = [...pathsBySecret.keys()].sort();
  const results = await Promise.allSettled(ids.map((id) => fetchSecret(client, id)));
  const values = new Map<string, CredentialFileContent>();
  const problems: string[] = [];
  const errors: unknown[] = [];
  results.forEach((result, i) => {
    const id = ids[i] as string;
    const paths = pathsBySecret.get(id) ?? [];
    if (result.status === 'fulfilled') {
      for (const path of paths) values.set(path, result.value);
      return;
    }
    errors.push(result.reason);
    problems.push(`secret ${quote(id)} (for ${paths.join(', ')}): ${errorName(result.reason)}`);
  });
  if (problems.length > 0) {
    const cause = errors.length === 1 ? errors[0] : new AggregateError(errors, problems.join('; '));
    throw new SecretFilesError(SECRET_FILES_ERROR_CODES.unreadable, problems, { cause });
  }
  installCredentialFiles(values);
  return { paths: [...values.keys()].sort(), secretIds: ids };
}

/** Thrown inside {@link fetchSecret} when a response carries neither value (never expected). */
class EmptySecretValueError extends Error {
  override readonly name = 'EmptySecretValue';
}

async function fetchSecret(
  client: SecretsManagerClient,
  secretId: string,
): Promise<CredentialFileContent> {
  const out: GetSecretValueCommandOutput = await client.send(
    new GetSecretValueCommand({ SecretId: secretId }),
  );
  if (out.SecretString !== undefined) return out.SecretString;
  if (out.SecretBinary !== undefined) return out.SecretBinary;
  throw new EmptySecretValueError('the secret has neither SecretString nor SecretBinary');
}

/**
 * An SDK error's name (`ResourceNotFoundException`, `AccessDeniedException`, `TimeoutError`):
 * the only part of a failure put into messages. The SDK's messages are the service's and hold
 * no value either, but the name is all an operator needs next to the secret id.
 */
function errorName(err: unknown): string {
  if (err instanceof Error) return err.name;
  return typeof err;
}
