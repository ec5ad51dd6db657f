import type { TokenType } from '../../core/migration/enforce-gates.js';
import { type FleetMember, memberId } from '../../core/migration/fleet-member.js';
import type { ReadinessRecord } from '../../core/migration/readiness-record.js';
import { tokenTypeFromDebugVars, tokenTypeFromToken } from '../../adapters/etcd/auth-token-type.js';
import { readReadinessRecords } from '../../fleet/readiness-records.js';
import { EtcdClient } from '../../adapters/etcd/etcd-client.js';
import { discoverPatroniMembers } from '../../adapters/etcd/patroni-members.js';
import type { FleetConnection } from '../../fleet/fleet-connection.js';
import { type FleetRestClients, clusterKey } from '../../fleet/fleet-rest.js';

/** What one member's REST API says about itself (GET /patroni). */
export interface MemberLiveStatus {
  role: string;
  state: string;
  patroniVersion: string;
  timeline: number | undefined;
  paused: boolean;
}

export interface EtcdEndpointFacts {
  endpoint: string;
  version?: string | undefined;
  /** Why it did not answer. */
  down?: string | undefined;
}

/**
 * The fleet as it is right now, read without changing anything: etcd (auth
 * on or off, token type, version of each endpoint), every Patroni member
 * registered in the DCS under the namespaces pgfleet is told about, what each
 * member's REST API says, and the readiness records `apply` left.
 */
export interface FleetFacts {
  authEnabled: boolean;
  tokenType: TokenType;
  etcd: EtcdEndpointFacts[];
  endpointsDown: string[];
  etcdVersions: string[];
  members: FleetMember[];
  live: Map<string, MemberLiveStatus>;
  unreachable: Map<string, string>;
  patroniVersions: Map<string, string>;
  readiness: Map<string, ReadinessRecord>;
  /** Tenant user expected for each cluster, keyed `<namespace><scope>`. */
  tenantUsers: Map<string, string>;
  /** Clusters whose tenant cannot be named (e.g. a scope that cannot be isolated), with why. */
  tenantProblems: Map<string, string>;
}

export async function collectFleetFacts(
  connection: FleetConnection,
  admin: EtcdClient,
  rest: FleetRestClients,
): Promise<FleetFacts> {
  const anonymous = new EtcdClient({ endpoints: connection.endpoints, tls: connection.tls });
  try {
    const etcd = await probeEtcdEndpoints(connection, anonymous);
    const endpointsDown = etcd.filter((e) => e.down !== undefined).map((e) => e.endpoint);
    const authEnabled = await anonymous.isAuthEnabled();
    const members = await discoverPatroniMembers(admin, connection.namespaces, (namespace, scope, name) =>
      connection.localInstances.some(
        (instance) => instance.namespace === namespace && instance.scope === scope && instance.node === name,
      ),
    );
    const readiness = await readReadinessRecords(admin);
    const live = new Map<string, MemberLiveStatus>();
    const unreachable = new Map<string, string>();
    const patroniVersions = new Map<string, string>();
    await Promise.all(
      members.map(async (member) => {
        try {
          const status = await rest.for(member).nodeStatus();
          patroniVersions.set(memberId(member), status.patroni.version);
          live.set(memberId(member), {
            role: status.role,
            state: status.state,
            patroniVersion: status.patroni.version,
            timeline: status.timeline,
            paused: status.pause === true,
          });
        } catch (error) {
          unreachable.set(memberId(member), error instanceof Error ? error.message : String(error));
        }
      }),
    );
    const tenantUsers = new Map<string, string>();
    const tenantProblems = new Map<string, string>();
    for (const member of members) {
      try {
        const user = connection.tenants.userFor(member.namespace, member.scope);
        if (user) tenantUsers.set(clusterKey(member), user);
      } catch (error) {
        tenantProblems.set(clusterKey(member), error instanceof Error ? error.message : String(error));
      }
    }
    return {
      authEnabled,
      tokenType: await detectTokenType(connection, admin, authEnabled, endpointsDown),
      etcd,
      endpointsDown,
      etcdVersions: etcd.flatMap((e) => (e.version ? [e.version] : [])),
      members,
      live,
      unreachable,
      patroniVersions,
      readiness,
      tenantUsers,
      tenantProblems,
    };
  } finally {
    await anonymous.close();
  }
}

/** Each etcd endpoint's version, or why it did not answer (the status call needs no token). */
export async function probeEtcdEndpoints(
  connection: Pick<FleetConnection, 'endpoints' | 'tls'>,
  client?: EtcdClient,
): Promise<EtcdEndpointFacts[]> {
  const anonymous = client ?? new EtcdClient({ endpoints: connection.endpoints, tls: connection.tls });
  try {
    return await Promise.all(
      connection.endpoints.map(async (endpoint): Promise<EtcdEndpointFacts> => {
        try {
          return { endpoint, version: (await anonymous.status(endpoint)).version };
        } catch (error) {
          return { endpoint, down: error instanceof Error ? error.message : String(error) };
        }
      }),
    );
  } finally {
    if (!client) await anonymous.close();
  }
}

/**
 * With auth on, the admin's own token tells (JWT or simple); with auth off,
 * etcd's command line on /debug/vars, unless the settings declare it.
 */
export async function detectTokenType(
  connection: FleetConnection,
  admin: EtcdClient,
  authEnabled: boolean,
  endpointsDown: string[] = [],
): Promise<TokenType> {
  if (authEnabled) {
    try {
      return tokenTypeFromToken(await admin.authenticate(connection.admin));
    } catch {
      return connection.declaredTokenType ?? 'unknown';
    }
  }
  if (connection.declaredTokenType) return connection.declaredTokenType;
  for (const endpoint of connection.endpoints.filter((e) => !endpointsDown.includes(e))) {
    const type = await tokenTypeFromDebugVars(endpoint, 2_000, connection.tls);
    if (type) return type;
  }
  return 'unknown';
}
