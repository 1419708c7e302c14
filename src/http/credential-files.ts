/**
 * A process-wide, in-memory overlay over the files that HTTP client settings (§1.5) name:
 * `password_file`, `username_file`, `credentials_file`, `bearer_token_file`,
 * `http_headers.*.files` and tls_config `ca_file` / `cert_file` / `key_file`. When a path is in
 * the overlay, `src/http/client.ts` takes its content from here and never opens the file; any
 * other path is read from the file system as before. This lets a deployment keep the
 * operator's prometheus.yml unchanged while the credentials come from a secret store
 * (`src/aws/secrets-manager.ts` fills it from AWS Secrets Manager).
 *
 * Contract:
 * - Installed once per container, before the first request that uses HTTP client settings
 *   (scrape, remote write, HTTP-based discovery). {@link installCredentialFiles} replaces the
 *   whole overlay atomically, so a retried container start may call it again; readers see
 *   either the old or the new overlay, never a mix. TLS files are read when a dispatcher is
 *   built, so an overlay installed after that does not reach those dispatchers.
 * - Keys are absolute paths: the path the config loader produced. The loader keeps an absolute
 *   `*_file` as written and resolves a relative one against the config file's folder
 *   (`YamlReader.filePath` in src/config/yaml-reader.ts); the HTTP client resolves what is still
 *   relative against its `baseDir`, else the working directory (`resolvePath` in client.ts).
 *   Both sides are normalised here with `path.resolve` (`.`/`..` segments and repeated or
 *   trailing slashes removed, lexically: symbolic links are not followed), so the lookup hits
 *   exactly when the file system read would have opened that path.
 * - Content is kept as text, decoded as UTF-8 once at install: the readers decode files as
 *   UTF-8 too, so a value behaves exactly like a file with the same bytes (trimming of
 *   credentials, PEM parsing of TLS files stay with the readers).
 * - Content is secret: nothing here logs it or puts it into an error message.
 */
import { isAbsolute, resolve } from 'node:path';

export const CREDENTIAL_FILES_ERROR_CODES = {
  /** A key given to {@link installCredentialFiles} is not an absolute path. */
  pathNotAbsolute: 'CREDENTIAL_FILES_PATH_NOT_ABSOLUTE',
} as const;
export type CredentialFilesErrorCode =
  (typeof CREDENTIAL_FILES_ERROR_CODES)[keyof typeof CREDENTIAL_FILES_ERROR_CODES];

/** The one error class of this module. Messages name paths only, never content. */
export class CredentialFilesError extends Error {
  override readonly name = 'CredentialFilesError';
  constructor(
    readonly code: CredentialFilesErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** What a file's content may be given as: text, or raw bytes (decoded as UTF-8). */
export type CredentialFileContent = string | Uint8Array;

/** Absolute path → content. */
export type CredentialFiles =
  | ReadonlyMap<string, CredentialFileContent>
  | Readonly<Record<string, CredentialFileContent>>;

const decoder = new TextDecoder('utf-8');

/** The installed overlay; empty until installed. Replaced as a whole, never mutated. */
let overlay: ReadonlyMap<string, string> = new Map();

/**
 * Makes `files` the overlay, replacing any previous one. Keys must be absolute paths (throws
 * {@link CredentialFilesError} `CREDENTIAL_FILES_PATH_NOT_ABSOLUTE` naming them, and installs
 * nothing). Bytes are copied (decoded) now: the caller may reuse its buffers afterwards.
 */
export function installCredentialFiles(files: CredentialFiles): void {
  const entries = files instanceof Map ? [...files.entries()] : Object.entries(files);
  const relative = entries.map(([path]) => path).filter((path) => !isAbsolute(path));
  if (relative.length > 0) {
    throw new CredentialFilesError(
      CREDENTIAL_FILES_ERROR_CODES.pathNotAbsolute,
      `credential file paths must be absolute: ${relative.map((p) => JSON.stringify(p)).join(', ')}`,
    );
  }
  const next = new Map<string, string>();
  for (const [path, content] of entries) {
    next.set(resolve(path), typeof content === 'string' ? content : decoder.decode(content));
  }
  overlay = next;
}

/**
 * The overlay's content for `path` (as a reader would open it: absolute, or relative to the
 * working directory), or undefined when the file system should be read instead.
 */
export function lookupCredentialFile(path: string): string | undefined {
  // Fast path: no overlay installed (the local runner, the CLI) costs one size check.
  return overlay.size === 0 ? undefined : overlay.get(resolve(path));
}

/** The overlaid paths (normalised, sorted): safe to log, they are configuration. */
export function credentialFilePaths(): string[] {
  return [...overlay.keys()].sort();
}

/** Removes the overlay (tests; a container never needs it). */
export function clearCredentialFiles(): void {
  overlay = new Map();
}
