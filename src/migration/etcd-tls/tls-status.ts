import {
  ETCD_TLS_READINESS_PREFIX,
  type EtcdTlsReadinessRecord,
  type EtcdTlsRunState,
} from '../../core/migration/etcd-tls-run.js';
import { describeEtcdConnection } from '../../core/migration/etcd-tls-target.js';
import { memberId } from '../../core/migration/fleet-member.js';
import type { RunLockView } from '../../core/migration/run-lock-record.js';
import { withAdminClient } from '../../fleet/fleet-connection.js';
import { readRunLockView } from '../../fleet/run-state-store.js';
import { discoverPatroniMembers } from '../../adapters/etcd/patroni-members.js';
import { readEtcdTlsRunState } from './tls-migrate-run.js';
import { type EtcdTlsFleet, withCurrentInstances } from './tls-fleet.js';

export interface EtcdTlsMemberStatus {
  member: string;
  managedHere: boolean;
  /** How its YAML reaches etcd (members on this host only). */
  connection?: string | undefined;
  onHttps: boolean | undefined;
  /** When `etcd tls migrate` saw it write over https (from any host). */
  migratedAt?: string | undefined;
}

export interface EtcdTlsStatus {
  endpoints: Array<{ endpoint: string; ok: boolean; detail: string }>;
  members: EtcdTlsMemberStatus[];
  /** Members not known to be on https: the http listener must stay until this is empty. */
  pending: string[];
  lastRun: EtcdTlsRunState | undefined;
  /** The run lock read at the time of the call: null when no run holds it. */
  runLock: RunLockView | null;
}

/**
 * Where the fleet stands on its way to https: etcd over https with the
 * settings' files, each member (this host's from their YAML, every member
 * from the records `etcd tls migrate` left), and the last run.
 */
export async function etcdTlsStatus(given: EtcdTlsFleet): Promise<EtcdTlsStatus> {
  const fleet = await withCurrentInstances(given);
  return withAdminClient(fleet, async (store) => {
    const endpoints = await Promise.all(
      fleet.endpoints.map(async (endpoint) => {
        try {
          return { endpoint, ok: true, detail: `etcd ${(await store.status(endpoint)).version}` };
        } catch (error) {
          return { endpoint, ok: false, detail: error instanceof Error ? error.message : String(error) };
        }
      }),
    );
    const records = new Map<string, EtcdTlsReadinessRecord>();
    for (const entry of await store.getPrefix(ETCD_TLS_READINESS_PREFIX)) {
      const record = JSON.parse(entry.value) as EtcdTlsReadinessRecord;
      records.set(`${record.namespace}${record.scope}/${record.member}`, record);
    }
    const members = (await discoverPatroniMembers(store, fleet.namespaces)).map((member): EtcdTlsMemberStatus => {
      const id = memberId(member);
      const instance = fleet.localInstances.find(
        (candidate) =>
          candidate.namespace === member.namespace &&
          candidate.scope === member.scope &&
          candidate.node === member.name,
      );
      const section = instance ? ((instance.config[instance.dcsSection] ?? {}) as Record<string, unknown>) : undefined;
      const record = records.get(id);
      return {
        member: id,
        managedHere: instance !== undefined,
        ...(section ? { connection: describeEtcdConnection(section) } : {}),
        onHttps: section ? section.protocol === 'https' : record ? true : undefined,
        ...(record ? { migratedAt: record.migratedAt } : {}),
      };
    });
    return {
      endpoints,
      members,
      pending: members.filter((member) => member.onHttps !== true).map((member) => member.member),
      lastRun: await readEtcdTlsRunState(store).catch(() => undefined),
      runLock: (await readRunLockView(store).catch(() => undefined)) ?? null,
    };
  });
}
