import { readFile } from 'node:fs/promises';
import { type FileOwner, writeFileAtomic } from '../adapters/fs/atomic-file.js';
import { type InstanceRecord, parseInstanceRecord } from '../core/instance/instance-record.js';

/** Reads an instance's record; undefined when there is none. */
export async function readInstanceRecord(file: string): Promise<InstanceRecord | undefined> {
  const text = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  return text === undefined ? undefined : parseInstanceRecord(text, file);
}

export async function writeInstanceRecord(
  file: string,
  record: InstanceRecord,
  owner: FileOwner | undefined,
): Promise<void> {
  await writeFileAtomic(file, `${JSON.stringify(record, null, 2)}\n`, {
    mode: 0o640,
    dirMode: 0o700,
    ...(owner ? { owner } : {}),
  });
}
