import { createHash } from 'node:crypto';
import { access, readFile } from 'node:fs/promises';
import {
  type AuthPlan,
  type LocalMemberView,
  type TenantView,
  planAuthMigration,
  withCensus,
} from '../../core/migration/auth-plan.js';
import { interruptedRun } from '../../core/migration/enforce-state.js';
import { formatRange, prefixRange } from '../../core/etcd/key-range.js';
import { EtcdAuthApi } from '../../adapters/etcd/auth-api.js';
import { isAdopted } from '../../node/adopted-local-instance.js';
import type { LocalInstance } from '../../node/local-instances.js';
import { inspectAdminIdentity } from './admin-identity.js';
import type { FleetConnection } from '../../fleet/fleet-connection.js';
import { readEnforceState } from './enforce-state-store.js';
import { gateInputFromFacts } from './gate-input.js';
import { collectFleetFacts } from './fleet-facts.js';
import { judgeFleetCensus } from './census-check.js';
import { withFleetClients } from '../../fleet/fleet-connection.js';
import type { TenantDirectory } from '../../fleet/tenant-directory.js';

/** The tenancy naming `plan` needs beyond the credentials (SettingsTenantDirectory has it). */
export interface PlanTenantDirectory extends TenantDirectory {
  roleFor(namespace: string, scope: string): string;
  passwordFile(user: string): string;
}

/**
 * `etcd auth plan`: reads the fleet (every member in the DCS, the instances
 * managed on this host, tenants, readiness records, etcd) and says per member
 * what prepare → apply → enforce will do and what blocks it. Changes nothing.
 */
export async function planEtcdAuthMigration(
  connection: FleetConnection & { tenants: PlanTenantDirectory },
  options: { census?: boolean } = {},
): Promise<AuthPlan> {
  return withFleetClients(connection, async ({ admin, rest }) => {
    const facts = await collectFleetFacts(connection, admin, rest);
    const auth = new EtcdAuthApi(admin);
    const adminCheck = await inspectAdminIdentity(connection, admin, facts.authEnabled);
    const root = await auth.getUser(connection.admin.username).catch(() => undefined);
    const tenants = new Map<string, TenantView>(
      await Promise.all(
        [...facts.tenantUsers].map(async ([cluster, user]) => {
          const { namespace, scope } = facts.members.find(
            (member) => `${member.namespace}${member.scope}` === cluster,
          )!;
          return [cluster, await inspectTenant(auth, connection.tenants, cluster, namespace, scope, user)] as const;
        }),
      ),
    );
    const previous = interruptedRun(await readEnforceState(admin).catch(() => undefined));
    // The census (issue 23): every client of the etcd, set against the fleet; skipped once auth is on.
    const census =
      options.census !== false && !facts.authEnabled ? await judgeFleetCensus(connection, admin, facts) : undefined;
    const plan = planAuthMigration({
      authEnabled: facts.authEnabled,
      gate: gateInputFromFacts(facts, connection, adminCheck.works, adminCheck.problem),
      admin: {
        username: connection.admin.username,
        exists: facts.authEnabled ? adminCheck.works : root !== undefined,
        holdsRootRole: facts.authEnabled ? adminCheck.works : root?.roles.includes('root') === true,
        problem: adminCheck.problem,
      },
      local: await Promise.all(connection.localInstances.map(localView)),
      localProblems: connection.localProblems,
      leftAlone: connection.leftAlone,
      tenants,
      tenantProblems: facts.tenantProblems,
      endpointsDown: facts.endpointsDown,
      roles: new Map([...facts.live].map(([id, live]) => [id, live.role])),
      interruptedRun: previous ? { id: previous.id, phase: previous.phase } : undefined,
    });
    return census ? withCensus(plan, census.report) : plan;
  });
}

async function inspectTenant(
  auth: EtcdAuthApi,
  directory: PlanTenantDirectory,
  cluster: string,
  namespace: string,
  scope: string,
  user: string,
): Promise<TenantView> {
  const roleName = directory.roleFor(namespace, scope);
  const wanted = prefixRange(`${cluster}/`);
  const [etcdUser, role] = await Promise.all([auth.getUser(user), auth.getRole(roleName)]);
  const exact = (p: { key: Buffer; rangeEnd: Buffer }) =>
    p.key.equals(wanted.key) && p.rangeEnd.equals(wanted.rangeEnd);
  const passwordFile = directory.passwordFile(user);
  return {
    user,
    role: roleName,
    userExists: etcdUser !== undefined,
    userHasRole: etcdUser?.roles.includes(roleName) === true,
    roleExists: role !== undefined,
    roleGrantExact: role?.permissions.some((p) => p.permType === 'READWRITE' && exact(p)) === true,
    otherGrants: (role?.permissions ?? []).filter((p) => !exact(p)).map(formatRange),
    passwordHere: await access(passwordFile).then(
      () => true,
      () => false,
    ),
    passwordFile,
  };
}

async function localView(instance: LocalInstance): Promise<LocalMemberView> {
  const text = await readFile(instance.configFile, 'utf8');
  return {
    namespace: instance.namespace,
    scope: instance.scope,
    node: instance.node,
    configFile: instance.configFile,
    etcdUsername: instance.etcdUsername,
    configSha256: createHash('sha256').update(text).digest('hex'),
    ...(isAdopted(instance)
      ? { adopted: { realConfigFile: instance.realConfigFile, dcsSection: instance.dcsSection } }
      : {}),
  };
}
