import { readdir, readFile } from 'node:fs/promises';
import { resolve } from 'node:path';

/** A running Patroni daemon and the identity it runs with. */
export interface RunningPatroni {
  pid: number;
  uid: number;
  gid: number;
  /** Supplementary groups: what file access is checked against, besides uid and gid. */
  groups: number[];
}

/**
 * Finds the Patroni daemon started with `configFile` by reading /proc:
 * whoever started it (pgfleet, systemd, a shell), its command line names the
 * file. Undefined when no such process runs (or /proc is not readable).
 */
export async function findPatroniProcess(configFile: string): Promise<RunningPatroni | undefined> {
  const wanted = resolve(configFile);
  const entries = await readdir('/proc').catch(() => [] as string[]);
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    const args = cmdline.split('\0').filter((arg) => arg.length > 0);
    if (
      !args.some((arg) => /(^|\/)patroni$/.test(arg)) ||
      !args.some((arg) => (arg.startsWith('/') ? resolve(arg) === wanted : false))
    )
      continue;
    const status = await readFile(`/proc/${entry}/status`, 'utf8').catch(() => undefined);
    if (!status) continue;
    const field = (name: string) =>
      /^(\S+):\s*(.*)$/m.exec(status.split('\n').find((line) => line.startsWith(`${name}:`)) ?? '')?.[2] ?? '';
    const ids = (name: string) => field(name).split(/\s+/).filter(Boolean).map(Number);
    return { pid: Number(entry), uid: ids('Uid')[1] ?? 0, gid: ids('Gid')[1] ?? 0, groups: ids('Groups') };
  }
  return undefined;
}
