import { readdir, readFile, readlink, realpath, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parsePatroniCommandLine } from '../../core/instance/patroni-command-line.js';
import { processStartTicks } from './daemon.js';
import { isAnotherHostsProcess, networkNamespaceOf } from './process-network-namespace.js';

/** A Patroni daemon running on this host, as /proc shows it. */
export interface PatroniProcess {
  pid: number;
  /** Kernel start time (clock ticks since boot): with the pid, identifies the process across pid reuse. */
  startTicks: number;
  /** Effective ids: what its file access is checked against. */
  uid: number;
  gid: number;
  groups: number[];
  /** The configuration path on its command line, as given (relative, or through a symlink, as it may be). */
  configArg: string | undefined;
  /** Its working directory, against which a relative configArg is resolved. */
  cwd: string | undefined;
  /** configArg made absolute against cwd: the path Patroni opens again at each reload. */
  configPath: string | undefined;
  /** configPath through every symlink: the file (or directory) it reads now. */
  realConfigPath: string | undefined;
  /** Patroni merges every *.yml/*.yaml of a directory given as its configuration. */
  configIsDirectory: boolean;
  /** Names (never values) of the PATRONI_* variables in its environment: each overrides the file. */
  environmentOverrides: string[];
  /** PATRONI_SCOPE, PATRONI_NAME, PATRONI_NAMESPACE (not secrets), which win over the YAML. */
  environmentIdentity: { scope?: string; name?: string; namespace?: string };
  /** Where its stderr goes when that is a file: Patroni's log when log.dir is not set. */
  stderrFile: string | undefined;
  /** Why its configuration file could not be resolved, when it could not. */
  problem?: string;
}

/**
 * Every Patroni daemon on this host, from /proc: whoever started it
 * (systemd, pgfleet, a shell), its command line names its configuration.
 * Reading another user's cwd, environ and fds needs root; what cannot be
 * read is reported in `problem`, the process is never dropped. A process in
 * another network namespace than ours is another host's (a container, a host
 * of a multi-host lab: /proc shows them all) and is not listed.
 */
export async function listPatroniProcesses(): Promise<PatroniProcess[]> {
  const procRoot = '/proc';
  const entries = await readdir(procRoot).catch(() => [] as string[]);
  const ownNetwork = await networkNamespaceOf(procRoot, 'self');
  const found: PatroniProcess[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = await readFile(`${procRoot}/${entry}/cmdline`).catch(() => undefined);
    if (!cmdline || cmdline.length === 0) continue;
    const argv = cmdline.toString('utf8').split('\0');
    if (argv[argv.length - 1] === '') argv.pop();
    const parsed = parsePatroniCommandLine(argv);
    if (!parsed) continue;
    if (isAnotherHostsProcess(ownNetwork, await networkNamespaceOf(procRoot, Number(entry)))) continue;
    const described = await describeProcess(
      procRoot,
      Number(entry),
      parsed.kind === 'daemon' ? parsed.configArg : undefined,
    );
    if (described) found.push(described);
  }
  return found.sort((a, b) => a.pid - b.pid);
}

async function describeProcess(
  procRoot: string,
  pid: number,
  configArg: string | undefined,
): Promise<PatroniProcess | undefined> {
  const base = `${procRoot}/${pid}`;
  const status = await readFile(`${base}/status`, 'utf8').catch(() => undefined);
  // Gone since the listing (or a zombie without status): nothing to report.
  if (!status) return undefined;
  const ids = (field: string): number[] =>
    (status.split('\n').find((line) => line.startsWith(`${field}:`)) ?? '')
      .slice(field.length + 1)
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map(Number);
  const cwd = await readlink(`${base}/cwd`)
    .then(deletedSuffixRemoved)
    .catch(() => undefined);
  const environ = await readFile(`${base}/environ`).catch(() => undefined);
  const variables = environ
    ? environ
        .toString('utf8')
        .split('\0')
        .filter((entry) => entry.startsWith('PATRONI_'))
    : [];
  const value = (name: string): string | undefined =>
    variables.find((entry) => entry.startsWith(`${name}=`))?.slice(name.length + 1) || undefined;
  const environmentIdentity: PatroniProcess['environmentIdentity'] = {};
  for (const [key, name] of [
    ['scope', 'PATRONI_SCOPE'],
    ['name', 'PATRONI_NAME'],
    ['namespace', 'PATRONI_NAMESPACE'],
  ] as const) {
    const found = value(name);
    if (found !== undefined) environmentIdentity[key] = found;
  }
  const stderr = await readlink(`${base}/fd/2`)
    .then(deletedSuffixRemoved)
    .catch(() => undefined);
  let problem: string | undefined;
  let configPath: string | undefined;
  let realConfigPath: string | undefined;
  let configIsDirectory = false;
  if (configArg === undefined) {
    problem = 'started without a configuration file (it reads PATRONI_CONFIGURATION or PATRONI_* variables)';
  } else if (!configArg.startsWith('/') && cwd === undefined) {
    problem = `its configuration path ${configArg} is relative and its working directory cannot be read (run as root)`;
  } else {
    configPath = resolve(cwd ?? '/', configArg);
    try {
      realConfigPath = await realpath(configPath);
      configIsDirectory = (await stat(realConfigPath)).isDirectory();
    } catch (error) {
      problem = `its configuration path ${configPath} does not resolve (${(error as NodeJS.ErrnoException).code ?? 'error'}): the file it started with was moved or removed`;
    }
  }
  return {
    pid,
    startTicks: processStartTicks(pid) ?? 0,
    uid: ids('Uid')[1] ?? 0,
    gid: ids('Gid')[1] ?? 0,
    groups: ids('Groups'),
    configArg,
    cwd,
    configPath,
    realConfigPath,
    configIsDirectory,
    environmentOverrides: variables
      .map((entry) => entry.slice(0, entry.indexOf('=') === -1 ? undefined : entry.indexOf('=')))
      .sort(),
    environmentIdentity,
    stderrFile: stderr && stderr.startsWith('/') && !stderr.startsWith('/dev/') ? stderr : undefined,
    ...(problem ? { problem } : {}),
  };
}

/** The kernel shows a removed directory or file as `PATH (deleted)`. */
function deletedSuffixRemoved(target: string): string {
  return target.endsWith(' (deleted)') ? target.slice(0, -' (deleted)'.length) : target;
}
