import { lstatSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/**
 * File-name globbing with the semantics of Go's `filepath.Glob` on Unix, which Prometheus uses
 * for `scrape_config_files`: `*` matches any run of characters other than `/`, `?` one such
 * character, `[a-z]` / `[^a-z]` a class, `\` escapes. Dot files are not special. Meta characters
 * may appear in any path element. Matches come back sorted within each directory; a pattern
 * without meta characters matches itself when the file exists. Unreadable directories give no
 * matches, as in Go.
 */

export class GlobError extends Error {
  readonly code = 'BAD_GLOB_PATTERN';
}

const META = /[*?[\\]/;

export function hasGlobMeta(path: string): boolean {
  return META.test(path);
}

export function glob(pattern: string): string[] {
  if (!hasGlobMeta(pattern)) {
    try {
      lstatSync(pattern);
      return [pattern];
    } catch {
      return [];
    }
  }
  const dir = dirname(pattern);
  const file = basename(pattern);
  // Fail on a bad last element even when no directory matches, as Go does.
  const matcher = compileGlobElement(file);
  const dirs = hasGlobMeta(dir) && dir !== pattern ? glob(dir) : [dir];
  const out: string[] = [];
  for (const d of dirs) {
    let names: string[];
    try {
      if (!statSync(d).isDirectory()) continue;
      names = readdirSync(d).sort();
    } catch {
      continue;
    }
    for (const name of names) if (matcher.test(name)) out.push(join(d, name));
  }
  return out;
}

/** Translates one path element of a Go glob to an anchored RegExp; throws {@link GlobError}. */
export function compileGlobElement(element: string): RegExp {
  let source = '';
  let i = 0;
  const bad = () => new GlobError('syntax error in pattern');
  while (i < element.length) {
    const c = element[i]!;
    if (c === '*') {
      source += '[^/]*';
      i++;
    } else if (c === '?') {
      source += '[^/]';
      i++;
    } else if (c === '\\') {
      const next = element[i + 1];
      if (next === undefined) throw bad();
      source += escapeRegExp(next);
      i += 2;
    } else if (c === '[') {
      i++;
      let negate = false;
      if (element[i] === '^') {
        negate = true;
        i++;
      }
      let cls = '';
      let ranges = 0;
      while (true) {
        if (i >= element.length) throw bad();
        if (element[i] === ']' && ranges > 0) {
          i++;
          break;
        }
        const lo = readClassChar(element, i);
        if (lo === undefined) throw bad();
        i = lo.next;
        let hi = lo;
        if (element[i] === '-') {
          const h = readClassChar(element, i + 1);
          if (h === undefined) throw bad();
          hi = h;
          i = h.next;
          if (hi.char < lo.char) throw bad();
        }
        cls += `${escapeClass(lo.char)}-${escapeClass(hi.char)}`;
        ranges++;
      }
      source += negate ? `[^/${cls}]` : `[${cls}]`;
    } else {
      source += escapeRegExp(c);
      i++;
    }
  }
  return new RegExp(`^${source}$`);
}

function readClassChar(s: string, i: number): { char: string; next: number } | undefined {
  const c = s[i];
  if (c === undefined || c === '-' || c === ']') return undefined;
  if (c === '\\') {
    const next = s[i + 1];
    return next === undefined ? undefined : { char: next, next: i + 2 };
  }
  return { char: c, next: i + 1 };
}

function escapeRegExp(c: string): string {
  return /[\\^$.*+?()[\]{}|/]/.test(c) ? `\\${c}` : c;
}

function escapeClass(c: string): string {
  return /[\\\]^-]/.test(c) ? `\\${c}` : c;
}
