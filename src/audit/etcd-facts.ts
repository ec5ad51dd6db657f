import { Agent, request } from 'undici';
import { readFileSync } from 'node:fs';
import { PgfleetError, describeError } from '../core/errors.js';
import type { AuditGap, DiscoveredCluster, EtcdFacts, ProcessFacts } from '../core/audit/fleet-snapshot.js';
import { redactCommandLine } from '../core/audit/redaction.js';
import type { TokenType } from '../core/migration/enforce-gates.js';
import { EtcdAuthApi } from '../adapters/etcd/auth-api.js';
import {
  etcdCommandLineFromDebugVars,
  tokenTypeFromCommandLine,
  tokenTypeFromToken,
} from '../adapters/etcd/auth-token-type.js';
import { EtcdClient, type EtcdCredentials } from '../adapters/etcd/etcd-client.js';
import type { EtcdTlsFiles } from '../adapters/etcd/gateway-transport.js';
import { readPatroniDcs } from '../adapters/etcd/patroni-members.js';
import { readReadinessRecords } from '../fleet/readiness-records.js';
import { mapBounded } from './bounded-map.js';

export interface EtcdAuditTarget {
  endpoints: string[];
  tls: EtcdTlsFiles;
  namespaces: string[];
  /** The admin identity, when the settings (or the environment) give one. */
  admin?: EtcdCredentials | undefined;
  /** Why there is no admin identity, for the gap it leaves once auth is on. */
  adminProblem?: string | undefined;
  /** Local etcd processes (already redacted), for the token type when the API cannot tell. */
  localEtcd: readonly ProcessFacts[];
  concurrency?: number;
}

/**
 * What the audit learns from etcd itself: auth on/off, versions, token type,
 * users, roles and their ranges, the clusters registered in the DCS, the
 * readiness records, and whether a TLS client without a certificate is let
 * in. Parts it cannot read become gaps; no endpoint answering at all means
 * the live audit cannot run.
 */
export async function collectEtcdFacts(target: EtcdAuditTarget, gaps: AuditGap[]): Promise<EtcdFacts> {
  const versions: EtcdFacts['versions'] = [];
  const unreachableEndpoints: string[] = [];
  await Promise.all(
    target.endpoints.map(async (endpoint) => {
      const single = new EtcdClient({ endpoints: [endpoint], tls: target.tls, timeoutMs: 3_000 });
      try {
        versions.push({ endpoint, version: (await single.status()).version });
      } catch {
        unreachableEndpoints.push(endpoint);
      } finally {
        await single.close();
      }
    }),
  );
  if (versions.length === 0) {
    throw new PgfleetError(
      'AUDIT_ETCD_UNREACHABLE',
      `--live: no etcd endpoint answered (${target.endpoints.join(', ')})`,
      {
        hint: 'check patroni.etcd.hosts/protocol/cacert in the settings and that etcd runs, or audit without --live',
      },
    );
  }
  for (const endpoint of unreachableEndpoints)
    gaps.push({ what: `etcd endpoint ${endpoint}`, reason: 'did not answer a status request' });
  versions.sort((a, b) => a.endpoint.localeCompare(b.endpoint));

  const anonymous = new EtcdClient({ endpoints: target.endpoints, tls: target.tls });
  const admin = target.admin
    ? new EtcdClient({ endpoints: target.endpoints, tls: target.tls, credentials: target.admin })
    : undefined;
  try {
    const authEnabled = await anonymous.isAuthEnabled();
    // With auth off anyone may read; with auth on only the admin can list users and read every prefix.
    const reader = admin ?? anonymous;
    const noReader =
      authEnabled && !admin
        ? `etcd auth is on and no admin credentials are available (${target.adminProblem ?? 'none given'})`
        : undefined;

    const usersAndRoles = noReader
      ? undefined
      : await readUsersAndRoles(reader, target.concurrency ?? 16).catch((error: unknown) => describeError(error));
    if (noReader || typeof usersAndRoles === 'string')
      gaps.push({ what: 'etcd users and roles', reason: noReader ?? `could not be read: ${usersAndRoles as string}` });
    const accounts = typeof usersAndRoles === 'object' ? usersAndRoles : undefined;

    let clusters: DiscoveredCluster[] = [];
    try {
      if (noReader) throw new Error(noReader);
      clusters = await discoveredClusters(reader, target.namespaces);
    } catch (error) {
      gaps.push({
        what: `Patroni clusters registered in the DCS (${target.namespaces.join(', ')})`,
        reason: noReader ?? `could not be read: ${describeError(error)}`,
      });
    }

    let memberCredentials: EtcdFacts['memberCredentials'];
    if (!noReader) {
      memberCredentials = await readReadinessRecords(reader)
        .then((records) => [...records].map(([member, record]) => ({ member, username: record.username })))
        .catch(() => undefined);
    }

    const serverArgs = await etcdCommandLineFromDebugVars(target.endpoints[0]!, 2_000, target.tls).then((args) =>
      args ? redactCommandLine(args).args : undefined,
    );
    const token = await tokenType(authEnabled, admin, serverArgs, target.localEtcd);
    return {
      endpoints: target.endpoints,
      authEnabled,
      versions,
      unreachableEndpoints: unreachableEndpoints.sort(),
      tokenType: token.type,
      ...(token.source ? { tokenTypeSource: token.source } : {}),
      users: accounts?.users,
      roles: accounts?.roles,
      clusters,
      memberCredentials,
      serverArgs,
      clientCertProbe: target.endpoints[0]!.startsWith('https://')
        ? await probeWithoutClientCertificate(target.endpoints[0]!, target.tls)
        : undefined,
    };
  } finally {
    await anonymous.close();
    await admin?.close();
  }
}

async function readUsersAndRoles(
  client: EtcdClient,
  concurrency: number,
): Promise<Required<Pick<EtcdFacts, 'users' | 'roles'>>> {
  const api = new EtcdAuthApi(client);
  const [userNames, roleNames] = await Promise.all([api.listUsers(), api.listRoles()]);
  const users = (await mapBounded(userNames, concurrency, (name) => api.getUser(name))).filter(
    (user) => user !== undefined,
  );
  const roles = (await mapBounded(roleNames, concurrency, (name) => api.getRole(name))).filter(
    (role) => role !== undefined,
  );
  return { users, roles };
}

async function discoveredClusters(client: EtcdClient, namespaces: string[]): Promise<DiscoveredCluster[]> {
  const { members, configs } = await readPatroniDcs(client, namespaces);
  const clusters = new Map<string, DiscoveredCluster>();
  for (const member of members) {
    const id = `${member.namespace}${member.scope}`;
    const cluster = clusters.get(id) ?? {
      namespace: member.namespace,
      scope: member.scope,
      members: [],
      config: dynamicConfig(configs.get(id)),
    };
    cluster.members.push({ name: member.name, apiUrl: member.apiUrl, patroniVersion: member.patroniVersion });
    clusters.set(id, cluster);
  }
  return [...clusters.values()];
}

function dynamicConfig(config: Record<string, unknown> | undefined): DiscoveredCluster['config'] {
  if (!config) return undefined;
  const postgresql =
    typeof config.postgresql === 'object' && config.postgresql !== null
      ? (config.postgresql as Record<string, unknown>)
      : {};
  return {
    ...(typeof config.synchronous_mode === 'boolean' ? { synchronousMode: config.synchronous_mode } : {}),
    ...(typeof postgresql.use_pg_rewind === 'boolean' ? { usePgRewind: postgresql.use_pg_rewind } : {}),
  };
}

async function tokenType(
  authEnabled: boolean,
  admin: EtcdClient | undefined,
  serverArgs: string[] | undefined,
  localEtcd: readonly ProcessFacts[],
): Promise<{ type: TokenType; source?: string }> {
  if (authEnabled && admin) {
    // Any call makes the client authenticate; its token's shape tells simple from JWT.
    await admin.call('/v3/maintenance/status', {}).catch(() => undefined);
    if (admin.token) {
      const type = tokenTypeFromToken(admin.token);
      if (type !== 'unknown') return { type, source: "the admin's token" };
    }
  }
  if (serverArgs)
    return { type: tokenTypeFromCommandLine(serverArgs) ?? 'simple', source: 'etcd command line (/debug/vars)' };
  for (const process of localEtcd) {
    const fromArgs = tokenTypeFromCommandLine(process.args);
    if (fromArgs) return { type: fromArgs, source: `etcd process ${process.pid} on this host` };
    const fromEnvironment = process.etcdEnvironment?.ETCD_AUTH_TOKEN;
    if (fromEnvironment)
      return {
        type: fromEnvironment.startsWith('jwt') ? 'jwt' : fromEnvironment === 'simple' ? 'simple' : 'unknown',
        source: `ETCD_AUTH_TOKEN of etcd process ${process.pid}`,
      };
  }
  return { type: 'unknown' };
}

/** Connects over TLS trusting the CA but presenting no client certificate: does etcd let such a client in? */
async function probeWithoutClientCertificate(
  endpoint: string,
  tls: EtcdTlsFiles,
): Promise<EtcdFacts['clientCertProbe']> {
  const dispatcher = new Agent({
    connect: { timeout: 3_000, ...(tls.cacert ? { ca: readFileSync(tls.cacert) } : {}) },
    headersTimeout: 3_000,
    bodyTimeout: 3_000,
  });
  try {
    const response = await request(`${endpoint.replace(/\/+$/, '')}/v3/maintenance/status`, {
      method: 'POST',
      body: '{}',
      dispatcher,
    });
    await response.body.dump();
    return { endpoint, outcome: 'accepted', detail: `HTTP ${response.statusCode}` };
  } catch (error) {
    const codes = [error, (error as { cause?: unknown }).cause]
      .map((item) => (item as { code?: unknown } | undefined)?.code)
      .filter((code): code is string => typeof code === 'string');
    const refused = codes.some((code) => /^ERR_SSL_.*ALERT|ECONNRESET|UND_ERR_SOCKET/.test(code));
    return { endpoint, outcome: refused ? 'refused' : 'error', detail: codes[0] ?? describeError(error) };
  } finally {
    await dispatcher.destroy().catch(() => undefined);
  }
}
