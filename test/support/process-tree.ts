import { readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, normalize } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { type ProcessHandle, isRunning } from '../../src/adapters/process/daemon.js';

export interface SeenProcess extends ProcessHandle {
  ppid: number;
  cmdline: string;
}

/** Every live process (not a zombie), with its parent and start time. */
export function liveProcesses(): SeenProcess[] {
  const found: SeenProcess[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // The command name (field 2) may hold spaces or parentheses: fields 3 onwards follow the last ')'.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (fields[0] === 'Z' || fields[0] === 'X') continue;
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
      found.push({ pid: Number(entry), ppid: Number(fields[1]), startTicks: Number(fields[19]), cmdline });
    } catch {
      // Gone meanwhile.
    }
  }
  return found;
}

/**
 * A lab directory as these helpers accept it: an absolute, normalized path
 * at least two levels deep, and not the temporary directory itself. Anything
 * else ("." or "/tmp") would match processes that have nothing to do with a
 * lab, and killLabLeftovers would kill them.
 */
function checkedLabDir(dir: string): string {
  if (
    !isAbsolute(dir) ||
    normalize(dir) !== dir ||
    dir.endsWith('/') ||
    dir.split('/').filter(Boolean).length < 2 ||
    dir === tmpdir()
  ) {
    throw new Error(`refusing to look for the processes of ${JSON.stringify(dir)}: not an absolute lab directory path`);
  }
  return dir;
}

/** True when a command line names `dir` or a path inside it (`dir` already checked). */
function names(cmdline: string, dir: string): boolean {
  return cmdline.includes(`${dir}/`) || cmdline.split(' ').includes(dir);
}

/** This process and its ancestors: never part of a lab, never to be signalled. */
function selfAndAncestors(all: SeenProcess[]): Set<number> {
  const byPid = new Map(all.map((process) => [process.pid, process]));
  const chain = new Set<number>([1]);
  for (
    let pid: number | undefined = process.pid;
    pid !== undefined && pid > 1 && !chain.has(pid);
    pid = byPid.get(pid)?.ppid
  )
    chain.add(pid);
  return chain;
}

/**
 * The processes of a lab directory as they are now: those whose command line
 * names it (etcd, Patroni, initdb, the postmaster, a `pgfleet --dir` CLI) and
 * their descendants (PostgreSQL's backends name no directory). Handles carry
 * the start time, so a pid reused later is not mistaken for them.
 */
export function labProcessTree(dir: string): SeenProcess[] {
  const lab = checkedLabDir(dir);
  const all = liveProcesses();
  const excluded = selfAndAncestors(all);
  const tree = all.filter((process) => !excluded.has(process.pid) && names(process.cmdline, lab));
  const inTree = new Set(tree.map((process) => process.pid));
  for (let grew = true; grew;) {
    grew = false;
    for (const process of all) {
      if (!inTree.has(process.pid) && !excluded.has(process.pid) && inTree.has(process.ppid)) {
        tree.push(process);
        inTree.add(process.pid);
        grew = true;
      }
    }
  }
  return tree;
}

/** Those of `processes` still alive. */
export function stillRunning<T extends ProcessHandle>(processes: T[]): T[] {
  return processes.filter((process) => isRunning(process));
}

/** Polls `check` every `intervalMs` until it returns a value other than undefined; throws `what` after `timeoutMs`. */
export async function pollFor<T>(
  what: string,
  timeoutMs: number,
  check: () => T | undefined | Promise<T | undefined>,
  intervalMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await sleep(intervalMs);
  }
}

/**
 * Last resort of a failed test, after `lab down`: SIGKILL the processes
 * whose command line still names the lab directory (PostgreSQL's backends
 * exit when their postmaster dies). Refuses a path that is not a lab
 * directory, and a match larger than a test lab can be.
 */
export function killLabLeftovers(dir: string, limit = 40): SeenProcess[] {
  const lab = checkedLabDir(dir);
  const all = liveProcesses();
  const excluded = selfAndAncestors(all);
  const left = all.filter((process) => !excluded.has(process.pid) && names(process.cmdline, lab));
  if (left.length > limit)
    throw new Error(`refusing to kill ${left.length} processes for ${lab}: more than a test lab has`);
  for (const process of left) {
    try {
      globalThis.process.kill(process.pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  return left;
}
