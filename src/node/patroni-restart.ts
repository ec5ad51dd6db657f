import { open, stat } from 'node:fs/promises';
import { type InstanceLayout, instanceLayout } from '../core/instance/instance-layout.js';
import type { SitePaths } from '../core/settings/site-paths.js';
import type { PatroniSettings } from '../core/settings/site-settings.js';
import { type ProcessHandle, type StopOutcome, isRunning, stopProcess } from '../adapters/process/daemon.js';
import { type OsUser, isRoot, serviceUser } from '../adapters/process/os-user.js';
import { postmasterHandle, readPatroniPid, startPatroni } from './patroni-process.js';

/** What pgfleet needs to restart a Patroni daemon of this host. */
export interface PatroniDaemonAccess {
  binary: string;
  /** The user Patroni runs as (when pgfleet runs as root). */
  runAs?: OsUser | undefined;
  layoutOf: (instanceName: string) => InstanceLayout;
}

/** The daemon access the site settings describe: Patroni's executable, its user when pgfleet runs as root, the instance layout. */
export function patroniDaemonAccess(
  patroni: Pick<PatroniSettings, 'execpath' | 'user'>,
  paths: SitePaths,
): PatroniDaemonAccess {
  return {
    binary: patroni.execpath,
    runAs: isRoot() ? serviceUser(patroni.user) : undefined,
    layoutOf: (name) => instanceLayout(paths, name),
  };
}

export interface PatroniDaemonRestart {
  /** The daemon stopped; undefined when none was running (recovery after a crash: only started). */
  stopped: ProcessHandle | undefined;
  stopOutcome: StopOutcome;
  started: ProcessHandle;
  /** The postmaster that ran before Patroni was stopped, if any. */
  postmasterBefore: ProcessHandle | undefined;
  /** Byte offset of the Patroni log where the new daemon's lines begin. */
  logOffset: number;
}

/**
 * Restarts the Patroni daemon of an instance, and only it: SIGTERM to
 * Patroni (SIGKILL after the grace), never a signal to PostgreSQL, then a
 * new Patroni on the same YAML. In a paused cluster Patroni leaves
 * PostgreSQL running when it stops ("Leader key is not deleted and
 * Postgresql is not stopped due paused state"), and its postmaster runs in
 * a session of its own, so even a SIGKILL to Patroni's group spares it.
 * Outside a pause, stopping Patroni stops PostgreSQL: callers pause first.
 * A Patroni that is not running is only started.
 */
export async function restartPatroniDaemon(
  layout: InstanceLayout,
  dataDir: string,
  options: { patroniBinary: string; runAs?: OsUser | undefined; graceMs?: number | undefined },
): Promise<PatroniDaemonRestart> {
  const recorded = await readPatroniPid(layout);
  const running = recorded && isRunning(recorded) ? recorded : undefined;
  const postmasterBefore = await postmasterHandle(dataDir);
  const stopOutcome = running
    ? await stopProcess(running, { signal: 'SIGTERM', graceMs: options.graceMs ?? 30_000 })
    : 'not-running';
  const logOffset = (await stat(layout.logFile).catch(() => undefined))?.size ?? 0;
  const started = await startPatroni(layout, { patroniBinary: options.patroniBinary, runAs: options.runAs });
  return { stopped: running, stopOutcome, started, postmasterBefore, logOffset };
}

/** Whether the postmaster seen before a restart is still the one running (same pid, same start time). */
export function postmasterKept(before: ProcessHandle | undefined): boolean | undefined {
  return before ? isRunning(before) : undefined;
}

/** The lines a log gained since `offset` (at most the last `maxBytes`). */
export async function logLinesSince(path: string, offset: number, maxBytes = 256 * 1024): Promise<string[]> {
  const handle = await open(path, 'r').catch(() => undefined);
  if (!handle) return [];
  try {
    const size = (await handle.stat()).size;
    const start = Math.max(offset, size - maxBytes);
    if (size <= start) return [];
    const buffer = Buffer.alloc(size - start);
    await handle.read(buffer, 0, buffer.length, start);
    return buffer
      .toString('utf8')
      .split('\n')
      .filter((line) => line.length > 0);
  } finally {
    await handle.close();
  }
}
