import { open, readFile, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { InstanceLayout } from '../core/instance/instance-layout.js';
import type { InstanceService } from '../core/instance/instance-record.js';
import { PATRONI_UNIT_TEMPLATE, patroniUnitName, renderPatroniUnit } from '../core/instance/systemd-unit.js';
import { writeFileAtomic } from '../adapters/fs/atomic-file.js';
import { isRunning } from '../adapters/process/daemon.js';
import { isRoot, lookupOsGroupName } from '../adapters/process/os-user.js';
import { journalTail, systemctl, systemctlOrFail } from '../adapters/process/systemctl.js';
import type { InstanceSite } from './instance-site.js';
import {
  readPatroniPid,
  startPatroni,
  stopOrphanedPostmaster,
  stopPatroni,
  tailFile,
} from '../node/patroni-process.js';

/**
 * The Patroni daemon of one instance, however it runs: a background process
 * pgfleet started (pid file, log file), or a systemd unit.
 */
export interface PatroniService {
  kind: InstanceService;
  start(): Promise<void>;
  /**
   * Stops Patroni (which stops PostgreSQL), and a postmaster it left behind, unless `keepPostmaster`: in a
   * cluster it sees paused, Patroni leaves PostgreSQL running on purpose, for the next Patroni to take over.
   */
  stop(options?: { keepPostmaster?: boolean }): Promise<void>;
  /** pid of the running Patroni, undefined when it does not run. */
  runningPid(): Promise<number | undefined>;
  /** Where its log is: a file, or a unit's journal. */
  logSource: string;
  /** The last lines of its log; with `since` (a mark taken earlier), only what was logged after it. */
  logTail(lines: number, since?: LogMark): Promise<string>;
  /** Where the log ends now: a file size or a time. */
  logMark(): Promise<LogMark>;
}

export type LogMark = { offset: number } | { time: Date };

export function patroniService(site: InstanceSite, layout: InstanceLayout, kind: InstanceService): PatroniService {
  return kind === 'systemd' ? systemdService(site, layout) : backgroundService(site, layout);
}

function backgroundService(site: InstanceSite, layout: InstanceLayout): PatroniService {
  return {
    kind: 'background',
    async start() {
      await startPatroni(layout, { patroniBinary: site.patroni.execpath, runAs: site.runAs });
    },
    async stop(options = {}) {
      await stopPatroni(layout, options);
    },
    async runningPid() {
      const handle = await readPatroniPid(layout);
      return handle && isRunning(handle) ? handle.pid : undefined;
    },
    logSource: layout.logFile,
    async logTail(lines, since) {
      if (!since || !('offset' in since)) return tailFile(layout.logFile, lines);
      const size = (await stat(layout.logFile).catch(() => undefined))?.size ?? 0;
      if (size <= since.offset) return '';
      const handle = await open(layout.logFile, 'r');
      try {
        const buffer = Buffer.alloc(size - since.offset);
        await handle.read(buffer, 0, buffer.length, since.offset);
        return buffer
          .toString('utf8')
          .split('\n')
          .slice(-lines - 1)
          .join('\n');
      } finally {
        await handle.close();
      }
    },
    async logMark() {
      return { offset: (await stat(layout.logFile).catch(() => undefined))?.size ?? 0 };
    },
  };
}

/** Root installs system units; anyone else, units of their own systemd user manager. */
export function systemdUnitDirectory(env: NodeJS.ProcessEnv = process.env): string {
  if (isRoot()) return '/etc/systemd/system';
  return join(env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config'), 'systemd', 'user');
}

function systemdService(site: InstanceSite, layout: InstanceLayout): PatroniService {
  const unit = patroniUnitName(layout.name);
  const user = !isRoot();
  return {
    kind: 'systemd',
    async start() {
      await systemctlOrFail(['start', unit], { user });
    },
    async stop(options = {}) {
      await systemctlOrFail(['stop', unit], { user });
      if (!options.keepPostmaster) await stopOrphanedPostmaster(layout.dataDir);
    },
    async runningPid() {
      const result = await systemctl(['show', '--property', 'MainPID', '--value', unit], { user });
      const pid = Number(result.stdout.trim());
      return result.code === 0 && pid > 0 ? pid : undefined;
    },
    logSource: `journal of ${unit}`,
    logTail: (lines, since) =>
      journalTail(unit, lines, { user, since: since && 'time' in since ? since.time : undefined }),
    logMark: async () => ({ time: new Date() }),
  };
}

/** Writes the template unit (when its text changed) and makes systemd read it. */
export async function installPatroniUnit(site: InstanceSite): Promise<string> {
  const path = join(systemdUnitDirectory(site.env), PATRONI_UNIT_TEMPLATE);
  const text = renderPatroniUnit({
    execpath: site.patroni.execpath,
    configDir: site.paths.patroniConfigDir,
    user: site.runAs
      ? { name: site.runAs.name, group: lookupOsGroupName(site.runAs.gid) ?? site.runAs.name }
      : undefined,
  });
  const current = await readFile(path, 'utf8').catch(() => undefined);
  if (current !== text) {
    await writeFileAtomic(path, text, { mode: 0o644, dirMode: 0o755 });
    await systemctlOrFail(['daemon-reload'], { user: !isRoot() });
  }
  return path;
}

export async function enablePatroniUnit(name: string, enable: boolean): Promise<void> {
  await systemctlOrFail([enable ? 'enable' : 'disable', patroniUnitName(name)], { user: !isRoot() });
}
