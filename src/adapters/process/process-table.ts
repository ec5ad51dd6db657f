import { readdir, readFile } from 'node:fs/promises';
import { type ProcStat, parseProcStat } from '../../core/os/proc-stat.js';

/** Linux's units for /proc/PID/stat on every platform Node 20 runs pgfleet on (x86-64, arm64). */
export const CLOCK_TICKS_PER_SECOND = 100;

/** Every process of this host now: pid → parent, CPU ticks, resident pages (processes gone meanwhile are skipped). */
export async function readProcessTable(): Promise<Map<number, ProcStat>> {
  const entries = (await readdir('/proc')).filter((entry) => /^\d+$/.test(entry));
  const table = new Map<number, ProcStat>();
  await Promise.all(
    entries.map(async (entry) => {
      const stat = await processStat(Number(entry));
      if (stat) table.set(Number(entry), stat);
    }),
  );
  return table;
}

export async function processStat(pid: number): Promise<ProcStat | undefined> {
  const text = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  return text === undefined ? undefined : parseProcStat(text);
}

/** CPU time (user + system) a process has used so far, in seconds. */
export async function processCpuSeconds(pid: number): Promise<number | undefined> {
  const stat = await processStat(pid);
  return stat ? stat.cpuTicks / CLOCK_TICKS_PER_SECOND : undefined;
}

/**
 * Memory the processes hold, each shared page divided among the processes
 * sharing it (Pss in /proc/PID/smaps_rollup): PostgreSQL's shared buffers
 * and the libraries count once, not once per backend.
 */
export async function proportionalSetBytes(pids: readonly number[]): Promise<number> {
  const sizes = await Promise.all(
    pids.map(async (pid) => {
      const text = await readFile(`/proc/${pid}/smaps_rollup`, 'utf8').catch(() => '');
      const kilobytes = /^Pss:\s+(\d+) kB/m.exec(text)?.[1];
      return kilobytes ? Number(kilobytes) * 1024 : 0;
    }),
  );
  return sizes.reduce((sum, size) => sum + size, 0);
}
