/**
 * Whether the running Patroni took a configuration file pgfleet just wrote,
 * decided from facts only: a 202 from `POST /reload` proves nothing.
 *
 * How Patroni 3.0.2 reloads (patroni/daemon.py, __main__.py, config.py,
 * postgresql/config.py, dcs/etcd.py): `POST /reload` and SIGHUP only set a
 * flag; at the top of the next HA loop iteration (up to loop_wait seconds
 * later) the main thread re-opens the configuration path it was started with
 * (as given, relative to its working directory, through symlinks as they are
 * then) and either logs "No local configuration items changed." (file plus
 * PATRONI_* environment equal to what it has) or adopts it silently, or logs
 * "Exception when reloading local configuration from PATH" and keeps the old
 * one. It then always logs "Reloading PostgreSQL configuration.", reloads
 * PostgreSQL and only after that hands the effective configuration to the
 * DCS client (etcd3 username/password); an exception on the way is logged
 * as "Failed to reload config_file=PATH" and the DCS client keeps the old
 * credentials. The HA cycle's own line follows. Nothing of this shows in the
 * REST API: GET /config is the DCS's dynamic configuration, GET /patroni has
 * no configuration path or reload counter, and etcd sees no authentication
 * before auth is enabled (credentials are used at the next auth error).
 */

export interface WrittenFile {
  /** The real file pgfleet replaced (through symlinks). */
  realPath: string;
  /** The keys whose value changed: an environment variable for one of them would override the file. */
  changedPaths: readonly (readonly string[])[];
}

export interface RunningPatroniFacts {
  pid: number;
  /** Its configuration path resolved now (cwd, then symlinks); undefined when it does not resolve. */
  realConfigPath: string | undefined;
  configIsDirectory: boolean;
  /** Names of the PATRONI_* variables in its environment. */
  environmentOverrides: readonly string[];
  /** It started after the write (a restart): it read the file at start. */
  startedAfterWrite: boolean;
}

export interface ReloadProofInput {
  written: WrittenFile;
  /** The Patroni process that serves this member; undefined when none runs. */
  process: RunningPatroniFacts | undefined;
  /** Patroni's log lines written since just before the reload was requested; undefined when its log cannot be read. */
  logSinceRequest: readonly string[] | undefined;
  /** The log was rotated or truncated since the mark: the window is incomplete. */
  logRotated?: boolean;
  /** The reload should have happened by now (reloadDeadlineSeconds). */
  deadlinePassed: boolean;
}

export type ReloadProofCode =
  | 'NOT_RUNNING'
  | 'CONFIG_UNRESOLVED'
  | 'READS_OTHER_FILE'
  | 'READS_DIRECTORY'
  | 'ENVIRONMENT_OVERRIDE'
  | 'FILE_NOT_LOADED'
  | 'RELOAD_FAILED';

export type ReloadProof =
  /** The running Patroni's effective configuration now comes from the file as written. */
  | { status: 'proven'; how: 'started-after-write' | 'reload-loaded-change' | 'reload-already-had-it'; detail: string }
  /** It does not, and will not by reloading: the member is not ready (message names the paths). */
  | { status: 'refused'; code: ReloadProofCode; message: string }
  /** The reload cycle has not run yet: look again. */
  | { status: 'waiting'; reason: string }
  /** No evidence either way (log unreadable, rotated, or nothing logged in time). */
  | { status: 'unproven'; reason: string; hint: string };

export type ReloadLogEvent = 'local-unchanged' | 'local-reload-failed' | 'reload-started' | 'reload-failed' | 'other';

/** Patroni 3.0.2's log messages of a reload, matched on the message (any log.format keeps it). */
export function reloadLogEvent(line: string): ReloadLogEvent {
  if (line.includes('No local configuration items changed.')) return 'local-unchanged';
  if (line.includes('Exception when reloading local configuration from')) return 'local-reload-failed';
  if (line.includes('Failed to reload config_file=')) return 'reload-failed';
  if (line.includes('Reloading PostgreSQL configuration.')) return 'reload-started';
  return 'other';
}

/** How long a reload may take to show: the next loop iteration (loop_wait) plus a cycle slowed by DCS retries, plus margin. */
export function reloadDeadlineSeconds(dynamic: { loop_wait?: unknown; retry_timeout?: unknown }): number {
  const number = (value: unknown, fallback: number): number =>
    typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : fallback;
  return number(dynamic.loop_wait, 10) + number(dynamic.retry_timeout, 10) + 5;
}

/** The PATRONI_* variables that would override a key of the file (Patroni 3.0.2's config._build_environment_configuration). */
export function environmentNamesFor(path: readonly string[]): string[] {
  const upper = path.map((segment) => segment.toUpperCase());
  if (upper.length === 1 && ['NAME', 'NAMESPACE', 'SCOPE'].includes(upper[0]!)) return [`PATRONI_${upper[0]}`];
  if (upper.length === 4 && upper[0] === 'POSTGRESQL' && upper[1] === 'AUTHENTICATION')
    return [`PATRONI_${upper[2]}_${upper[3]}`];
  if (upper.length === 3 && upper[0] === 'RESTAPI' && upper[1] === 'AUTHENTICATION')
    return [`PATRONI_RESTAPI_${upper[2]}`];
  if (upper.length === 2) return [`PATRONI_${upper[0]}_${upper[1]}`];
  return [];
}

export function decideReloadProof(input: ReloadProofInput): ReloadProof {
  const { written, process } = input;
  if (!process) {
    return {
      status: 'unproven',
      reason: `no Patroni process runs with ${written.realPath}`,
      hint: 'it reads the file when it starts; start it, then check again',
    };
  }
  if (process.realConfigPath === undefined) {
    return {
      status: 'refused',
      code: 'CONFIG_UNRESOLVED',
      message: `Patroni (pid ${process.pid}) was started with a configuration path that no longer resolves; pgfleet wrote ${written.realPath}`,
    };
  }
  if (process.configIsDirectory) {
    return {
      status: 'refused',
      code: 'READS_DIRECTORY',
      message: `Patroni (pid ${process.pid}) reads the directory ${process.realConfigPath} (every *.yml/*.yaml in it, merged in name order); pgfleet wrote ${written.realPath}, whose keys a later file may override`,
    };
  }
  if (process.realConfigPath !== written.realPath) {
    return {
      status: 'refused',
      code: 'READS_OTHER_FILE',
      message: `Patroni (pid ${process.pid}) reads ${process.realConfigPath}, not ${written.realPath} that pgfleet wrote`,
    };
  }
  const overriding = written.changedPaths
    .flatMap(environmentNamesFor)
    .filter((name) => process.environmentOverrides.includes(name));
  if (overriding.length > 0) {
    return {
      status: 'refused',
      code: 'ENVIRONMENT_OVERRIDE',
      message: `Patroni (pid ${process.pid}) has ${overriding.join(', ')} in its environment, which override${overriding.length === 1 ? 's' : ''} what pgfleet wrote in ${written.realPath}`,
    };
  }
  if (process.startedAfterWrite) {
    return {
      status: 'proven',
      how: 'started-after-write',
      detail: `Patroni (pid ${process.pid}) started after ${written.realPath} was written`,
    };
  }
  if (input.logSinceRequest === undefined) {
    return {
      status: 'unproven',
      reason: `Patroni's log (pid ${process.pid}) cannot be read: nothing shows the reload took ${written.realPath}`,
      hint: 'set log.dir in its YAML or send its stderr to a file, or restart it (it reads the file at start)',
    };
  }
  if (input.logRotated) {
    return {
      status: 'unproven',
      reason: `Patroni's log (pid ${process.pid}) was rotated while waiting for the reload`,
      hint: 'request the reload again',
    };
  }
  return decideFromLog(input.logSinceRequest.map(reloadLogEvent), process.pid, written.realPath, input.deadlinePassed);
}

/** The first reload cycle after the request: only a completed one, without an exception, proves the file was taken. */
function decideFromLog(
  events: readonly ReloadLogEvent[],
  pid: number,
  realPath: string,
  deadlinePassed: boolean,
): ReloadProof {
  const end = events.findIndex((event) => event === 'reload-started' || event === 'reload-failed');
  if (end === -1) {
    return deadlinePassed
      ? {
          status: 'unproven',
          reason: `Patroni (pid ${pid}) logged no reload in time`,
          hint: 'check that its HA loop runs (its log), then request the reload again',
        }
      : { status: 'waiting', reason: 'the reload is scheduled for the next HA loop iteration' };
  }
  const cycle = events.slice(0, end);
  if (events[end] === 'reload-failed') {
    return {
      status: 'refused',
      code: 'RELOAD_FAILED',
      message: `Patroni (pid ${pid}) failed to reload (its log shows "Failed to reload config_file="): its DCS client keeps its previous credentials`,
    };
  }
  if (cycle.includes('local-reload-failed')) {
    return {
      status: 'refused',
      code: 'FILE_NOT_LOADED',
      message: `Patroni (pid ${pid}) could not load ${realPath} (its log shows "Exception when reloading local configuration"): it keeps its previous configuration`,
    };
  }
  // The DCS client gets the configuration after PostgreSQL's reload: an exception there is the next line.
  const after = events[end + 1];
  if (after === undefined) {
    return deadlinePassed
      ? {
          status: 'unproven',
          reason: `Patroni (pid ${pid}) started reloading but logged nothing after it`,
          hint: 'check its log, then request the reload again',
        }
      : { status: 'waiting', reason: 'the reload cycle is under way' };
  }
  if (after === 'reload-failed') {
    return {
      status: 'refused',
      code: 'RELOAD_FAILED',
      message: `Patroni (pid ${pid}) failed to reload (its log shows "Failed to reload config_file="): its DCS client keeps its previous credentials`,
    };
  }
  return cycle.includes('local-unchanged')
    ? {
        status: 'proven',
        how: 'reload-already-had-it',
        detail: `Patroni (pid ${pid}) re-read ${realPath} and already had its content`,
      }
    : {
        status: 'proven',
        how: 'reload-loaded-change',
        detail: `Patroni (pid ${pid}) re-read ${realPath}, loaded the change and completed the reload`,
      };
}

/**
 * What the operator does about a refused proof. Never "apply again" alone:
 * the same member would be refused the same way until this is fixed.
 */
export function reloadRefusalHint(code: ReloadProofCode): string {
  switch (code) {
    case 'READS_OTHER_FILE':
      return 'make the running Patroni read the file pgfleet edits: replace the file it reads by a symlink to it, or restart Patroni with it; or remove the file it does not read (pgfleet adopts the file a running Patroni reads)';
    case 'CONFIG_UNRESOLVED':
      return 'restart that Patroni with a configuration path that exists: it re-reads the path it was started with, which no longer resolves';
    case 'READS_DIRECTORY':
      return 'put the credentials by hand in the file of that directory holding its etcd section, or start Patroni with a single file: pgfleet does not edit a directory configuration';
    case 'ENVIRONMENT_OVERRIDE':
      return 'remove those PATRONI_* variables from its environment (its service unit) and restart it: they win over the file';
    case 'FILE_NOT_LOADED':
      return "fix what its log names (the file's permissions for the Patroni user, or YAML Patroni rejects): the file pgfleet wrote is not in use until Patroni loads it";
    case 'RELOAD_FAILED':
      return 'fix what its log names after "Failed to reload", or restart that Patroni (it reads the file when it starts)';
    case 'NOT_RUNNING':
      return 'start it: Patroni reads its file when it starts';
  }
}
