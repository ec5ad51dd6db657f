import { readFile, readlink, stat } from 'node:fs/promises';
import { PgfleetError } from '../core/errors.js';
import {
  type ProcessHandle,
  isRunning,
  processStartTicks,
  startDaemon,
  stopProcess,
} from '../adapters/process/daemon.js';
import { isRoot } from '../adapters/process/os-user.js';
import { type PatroniProcess, listPatroniProcesses } from '../adapters/process/patroni-processes.js';
import { systemctlOrFail } from '../adapters/process/systemctl.js';

/**
 * How pgfleet can restart a Patroni it did not start:
 * - its cgroup names a systemd service (Debian's `patroni@15-main.service`):
 *   `systemctl restart` that unit;
 * - no supervisor (its parent is PID 1, or a shell or program that does not
 *   restart it): the same command line again, same working directory,
 *   environment, user and groups, stderr to the same file;
 * - refused: a supervisor that restarts what exits (supervisord, runit, s6,
 *   ...) would start a second Patroni beside the one pgfleet starts.
 */
export type AdoptedRestartWay =
  { kind: 'systemd'; unit: string } | { kind: 're-exec' } | { kind: 'refused'; reason: string };

/** Programs that restart the processes they run. */
const SUPERVISORS = new Set([
  'supervisord',
  'runsv',
  's6-supervise',
  'monit',
  'circusd',
  'PM2',
  'pm2',
  'systemd',
  'tini',
  'dumb-init',
  'containerd-shim',
]);

export async function adoptedRestartWay(pid: number, procRoot = '/proc'): Promise<AdoptedRestartWay> {
  const cgroup = await readFile(`${procRoot}/${pid}/cgroup`, 'utf8').catch(() => '');
  for (const line of cgroup.split('\n')) {
    const unit = /\/([^/]+\.service)$/.exec(line.trim())?.[1];
    if (unit && !/^user@\d+\.service$/.test(unit)) return { kind: 'systemd', unit };
  }
  const stat = await readFile(`${procRoot}/${pid}/stat`, 'utf8').catch(() => undefined);
  if (!stat) return { kind: 'refused', reason: `process ${pid} is gone` };
  const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  if (parent === 1) return { kind: 're-exec' };
  const parentName = (await readFile(`${procRoot}/${parent}/comm`, 'utf8').catch(() => '')).trim();
  if (SUPERVISORS.has(parentName))
    return {
      kind: 'refused',
      reason: `its parent ${parentName} (pid ${parent}) supervises it: restart it through ${parentName}, or pgfleet would start a second Patroni beside the one it restarts`,
    };
  return { kind: 're-exec' };
}

/** The Patroni running on this host with this file as its configuration, if any. */
export async function runningPatroniOf(realConfigFile: string): Promise<PatroniProcess | undefined> {
  return (await listPatroniProcesses()).find((process) => process.realConfigPath === realConfigFile);
}

/**
 * Restarts a Patroni pgfleet did not start, the way adoptedRestartWay says.
 * Only while its cluster is paused (the caller checks): a Patroni stopping
 * in a paused cluster leaves PostgreSQL running. Returns the new process
 * once it runs (systemd: the unit's new main process).
 */
export async function restartAdoptedPatroni(
  realConfigFile: string,
  options: { graceMs?: number | undefined } = {},
): Promise<ProcessHandle> {
  const running = await runningPatroniOf(realConfigFile);
  if (!running)
    throw new PgfleetError('ADOPTED_PATRONI_NOT_RUNNING', `no Patroni runs with ${realConfigFile}`, { exitCode: 4 });
  const way = await adoptedRestartWay(running.pid);
  if (way.kind === 'refused')
    throw new PgfleetError('ADOPTED_RESTART_REFUSED', `the Patroni of ${realConfigFile}: ${way.reason}`, {
      exitCode: 4,
    });
  if (way.kind === 'systemd') {
    await systemctlOrFail(['restart', way.unit], { user: false });
  } else {
    const launch = await launchOf(running);
    const handle = { pid: running.pid, startTicks: running.startTicks };
    await stopProcess(handle, { signal: 'SIGTERM', graceMs: options.graceMs ?? 30_000 });
    startDaemon(launch);
  }
  for (const deadline = Date.now() + 10_000; Date.now() < deadline;) {
    const now = await runningPatroniOf(realConfigFile);
    if (now && now.pid !== running.pid && isRunning({ pid: now.pid, startTicks: now.startTicks }))
      return { pid: now.pid, startTicks: now.startTicks };
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new PgfleetError('ADOPTED_PATRONI_NOT_BACK', `no new Patroni runs with ${realConfigFile} after its restart`, {
    exitCode: 4,
  });
}

/**
 * What starts the same Patroni again: its command line, working directory
 * and whole environment (which may hold PATRONI_* passwords: they go to the
 * new process's environment, never to a command line or a log), stderr to
 * the file it went to, its user and groups through setpriv when pgfleet runs
 * as root (Node's own uid switch would drop the supplementary groups).
 */
async function launchOf(patroni: PatroniProcess): Promise<Parameters<typeof startDaemon>[0]> {
  const root = `/proc/${patroni.pid}`;
  const argv = (await readFile(`${root}/cmdline`))
    .toString('utf8')
    .split('\0')
    .filter((arg) => arg.length > 0);
  const environ = (await readFile(`${root}/environ`)).toString('utf8').split('\0');
  const env: NodeJS.ProcessEnv = {};
  for (const entry of environ) {
    const equals = entry.indexOf('=');
    if (equals > 0) env[entry.slice(0, equals)] = entry.slice(equals + 1);
  }
  const cwd = await readlink(`${root}/cwd`);
  const stderr = await readlink(`${root}/fd/2`).catch(() => undefined);
  const logFile =
    stderr && stderr.startsWith('/') && (await stat(stderr).catch(() => undefined))?.isFile() ? stderr : '/dev/null';
  if (processStartTicks(patroni.pid) !== patroni.startTicks)
    throw new PgfleetError('ADOPTED_PATRONI_GONE', `process ${patroni.pid} changed while it was read`, { exitCode: 4 });
  const [command, ...args] = argv;
  if (!command)
    throw new PgfleetError('ADOPTED_PATRONI_GONE', `process ${patroni.pid} has no command line`, { exitCode: 4 });
  const switchUser = isRoot() && patroni.uid !== 0;
  return switchUser
    ? {
        command: '/usr/bin/setpriv',
        args: [
          `--reuid=${patroni.uid}`,
          `--regid=${patroni.gid}`,
          ...(patroni.groups.length > 0 ? [`--groups=${patroni.groups.join(',')}`] : ['--clear-groups']),
          '--',
          command,
          ...args,
        ],
        env,
        cwd,
        logFile,
      }
    : { command, args, env, cwd, logFile };
}
