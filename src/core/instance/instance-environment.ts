import { getPath } from '../patroni-config/config-path.js';
import type { ConfigTree } from '../patroni-config/deep-merge.js';

/**
 * Shell variables for working with one instance: patronictl reads
 * PATRONICTL_CONFIG_FILE, psql and pg_ctl the PG* ones. No secret: psql
 * connects over the local socket (peer authentication).
 */
export function instanceEnvironment(input: { configFile: string; config: ConfigTree }): Record<string, string> {
  const variables: Record<string, string> = { PATRONICTL_CONFIG_FILE: input.configFile };
  const dataDir = getPath(input.config, ['postgresql', 'data_dir']);
  if (typeof dataDir === 'string') variables.PGDATA = dataDir;
  const socketDir = getPath(input.config, ['postgresql', 'parameters', 'unix_socket_directories']);
  if (typeof socketDir === 'string') variables.PGHOST = socketDir.split(',')[0]!.trim();
  const port = postgresqlPort(input.config);
  if (port !== undefined) variables.PGPORT = String(port);
  const superuser = getPath(input.config, ['postgresql', 'authentication', 'superuser', 'username']);
  if (typeof superuser === 'string') variables.PGUSER = superuser;
  return variables;
}

/** The PostgreSQL port of an instance, from `postgresql.listen` (host:port) or `connect_address`. */
export function postgresqlPort(config: ConfigTree): number | undefined {
  for (const key of ['listen', 'connect_address']) {
    const value = getPath(config, ['postgresql', key]);
    const port = typeof value === 'string' ? /:(\d+)$/.exec(value)?.[1] : undefined;
    if (port) return Number(port);
  }
  return undefined;
}

/** Shell `export` lines, single-quoted. */
export function renderShellExports(variables: Record<string, string>): string {
  return Object.entries(variables)
    .map(([name, value]) => `export ${name}='${value.replaceAll("'", "'\\''")}'`)
    .join('\n');
}
