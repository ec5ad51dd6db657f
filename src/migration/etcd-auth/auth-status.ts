import type { TokenType } from '../../core/migration/enforce-gates.js';
import { type EnforceState, isTerminal } from '../../core/migration/enforce-state.js';
import { memberId } from '../../core/migration/fleet-member.js';
import { type MigrationStanding, migrationStanding } from '../../core/migration/migration-standing.js';
import type { FleetConnection } from '../../fleet/fleet-connection.js';
import { readEnforceState } from './enforce-state-store.js';
import { type EtcdEndpointFacts, collectFleetFacts } from './fleet-facts.js';
import { clusterKey } from '../../fleet/fleet-rest.js';
import { withFleetClients } from '../../fleet/fleet-connection.js';
import { thisHostName } from '../../adapters/process/host-name.js';

export interface MemberAuthStatus {
  member: string;
  cluster: string;
  where: 'this host' | 'another host';
  role: string | undefined;
  state: string | undefined;
  patroniVersion: string | undefined;
  paused: boolean | undefined;
  /** Why its REST API did not answer. */
  unreachable: string | undefined;
  tenantUser: string | undefined;
  /** What `apply` recorded for it (never a password). */
  readiness: { username: string; host: string; appliedAt: string } | null;
  ready: boolean;
  /** Its DCS write probe in the last enforce run. */
  lastProbe: { ok: boolean; detail: string } | null;
}

export interface EtcdAuthStatus {
  authEnabled: boolean;
  tokenType: TokenType;
  etcdVersion: string | undefined;
  etcd: EtcdEndpointFacts[];
  members: MemberAuthStatus[];
  standing: MigrationStanding;
  lastRun: EnforceState | null;
}

/**
 * `etcd auth status`: is auth on, token type, etcd version(s), each member's
 * Patroni version and readiness, and where the migration stands (including
 * a run interrupted on any host). Reads only.
 */
export async function etcdAuthStatus(connection: FleetConnection): Promise<EtcdAuthStatus> {
  return withFleetClients(connection, async ({ admin, rest }) => {
    const facts = await collectFleetFacts(connection, admin, rest);
    const lastRun = await readEnforceState(admin);
    const probes = new Map((lastRun?.probes ?? []).map((probe) => [probe.member, probe]));
    const members = facts.members.map((member): MemberAuthStatus => {
      const id = memberId(member);
      const live = facts.live.get(id);
      const record = facts.readiness.get(id);
      const tenantUser = facts.tenantUsers.get(clusterKey(member));
      const probe = probes.get(id);
      return {
        member: id,
        cluster: clusterKey(member),
        where: member.managedHere ? 'this host' : 'another host',
        role: live?.role ?? member.role,
        state: live?.state,
        patroniVersion: live?.patroniVersion,
        paused: live?.paused,
        unreachable: facts.unreachable.get(id),
        tenantUser,
        readiness: record ? { username: record.username, host: record.host, appliedAt: record.appliedAt } : null,
        ready: record !== undefined && record.username === tenantUser,
        lastProbe: probe ? { ok: probe.ok, detail: probe.detail } : null,
      };
    });
    return {
      authEnabled: facts.authEnabled,
      tokenType: facts.tokenType,
      etcdVersion: facts.etcdVersions[0],
      etcd: facts.etcd,
      members,
      standing: migrationStanding({
        authEnabled: facts.authEnabled,
        readyMembers: members.filter((member) => member.ready).length,
        totalMembers: members.length,
        lastRun,
        coordinatorAlive: lastRun && !isTerminal(lastRun.phase) ? coordinatorAlive(lastRun) : undefined,
      }),
      lastRun: lastRun ?? null,
    };
  });
}

/** Known only on the coordinator's own host. */
function coordinatorAlive(run: EnforceState): boolean | undefined {
  if (run.coordinator.host !== thisHostName()) return undefined;
  try {
    process.kill(run.coordinator.pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
