import { Secret } from '../../core/secret.js';
import type { GateInput } from '../../core/migration/enforce-gates.js';
import { expectedMembers } from '../../core/migration/expected-members.js';
import type { EtcdClient } from '../../adapters/etcd/etcd-client.js';
import { readLocalInstance } from '../../node/local-instances.js';
import type { FleetConnection } from '../../fleet/fleet-connection.js';
import type { FleetRestClients } from '../../fleet/fleet-rest.js';
import { ensureAdminIdentity } from './admin-identity.js';
import { type FleetFacts, collectFleetFacts } from './fleet-facts.js';

/** The gate inputs, read live from etcd and the members' REST APIs (and root's password set while auth is off: see checkAdmin). */
export async function collectGateInput(
  connection: FleetConnection,
  admin: EtcdClient,
  rest: FleetRestClients,
): Promise<{ authEnabled: boolean; endpointsDown: string[]; facts: FleetFacts; gate: GateInput }> {
  const facts = await collectFleetFacts(connection, admin, rest);
  const { works, problem } = await ensureAdminIdentity(connection, admin, facts.authEnabled);
  const gate = {
    ...gateInputFromFacts(facts, connection, works, problem),
    localCredentialDrift: await localCredentialDrift(connection),
    localInstanceNames: new Map(
      connection.localInstances.map((instance) => [
        `${instance.namespace}${instance.scope}/${instance.node}`,
        instance.name,
      ]),
    ),
    localProblems: connection.localProblems,
  };
  return { authEnabled: facts.authEnabled, endpointsDown: facts.endpointsDown, facts, gate };
}

/** Local members whose YAML does not hold their tenant's current user and password (the password is compared, never shown). */
async function localCredentialDrift(connection: FleetConnection): Promise<Map<string, string>> {
  const drift = new Map<string, string>();
  for (const known of connection.localInstances) {
    const tenant = await connection.tenants.credentialsFor(known.namespace, known.scope).catch(() => undefined);
    if (!tenant) continue;
    // Read now, not when the connection was made: `migrate` applies the credentials after that.
    const instance = await readLocalInstance(known.configFile);
    const dcs = (instance.config[instance.dcsSection] ?? {}) as { username?: unknown; password?: unknown };
    const id = `${known.namespace}${known.scope}/${known.node}`;
    if (dcs.username !== tenant.username) {
      drift.set(
        id,
        `its YAML (${instance.configFile}) now names ${typeof dcs.username === 'string' ? `user ${dcs.username}` : 'no etcd user'} instead of ${tenant.username}`,
      );
    } else if (typeof dcs.password !== 'string' || !tenant.password.equals(new Secret(dcs.password))) {
      drift.set(
        id,
        `its YAML (${instance.configFile}) holds a password for ${tenant.username} other than the tenant's current one`,
      );
    }
  }
  return drift;
}

/** The gate inputs from the facts read, and the members pgfleet expects (readiness records, this host's instances). */
export function gateInputFromFacts(
  facts: FleetFacts,
  connection: Pick<FleetConnection, 'localInstances' | 'namespaces'>,
  adminCredentialsWork: boolean,
  adminProblem?: string,
): GateInput {
  const { members, tenantUsers, readiness, unreachable, patroniVersions, tokenType, etcdVersions } = facts;
  return {
    members,
    tenantUsers,
    readiness,
    unreachable,
    patroniVersions,
    tokenType,
    etcdVersions,
    adminCredentialsWork,
    adminProblem,
    expectedMembers: expectedMembers({
      readiness,
      localInstances: connection.localInstances,
      namespaces: connection.namespaces,
    }),
  };
}
