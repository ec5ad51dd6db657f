import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { inNamespace } from '../net/network-namespace.js';
import type { OsUser } from './os-user.js';

export interface DaemonSpec {
  command: string;
  args: string[];
  /** Appended to; created if missing. */
  logFile: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  runAs?: OsUser | undefined;
  /** A network namespace to run in (`ip netns exec`); the drop to runAs then happens inside it. */
  netns?: string | undefined;
}

/** Identifies a process across pid reuse: pid plus its kernel start time. */
export interface ProcessHandle {
  pid: number;
  startTicks: number;
}

/**
 * Starts a long-running process in its own process group, detached from
 * pgfleet, with stdout and stderr going to a log file. Nothing secret may be in
 * `args`: they are visible to every user in `ps`.
 */
export function startDaemon(spec: DaemonSpec): ProcessHandle {
  const logFd = openSync(spec.logFile, 'a', 0o640);
  // Entering a namespace needs root: the switch to runAs is then made inside it, by the launcher.
  const launch = spec.netns
    ? inNamespace(spec.netns, spec.command, spec.args, spec.runAs)
    : { command: spec.command, args: spec.args };
  try {
    const child = spawn(launch.command, launch.args, {
      detached: true,
      stdio: ['ignore', logFd, logFd],
      env: spec.env ?? process.env,
      cwd: spec.cwd,
      ...(spec.runAs && !spec.netns ? { uid: spec.runAs.uid, gid: spec.runAs.gid } : {}),
    });
    if (child.pid === undefined) {
      throw new Error(`could not start ${spec.command}`);
    }
    child.unref();
    return { pid: child.pid, startTicks: processStartTicks(child.pid) ?? 0 };
  } finally {
    closeSync(logFd);
  }
}

/** Start time of a process in clock ticks since boot (field 22 of /proc/PID/stat). */
export function processStartTicks(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces and parentheses: split after the last ')'.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const state = rest[0];
    if (state === 'Z' || state === 'X') return undefined;
    return Number(rest[19]);
  } catch {
    return undefined;
  }
}

/** True when the very process identified by the handle is still alive (not a zombie, not a reused pid). */
export function isRunning(handle: ProcessHandle): boolean {
  const ticks = processStartTicks(handle.pid);
  if (ticks === undefined) return false;
  return handle.startTicks === 0 || ticks === handle.startTicks;
}

export type StopOutcome = 'not-running' | 'exited' | 'killed';

/**
 * Stops a process: `signal` first, then SIGKILL to its whole process group
 * after `graceMs`. Waits until it is gone.
 */
export async function stopProcess(
  handle: ProcessHandle,
  options: { signal?: NodeJS.Signals; graceMs?: number } = {},
): Promise<StopOutcome> {
  if (!isRunning(handle)) return 'not-running';
  const signal = options.signal ?? 'SIGTERM';
  const graceMs = options.graceMs ?? 30_000;
  signalProcess(handle.pid, signal);
  if (await waitForExit(handle, graceMs)) return 'exited';
  signalProcess(-handle.pid, 'SIGKILL');
  signalProcess(handle.pid, 'SIGKILL');
  await waitForExit(handle, 5_000);
  return 'killed';
}

export async function waitForExit(handle: ProcessHandle, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isRunning(handle)) return true;
    await sleep(100);
  }
  return !isRunning(handle);
}

function signalProcess(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // Already gone, or a group without members.
  }
}
