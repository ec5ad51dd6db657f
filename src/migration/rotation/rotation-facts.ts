import { describeError } from '../../core/errors.js';
import { type FleetMember, memberId } from '../../core/migration/fleet-member.js';
import {
  ROTATION_READINESS_PREFIX,
  type RotationReadinessRecord,
  type RotationState,
} from '../../core/migration/rotation-run.js';
import type { RotationClusterFacts, RotationFacts } from '../../core/migration/rotation-plan.js';
import type { Secret } from '../../core/secret.js';
import { EtcdAuthApi } from '../../adapters/etcd/auth-api.js';
import { EtcdClient } from '../../adapters/etcd/etcd-client.js';
import { EtcdError } from '../../adapters/etcd/etcd-error.js';
import { readSecretFile } from '../../adapters/fs/secret-file.js';
import type { LocalInstance } from '../../node/local-instances.js';
import { type FleetRestClients, groupByCluster } from '../../fleet/fleet-rest.js';
import { readMemberRecords } from '../../fleet/readiness-records.js';
import { collectFleetFacts } from '../etcd-auth/index.js';
import { localMemberId, yamlHoldsCredentials } from './member-credentials.js';
import { type RotationFleet, type RotationSelection, selects } from './rotation-fleet.js';
import { passwordFingerprint, readPreviousPassword } from './tenant-password-file.js';

/** The facts of the plan, and what the run needs besides: each cluster's members and the local instance of each member here. */
export interface RotationContext {
  facts: RotationFacts;
  members: Map<string, FleetMember[]>;
  /** Every cluster in the DCS (a neighbour for the tenant probe). */
  allClusters: string[];
  local: Map<string, LocalInstance>;
}

/**
 * Reads the fleet for a rotation, changing nothing: etcd (auth, token type,
 * versions), the clusters selected with their members (live Patroni version
 * and state), each tenant's user and whether etcd accepts its password file,
 * whether each local YAML holds it, and, for a run waiting on other hosts,
 * which of them recorded the new password.
 */
export async function collectRotationFacts(
  fleet: RotationFleet,
  admin: EtcdClient,
  rest: FleetRestClients,
  selection: RotationSelection,
  awaiting?: RotationState | undefined,
): Promise<RotationContext> {
  const fleetFacts = await collectFleetFacts(fleet, admin, rest);
  const grouped = groupByCluster(
    fleetFacts.members.map((member) => ({
      ...member,
      role: fleetFacts.live.get(memberId(member))?.role ?? member.role,
    })),
  );
  const selected = [...grouped.keys()]
    .filter((cluster) => selection.all || selection.scopes.some((scope) => selects(cluster, scope)))
    .sort();
  const unknownScopes = selection.all
    ? []
    : selection.scopes.filter((scope) => ![...grouped.keys()].some((cluster) => selects(cluster, scope)));
  const local = new Map(fleet.localInstances.map((instance) => [localMemberId(instance), instance]));
  const records = await readRotationRecords(admin);
  const auth = new EtcdAuthApi(admin);
  const clusters: RotationClusterFacts[] = [];
  for (const cluster of selected) {
    const members = grouped.get(cluster)!;
    const { namespace, scope } = members[0]!;
    let user: string | undefined;
    let userProblem: string | undefined;
    try {
      user = fleet.tenants.userFor(namespace, scope);
    } catch (error) {
      userProblem = describeError(error);
    }
    const passwordFile = user ? fleet.tenants.passwordFile(user) : undefined;
    const continuing = awaiting?.clusters.some((entry) => entry.cluster === cluster) ?? false;
    const filePassword = user && passwordFile ? await readPassword(passwordFile, user) : undefined;
    // A run waiting on other hosts has the new password in the file and the old one, still etcd's, in `.previous`.
    const etcdPassword =
      continuing && user && passwordFile ? await readPreviousPassword(passwordFile, user) : filePassword;
    const facts: RotationClusterFacts = {
      cluster,
      user,
      userProblem,
      userExists: user ? (await auth.getUser(user)) !== undefined : false,
      passwordFile,
      passwordCheck:
        !user || !etcdPassword
          ? 'missing'
          : fleetFacts.authEnabled
            ? await passwordCheck(fleet, user, etcdPassword)
            : 'not-checked',
      members: await Promise.all(
        members.map(async (member) => {
          const id = memberId(member);
          const live = fleetFacts.live.get(id);
          const instance = local.get(id);
          const record = records.get(id);
          return {
            member: id,
            where: instance ? ('here' as const) : ('elsewhere' as const),
            patroniVersion: live?.patroniVersion,
            state: live?.state,
            unreachable: fleetFacts.unreachable.get(id),
            yamlDrift:
              instance && user && filePassword
                ? await driftOf(instance, { username: user, password: filePassword })
                : undefined,
            hostStepDone:
              !instance && continuing && user && filePassword
                ? record?.username === user && record.passwordSha256 === passwordFingerprint(user, filePassword)
                : undefined,
          };
        }),
      ),
    };
    clusters.push(facts);
  }
  return {
    facts: {
      authEnabled: fleetFacts.authEnabled,
      tokenType: fleetFacts.tokenType,
      etcdVersions: fleetFacts.etcdVersions,
      clusters,
      unknownScopes,
    },
    members: new Map(selected.map((cluster) => [cluster, grouped.get(cluster)!])),
    allClusters: [...grouped.keys()].sort(),
    local,
  };
}

export async function readRotationRecords(admin: EtcdClient): Promise<Map<string, RotationReadinessRecord>> {
  return readMemberRecords<RotationReadinessRecord>(admin, ROTATION_READINESS_PREFIX);
}

async function readPassword(file: string, user: string): Promise<Secret | undefined> {
  return readSecretFile(file, `password of etcd user ${user}`).catch(() => undefined);
}

/** Does etcd accept this password for the user (a fresh anonymous client: nothing cached)? */
export async function passwordCheck(
  fleet: Pick<RotationFleet, 'endpoints' | 'tls'>,
  user: string,
  password: Secret,
): Promise<'accepted' | 'refused'> {
  const client = new EtcdClient({ endpoints: fleet.endpoints, tls: fleet.tls });
  try {
    await client.authenticate({ username: user, password });
    return 'accepted';
  } catch (error) {
    if (error instanceof EtcdError && error.kind === 'authentication-failed') return 'refused';
    throw error;
  } finally {
    await client.close();
  }
}

async function driftOf(
  instance: LocalInstance,
  credentials: { username: string; password: Secret },
): Promise<string | undefined> {
  const holds = await yamlHoldsCredentials(instance, credentials).catch(() => false);
  return holds
    ? undefined
    : `its YAML (${instance.configFile}) does not hold the current password of ${credentials.username}`;
}
