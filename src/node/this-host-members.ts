import { lstat, readdir, readFile, realpath } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { describeError } from '../core/errors.js';
import { etcdHostPort } from '../core/patroni-config/member-identity.js';
import { generatedByPgfleet } from '../core/patroni-config/render-yaml.js';
import type { SitePaths } from '../core/settings/site-paths.js';
import type { SiteSettings } from '../core/settings/site-settings.js';
import {
  type DiscoveredMember,
  discoverLocalMembers,
  memberFilePatterns,
} from '../adapters/patroni/local-member-discovery.js';
import { adoptedLocalInstance, isAdopted } from './adopted-local-instance.js';
import { type LocalInstance, readLocalInstance } from './local-instances.js';

/** Which etcd and namespaces this site's fleet lives in: members of another DCS on this host are left alone. */
export interface FleetDcs {
  /** `host:port` (settings patroni.etcd.hosts). */
  etcdHosts: readonly string[];
  /** With leading and trailing slash. */
  namespaces: readonly string[];
}

export interface MemberSources {
  /** pgfleet's own directory (patroni.configdir): every YAML there is a member, whatever its DCS. */
  configDir: string;
  logDir?: string | undefined;
  /** Configured locations of members' files (settings patroni.member_files). */
  patterns: readonly string[];
  /** Without it, every member found is taken. */
  fleet?: FleetDcs | undefined;
}

/** A member's file or process on this host that cannot be used as it is: named, with why and what to do. */
export interface LocalMemberProblem {
  configFile: string;
  realConfigFile: string | undefined;
  running: boolean;
  pid: number | undefined;
  problem: string;
  hint: string;
}

/** Found on this host but not a member of this site's fleet (another etcd or namespace, a DCS snippet): left alone, and said so. */
export interface LeftAloneFile {
  configFile: string;
  reason: string;
}

export interface ThisHostMembers {
  /** pgfleet's own instances (files it generated in configdir) and adopted members (AdoptedLocalInstance), one per real file. */
  instances: LocalInstance[];
  problems: LocalMemberProblem[];
  leftAlone: LeftAloneFile[];
  /** The pid of the Patroni running with each member's file (by configFile), whoever started it. */
  runningPids: Map<string, number>;
}

/** Where the site settings say this host's members are, and which fleet they belong to. */
export function memberSourcesFromSettings(settings: SiteSettings, paths: SitePaths): MemberSources {
  const patroni = settings.patroni;
  return {
    configDir: paths.patroniConfigDir,
    logDir: paths.patroniLogDir,
    patterns: patroni?.member_files ?? [],
    fleet: patroni
      ? {
          etcdHosts: patroni.etcd.hosts,
          namespaces: [...new Set([patroni.etcd.namespace, ...settings.tenancy.namespaces])],
        }
      : undefined,
  };
}

/**
 * This host's members, one list: pgfleet's own instances (the YAMLs it
 * generated in configdir), every running Patroni (its configuration path
 * resolved against its working directory and through symlinks), and the
 * files of configdir and the configured locations that no running Patroni
 * uses (stopped members), deduplicated by real file. Outside configdir, a
 * member of another etcd or namespace is left alone (named in `leftAlone`).
 * A file or process that cannot be used is named in `problems` with why,
 * never skipped; so is a second file naming a member another file already is.
 */
export async function thisHostMembers(sources: MemberSources): Promise<ThisHostMembers> {
  const problems: LocalMemberProblem[] = [];
  const leftAlone: LeftAloneFile[] = [];
  const { own, unusable } = await ownInstances(sources, problems);
  const configDirs = await configDirNames(sources.configDir);
  const discovery = await discoverLocalMembers({ patterns: memberFilePatterns(sources.configDir, sources.patterns) });
  const running = new Map<LocalInstance, number>();
  const instances: LocalInstance[] = [...own.values()];
  for (const member of discovery.members) {
    if (member.realConfigFile && unusable.has(member.realConfigFile)) continue;
    const ownInstance = member.realConfigFile ? own.get(member.realConfigFile) : undefined;
    if (ownInstance) {
      if (member.running && member.pid !== undefined) running.set(ownInstance, member.pid);
      continue;
    }
    const outside = notThisFleet(member, configDirs, sources.fleet);
    if (outside) {
      leftAlone.push({ configFile: member.process?.configPath ?? member.configFile, reason: outside });
      continue;
    }
    if (member.problem) {
      problems.push(problemOf(member, member.problem));
      continue;
    }
    try {
      const instance = await adoptedLocalInstance(member);
      instances.push(instance);
      if (instance.running && instance.pid !== undefined) running.set(instance, instance.pid);
    } catch (error) {
      problems.push(problemOf(member, describeError(error)));
    }
  }
  for (const skipped of discovery.skipped) leftAlone.push({ configFile: skipped.path, reason: skipped.reason });
  const kept = withoutDuplicates(instances, running, problems);
  const runningPids = new Map(
    kept.flatMap((instance) => {
      const pid = running.get(instance);
      return pid === undefined ? [] : [[instance.configFile, pid] as const];
    }),
  );
  return { instances: kept, problems, leftAlone, runningPids };
}

/** The YAMLs pgfleet generated in configdir (regular `*.yaml` files opening with its header): its own instances, by real path. */
async function ownInstances(
  sources: MemberSources,
  problems: LocalMemberProblem[],
): Promise<{ own: Map<string, LocalInstance>; unusable: Set<string> }> {
  const entries = await readdir(sources.configDir).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return [] as string[];
    throw error;
  });
  const own = new Map<string, LocalInstance>();
  const unusable = new Set<string>();
  for (const entry of entries.sort()) {
    if (!entry.endsWith('.yaml') || entry.startsWith('.')) continue;
    const path = join(sources.configDir, entry);
    // A symlink is someone else's arrangement: what it leads to is edited key by key (discovery finds it).
    const info = await lstat(path).catch(() => undefined);
    if (!info?.isFile()) continue;
    const text = await readFile(path, 'utf8').catch(() => undefined);
    if (text === undefined || !generatedByPgfleet(text)) continue;
    const real = await realpath(path);
    try {
      const instance = await readLocalInstance(path);
      own.set(real, sources.logDir ? { ...instance, logFile: join(sources.logDir, `${instance.name}.log`) } : instance);
    } catch (error) {
      unusable.add(real);
      problems.push({
        configFile: path,
        realConfigFile: path,
        running: false,
        pid: undefined,
        problem: describeError(error),
        hint: `restore ${path} or recreate the instance (pgfleet instance drop, then create)`,
      });
    }
  }
  return { own, unusable };
}

/** configdir as given and through its symlinks: a member whose file is there is pgfleet's, whatever its DCS. */
export async function configDirNames(configDir: string): Promise<Set<string>> {
  return new Set([configDir, await realpath(configDir).catch(() => configDir)]);
}

/**
 * Why a member found on this host is not one of this site's fleet (outside
 * configdir, another etcd or namespace), or undefined when it is (or may
 * be). Every reading of this host's members judges it here: another fleet's
 * member of the same name (another lab, another site on the same machine)
 * must never be counted as ours.
 */
export function notThisFleet(
  member: DiscoveredMember,
  configDirs: ReadonlySet<string>,
  fleet: FleetDcs | undefined,
): string | undefined {
  if (!fleet) return undefined;
  const paths = [member.process?.configPath, member.configFile, member.realConfigFile, ...member.alsoFoundAs];
  if (paths.some((path) => path !== undefined && configDirs.has(dirname(path)))) return undefined;
  // Unread (a problem): which fleet it belongs to is unknown, so it is reported, not left alone.
  if (member.namespace === undefined) return undefined;
  if (member.dcsSection === undefined) return `not an etcd member: ${member.problem ?? 'no etcd section'}`;
  if (!fleet.namespaces.includes(member.namespace))
    return `its namespace ${member.namespace} is not this site's (${fleet.namespaces.join(', ')})`;
  const hosts = new Set(fleet.etcdHosts.map(etcdHostPort));
  if (member.dcsHosts && !member.dcsHosts.some((host) => hosts.has(host)))
    return `its etcd (${member.dcsHosts.join(', ')}) is not this site's (${[...hosts].join(', ')})`;
  return undefined;
}

function problemOf(member: DiscoveredMember, problem: string): LocalMemberProblem {
  const configFile = member.process?.configPath ?? member.configFile;
  return {
    configFile,
    realConfigFile: member.realConfigFile,
    running: member.running,
    pid: member.pid,
    problem,
    hint: member.running
      ? `fix ${member.realConfigFile ?? configFile} so that it is a readable Patroni YAML with scope, name, restapi and an etcd section (run pgfleet as root to read other users' files and processes), or stop that Patroni if it is not part of this fleet`
      : `fix ${member.realConfigFile ?? configFile} (a readable Patroni YAML with scope, name, restapi and an etcd section), or move it out of ${dirname(configFile)}`,
  };
}

/**
 * One instance per member: a second file naming the same member
 * (`<namespace><scope>/<name>`) is a problem, naming the file the running
 * Patroni reads (or the first one found when none runs).
 */
function withoutDuplicates(
  instances: readonly LocalInstance[],
  running: ReadonlyMap<LocalInstance, number>,
  problems: LocalMemberProblem[],
): LocalInstance[] {
  const byMember = new Map<string, LocalInstance[]>();
  for (const instance of instances) {
    const id = `${instance.namespace}${instance.scope}/${instance.node}`;
    byMember.set(id, [...(byMember.get(id) ?? []), instance]);
  }
  const kept: LocalInstance[] = [];
  for (const [id, candidates] of byMember) {
    const chosen = candidates.find((candidate) => running.has(candidate)) ?? candidates[0]!;
    kept.push(chosen);
    const chosenFile = realFileOf(chosen);
    const pid = running.get(chosen);
    for (const other of candidates.filter((candidate) => candidate !== chosen)) {
      problems.push({
        configFile: other.configFile,
        realConfigFile: realFileOf(other),
        running: running.has(other),
        pid: running.get(other),
        problem: `${realFileOf(other)} names member ${id}, as ${chosenFile} does${pid !== undefined ? `, which its running Patroni (pid ${pid}) reads` : ''}: the two files would diverge`,
        hint: `remove ${realFileOf(other)}, or replace it by a symlink to ${chosenFile}`,
      });
    }
  }
  return kept;
}

function realFileOf(instance: LocalInstance): string {
  return isAdopted(instance) ? instance.realConfigFile : instance.configFile;
}
