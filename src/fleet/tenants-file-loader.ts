import { readFile } from 'node:fs/promises';
import { PgfleetError } from '../core/errors.js';
import { type TenantsDocument, parseTenantsDocument } from '../core/tenancy/tenants-file.js';

/** Reads and checks the tenants file (tenants, declared clients, acknowledgements); no file configured means none. */
export async function loadTenantsFile(file: string | undefined): Promise<TenantsDocument> {
  if (!file) return { tenants: [], clients: [], acknowledged: [] };
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
  return parseTenantsDocument(text, file);
}
