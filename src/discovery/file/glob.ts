/**
 * Expansion of file_sd `files` patterns (§10.2). A pattern may contain `*` in its last path
 * element only; `*` matches any run of characters (a directory entry name never contains `/`),
 * including a leading `.`, as Go's `filepath.Glob` does. Other glob syntax (`?`, `[...]`, `\`)
 * is taken literally; Prometheus's pattern rule makes `*` the documented form.
 */
import { posix } from 'node:path';
import { compareUtf8 } from '../../model/byte-order.js';
import { FileSdError, FileSdErrorCode } from './error.js';

/** Whether `name` matches `pattern`, where `*` matches any run of characters. */
export function matchStar(pattern: string, name: string): boolean {
  let p = 0;
  let n = 0;
  let starAt = -1;
  let resumeAt = 0;
  while (n < name.length) {
    if (p < pattern.length && pattern[p] === '*') {
      starAt = p++;
      resumeAt = n;
    } else if (p < pattern.length && pattern[p] === name[n]) {
      p++;
      n++;
    } else if (starAt >= 0) {
      // Let the last `*` swallow one more character and retry from there.
      p = starAt + 1;
      n = ++resumeAt;
    } else {
      return false;
    }
  }
  while (p < pattern.length && pattern[p] === '*') p++;
  return p === pattern.length;
}

/** Splits a pattern into its directory (Go `filepath.Split` + clean: `.` when none) and last element. */
export function splitPattern(pattern: string): { dir: string; base: string } {
  const slash = pattern.lastIndexOf('/');
  if (slash < 0) return { dir: '.', base: pattern };
  const dir = pattern.slice(0, slash).replace(/\/+$/, '');
  return { dir: dir === '' ? '/' : dir, base: pattern.slice(slash + 1) };
}

/** True when a path of a previous refresh is one `pattern` can produce. */
export function patternCovers(pattern: string, path: string): boolean {
  if (!pattern.includes('*')) return pattern === path;
  const { dir, base } = splitPattern(pattern);
  const at = path.lastIndexOf('/');
  const name = path.slice(at + 1);
  return posix.join(dir, name) === path && matchStar(base, name);
}

export type ReadDir = (dir: string) => Promise<readonly string[]>;

/** True for a Node-style "no such file or directory" error. */
export function isNotFound(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 'ENOENT';
}

/**
 * The files a pattern names now, sorted by name (byte order). A pattern without `*` is
 * returned as is (whether it exists shows when it is read). A missing directory yields no
 * files, as in Prometheus; any other listing failure throws {@link FileSdError} so the caller
 * can keep the previous targets of that pattern.
 */
export async function expandPattern(pattern: string, readDir: ReadDir): Promise<string[]> {
  if (!pattern.includes('*')) return [pattern];
  const { dir, base } = splitPattern(pattern);
  if (dir.includes('*')) {
    throw new FileSdError(
      FileSdErrorCode.pattern,
      pattern,
      `file_sd pattern ${JSON.stringify(pattern)} has a "*" outside its last path element`,
    );
  }
  let names: readonly string[];
  try {
    names = await readDir(dir);
  } catch (err) {
    if (isNotFound(err)) return [];
    throw new FileSdError(
      FileSdErrorCode.read,
      pattern,
      `cannot list directory ${JSON.stringify(dir)} for file_sd pattern ${JSON.stringify(pattern)}: ${errorText(err)}`,
      { cause: err },
    );
  }
  return names
    .filter((name) => matchStar(base, name))
    .sort(compareUtf8)
    .map((name) => posix.join(dir, name));
}

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
