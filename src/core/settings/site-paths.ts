import { join } from 'node:path';
import type { SiteSettings } from './site-settings.js';

/** Who runs pgfleet and where their XDG directories are: the inputs of path defaults. */
export interface InvocationContext {
  isRoot: boolean;
  home: string;
  env: Record<string, string | undefined>;
}

/** Every directory pgfleet uses, resolved from settings and the invoking user. */
export interface SitePaths {
  prefix: string;
  patroniConfigDir: string;
  patroniLogDir: string;
  dataDir: string;
  runDir: string;
  secretsDir: string;
}

/**
 * Defaults as pglift chooses them: system paths for root (/etc, /var/lib,
 * /var/log, /run), XDG base directories for everyone else.
 */
export function resolveSitePaths(settings: SiteSettings, context: InvocationContext): SitePaths {
  const dataHome = context.env.XDG_DATA_HOME || join(context.home, '.local', 'share');
  const stateHome = context.env.XDG_STATE_HOME || join(context.home, '.local', 'state');
  const prefix = settings.prefix ?? (context.isRoot ? '/var/lib/pgfleet' : join(dataHome, 'pgfleet'));
  const runtime = context.env.XDG_RUNTIME_DIR;
  const runDefault = context.isRoot ? '/run/pgfleet' : runtime ? join(runtime, 'pgfleet') : join(prefix, 'run');
  return {
    prefix,
    patroniConfigDir:
      settings.patroni?.configdir ??
      (settings.prefix ? join(prefix, 'patroni') : context.isRoot ? '/etc/patroni' : join(prefix, 'patroni')),
    patroniLogDir:
      settings.patroni?.logdir ??
      (settings.prefix ? join(prefix, 'log') : context.isRoot ? '/var/log/pgfleet' : join(stateHome, 'pgfleet', 'log')),
    dataDir: settings.postgresql.datadir ?? join(prefix, 'pgsql'),
    runDir: settings.postgresql.rundir ?? runDefault,
    secretsDir: settings.tenancy.secrets_dir ?? join(prefix, 'secrets'),
  };
}
