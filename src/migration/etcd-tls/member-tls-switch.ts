import { createHash } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import {
  type EtcdTlsMemberResult,
  type EtcdTlsMemberStep,
  type EtcdTlsReadinessRecord,
  etcdTlsReadinessKey,
} from '../../core/migration/etcd-tls-run.js';
import { applyEtcdTlsTarget } from '../../core/migration/etcd-tls-target.js';
import { memberId } from '../../core/migration/fleet-member.js';
import type { EtcdClient } from '../../adapters/etcd/etcd-client.js';
import { writeFileAtomic } from '../../adapters/fs/atomic-file.js';
import { writePatroniConfigFile } from '../../adapters/patroni/config-file.js';
import { postmasterKept } from '../../node/patroni-restart.js';
import type { FleetRestClients } from '../../fleet/fleet-rest.js';
import { restartAndVerify } from '../../fleet/member-restart.js';
import type { LocalTlsMember } from './tls-gate-facts.js';
import type { EtcdTlsFleet } from './tls-fleet.js';
import { thisHostName } from '../../adapters/process/host-name.js';

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
export async function switchMemberToTls(
  entry: LocalTlsMember,
  context: MemberSwitchContext,
): Promise<EtcdTlsMemberResult> {
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
    await writePatroniConfigFile(instance.configFile, config, {
      owner: instance.owner,
      validation: context.fleet.patroni.validation,
    });
  } catch (error) {
    // The validator refused it: the previous file was never replaced.
    await rm(backupFile, { force: true });
    return {
      member: id,
      outcome: 'restored',
      detail: `new YAML refused before anything was restarted: ${error instanceof Error ? error.message : String(error)}`,
      elapsedMs: Date.now() - started,
    };
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
    return {
      member: id,
      outcome: 'restored',
      detail: `${attempt.reason}; its previous YAML is back and it writes to the DCS again`,
      elapsedMs: Date.now() - started,
      postmasterKept: kept,
    };
  }
  return {
    member: id,
    outcome: 'restore-failed',
    detail: `${attempt.reason}; after restoring its previous YAML (kept in ${backupFile}): ${restored.reason}`,
    elapsedMs: Date.now() - started,
    postmasterKept: kept,
  };
}

async function recordReadiness(entry: LocalTlsMember, yaml: string, store: EtcdClient): Promise<void> {
  const record: EtcdTlsReadinessRecord = {
    namespace: entry.member.namespace,
    scope: entry.member.scope,
    member: entry.member.name,
    hosts: entry.target.hosts,
    configSha256: createHash('sha256').update(yaml).digest('hex'),
    host: thisHostName(),
    migratedAt: new Date().toISOString(),
  };
  await store.put(etcdTlsReadinessKey(entry.member), JSON.stringify(record));
}
