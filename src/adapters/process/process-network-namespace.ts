import { readlink } from 'node:fs/promises';

/**
 * The network namespace of a process (`net:[inode]`, from /proc), or
 * undefined when it cannot be read (another user's process without root, a
 * process table without it).
 */
export async function networkNamespaceOf(procRoot: string, pid: number | 'self'): Promise<string | undefined> {
  return readlink(`${procRoot}/${pid}/ns/net`).catch(() => undefined);
}

/**
 * Whether a process seen in /proc is another host's as pgfleet counts hosts:
 * it lives in another network namespace than ours (a container, a host of a
 * multi-host lab; one kernel shows them all). Unknown counts as ours.
 */
export function isAnotherHostsProcess(own: string | undefined, its: string | undefined): boolean {
  return own !== undefined && its !== undefined && its !== own;
}
