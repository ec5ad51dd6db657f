import { join } from 'node:path';
import type { SitePaths } from '../settings/site-paths.js';

/** Where one instance's files live; the same layout for the lab and for `pgfleet instance`. */
export interface InstanceLayout {
  name: string;
  /** Generated Patroni YAML (0600, owned by the Patroni user). */
  configFile: string;
  /** Parent of the data directory, owned by the Patroni user. */
  instanceDir: string;
  dataDir: string;
  pgpass: string;
  socketDir: string;
  /** stdout/stderr of the Patroni daemon. */
  logFile: string;
  /** pgfleet's record of the Patroni process (pid + start time). */
  pidFile: string;
  /** pgfleet's record of the instance: how it runs, whether its creation finished. */
  recordFile: string;
}

export const INSTANCE_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;

export function instanceLayout(paths: SitePaths, name: string): InstanceLayout {
  const instanceDir = join(paths.dataDir, name);
  const runDir = join(paths.runDir, name);
  return {
    name,
    configFile: join(paths.patroniConfigDir, `${name}.yaml`),
    instanceDir,
    dataDir: join(instanceDir, 'data'),
    pgpass: join(instanceDir, 'pgpass'),
    socketDir: runDir,
    logFile: join(paths.patroniLogDir, `${name}.log`),
    pidFile: join(runDir, 'patroni.pid'),
    recordFile: join(instanceDir, 'pgfleet-instance.json'),
  };
}

/** The PostgreSQL roles every member of a cluster shares (a replica logs in to the leader with them). */
export type ClusterRole = 'superuser' | 'replication' | 'rewind';
export const CLUSTER_ROLES: readonly ClusterRole[] = ['superuser', 'replication', 'rewind'];

/** Where pgfleet keeps a cluster's role passwords (0600) when it generated them: `<prefix>/secrets/postgresql/<scope>/<role>.password`. */
export function clusterRolePasswordFile(prefix: string, scope: string, role: ClusterRole): string {
  return join(prefix, 'secrets', 'postgresql', scope, `${role}.password`);
}
