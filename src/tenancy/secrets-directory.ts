import { stat } from 'node:fs/promises';
import { PgfleetError } from '../core/errors.js';
import { ensureDirectory } from '../adapters/fs/atomic-file.js';

/**
 * Refuses a secrets directory that group or others can enter or list: the
 * tenants' password files would be one `cat` away. A missing directory is
 * fine (apply creates it 0700).
 */
export async function checkSecretsDirectory(dir: string): Promise<'present' | 'missing'> {
  const info = await stat(dir).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw new PgfleetError(
      'SECRETS_DIR_UNREADABLE',
      `secrets directory ${dir}: cannot read it (${error.code ?? 'error'})`,
      { hint: 'check its permissions, or choose another one with --secrets-dir or tenancy.secrets_dir' },
    );
  });
  if (!info) return 'missing';
  if (!info.isDirectory())
    throw new PgfleetError('SECRETS_DIR_INVALID', `secrets directory ${dir} is not a directory`, {
      hint: 'choose another path with --secrets-dir or tenancy.secrets_dir',
    });
  if ((info.mode & 0o077) !== 0) {
    const mode = (info.mode & 0o777).toString(8).padStart(4, '0');
    throw new PgfleetError(
      'SECRETS_DIR_OPEN',
      `secrets directory ${dir} has mode ${mode}: group or others can reach the tenants' password files in it; nothing was changed`,
      {
        hint: `chmod 700 ${dir} (and chmod 600 each file in it), then run the command again`,
      },
    );
  }
  return 'present';
}

/** Creates the secrets directory 0700 if needed, after refusing an open one. */
export async function prepareSecretsDirectory(dir: string): Promise<void> {
  if ((await checkSecretsDirectory(dir)) === 'missing') await ensureDirectory(dir, 0o700);
}

/** Which of `files` exist (as regular files or anything else: the reader refuses what is not a 0600 file). */
export async function existingFiles(files: readonly string[]): Promise<Set<string>> {
  const present = new Set<string>();
  await Promise.all(
    files.map(async (file) => {
      if (
        await stat(file).then(
          () => true,
          () => false,
        )
      )
        present.add(file);
    }),
  );
  return present;
}
