/**
 * File-based discovery (§10.2) as a small stateful discoverer: each refresh expands the
 * patterns, reads and parses every file, and returns the groups of all files. A file that
 * fails to read or parse keeps the groups of its last good read (the error is returned, not
 * thrown); a file that is gone, or has fewer groups than before, gets empty groups for its
 * vanished sources once, so consumers that merge by source clear them (as Prometheus sends).
 */
import type { FileSdConfig } from '../../config/types.js';
import type { Discoverer, TargetGroup } from '../types.js';
import { FileSdError, FileSdErrorCode } from './error.js';
import { errorText, expandPattern, isNotFound, patternCovers, type ReadDir } from './glob.js';
import { fileGroupSource, parseFileSdContent } from './parse.js';

/** Default cap on a file's size; file_sd content is untrusted input (docs/design.md decision 9). */
export const DEFAULT_MAX_FILE_BYTES = 32 * 1024 * 1024;

/** What file discovery needs from the file system. */
export interface FileSdDeps {
  /**
   * The bytes of the file at `path`. May stop after `maxBytes + 1` bytes (more than the cap
   * tells the caller the file is too large). Rejects with `code: 'ENOENT'` when it does not
   * exist.
   */
  readFile(path: string, maxBytes: number): Promise<Uint8Array>;
  /** Entry names (not paths) of directory `dir`; rejects with `code: 'ENOENT'` when missing. */
  readDir: ReadDir;
}

export interface FileSdOptions {
  /** @default DEFAULT_MAX_FILE_BYTES */
  readonly maxFileBytes?: number;
}

export interface FileSdRefresh {
  /** Current groups of every file (last good ones for failed files), then cleared sources. */
  readonly groups: TargetGroup[];
  /** One error per failed pattern or file; their previous groups are in `groups`. */
  readonly errors: FileSdError[];
}

function emptyGroup(source: string): TargetGroup {
  return { source, targets: [], labels: {} };
}

export class FileDiscoverer implements Discoverer {
  /** Groups of the last good read of each file that currently exists, in discovery order. */
  private lastGood = new Map<string, readonly TargetGroup[]>();
  private readonly maxFileBytes: number;

  constructor(
    private readonly config: FileSdConfig,
    private readonly deps: FileSdDeps,
    options: FileSdOptions = {},
  ) {
    this.maxFileBytes = options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  }

  /** The entry's refresh_interval (§10.2: default 5m); files are re-read this often. */
  get refreshIntervalMs(): number {
    return this.config.refreshInterval;
  }

  async refresh(): Promise<FileSdRefresh> {
    const errors: FileSdError[] = [];
    const failedPatterns: string[] = [];
    const paths: string[] = [];
    for (const pattern of this.config.files) {
      try {
        for (const path of await expandPattern(pattern, this.deps.readDir)) {
          if (!paths.includes(path)) paths.push(path);
        }
      } catch (err) {
        if (!(err instanceof FileSdError)) throw err;
        errors.push(err);
        failedPatterns.push(pattern);
      }
    }

    const next = new Map<string, readonly TargetGroup[]>();
    for (const path of paths) {
      try {
        const groups = await this.readGroups(path);
        if (groups !== undefined) next.set(path, groups);
      } catch (err) {
        if (!(err instanceof FileSdError)) throw err;
        errors.push(err);
        const previous = this.lastGood.get(path);
        if (previous !== undefined) next.set(path, previous);
      }
    }
    // A pattern we could not list says nothing about its files: keep what it matched before.
    for (const [path, groups] of this.lastGood) {
      if (!next.has(path) && failedPatterns.some((p) => patternCovers(p, path))) {
        next.set(path, groups);
      }
    }

    const cleared: TargetGroup[] = [];
    for (const [path, previous] of this.lastGood) {
      const kept = next.get(path)?.length ?? 0;
      for (let i = kept; i < previous.length; i++)
        cleared.push(emptyGroup(fileGroupSource(path, i)));
    }
    this.lastGood = next;
    return { groups: [...[...next.values()].flat(), ...cleared], errors };
  }

  /** The groups of one file; undefined when the file does not exist (any more). */
  private async readGroups(path: string): Promise<TargetGroup[] | undefined> {
    let content: Uint8Array;
    try {
      content = await this.deps.readFile(path, this.maxFileBytes);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw new FileSdError(
        FileSdErrorCode.read,
        path,
        `cannot read file_sd file ${JSON.stringify(path)}: ${errorText(err)}`,
        { cause: err },
      );
    }
    if (content.byteLength > this.maxFileBytes) {
      throw new FileSdError(
        FileSdErrorCode.tooLarge,
        path,
        `cannot read file_sd file ${JSON.stringify(path)}: larger than the limit of ${this.maxFileBytes} bytes`,
      );
    }
    return parseFileSdContent(path, content);
  }
}

/** One-shot file discovery: a fresh {@link FileDiscoverer}'s first refresh. */
export function refresh(
  config: FileSdConfig,
  deps: FileSdDeps,
  options?: FileSdOptions,
): Promise<FileSdRefresh> {
  return new FileDiscoverer(config, deps, options).refresh();
}
