import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { ExitCode, PgfleetError } from '../../core/errors.js';
import { evaluateEnforceGates, type GateFailure, type TokenType } from '../../core/migration/enforce-gates.js';
import { type EnforcePhase, type EnforceState, type MemberProbeResult, interruptedRun, rollbackSteps, transition } from '../../core/migration/enforce-state.js';
import { type FleetMember, memberId } from '../../core/migration/fleet-member.js';
import { AUTH_MIGRATION_KEY } from '../../core/migration/readiness-record.js';
import { EtcdAuthApi } from '../../adapters/etcd/auth-api.js';
import { tokenTypeFromDebugVars, tokenTypeFromToken } from '../../adapters/etcd/auth-token-type.js';
import { EtcdClient, type EtcdCredentials } from '../../adapters/etcd/etcd-client.js';
import type { EtcdTlsFiles } from '../../adapters/etcd/gateway-transport.js';
import { discoverPatroniMembers } from '../../adapters/etcd/patroni-members.js';
import type { PatroniRestCredentials } from '../../adapters/patroni/rest-client.js';
import type { LocalInstance } from '../../instance/local-instances.js';
import { tailFile } from '../../instance/patroni-process.js';
import { describeDcsLogCause, diagnoseDcsLog } from '../../core/migration/dcs-log-diagnosis.js';
import { pauseClusters, resumeClusters } from './cluster-pause.js';
import { readReadinessRecords } from './readiness-records.js';
import { FleetRestClients, clusterKey } from './fleet-rest.js';
import { probeMemberWrites } from './member-write-probe.js';
import type { TenantDirectory } from './tenant-directory.js';
import { probeTenantCredentials, type TenantProbeResult } from './tenant-probe.js';

export interface FleetConnection {
  endpoints: string[];
  tls?: EtcdTlsFiles | undefined;
  namespaces: string[];
  admin: EtcdCredentials;
  /** Declared by the operator when etcd's token type cannot be read (ETCD_AUTH_TOKEN in its environment). */
  declaredTokenType?: TokenType | undefined;
  localInstances: LocalInstance[];
  restCredentials?: PatroniRestCredentials | undefined;
  tenants: TenantDirectory;
}

export interface EnforceOptions {
  /** For drills only: go on although gates failed, to see the probes catch it. */
  skipGates?: boolean | undefined;
  onProgress?: ((message: string) => void) | undefined;
  /** Test hook: called after each persisted phase (e.g. to kill the coordinator between enable and probes). */
  afterPhase?: ((phase: EnforcePhase) => Promise<void>) | undefined;
}

export interface EnforceReport {
  outcome: 'enforced' | 'rolled-back';
  state: EnforceState;
  gateFailures: GateFailure[];
  tenantProbes: TenantProbeResult[];
  recoveredInterruptedRun?: string | undefined;
}

/** The gate inputs, read live from etcd and the members' REST APIs. */
export async function collectGateInput(connection: FleetConnection, admin: EtcdClient, rest: FleetRestClients) {
  const anonymous = new EtcdClient({ endpoints: connection.endpoints, tls: connection.tls });
  try {
    const members = await discoverPatroniMembers(admin, connection.namespaces, (namespace, scope, name) =>
      connection.localInstances.some((instance) => instance.namespace === namespace && instance.scope === scope && instance.node === name),
    );
    const readiness = await readReadinessRecords(admin);
    const unreachable = new Map<string, string>();
    const patroniVersions = new Map<string, string>();
    await Promise.all(
      members.map(async (member) => {
        try {
          const status = await rest.for(member).nodeStatus();
          patroniVersions.set(memberId(member), status.patroni.version);
        } catch (error) {
          unreachable.set(memberId(member), error instanceof Error ? error.message : String(error));
        }
      }),
    );
    const endpointsDown: string[] = [];
    const etcdVersions: string[] = [];
    for (const endpoint of connection.endpoints) {
      try {
        etcdVersions.push((await anonymous.status(endpoint)).version);
      } catch {
        endpointsDown.push(endpoint);
      }
    }
    const authEnabled = await anonymous.isAuthEnabled();
    const { works, problem } = await checkAdmin(connection, admin, authEnabled);
    const tokenType = await detectTokenType(connection, admin, authEnabled, endpointsDown);
    const tenantUsers = new Map<string, string>();
    for (const member of members) {
      const user = connection.tenants.userFor(member.namespace, member.scope);
      if (user) tenantUsers.set(clusterKey(member), user);
    }
    return {
      authEnabled,
      endpointsDown,
      gate: { members, tenantUsers, readiness, unreachable, patroniVersions, tokenType, etcdVersions, adminCredentialsWork: works, adminProblem: problem },
    };
  } finally {
    await anonymous.close();
  }
}

/**
 * With auth off a password cannot be checked, and a wrong root password
 * would leave pgfleet unable to switch auth off again. So while auth is off,
 * pgfleet sets root's password to the one it holds: the way back is known
 * to work before the way forward is taken.
 */
async function checkAdmin(connection: FleetConnection, admin: EtcdClient, authEnabled: boolean): Promise<{ works: boolean; problem?: string }> {
  const auth = new EtcdAuthApi(admin);
  try {
    if (authEnabled) {
      await admin.authenticate(connection.admin);
      return { works: true };
    }
    const root = await auth.getUser(connection.admin.username);
    if (!root) return { works: false, problem: `user ${connection.admin.username} does not exist (run \`pgfleet etcd auth prepare\`)` };
    if (!root.roles.includes('root')) return { works: false, problem: `user ${connection.admin.username} does not hold the root role` };
    await auth.changePassword(connection.admin.username, connection.admin.password);
    return { works: true };
  } catch (error) {
    return { works: false, problem: error instanceof Error ? error.message : String(error) };
  }
}

async function detectTokenType(connection: FleetConnection, admin: EtcdClient, authEnabled: boolean, endpointsDown: string[]): Promise<TokenType> {
  if (authEnabled) {
    try {
      return tokenTypeFromToken(await admin.authenticate(connection.admin));
    } catch {
      return connection.declaredTokenType ?? 'unknown';
    }
  }
  if (connection.declaredTokenType) return connection.declaredTokenType;
  for (const endpoint of connection.endpoints.filter((e) => !endpointsDown.includes(e))) {
    const type = await tokenTypeFromDebugVars(endpoint);
    if (type) return type;
  }
  return 'unknown';
}

export async function readEnforceState(admin: EtcdClient): Promise<EnforceState | undefined> {
  const entry = await admin.get(AUTH_MIGRATION_KEY);
  return entry ? (JSON.parse(entry.value) as EnforceState) : undefined;
}

/**
 * prepare → apply → **enforce**: gates, pause every cluster, auth enable,
 * probe every member's DCS write and every tenant, then resume — or, at the
 * first failed probe, auth disable, probe again, resume, and report.
 */
export async function enforceEtcdAuth(connection: FleetConnection, options: EnforceOptions = {}): Promise<EnforceReport> {
  const progress = options.onProgress ?? (() => undefined);
  const admin = new EtcdClient({ endpoints: connection.endpoints, tls: connection.tls, credentials: connection.admin });
  const rest = new FleetRestClients(connection.localInstances, connection.restCredentials);
  try {
    const recovered = await recoverInterruptedRun(connection, admin, rest, progress);

    progress('gates: readiness of every member, reachability, token type, etcd version, admin credentials');
    const collected = await collectGateInput(connection, admin, rest);
    if (collected.authEnabled) {
      throw new PgfleetError('AUTH_ALREADY_ENABLED', 'etcd authentication is already on', { hint: '`pgfleet etcd auth status` shows the fleet; `pgfleet etcd auth rollback` switches it off' });
    }
    const gateFailures = evaluateEnforceGates(collected.gate);
    if (gateFailures.length > 0 && !options.skipGates) {
      throw new PgfleetError('ENFORCE_GATES_REFUSED', `enforce refused at the gates:\n${gateFailures.map((f) => `  - ${f.message} (${f.hint})`).join('\n')}`, {
        hint: 'fix each point above, then run enforce again; nothing was changed',
        details: { gateFailures },
      });
    }
    if (gateFailures.length > 0) progress(`gates failed (${gateFailures.length}) but --skip-gates was given: going on for the drill`);
    const members = collected.gate.members.filter((member) => !collected.gate.unreachable.has(memberId(member)));

    let state: EnforceState = {
      id: randomBytes(6).toString('hex'),
      phase: 'gates',
      coordinator: { host: hostname(), pid: process.pid },
      startedAt: new Date().toISOString(),
      updatedAt: new Date().toISOString(),
      pausedByUs: [],
      probes: [],
      failures: gateFailures.map((f) => f.message),
      endpointsDown: collected.endpointsDown,
    };
    const save = async (next: EnforceState): Promise<EnforceState> => {
      state = next;
      await admin.put(AUTH_MIGRATION_KEY, JSON.stringify(state));
      await options.afterPhase?.(state.phase);
      return state;
    };
    await save(state);

    progress(`pause ${new Set(members.map(clusterKey)).size} cluster(s) so no member demotes while auth switches`);
    state = transition(state, 'pausing');
    await save(state);
    const paused = await pauseClusters(members, rest);
    await save({ ...state, pausedByUs: paused.pausedByUs });

    progress('auth enable');
    // Recorded before the call, so that a coordinator killed right after enabling leaves a state that says auth may be on.
    await save({ ...transition(state, 'enabling'), enabledAt: new Date().toISOString() });
    await new EtcdAuthApi(admin).enable();
    const enabledAt = Date.now();

    progress(`probe: every member writes to the DCS with its own credentials; every tenant reads and writes only its prefix`);
    await save(transition(state, 'probing'));
    const probeStarted = Date.now();
    const probes = await probeMemberWrites(members, rest, { stopAtFirstFailure: true });
    const failedMembers = await explainFromLogs(probes.filter((probe) => !probe.ok && !probe.detail.startsWith('not probed')), connection.localInstances);
    const tenantProbes = failedMembers.length > 0 ? [] : await probeTenantCredentials(connection, [...new Set(members.map(clusterKey))]);
    progress(`probes done in ${Date.now() - probeStarted} ms`);
    const failedTenants = tenantProbes.filter((probe) => !probe.ok);
    const failures = [...failedMembers.map((p) => `${p.member}: ${p.detail}`), ...failedTenants.map((p) => `tenant ${p.user}: ${p.detail}`)];

    if (failures.length > 0) {
      // Switch auth off before anything else, so the exposure window stays as short as it can be.
      await new EtcdAuthApi(admin).disable();
      const disabledAt = Date.now();
      progress(`probe failed for ${failedMembers.length} member(s) and ${failedTenants.length} tenant(s): auth switched off again after ${disabledAt - enabledAt} ms`);
      await save({ ...transition(state, 'rolling-back'), probes, failures, disabledAt: new Date(disabledAt).toISOString(), exposureWindowMs: disabledAt - enabledAt });
      const after = await probeMemberWrites(members, rest);
      await resumeClusters(state.pausedByUs, members, rest);
      await save({ ...transition(state, 'rolled-back'), failures: [...state.failures, ...after.filter((p) => !p.ok).map((p) => `after rollback: ${p.member}: ${p.detail}`)] });
      const report: EnforceReport = { outcome: 'rolled-back', state, gateFailures, tenantProbes, ...(recovered ? { recoveredInterruptedRun: recovered } : {}) };
      throw new PgfleetError('ENFORCE_ROLLED_BACK', `enforce rolled back: ${state.failures.join('; ')}; auth was on for ${state.exposureWindowMs} ms`, {
        exitCode: ExitCode.rolledBack,
        hint: failedMembers.length > 0 ? 'run `pgfleet etcd auth apply` for the members named (on their hosts), then enforce again' : 'check the tenants with `pgfleet etcd tenants plan`',
        details: { report },
      });
    }

    progress('resume the clusters');
    await save({ ...transition(state, 'resuming'), probes });
    await resumeClusters(state.pausedByUs, members, rest);
    await save(transition(state, 'enforced'));
    return { outcome: 'enforced', state, gateFailures, tenantProbes, ...(recovered ? { recoveredInterruptedRun: recovered } : {}) };
  } finally {
    await rest.close();
    await admin.close();
  }
}

/** For members on this host, the Patroni log says whether the password was wrong or missing. */
async function explainFromLogs(failed: MemberProbeResult[], instances: LocalInstance[]): Promise<MemberProbeResult[]> {
  return Promise.all(
    failed.map(async (probe) => {
      const instance = instances.find((candidate) => `${candidate.namespace}${candidate.scope}/${candidate.node}` === probe.member);
      if (!instance?.logFile) return probe;
      const cause = describeDcsLogCause(diagnoseDcsLog((await tailFile(instance.logFile, 200)).split('\n')), probe.member);
      return cause ? { ...probe, detail: `${cause} (${probe.detail})` } : probe;
    }),
  );
}

/** `etcd auth rollback`: auth disable (as admin) if on, resume the clusters a run paused; users and roles stay. */
export async function rollbackEtcdAuth(connection: FleetConnection, onProgress: (message: string) => void = () => undefined): Promise<{ steps: string[]; state: EnforceState | undefined }> {
  const admin = new EtcdClient({ endpoints: connection.endpoints, tls: connection.tls, credentials: connection.admin });
  const rest = new FleetRestClients(connection.localInstances, connection.restCredentials);
  try {
    return await performRollback(connection, admin, rest, await readEnforceState(admin).catch(() => undefined), onProgress);
  } finally {
    await rest.close();
    await admin.close();
  }
}

async function recoverInterruptedRun(connection: FleetConnection, admin: EtcdClient, rest: FleetRestClients, progress: (message: string) => void): Promise<string | undefined> {
  const previous = interruptedRun(await readEnforceState(admin).catch(() => undefined));
  if (!previous) return undefined;
  progress(`an enforce run (${previous.id}) was interrupted in phase ${previous.phase}: rolling it back first`);
  await performRollback(connection, admin, rest, previous, progress);
  return previous.id;
}

async function performRollback(connection: FleetConnection, admin: EtcdClient, rest: FleetRestClients, state: EnforceState | undefined, progress: (message: string) => void): Promise<{ steps: string[]; state: EnforceState | undefined }> {
  const anonymous = new EtcdClient({ endpoints: connection.endpoints, tls: connection.tls });
  const authEnabled = await anonymous.isAuthEnabled().finally(() => anonymous.close());
  const steps = rollbackSteps(state, authEnabled);
  const done: string[] = [];
  for (const step of steps) {
    if (step.kind === 'auth-disable') {
      progress('auth disable');
      await new EtcdAuthApi(admin).disable();
      done.push('auth disabled');
    } else {
      const members: FleetMember[] = await discoverPatroniMembers(admin, connection.namespaces);
      progress(`resume ${step.clusters.join(', ')}`);
      await resumeClusters(step.clusters, members, rest);
      done.push(`resumed ${step.clusters.join(', ')}`);
    }
  }
  let next = state;
  if (state && state.phase !== 'enforced' && state.phase !== 'rolled-back') {
    next = { ...state, phase: 'rolled-back', updatedAt: new Date().toISOString(), failures: [...state.failures, 'rolled back by `etcd auth rollback` or a later enforce'] };
    await admin.put(AUTH_MIGRATION_KEY, JSON.stringify(next));
  }
  return { steps: done, state: next };
}

