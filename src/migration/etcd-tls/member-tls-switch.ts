import { createHash } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describeEtcdTlsLogCause, diagnoseEtcdTlsLog } from '../../core/migration/etcd-tls-log-diagnosis.js';
import { type EtcdTlsMemberResult, type EtcdTlsMemberStep, type EtcdTlsReadinessRecord, etcdTlsReadinessKey } from '../../core/migration/etcd-tls-run.js';
import { applyEtcdTlsTarget } from '../../core/migration/etcd-tls-target.js';
import { memberId } from '../../core/migration/fleet-member.js';
import type { EtcdClient } from '../../adapters/etcd/etcd-client.js';
import { writeFileAtomic } from '../../adapters/fs/atomic-file.js';
import { writePatroniConfigFile } from '../../adapters/patroni/config-file.js';
import { type ProcessHandle, isRunning } from '../../adapters/process/daemon.js';
import type { LocalInstance } from '../../instance/local-instances.js';
import { readPatroniPid } from '../../instance/patroni-process.js';
import { type PatroniDaemonAccess, logLinesSince, postmasterKept, restartPatroniDaemon } from '../../instance/patroni-restart.js';
import type { FleetRestClients } from '../etcd-auth/fleet-rest.js';
import { probeMemberWrites } from '../etcd-auth/member-write-probe.js';
import type { LocalTlsMember } from './tls-gate-facts.js';
import type { EtcdTlsFleet } from './tls-fleet.js';

export interface MemberSwitchContext {
  fleet: EtcdTlsFleet;
  rest: FleetRestClients;
  /** Where readiness records go (pgfleet's etcd client). */
  recordStore: EtcdClient;
  /** Called before each step, so the run state says where the member stands if the coordinator dies. */
  onStep: (step: EtcdTlsMemberStep, backupFile: string) => Promise<void>;
  /** How long a restarted member has to answer and write again. */
  memberTimeoutMs: number;
  progress: (message: string) => void;
}

/** Where the previous YAML is kept while a member moves: hidden (not *.yaml), 0600, same owner. */
export function etcdTlsBackupFile(configFile: string): string {
  return join(dirname(configFile), `.${basename(configFile)}.pre-etcd-tls`);
}

/**
 * Moves one member of a paused cluster to https: keeps its YAML aside,
 * writes the new one (atomic, 0600, validated when the settings say so),
 * restarts its Patroni daemon only, waits until it answers and writes to the
 * DCS over https. If it does not, the previous YAML goes back, Patroni is
 * restarted again and must write again (over http).
 */
export async function switchMemberToTls(entry: LocalTlsMember, context: MemberSwitchContext): Promise<EtcdTlsMemberResult> {
  const { instance, member } = entry;
  const id = memberId(member);
  const started = Date.now();
  const backupFile = etcdTlsBackupFile(instance.configFile);
  const previous = await readFile(instance.configFile, 'utf8');
  await context.onStep('backed-up', backupFile);
  await writeFileAtomic(backupFile, previous, { mode: 0o600, owner: instance.owner });

  const section = (instance.config[instance.dcsSection] ?? {}) as Record<string, unknown>;
  const config = { ...instance.config, [instance.dcsSection]: applyEtcdTlsTarget(section, entry.target) };
  await context.onStep('written', backupFile);
  try {
    await writePatroniConfigFile(instance.configFile, config, { owner: instance.owner, validation: context.fleet.patroni.validation });
  } catch (error) {
    // The validator refused it: the previous file was never replaced.
    await rm(backupFile, { force: true });
    return { member: id, outcome: 'restored', detail: `new YAML refused before anything was restarted: ${error instanceof Error ? error.message : String(error)}`, elapsedMs: Date.now() - started };
  }

  context.progress(`${id}: YAML on https, restarting its Patroni (PostgreSQL keeps running)`);
  await context.onStep('restarting', backupFile);
  const attempt = await restartAndVerify(instance, context.fleet.patroni, context.rest, context.memberTimeoutMs);
  if (attempt.ok) {
    await recordReadiness(entry, await readFile(instance.configFile, 'utf8'), context.recordStore);
    await rm(backupFile, { force: true });
    const kept = postmasterKept(attempt.postmasterBefore);
    return {
      member: id,
      outcome: 'migrated',
      detail: `back in ${attempt.backAfterMs} ms, writing to the DCS over https${kept === false ? '; WARNING: its postmaster is not the one that ran before' : ''}`,
      elapsedMs: Date.now() - started,
      postmasterKept: kept,
    };
  }

  context.progress(`${id}: ${attempt.reason}; restoring its previous YAML`);
  await context.onStep('restoring', backupFile);
  await writeFileAtomic(instance.configFile, previous, { mode: 0o600, owner: instance.owner });
  const restored = await restartAndVerify(instance, context.fleet.patroni, context.rest, context.memberTimeoutMs);
  const kept = postmasterKept(attempt.postmasterBefore);
  if (restored.ok) {
    await rm(backupFile, { force: true });
    return { member: id, outcome: 'restored', detail: `${attempt.reason}; its previous YAML is back and it writes to the DCS again`, elapsedMs: Date.now() - started, postmasterKept: kept };
  }
  return {
    member: id,
    outcome: 'restore-failed',
    detail: `${attempt.reason}; after restoring its previous YAML (kept in ${backupFile}): ${restored.reason}`,
    elapsedMs: Date.now() - started,
    postmasterKept: kept,
  };
}

export type Verification = { ok: true; backAfterMs: number; postmasterBefore: ProcessHandle | undefined } | { ok: false; reason: string; postmasterBefore: ProcessHandle | undefined };

/**
 * Restarts the member's Patroni (only while its cluster is paused) and waits
 * until it answers "running" within `timeoutMs` and its DCS write probe passes.
 */
export async function restartAndVerify(instance: LocalInstance, daemon: PatroniDaemonAccess, rest: FleetRestClients, timeoutMs: number): Promise<Verification> {
  const member = { namespace: instance.namespace, scope: instance.scope, name: instance.node, apiUrl: undefined, role: undefined, managedHere: true };
  const id = memberId(member);
  const layout = daemon.layoutOf(instance.name);
  const dataDir = String((instance.config.postgresql as Record<string, unknown> | undefined)?.data_dir ?? layout.dataDir);
  // Outside a pause, a stopping Patroni stops PostgreSQL (and a leader's cluster fails over): never restart one then.
  const running = await readPatroniPid(layout);
  if (running && isRunning(running)) {
    const status = await rest.for(member).nodeStatus().catch(() => undefined);
    if (status && status.pause !== true) return { ok: false, reason: 'its cluster is not paused: restarting its Patroni would stop PostgreSQL', postmasterBefore: undefined };
  }
  let restart;
  try {
    restart = await restartPatroniDaemon(layout, dataDir, { patroniBinary: daemon.binary, runAs: daemon.runAs });
  } catch (error) {
    return { ok: false, reason: `its Patroni could not be restarted: ${error instanceof Error ? error.message : String(error)}`, postmasterBefore: undefined };
  }
  const postmasterBefore = restart.postmasterBefore;
  const restartedAt = Date.now();
  const deadline = restartedAt + timeoutMs;
  const explain = async (what: string): Promise<string> => {
    const cause = describeEtcdTlsLogCause(diagnoseEtcdTlsLog(await logLinesSince(layout.logFile, restart.logOffset)), id);
    return cause ? `${what}: ${cause}` : what;
  };
  for (;;) {
    if (!isRunning(restart.started)) return { ok: false, reason: await explain(`its Patroni exited after the restart (log: ${layout.logFile})`), postmasterBefore };
    const status = await rest.for(member).nodeStatus().catch(() => undefined);
    if (status?.state === 'running') break;
    if (Date.now() > deadline) {
      return { ok: false, reason: await explain(`not back within ${Math.round(timeoutMs / 1000)} s${status ? ` (state ${status.state})` : ' (its REST API does not answer)'}`), postmasterBefore };
    }
    await sleep(300);
  }
  const [probe] = await probeMemberWrites([member], rest);
  if (!probe?.ok) return { ok: false, reason: await explain(`back, but its DCS write probe failed (${probe?.detail ?? 'no answer'})`), postmasterBefore };
  return { ok: true, backAfterMs: Date.now() - restartedAt, postmasterBefore };
}

async function recordReadiness(entry: LocalTlsMember, yaml: string, store: EtcdClient): Promise<void> {
  const record: EtcdTlsReadinessRecord = {
    namespace: entry.member.namespace,
    scope: entry.member.scope,
    member: entry.member.name,
    hosts: entry.target.hosts,
    configSha256: createHash('sha256').update(yaml).digest('hex'),
    host: hostname(),
    migratedAt: new Date().toISOString(),
  };
  await store.put(etcdTlsReadinessKey(entry.member), JSON.stringify(record));
}
