import { resolve } from 'node:path';
import { PgfleetError } from '../core/errors.js';
import { postgresqlPort } from '../core/instance/instance-environment.js';
import type { InstanceService } from '../core/instance/instance-record.js';
import { PatroniRestClient } from '../adapters/patroni/rest-client.js';
import { type InstanceSite, type ManagedInstance, loadManagedInstance, siteInstanceLayout } from './instance-site.js';
import { type AdoptedLocalInstance, isAdopted } from '../node/adopted-local-instance.js';
import type { LocalInstance } from '../node/local-instances.js';
import { type ThisHostMembers, memberSourcesFromSettings, thisHostMembers } from '../node/this-host-members.js';
import { displayRole } from '../fleet/member-role.js';
import { patroniService } from './patroni-service.js';

/** How the Patroni of a listed member runs: pgfleet's own service kinds, or `external` for a member pgfleet adopted (started by systemd, Debian's tools, a shell...). */
export type MemberService = InstanceService | 'external';

export interface ClusterMemberView {
  name: string;
  role: string;
  state: string;
  host: string | null;
  port: number | null;
  timeline: number | null;
  /** Replication lag in bytes, as GET /cluster reports it ("unknown" when Patroni cannot tell). */
  lag: number | string | null;
  pendingRestart: boolean;
}

export interface InstanceStatus {
  name: string;
  scope: string;
  node: string;
  namespace: string;
  configFile: string;
  /** The file its Patroni reads (configFile through symlinks). */
  realConfigFile: string;
  /** A member pgfleet did not create: found from its running Patroni or a configured location; its file is only edited key by key. */
  adopted: boolean;
  service: MemberService;
  port: number | null;
  restUrl: string;
  /** The Patroni daemon: running, with its pid. */
  process: { running: boolean; pid: number | null };
  /** GET /patroni of this member; null when the REST API did not answer. */
  patroni: {
    state: string;
    role: string;
    timeline: number | null;
    pendingRestart: boolean;
    paused: boolean;
    patroniVersion: string | null;
    serverVersion: number | null;
  } | null;
  lag: number | string | null;
  /** GET /cluster: every member; null when the REST API did not answer. */
  cluster: { leader: string | null; members: ClusterMemberView[] } | null;
  error: string | null;
}

/** A live look at one instance: its process, its member (GET /patroni) and its cluster (GET /cluster). */
export async function instanceStatus(
  site: InstanceSite,
  instance: ManagedInstance,
  timeoutMs = 3_000,
  discoveredPid?: number,
): Promise<InstanceStatus> {
  const { local, layout, record } = instance;
  const serviceKind = record?.service ?? 'background';
  // A Patroni running with this file counts, whoever started it (pgfleet's pid file says only what pgfleet started).
  const pid =
    (await patroniService(site, layout, serviceKind)
      .runningPid()
      .catch(() => undefined)) ??
    discoveredPid ??
    null;
  return liveStatus(
    {
      name: instance.name,
      scope: local.scope,
      node: local.node,
      namespace: local.namespace,
      configFile: local.configFile,
      realConfigFile: local.configFile,
      adopted: false,
      service: serviceKind,
      port: postgresqlPort(local.config) ?? null,
      restUrl: local.restUrl,
      process: { running: pid !== null, pid },
    },
    local,
    timeoutMs,
  );
}

/** The same look at a member pgfleet adopted: its process as found on this host. */
export async function adoptedInstanceStatus(
  instance: AdoptedLocalInstance,
  timeoutMs = 3_000,
): Promise<InstanceStatus> {
  return liveStatus(
    {
      name: instance.name,
      scope: instance.scope,
      node: instance.node,
      namespace: instance.namespace,
      configFile: instance.configFile,
      realConfigFile: instance.realConfigFile,
      adopted: true,
      service: 'external',
      port: postgresqlPort(instance.config) ?? null,
      restUrl: instance.restUrl,
      process: { running: instance.running, pid: instance.pid ?? null },
    },
    instance,
    timeoutMs,
  );
}

type StatusBase = Pick<
  InstanceStatus,
  | 'name'
  | 'scope'
  | 'node'
  | 'namespace'
  | 'configFile'
  | 'realConfigFile'
  | 'adopted'
  | 'service'
  | 'port'
  | 'restUrl'
  | 'process'
>;

async function liveStatus(base: StatusBase, local: LocalInstance, timeoutMs: number): Promise<InstanceStatus> {
  const rest = new PatroniRestClient(local.restUrl, local.restCredentials, timeoutMs);
  try {
    const status = await rest.nodeStatus();
    const cluster = await rest.cluster().catch(() => undefined);
    const members: ClusterMemberView[] = (cluster?.members ?? []).map((member) => ({
      name: member.name,
      role: displayRole(member.role),
      state: member.state,
      host: member.host ?? null,
      port: member.port ?? null,
      timeline: member.timeline ?? null,
      lag: member.lag ?? null,
      pendingRestart: (member as { pending_restart?: boolean }).pending_restart === true,
    }));
    return {
      ...base,
      patroni: {
        state: status.state,
        role: displayRole(status.role),
        timeline: status.timeline ?? null,
        pendingRestart: status.pending_restart === true,
        paused: status.pause === true,
        patroniVersion: status.patroni?.version ?? null,
        serverVersion: status.server_version ?? null,
      },
      lag: members.find((member) => member.name === local.node)?.lag ?? null,
      cluster: cluster
        ? {
            leader:
              members.find((member) => member.role === 'leader' || member.role === 'standby_leader')?.name ?? null,
            members,
          }
        : null,
      error: null,
    };
  } catch (error) {
    return {
      ...base,
      patroni: null,
      lag: null,
      cluster: null,
      error: error instanceof Error ? error.message : String(error),
    };
  } finally {
    await rest.close();
  }
}

/**
 * `instance status NAME`: pgfleet's own instance of that name, else the
 * adopted member whose file is named NAME (`15-main` for
 * /etc/patroni/15-main.yml), or whose configuration file NAME is.
 */
export async function instanceStatusByName(site: InstanceSite, name: string): Promise<InstanceStatus> {
  const members = await siteMembers(site);
  const byPath = resolve(name);
  const matches = members.instances.filter(
    (instance) =>
      instance.name === name ||
      instance.configFile === byPath ||
      (isAdopted(instance) && instance.realConfigFile === byPath),
  );
  const own = matches.find((instance) => !isAdopted(instance));
  if (own || matches.length === 0)
    return instanceStatus(
      site,
      await loadManagedInstance(site, own?.name ?? name),
      3_000,
      members.runningPids.get(own?.configFile ?? ''),
    );
  if (matches.length > 1)
    throw new PgfleetError(
      'INSTANCE_AMBIGUOUS',
      `${matches.length} members of this host are named ${name}: ${matches.map((match) => match.configFile).join(', ')}`,
      { hint: 'give the configuration file of the one you mean instead of its name' },
    );
  return adoptedInstanceStatus(matches[0] as AdoptedLocalInstance);
}

/** This host's members as the site settings describe them (own instances, adopted members, problems). */
function siteMembers(site: InstanceSite): Promise<ThisHostMembers> {
  return thisHostMembers(memberSourcesFromSettings(site.settings, site.paths));
}

export interface InstanceListEntry {
  name: string;
  scope: string;
  node: string;
  port: number | null;
  restUrl: string;
  configFile: string;
  /** A member pgfleet did not create (see InstanceStatus.adopted). */
  adopted: boolean;
  service: MemberService;
  running: boolean;
  pid: number | null;
  role: string | null;
  state: string | null;
  /** Why this member's file or process cannot be used (then most fields are null). */
  problem: string | null;
  hint: string | null;
}

/**
 * Every member of this host: pgfleet's instances (its configuration
 * directory), the members it adopts (running Patroni processes of this
 * site's etcd and namespaces, files at patroni.member_files), and files or
 * processes that cannot be used, named with why.
 */
export async function listInstances(site: InstanceSite): Promise<InstanceListEntry[]> {
  const members = await siteMembers(site);
  const entries = await Promise.all(
    members.instances.map(async (local) => {
      const status = isAdopted(local)
        ? await adoptedInstanceStatus(local, 1_500)
        : await instanceStatus(
            site,
            // One unreadable record must not hide the other instances: that one is then taken as a background instance.
            await loadManagedInstance(site, local.name).catch(() => ({
              name: local.name,
              layout: siteInstanceLayout(site, local.name),
              local,
              record: undefined,
            })),
            1_500,
            members.runningPids.get(local.configFile),
          );
      return {
        name: status.name,
        scope: status.scope,
        node: status.node,
        port: status.port,
        restUrl: status.restUrl,
        configFile: status.configFile,
        adopted: status.adopted,
        service: status.service,
        running: status.process.running,
        pid: status.process.pid,
        role: status.patroni?.role ?? null,
        state: status.patroni?.state ?? null,
        problem: null,
        hint: null,
      };
    }),
  );
  const problems = members.problems.map((problem): InstanceListEntry => ({
    name: problem.configFile
      .split('/')
      .pop()!
      .replace(/\.ya?ml$/, ''),
    scope: '',
    node: '',
    port: null,
    restUrl: '',
    configFile: problem.configFile,
    adopted: true,
    service: 'external',
    running: problem.running,
    pid: problem.pid ?? null,
    role: null,
    state: null,
    problem: problem.problem,
    hint: problem.hint,
  }));
  return [...entries, ...problems];
}
