import { realpath } from 'node:fs/promises';
import type { DeclaredClient } from '../../core/census/client-accounting.js';
import { describeError } from '../../core/errors.js';
import { v2EnvironmentOverrides } from '../../core/migration/etcd-v3-gates.js';
import type { SiteSettings } from '../../core/settings/site-settings.js';
import { discoverLocalMembers, memberFilePatterns } from '../../adapters/patroni/local-member-discovery.js';
import { type FleetConnection, fleetConnectionFromSettings, sitePathsOf } from '../../fleet/fleet-connection.js';
import { adoptedLocalInstance, isAdopted } from '../../node/adopted-local-instance.js';
import { adoptedRestartWay } from '../../node/adopted-patroni-restart.js';
import { type LocalInstance, readLocalInstance } from '../../node/local-instances.js';
import {
  type FleetDcs,
  configDirNames,
  memberSourcesFromSettings,
  notThisFleet,
} from '../../node/this-host-members.js';

/** A Patroni member whose YAML is on this host, as the move sees it. */
export interface HostMember {
  instance: LocalInstance;
  /** The file Patroni reads (symlinks resolved): the one rewritten. */
  realConfigFile: string;
  /** Not created by pgfleet (found running or in Debian's place). */
  adopted: boolean;
  /** Why pgfleet cannot move it, if so (its Patroni cannot be restarted by pgfleet, its file is unusable...). */
  problem?: string | undefined;
  /** The uid (and groups) of its running Patroni: they must still read the rewritten file. */
  reader?: { uid: number; gid: number; groups: number[] } | undefined;
}

/** What `etcd v3 plan/migrate` work with: the fleet, and every member of this host (managed or adopted). */
export interface V3MoveFleet extends FleetConnection {
  hostMembers: HostMember[];
  /** Clients declared in the tenants file (clients:), with the API they speak: a v2 one blocks the move of the clusters it reads. */
  declaredClients: DeclaredClient[];
}

/** The fleet from the settings, with this host's members found from what runs and from the configured places. */
export async function v3MoveFleetFromSettings(
  settings: SiteSettings,
  options: { declaredClients?: DeclaredClient[] | undefined; env?: NodeJS.ProcessEnv } = {},
): Promise<V3MoveFleet> {
  const env = options.env ?? process.env;
  const fleet = await fleetConnectionFromSettings(settings, env);
  const paths = sitePathsOf(settings, env);
  return {
    ...fleet,
    // pgfleet's own instances; adopted ones are found again below, with how to restart them.
    hostMembers: await findHostMembers(
      fleet.localInstances.filter((instance) => !isAdopted(instance)),
      paths.patroniConfigDir,
      settings.patroni?.member_files,
      memberSourcesFromSettings(settings, paths).fleet,
    ),
    declaredClients: options.declaredClients ?? [...(fleet.tenants.clients ?? [])],
  };
}

/**
 * pgfleet's own instances (restarted through their pid file), then every
 * other member of this fleet found running or in a configured place
 * (adopted: restarted through its systemd unit, or its own command line
 * again when nothing supervises it; one under another supervisor is named as
 * a problem). A member of another etcd or namespace is not this host's
 * member (thisHostMembers leaves it alone and names it): counting it made
 * `status` report another fleet's Patroni on `etcd:` as one of ours.
 */
export async function findHostMembers(
  managed: LocalInstance[],
  configDir: string,
  memberFiles: readonly string[] = [],
  fleet?: FleetDcs | undefined,
): Promise<HostMember[]> {
  const members: HostMember[] = [];
  const managedFiles = new Set<string>();
  for (const instance of managed) {
    const real = await realpath(instance.configFile).catch(() => instance.configFile);
    managedFiles.add(real);
    members.push({ instance, realConfigFile: real, adopted: false });
  }
  const configDirs = await configDirNames(configDir);
  const discovery = await discoverLocalMembers({
    patterns: [...new Set([...memberFilePatterns(configDir), ...memberFiles])],
  });
  for (const member of discovery.members) {
    if (member.realConfigFile && managedFiles.has(member.realConfigFile)) {
      const known = members.find((candidate) => candidate.realConfigFile === member.realConfigFile);
      if (known && member.process) {
        known.reader = { uid: member.process.uid, gid: member.process.gid, groups: member.process.groups };
        const overrides = v2EnvironmentOverrides(member.process.environmentOverrides);
        if (overrides.length > 0) known.problem = environmentProblem(overrides);
      }
      continue;
    }
    if (member.dcsSection !== 'etcd' || !member.scope || !member.name) continue;
    if (notThisFleet(member, configDirs, fleet) !== undefined) continue;
    try {
      const instance = await adoptedLocalInstance(member);
      const way = member.pid === undefined ? undefined : await adoptedRestartWay(member.pid);
      const overrides = v2EnvironmentOverrides(member.process?.environmentOverrides ?? []);
      const problem =
        member.pid === undefined
          ? 'its Patroni is not running'
          : way?.kind === 'refused'
            ? `pgfleet cannot restart its Patroni: ${way.reason}`
            : overrides.length > 0
              ? environmentProblem(overrides)
              : undefined;
      members.push({
        instance,
        realConfigFile: instance.realConfigFile,
        adopted: true,
        ...(problem ? { problem } : {}),
        ...(member.process
          ? { reader: { uid: member.process.uid, gid: member.process.gid, groups: member.process.groups } }
          : {}),
      });
    } catch (error) {
      members.push({
        instance: {
          name: member.configFile,
          configFile: member.configFile,
          config: {},
          scope: member.scope,
          namespace: member.namespace ?? '/service/',
          node: member.name,
          restUrl: '',
          restCredentials: {},
          dcsSection: 'etcd',
          etcdUsername: undefined,
          owner: { uid: 0, gid: 0 },
        },
        realConfigFile: member.realConfigFile ?? member.configFile,
        adopted: true,
        problem: describeError(error),
      });
    }
  }
  return members;
}

/** A member's YAML read again: a step must judge the file as it is now. */
export async function rereadHostMember(member: HostMember): Promise<HostMember> {
  if (member.adopted) return member;
  try {
    const instance = await readLocalInstance(member.instance.configFile);
    return {
      ...member,
      instance: { ...instance, ...(member.instance.logFile ? { logFile: member.instance.logFile } : {}) },
    };
  } catch (error) {
    return { ...member, problem: describeError(error) };
  }
}

function environmentProblem(overrides: readonly string[]): string {
  return `its Patroni's environment sets ${overrides.join(', ')}: Patroni builds an etcd: section from them whatever its YAML says; set them as PATRONI_ETCD3_* (and restart it) first`;
}

/** The fleet as the REST clients reach it: every member of this host (adopted ones too) through its own YAML. */
export function reachingHostMembers(fleet: V3MoveFleet): V3MoveFleet {
  return {
    ...fleet,
    localInstances: fleet.hostMembers
      .filter((member) => member.instance.restUrl !== '')
      .map((member) => member.instance),
  };
}
