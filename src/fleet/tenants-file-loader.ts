import { readFile } from 'node:fs/promises';
import { PgfleetError } from '../core/errors.js';
import { type ListedTenant, parseTenantsFile } from '../core/tenancy/tenants-file.js';

/** Reads and checks the tenants file; no file configured means no listed tenant. */
export async function loadTenantsFile(file: string | undefined): Promise<ListedTenant[]> {
  if (!file) return [];
  const text = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
    throw new PgfleetError(
      'TENANTS_FILE_UNREADABLE',
      `${file}: cannot read the tenants file (${error.code ?? 'error'})`,
      {
        hint:
          error.code === 'ENOENT'
            ? 'check tenancy.tenants_file in the settings or the --tenants-file path'
            : 'check the file permissions',
      },
    );
  });
  return parseTenantsFile(text, file);
}
