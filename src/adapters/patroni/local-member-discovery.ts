import { readFile, realpath, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { describeError } from '../../core/errors.js';
import { looksLikeMemberConfig, memberIdentity } from '../../core/patroni-config/member-identity.js';
import { DEBIAN_PATRONI_PATTERNS } from '../../core/settings/site-settings.js';
import { parseLocatedYaml } from '../../core/yaml/located-yaml.js';
import { expandPathPatterns } from '../fs/path-glob.js';
import { listPatroniProcesses, type PatroniProcess } from '../process/patroni-processes.js';

export { DEBIAN_PATRONI_PATTERNS };

/** The configured locations (default: Debian's) next to pgfleet's own configuration directory (patroni.configdir), both extensions. */
export function memberFilePatterns(
  pgfleetConfigDir?: string,
  configured: readonly string[] = DEBIAN_PATRONI_PATTERNS,
): string[] {
  return [
    ...configured,
    ...(pgfleetConfigDir ? [join(pgfleetConfigDir, '*.yml'), join(pgfleetConfigDir, '*.yaml')] : []),
  ];
}

/** A Patroni member of this host, from what runs and from configured locations. Never holds a secret. */
export interface DiscoveredMember {
  /** The path as given: on the running process's command line (maybe relative or a symlink), or as a configured location matched it. */
  configFile: string;
  /** The file Patroni reads, through every symlink; undefined when it does not resolve. */
  realConfigFile: string | undefined;
  /** Other configured paths that resolve to the same file (a `15-main.yaml -> 15-main.yml` symlink, say). */
  alsoFoundAs: string[];
  running: boolean;
  pid?: number;
  /** The running process's facts (for the reload proof and for file access checks). */
  process?: Pick<
    PatroniProcess,
    | 'pid'
    | 'startTicks'
    | 'uid'
    | 'gid'
    | 'groups'
    | 'cwd'
    | 'configPath'
    | 'configIsDirectory'
    | 'environmentOverrides'
  >;
  scope: string | undefined;
  name: string | undefined;
  namespace: string | undefined;
  dcsSection: 'etcd3' | 'etcd' | undefined;
  /** Whether the DCS section has credentials: the user name, and only whether a password is set. */
  dcsCredentials: { username: string | undefined; passwordSet: boolean } | undefined;
  /** The etcd endpoints its DCS section names (`host:port`); undefined when unknown. */
  dcsHosts: string[] | undefined;
  restapi: { listen: string | undefined; connectAddress: string | undefined } | undefined;
  /** Patroni's log: `<log.dir>/patroni.log`, else the file its stderr goes to (running members). */
  logFile: string | undefined;
  /** Owner and mode of the real file. */
  file?: { uid: number; gid: number; mode: number };
  /** Why this member cannot be used as it is (unreadable YAML, no scope, not etcd...). */
  problem?: string;
}

/** A configured file that is readable YAML but not a member's configuration (Debian's dcs.yml snippet). Reported, not dropped. */
export interface SkippedFile {
  path: string;
  reason: string;
}

export interface MemberDiscovery {
  members: DiscoveredMember[];
  skipped: SkippedFile[];
}

export interface MemberDiscoveryOptions {
  /**
   * Configured locations of members' files, shell patterns: stopped members
   * are found here. Default: Debian's; the caller adds pgfleet's own
   * configuration directory (`<configdir>/*.{yml,yaml}`).
   */
  patterns?: readonly string[];
}

/**
 * Every Patroni member of this host: each running Patroni (its configuration
 * path resolved against its working directory and through symlinks), then
 * each file of the configured locations that no running process uses
 * (stopped members). A file that cannot be read or parsed is returned with
 * the reason as `problem`, never skipped.
 */
export async function discoverLocalMembers(options: MemberDiscoveryOptions = {}): Promise<MemberDiscovery> {
  const processes = await listPatroniProcesses();
  const members: DiscoveredMember[] = [];
  const skipped: SkippedFile[] = [];
  const byRealFile = new Map<string, DiscoveredMember>();
  for (const process of processes) {
    const member = await memberOfProcess(process);
    members.push(member);
    if (member.realConfigFile) byRealFile.set(member.realConfigFile, member);
  }
  for (const path of await expandPathPatterns(options.patterns ?? DEBIAN_PATRONI_PATTERNS)) {
    const real = await realpath(path).catch(() => undefined);
    const known = real ? byRealFile.get(real) : undefined;
    if (known) {
      if (known.configFile !== path && !known.alsoFoundAs.includes(path)) known.alsoFoundAs.push(path);
      continue;
    }
    const read = await readMemberFile(path, real);
    if (read.kind === 'not-a-member') {
      skipped.push({ path, reason: read.reason });
      continue;
    }
    const member: DiscoveredMember = { ...read.member, configFile: path, running: false };
    members.push(member);
    if (real) byRealFile.set(real, member);
  }
  return { members, skipped };
}

async function memberOfProcess(process: PatroniProcess): Promise<DiscoveredMember> {
  const facts = {
    pid: process.pid,
    startTicks: process.startTicks,
    uid: process.uid,
    gid: process.gid,
    groups: process.groups,
    cwd: process.cwd,
    configPath: process.configPath,
    configIsDirectory: process.configIsDirectory,
    environmentOverrides: process.environmentOverrides,
  };
  const base = {
    configFile: process.configArg ?? '(environment)',
    running: true,
    pid: process.pid,
    process: facts,
    alsoFoundAs: [] as string[],
  };
  if (process.problem || !process.realConfigPath) {
    return {
      ...base,
      ...emptyIdentity(process.stderrFile),
      realConfigFile: process.realConfigPath,
      problem: process.problem ?? 'its configuration path does not resolve',
    };
  }
  if (process.configIsDirectory) {
    return {
      ...base,
      ...emptyIdentity(process.stderrFile),
      realConfigFile: process.realConfigPath,
      problem: `its configuration is the directory ${process.realConfigPath} (every *.yml/*.yaml in it merged): adopting such a member is not supported`,
    };
  }
  const read = await readMemberFile(process.realConfigPath, process.realConfigPath, {
    environment: process.environmentIdentity,
    stderrFile: process.stderrFile,
    cwd: process.cwd,
  });
  // A file a running Patroni uses is a member's, whatever it looks like.
  const member =
    read.kind === 'member'
      ? read.member
      : {
          ...emptyIdentity(process.stderrFile),
          realConfigFile: process.realConfigPath,
          alsoFoundAs: [],
          problem: read.reason,
        };
  return { ...member, ...base };
}

type ReadResult =
  | { kind: 'member'; member: Omit<DiscoveredMember, 'configFile' | 'running'> }
  | { kind: 'not-a-member'; reason: string };

interface ProcessContext {
  environment?: PatroniProcess['environmentIdentity'];
  stderrFile?: string | undefined;
  /** log.dir, when relative, is relative to the process's working directory. */
  cwd?: string | undefined;
}

async function readMemberFile(
  path: string,
  real: string | undefined,
  context: ProcessContext = {},
): Promise<ReadResult> {
  const { environment = {}, stderrFile, cwd } = context;
  const unreadable = (problem: string): ReadResult => ({
    kind: 'member',
    member: { ...emptyIdentity(stderrFile), realConfigFile: real, alsoFoundAs: [], problem },
  });
  if (!real) return unreadable(`${path} does not resolve (a dangling symlink?)`);
  let text: string;
  let info;
  try {
    info = await stat(real);
    if (!info.isFile()) return unreadable(`${real} is not a regular file`);
    text = await readFile(real, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return unreadable(
      `cannot read ${real} (${code ?? describeError(error)})${code === 'EACCES' ? ': run as root' : ''}`,
    );
  }
  const file = { uid: info.uid, gid: info.gid, mode: info.mode & 0o7777 };
  let value: unknown;
  try {
    value = parseLocatedYaml(text, real, 'MEMBER_CONFIG_INVALID').value;
  } catch (error) {
    return {
      kind: 'member',
      member: {
        ...emptyIdentity(stderrFile),
        realConfigFile: real,
        alsoFoundAs: [],
        file,
        problem: describeError(error),
      },
    };
  }
  if (!looksLikeMemberConfig(value)) {
    return {
      kind: 'not-a-member',
      reason:
        "no scope, name, restapi or postgresql key: not a member configuration (e.g. a DCS snippet like Debian's dcs.yml)",
    };
  }
  const identity = memberIdentity(value, environment);
  return {
    kind: 'member',
    member: {
      realConfigFile: real,
      alsoFoundAs: [],
      scope: identity.scope,
      name: identity.name,
      namespace: identity.namespace,
      dcsSection: identity.dcsSection,
      dcsCredentials: identity.dcsCredentials,
      dcsHosts: identity.dcsHosts,
      restapi: identity.restapi,
      logFile: identity.logDir ? join(resolve(cwd ?? '/', identity.logDir), 'patroni.log') : stderrFile,
      file,
      ...(identity.problems.length > 0 ? { problem: identity.problems.join('; ') } : {}),
    },
  };
}

function emptyIdentity(
  logFile: string | undefined,
): Pick<
  DiscoveredMember,
  'scope' | 'name' | 'namespace' | 'dcsSection' | 'dcsCredentials' | 'dcsHosts' | 'restapi' | 'logFile'
> {
  return {
    scope: undefined,
    name: undefined,
    namespace: undefined,
    dcsSection: undefined,
    dcsCredentials: undefined,
    dcsHosts: undefined,
    restapi: undefined,
    logFile,
  };
}
