import { appendFile, chown, readFile, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { PgfleetError } from '../core/errors.js';
import type { InstanceLayout } from '../core/instance/instance-layout.js';
import { ensureDirectory, writeFileAtomic, type FileOwner } from '../adapters/fs/atomic-file.js';
import {
  type ProcessHandle,
  isRunning,
  processStartTicks,
  startDaemon,
  stopProcess,
} from '../adapters/process/daemon.js';
import type { OsUser } from '../adapters/process/os-user.js';

/**
 * Starts and stops the Patroni daemon of one instance, as a background
 * process with a pid file and a log file. Patroni gets its configuration from
 * the YAML file only: nothing secret is ever on its command line.
 */
export async function startPatroni(
  layout: InstanceLayout,
  options: {
    patroniBinary: string;
    runAs?: OsUser | undefined;
    /** The host's network namespace, when pgfleet starts it from outside (a multi-host lab). */
    netns?: string | undefined;
  },
): Promise<ProcessHandle> {
  const running = await readPatroniPid(layout);
  if (running && isRunning(running)) {
    throw new PgfleetError(
      'PATRONI_ALREADY_RUNNING',
      `Patroni of instance ${layout.name} already runs (pid ${running.pid})`,
      {
        hint: `stop it first: pgfleet instance stop ${layout.name}`,
      },
    );
  }
  const home = options.runAs?.home ?? process.env.HOME ?? '/';
  const owner: FileOwner | undefined = options.runAs ? { uid: options.runAs.uid, gid: options.runAs.gid } : undefined;
  // The log belongs to the Patroni user like every other file of the instance.
  await ensureDirectory(dirname(layout.logFile), 0o750, owner);
  await appendFile(layout.logFile, '', { mode: 0o640 });
  if (owner) await chown(layout.logFile, owner.uid, owner.gid);
  const handle = startDaemon({
    command: options.patroniBinary,
    args: [layout.configFile],
    logFile: layout.logFile,
    cwd: layout.instanceDir,
    runAs: options.runAs,
    netns: options.netns,
    // A minimal environment: the invoking user's variables (and any secret in them) stay behind.
    env: {
      PATH: '/usr/local/bin:/usr/bin:/bin',
      LANG: 'C.UTF-8',
      LC_ALL: 'C.UTF-8',
      HOME: home,
      PYTHONUNBUFFERED: '1',
    },
  });
  await writeFileAtomic(layout.pidFile, `${handle.pid} ${handle.startTicks}\n`, {
    mode: 0o644,
    dirMode: 0o750,
    ...(owner ? { owner } : {}),
  });
  return handle;
}

export async function readPatroniPid(layout: InstanceLayout): Promise<ProcessHandle | undefined> {
  const text = await readFile(layout.pidFile, 'utf8').catch(() => undefined);
  if (!text) return undefined;
  const [pid, ticks] = text.trim().split(/\s+/).map(Number);
  if (!pid || Number.isNaN(pid)) return undefined;
  return { pid, startTicks: ticks ?? 0 };
}

/**
 * Stops Patroni, which stops PostgreSQL first (fast shutdown). If Patroni
 * had to be killed, the postmaster it leaves orphaned is stopped too, from
 * its postmaster.pid.
 */
export async function stopPatroni(
  layout: InstanceLayout,
  options: { graceMs?: number; keepPostmaster?: boolean } = {},
): Promise<void> {
  const handle = await readPatroniPid(layout);
  if (handle) await stopProcess(handle, { signal: 'SIGTERM', graceMs: options.graceMs ?? 60_000 });
  if (!options.keepPostmaster) await stopOrphanedPostmaster(layout.dataDir);
  await rm(layout.pidFile, { force: true });
}

/** Stops a postmaster still running in `dataDir` (immediate shutdown, then SIGKILL). */
export async function stopOrphanedPostmaster(dataDir: string): Promise<boolean> {
  const postmaster = await postmasterHandle(dataDir);
  if (!postmaster || !isRunning(postmaster)) return false;
  await stopProcess(postmaster, { signal: 'SIGQUIT', graceMs: 10_000 });
  return true;
}

export async function postmasterHandle(dataDir: string): Promise<ProcessHandle | undefined> {
  const text = await readFile(join(dataDir, 'postmaster.pid'), 'utf8').catch(() => undefined);
  const pid = Number(text?.split('\n')[0]);
  if (!pid) return undefined;
  const ticks = processStartTicks(pid);
  return ticks === undefined ? undefined : { pid, startTicks: ticks };
}

/** Last lines of a log file, for error messages that point at the cause. */
export async function tailFile(path: string, lines = 15): Promise<string> {
  const text = await readFile(path, 'utf8').catch(() => '');
  return text
    .split('\n')
    .slice(-lines - 1)
    .join('\n');
}

export async function waitUntil(check: () => Promise<boolean>, timeoutMs: number, intervalMs = 250): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await sleep(intervalMs);
  }
  return check();
}
