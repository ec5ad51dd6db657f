import { readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { expandBraces, hasWildcard, segmentMatcher } from '../../core/os/glob-pattern.js';

/**
 * The existing paths matching shell-style patterns (see core/os/glob-pattern),
 * sorted, without duplicates. A directory that cannot be listed matches
 * nothing (Node 20 has no fs.glob). Symlinks are matched by their own name.
 */
export async function expandPathPatterns(patterns: readonly string[]): Promise<string[]> {
  const found = new Set<string>();
  for (const pattern of patterns.flatMap(expandBraces)) {
    for (const path of await expandOne(resolve(pattern))) found.add(path);
  }
  return [...found].sort();
}

async function expandOne(absolute: string): Promise<string[]> {
  const segments = absolute.split('/').filter((segment) => segment.length > 0);
  let current = ['/'];
  for (const [index, segment] of segments.entries()) {
    const last = index === segments.length - 1;
    const next: string[] = [];
    for (const base of current) {
      const entries = await readdir(base, { withFileTypes: true }).catch(() => undefined);
      if (!entries) continue;
      if (hasWildcard(segment)) {
        const matcher = segmentMatcher(segment);
        for (const entry of entries) {
          // Intermediate segments must be directories (or symlinks, resolved by the next readdir).
          if (matcher.test(entry.name) && (last || entry.isDirectory() || entry.isSymbolicLink()))
            next.push(join(base, entry.name));
        }
      } else if (entries.some((entry) => entry.name === segment)) {
        next.push(join(base, segment));
      }
    }
    current = next;
  }
  return current;
}
