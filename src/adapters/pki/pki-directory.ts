import { mkdir, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { PgfleetError } from '../../core/errors.js';
import { PKI_DIR_MODE } from '../../core/pki/pki-layout.js';
import { resolveSitePaths } from '../../core/settings/site-paths.js';
import { isRoot } from '../process/os-user.js';
import { loadSiteSettings } from '../settings/site-settings-file.js';

export type PkiDirectorySource = '--dir' | '$PGFLEET_PKI_DIR' | 'settings prefix';

export interface PkiDirectory {
  dir: string;
  /** Where the path came from, reported by every pki command. */
  source: PkiDirectorySource;
}

/**
 * The PKI directory: --dir, else $PGFLEET_PKI_DIR, else `<prefix>/pki` with
 * the prefix from the site settings (default /var/lib/pgfleet for root,
 * ~/.local/share/pgfleet otherwise). Settings are only read when needed.
 */
export function resolvePkiDirectory(options: {
  explicit?: string | undefined;
  settingsFile?: string | undefined;
  env?: NodeJS.ProcessEnv;
}): PkiDirectory {
  const env = options.env ?? process.env;
  if (options.explicit) return { dir: resolve(options.explicit), source: '--dir' };
  if (env.PGFLEET_PKI_DIR) return { dir: resolve(env.PGFLEET_PKI_DIR), source: '$PGFLEET_PKI_DIR' };
  const { settings } = loadSiteSettings(options.settingsFile, env);
  const paths = resolveSitePaths(settings, { isRoot: isRoot(), home: homedir(), env });
  return { dir: join(paths.prefix, 'pki'), source: 'settings prefix' };
}

/**
 * Creates the directory 0700 (mkdir's mode, so it is never wider, even for an
 * instant) or checks an existing one: others must not enter a folder of keys.
 */
export async function ensurePrivateDirectory(dir: string): Promise<void> {
  const existing = await stat(dir).catch(() => undefined);
  if (!existing) {
    await mkdir(dir, { recursive: true, mode: PKI_DIR_MODE });
    return;
  }
  assertPrivateDirectory(dir, existing);
}

/** Fails when the directory does not exist (for commands that only read). */
export async function assertPkiDirectoryExists(dir: string): Promise<void> {
  const existing = await stat(dir).catch(() => undefined);
  if (!existing) {
    throw new PgfleetError('PKI_DIR_MISSING', `no PKI directory at ${dir}`, {
      hint: `create a CA there with pgfleet pki init --dir ${dir}, or give --dir`,
    });
  }
  if (!existing.isDirectory())
    throw new PgfleetError('PATH_NOT_DIRECTORY', `${dir} exists and is not a directory`, {
      hint: 'give --dir a directory',
    });
}

function assertPrivateDirectory(dir: string, info: { isDirectory(): boolean; mode: number }): void {
  if (!info.isDirectory())
    throw new PgfleetError('PATH_NOT_DIRECTORY', `${dir} exists and is not a directory`, {
      hint: 'give --dir a directory',
    });
  const mode = info.mode & 0o777;
  if ((mode & 0o007) !== 0) {
    throw new PgfleetError(
      'PKI_DIR_PERMISSIONS',
      `${dir} has mode ${mode.toString(8).padStart(4, '0')}: other users can list or enter the folder that holds private keys`,
      {
        hint: `chmod 700 ${dir} (750 if a service group must read it)`,
      },
    );
  }
}
