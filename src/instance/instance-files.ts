import { mkdir, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { InstanceLayout } from '../core/instance/instance-layout.js';
import { ensureDirectory } from '../adapters/fs/atomic-file.js';
import type { InstanceSite } from './instance-site.js';

/** The site's directories and the instance's own, owned by the Patroni user; the instance directory is 0700 (PostgreSQL's data lives there). */
export async function prepareInstanceDirectories(site: InstanceSite, layout: InstanceLayout): Promise<void> {
  for (const directory of [
    site.paths.patroniConfigDir,
    site.paths.patroniLogDir,
    site.paths.dataDir,
    site.paths.runDir,
  ]) {
    // Parents pgfleet creates on the way (the prefix) must let the Patroni user through.
    await mkdir(dirname(directory), { recursive: true, mode: 0o755 });
    await ensureDirectory(directory, 0o750, site.owner);
  }
  await ensureDirectory(layout.instanceDir, 0o700, site.owner);
  await ensureDirectory(layout.socketDir, 0o750, site.owner);
}

/**
 * Removes an instance's files: its YAML, its directory (data, pgpass,
 * record), its run directory (socket, pid file), and its log unless kept.
 * Returns what existed and was removed.
 */
export async function removeInstanceFiles(layout: InstanceLayout, options: { keepLog: boolean }): Promise<string[]> {
  const removed: string[] = [];
  for (const path of [
    layout.configFile,
    layout.instanceDir,
    layout.socketDir,
    ...(options.keepLog ? [] : [layout.logFile]),
  ]) {
    if (await stat(path).catch(() => undefined)) {
      await rm(path, { recursive: true, force: true });
      removed.push(path);
    }
  }
  return removed;
}

export async function pathExists(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined)) !== undefined;
}
