/** An in-memory file system implementing `FileSdDeps`, with failure injection. */
import { posix } from 'node:path';
import type { FileSdDeps } from '../../src/discovery/file/index.js';

export interface MemFs extends FileSdDeps {
  /** Path → content, or an error code the read fails with. */
  files: Map<string, string | { readonly error: string }>;
  /** Directories whose listing fails with this code. */
  failingDirs: Map<string, string>;
  /** Paths read so far, in order. */
  reads: string[];
}

function fsError(code: string, path: string): Error {
  return Object.assign(new Error(`${code}: simulated failure, open '${path}'`), { code });
}

export function memFs(initial: Record<string, string> = {}): MemFs {
  const fs: MemFs = {
    files: new Map(Object.entries(initial)),
    failingDirs: new Map(),
    reads: [],
    async readFile(path, maxBytes) {
      fs.reads.push(path);
      const entry = fs.files.get(path);
      if (entry === undefined) throw fsError('ENOENT', path);
      if (typeof entry !== 'string') throw fsError(entry.error, path);
      const bytes = new TextEncoder().encode(entry);
      return bytes.subarray(0, maxBytes + 1);
    },
    async readDir(rawDir) {
      const dir = posix.normalize(rawDir);
      const failure = fs.failingDirs.get(dir);
      if (failure !== undefined) throw fsError(failure, dir);
      const prefix = dir === '/' ? '/' : `${dir}/`;
      const names = new Set<string>();
      for (const path of fs.files.keys()) {
        const inDir = dir === '.' ? !path.includes('/') : path.startsWith(prefix);
        if (!inDir) continue;
        const rest = dir === '.' ? path : path.slice(prefix.length);
        names.add(rest.split('/')[0]!);
      }
      if (names.size === 0) throw fsError('ENOENT', dir);
      return [...names].reverse();
    },
  };
  return fs;
}
