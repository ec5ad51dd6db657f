import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { ExitCode, PgfleetError } from '../../core/errors.js';
import { Secret } from '../../core/secret.js';
import { evaluateEnforceGates, type GateFailure, type GateInput, type TokenType } from '../../core/migration/enforce-gates.js';
import { type EnforcePhase, type EnforceState, type MemberProbeResult, interruptedRun, rollbackSteps, transition, withEndpointsDown } from '../../core/migration/enforce-state.js';
import { type FleetMember, memberId } from '../../core/migration/fleet-member.js';
import { AUTH_MIGRATION_KEY } from '../../core/migration/readiness-record.js';
import { EtcdAuthApi } from '../../adapters/etcd/auth-api.js';
import { EtcdClient, type EtcdCredentials } from '../../adapters/etcd/etcd-client.js';
import type { EtcdTlsFiles } from '../../adapters/etcd/gateway-transport.js';
import { discoverPatroniMembers } from '../../adapters/etcd/patroni-members.js';
import type { PatroniRestCredentials } from '../../adapters/patroni/rest-client.js';
import { type LocalInstance, readLocalInstance } from '../../instance/local-instances.js';
import { tailFile } from '../../instance/patroni-process.js';
import { describeDcsLogCause, diagnoseDcsLog } from '../../core/migration/dcs-log-diagnosis.js';
import { ensureAdminIdentity } from './admin-identity.js';
import { writeEnforceReportFiles } from './enforce-report-file.js';
import { describeLaggingResume, pauseClusters, resumeClusters } from './cluster-pause.js';
import { restartFrozenViews } from './frozen-view.js';
import type { PatroniDaemonAccess } from '../../instance/patroni-restart.js';
import { type FleetFacts, collectFleetFacts, probeEtcdEndpoints } from './fleet-facts.js';
import { FleetRestClients, clusterKey } from './fleet-rest.js';
import { logRefusalSince } from './member-log-refusal.js';
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
  /** Where enforce keeps its reports (JSON + text); none are written without it. */
  reportDir?: string | undefined;
  /** How to restart a local Patroni daemon (a rollback restarts one whose view of the DCS froze); without it, such a member is only reported. */
  patroniDaemon?: PatroniDaemonAccess | undefined;
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
  /** The report files, when the connection has a reportDir. */
  reportFiles?: { json: string; text: string } | undefined;
}

/** The gate inputs, read live from etcd and the members' REST APIs (and root's password set while auth is off: see checkAdmin). */
export async function collectGateInput(connection: FleetConnection, admin: EtcdClient, rest: FleetRestClients): Promise<{ authEnabled: boolean; endpointsDown: string[]; facts: FleetFacts; gate: GateInput }> {
  const facts = await collectFleetFacts(connection, admin, rest);
  const { works, problem } = await ensureAdminIdentity(connection, admin, facts.authEnabled);
  const gate = { ...gateInputFromFacts(facts, works, problem), localCredentialDrift: await localCredentialDrift(connection) };
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
    const id = `${instance.namespace}${instance.scope}/${instance.node}`;
    if (dcs.username !== tenant.username) {
      drift.set(id, `its YAML (${instance.configFile}) now names ${typeof dcs.username === 'string' ? `user ${dcs.username}` : 'no etcd user'} instead of ${tenant.username}`);
    } else if (typeof dcs.password !== 'string' || !tenant.password.equals(new Secret(dcs.password))) {
      drift.set(id, `its YAML (${instance.configFile}) holds a password for ${tenant.username} other than the tenant's current one`);
    }
  }
  return drift;
}

export function gateInputFromFacts(facts: FleetFacts, adminCredentialsWork: boolean, adminProblem?: string): GateInput {
  const { members, tenantUsers, readiness, unreachable, patroniVersions, tokenType, etcdVersions } = facts;
  return { members, tenantUsers, readiness, unreachable, patroniVersions, tokenType, etcdVersions, adminCredentialsWork, adminProblem };
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
    let paused: Awaited<ReturnType<typeof pauseClusters>>;
    try {
      paused = await pauseClusters(members, rest, { onNudge: progress });
    } catch (error) {
      // pauseClusters resumed what it had paused: nothing changed, the run ends here.
      await save({ ...transition(transition(state, 'rolling-back'), 'rolled-back'), failures: [...state.failures, `pause failed: ${error instanceof Error ? error.message : String(error)}`] });
      throw error;
    }
    await save({ ...state, pausedByUs: paused.pausedByUs });

    progress('auth enable');
    // What each local member logs from here on says at once why a DCS write of its own is refused.
    const refusalFromLog = await logRefusalSince(connection.localInstances);
    // Recorded before the call, so that a coordinator killed right after enabling leaves a state that says auth may be on.
    await save({ ...transition(state, 'enabling'), enabledAt: new Date().toISOString() });
    await new EtcdAuthApi(admin).enable();
    const enabledAt = Date.now();

    progress(`probe: every member writes to the DCS with its own credentials; every tenant reads and writes only its prefix`);
    await save(transition(state, 'probing'));
    const probeStarted = Date.now();
    // Member and tenant probes touch different things: they run side by side to keep auth's first seconds short,
    // but a failed member switches auth off at once, without waiting for the tenants.
    const tenantRun = probeTenantCredentials(connection, [...new Set(members.map(clusterKey))]).catch((error: unknown): TenantProbeResult[] => [
      { cluster: '*', user: '*', ok: false, detail: `tenant probes failed: ${error instanceof Error ? error.message : String(error)}` },
    ]);
    const probes = await probeMemberWrites(members, rest, { stopAtFirstFailure: true, refusalFromLog });
    const memberFailed = probes.some((probe) => !probe.ok);
    const tenantProbes = memberFailed ? [] : await tenantRun;
    progress(`probes done in ${Date.now() - probeStarted} ms`);
    const failedTenants = tenantProbes.filter((probe) => !probe.ok);

    if (memberFailed || failedTenants.length > 0) {
      // Switch auth off before anything else, so the exposure window stays as short as it can be.
      await new EtcdAuthApi(admin).disable();
      const disabledAt = Date.now();
      if (memberFailed) await tenantRun;
      const failedMembers = await explainFromLogs(probes.filter((probe) => !probe.ok && !probe.detail.startsWith('not probed')), connection.localInstances);
      const failures = [...failedMembers.map((p) => (p.detail.includes(p.member) ? p.detail : `${p.member}: ${p.detail}`)), ...failedTenants.map((p) => `tenant ${p.user}: ${p.detail}`)];
      progress(`probe failed for ${failedMembers.length} member(s) and ${failedTenants.length} tenant(s): auth switched off again after ${disabledAt - enabledAt} ms`);
      await save({ ...transition(state, 'rolling-back'), probes, failures, disabledAt: new Date(disabledAt).toISOString(), exposureWindowMs: disabledAt - enabledAt });
      const after = await probeMemberWrites(members, rest);
      // Still paused: the moment to find (and restart) a Patroni whose view of the DCS froze while auth went off.
      const frozen = await restartFrozenViews(members, connection.localInstances, connection.patroniDaemon, rest, progress);
      const { lagging } = await resumeClusters(state.pausedByUs, members, rest, { onNudge: progress });
      const afterRollback = [...after.filter((p) => !p.ok).map((p) => `${p.member}: ${p.detail}`), ...frozen.map((restart) => `${restart.member}: ${restart.detail}`)];
      await save({ ...transition(withEndpointsDown(state, await endpointsDownNow(connection)), 'rolled-back'), ...(lagging.length > 0 ? { warnings: [describeLaggingResume(lagging)] } : {}), failures: [...state.failures, ...afterRollback.map((line) => `after rollback: ${line}`)] });
      const report = await keepReport(connection, { outcome: 'rolled-back', state, gateFailures, tenantProbes, ...(recovered ? { recoveredInterruptedRun: recovered } : {}) });
      throw new PgfleetError('ENFORCE_ROLLED_BACK', `enforce rolled back: ${state.failures.join('; ')}; auth was on for ${state.exposureWindowMs} ms`, {
        exitCode: ExitCode.rolledBack,
        hint: `${failedMembers.length > 0 ? 'run `pgfleet etcd auth apply` for the members named (on their hosts), then enforce again' : 'check the tenants with `pgfleet etcd auth plan`'}${report.reportFiles ? `; report: ${report.reportFiles.text}` : ''}`,
        details: { report },
      });
    }

    progress('resume the clusters');
    await save({ ...transition(state, 'resuming'), probes });
    const { lagging } = await resumeClusters(state.pausedByUs, members, rest, { onNudge: progress });
    if (lagging.length > 0) progress(`warning: ${describeLaggingResume(lagging)}`);
    await save({ ...transition(withEndpointsDown(state, await endpointsDownNow(connection)), 'enforced'), ...(lagging.length > 0 ? { warnings: [describeLaggingResume(lagging)] } : {}) });
    return keepReport(connection, { outcome: 'enforced', state, gateFailures, tenantProbes, ...(recovered ? { recoveredInterruptedRun: recovered } : {}) });
  } finally {
    await rest.close();
    await admin.close();
  }
}

/** Endpoints down at the end of the run: one that died after the gates is reported too. */
async function endpointsDownNow(connection: FleetConnection): Promise<string[]> {
  return (await probeEtcdEndpoints(connection)).flatMap((endpoint) => (endpoint.down !== undefined ? [endpoint.endpoint] : []));
}

async function keepReport(connection: FleetConnection, report: EnforceReport): Promise<EnforceReport> {
  if (!connection.reportDir) return report;
  return { ...report, reportFiles: await writeEnforceReportFiles(connection.reportDir, report) };
}

/** For members on this host, the Patroni log says whether the password was wrong or missing. */
async function explainFromLogs(failed: MemberProbeResult[], instances: LocalInstance[]): Promise<MemberProbeResult[]> {
  return Promise.all(
    failed.map(async (probe) => {
      const instance = instances.find((candidate) => `${candidate.namespace}${candidate.scope}/${candidate.node}` === probe.member);
      if (!instance?.logFile) return probe;
      const cause = describeDcsLogCause(diagnoseDcsLog((await tailFile(instance.logFile, 200)).split('\n')), probe.member);
      return cause && !probe.detail.includes(cause) ? { ...probe, detail: `${cause}; ${probe.detail}` } : probe;
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
      if (done.includes('auth disabled')) {
        // As after an automatic rollback: a Patroni whose view froze while auth went off is restarted while still paused.
        const paused = members.filter((member) => step.clusters.includes(clusterKey(member)));
        const frozen = await restartFrozenViews(paused, connection.localInstances, connection.patroniDaemon, rest, progress);
        done.push(...frozen.map((restart) => `${restart.member}: ${restart.detail}`));
      }
      progress(`resume ${step.clusters.join(', ')}`);
      const { lagging } = await resumeClusters(step.clusters, members, rest, { onNudge: progress });
      done.push(`resumed ${step.clusters.join(', ')}`);
      if (lagging.length > 0) done.push(`warning: ${describeLaggingResume(lagging)}`);
    }
  }
  let next = state;
  if (state && state.phase !== 'enforced' && state.phase !== 'rolled-back') {
    next = { ...state, phase: 'rolled-back', updatedAt: new Date().toISOString(), failures: [...state.failures, 'rolled back by `etcd auth rollback` or a later enforce'] };
    await admin.put(AUTH_MIGRATION_KEY, JSON.stringify(next));
  }
  return { steps: done, state: next };
}

