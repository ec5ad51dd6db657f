import { postgresqlPort } from '../core/instance/instance-environment.js';
import type { InstanceService } from '../core/instance/instance-record.js';
import { PatroniRestClient } from '../adapters/patroni/rest-client.js';
import { type InstanceSite, type ManagedInstance, loadManagedInstance, siteInstanceLayout } from './instance-site.js';
import { listLocalInstances } from '../node/local-instances.js';
import { displayRole } from '../fleet/member-role.js';
import { patroniService } from './patroni-service.js';

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
  service: InstanceService;
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
): Promise<InstanceStatus> {
  const { local, layout, record } = instance;
  const serviceKind = record?.service ?? 'background';
  const pid =
    (await patroniService(site, layout, serviceKind)
      .runningPid()
      .catch(() => undefined)) ?? null;
  const base = {
    name: instance.name,
    scope: local.scope,
    node: local.node,
    namespace: local.namespace,
    configFile: local.configFile,
    service: serviceKind,
    port: postgresqlPort(local.config) ?? null,
    restUrl: local.restUrl,
    process: { running: pid !== null, pid },
  };
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

export interface InstanceListEntry {
  name: string;
  scope: string;
  node: string;
  port: number | null;
  restUrl: string;
  service: InstanceService;
  running: boolean;
  role: string | null;
  state: string | null;
}

/** Every instance whose YAML is in the site's Patroni configuration directory, with a quick look at each. */
export async function listInstances(site: InstanceSite): Promise<InstanceListEntry[]> {
  const locals = await listLocalInstances(site.paths.patroniConfigDir, site.paths.patroniLogDir);
  return Promise.all(
    locals.map(async (local) => {
      // One unreadable record must not hide the other instances: that one is then taken as a background instance.
      const instance = await loadManagedInstance(site, local.name).catch(() => ({
        name: local.name,
        layout: siteInstanceLayout(site, local.name),
        local,
        record: undefined,
      }));
      const status = await instanceStatus(site, instance, 1_500);
      return {
        name: status.name,
        scope: status.scope,
        node: status.node,
        port: status.port,
        restUrl: status.restUrl,
        service: status.service,
        running: status.process.running,
        role: status.patroni?.role ?? null,
        state: status.patroni?.state ?? null,
      };
    }),
  );
}
