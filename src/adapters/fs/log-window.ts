import { open, stat } from 'node:fs/promises';

/** A position in a log file: what is appended after it is the window. */
export interface LogMark {
  file: string;
  offset: number;
  /** Identifies the file: a rotation replaces it. */
  inode: number;
}

/** Marks the current end of a log file; undefined when it cannot be read. */
export async function markLog(file: string): Promise<LogMark | undefined> {
  const info = await stat(file).catch(() => undefined);
  if (!info || !info.isFile()) return undefined;
  return { file, offset: info.size, inode: info.ino };
}

/**
 * The complete lines appended since the mark (a last line still being
 * written is left for the next read). `rotated` when the file was replaced or
 * truncated: lines may then have been lost.
 */
export async function linesSince(mark: LogMark): Promise<{ lines: string[]; rotated: boolean } | undefined> {
  const info = await stat(mark.file).catch(() => undefined);
  if (!info) return undefined;
  if (info.ino !== mark.inode || info.size < mark.offset) return { lines: [], rotated: true };
  const handle = await open(mark.file, 'r');
  try {
    const length = info.size - mark.offset;
    const buffer = Buffer.alloc(length);
    await handle.read(buffer, 0, length, mark.offset);
    const text = buffer.toString('utf8');
    const complete = text.slice(0, text.lastIndexOf('\n') + 1);
    return { lines: complete.split('\n').slice(0, -1), rotated: false };
  } finally {
    await handle.close();
  }
}
