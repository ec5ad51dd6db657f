import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CLI_PATH } from './run-cli.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const STAMP = join(ROOT, 'dist', '.build-stamp');

/**
 * Makes sure dist/ holds a build of the current sources, as scripts/setup.sh
 * does (same stamp file): tests of the CLI run the built `pgfleet`, the way
 * an operator does, and must not run a stale one.
 */
export function ensureBuiltCli(): void {
  if (
    existsSync(CLI_PATH) &&
    existsSync(STAMP) &&
    !newerThan(statSync(STAMP).mtimeMs, ['src', 'templates', 'package.json', 'tsconfig.json', 'tsconfig.build.json'])
  )
    return;
  try {
    execFileSync('npx', ['--no-install', 'tsc', '-p', 'tsconfig.build.json'], {
      cwd: ROOT,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
  } catch {
    // tsc emits even with type errors elsewhere in the tree; a missing entry point is what matters.
  }
  if (!existsSync(CLI_PATH))
    throw new Error(`the build did not produce ${CLI_PATH}: run npx tsc -p tsconfig.build.json`);
  chmodSync(CLI_PATH, 0o755);
  writeFileSync(STAMP, '');
}

function newerThan(stampMs: number, paths: string[]): boolean {
  for (const path of paths) {
    const full = join(ROOT, path);
    if (!existsSync(full)) continue;
    const info = statSync(full);
    if (info.isDirectory()) {
      const entries = readdirSync(full, { recursive: true, withFileTypes: true });
      if (
        entries.some(
          (entry) =>
            entry.isFile() &&
            statSync(join(entry.parentPath ?? (entry as { path?: string }).path ?? full, entry.name)).mtimeMs > stampMs,
        )
      )
        return true;
    } else if (info.mtimeMs > stampMs) return true;
  }
  return false;
}
