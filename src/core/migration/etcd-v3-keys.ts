import { type PatroniKeyKind, parsePatroniKey } from '../census/patroni-key.js';

/**
 * What moving a Patroni cluster from etcd's v2 keyspace to v3 does with each
 * of its keys (Patroni 3.0.2, read in patroni/dcs/etcd.py, etcd3.py, ha.py
 * and checked on this stack):
 *
 * - copied: `config` (it carries `pause: true`: a leader that finds no config
 *   writes its own dynamic configuration, and a replica that finds no pause
 *   acts on its own), `initialize` (the system identifier every member checks
 *   its data against), `history`, `status` and the legacy `optime/leader`,
 *   `sync` and `failsafe`;
 * - left to Patroni: `leader` and `members/*` live on a TTL in v2 and a lease
 *   in v3. Each restarted member registers itself; the running primary of a
 *   paused cluster whose system identifier matches `initialize` takes the
 *   free leader key ("PAUSE: acquired session lock as a leader"), and a
 *   paused replica never races for it (ha.py is_healthiest_node: in pause,
 *   only a running primary is healthiest). A copied leader key would hold no
 *   lease of the leader's ("I am the leader but not owner of the lease");
 * - refused: `failover`: in pause, a replica named as its candidate races for
 *   a free leader key (ha.py manual_failover_process_no_leader), so a pending
 *   switchover or failover must finish or be cancelled first.
 */
export type KeyTreatment = 'copy' | 'left-to-patroni' | 'refuse';

const TREATMENT: Record<PatroniKeyKind, KeyTreatment> = {
  config: 'copy',
  initialize: 'copy',
  history: 'copy',
  status: 'copy',
  optime: 'copy',
  sync: 'copy',
  failsafe: 'copy',
  leader: 'left-to-patroni',
  members: 'left-to-patroni',
  failover: 'refuse',
};

export interface ClusterKey {
  key: string;
  value: string;
}

export interface KeyCopyPlan {
  /** The durable keys, with the same names in v3. */
  copy: ClusterKey[];
  /** Keys Patroni writes again on its own: not copied. */
  leftToPatroni: string[];
  /** Keys that block the move (a pending failover), with why. */
  refused: Array<{ key: string; why: string }>;
  /** Keys under the cluster's prefix that are not Patroni's: nothing is moved while they are there. */
  unknown: string[];
}

/** Sorts a cluster's v2 keys (all under `base`, e.g. `/service/alpha/`) by what the move does with them. */
export function planKeyCopy(base: string, keys: readonly ClusterKey[]): KeyCopyPlan {
  const plan: KeyCopyPlan = { copy: [], leftToPatroni: [], refused: [], unknown: [] };
  for (const entry of keys) {
    const shape = parsePatroniKey(entry.key);
    if (!shape || shape.base !== base || shape.citusGroup !== undefined) {
      plan.unknown.push(entry.key);
      continue;
    }
    const treatment = TREATMENT[shape.kind];
    if (treatment === 'copy') plan.copy.push({ key: entry.key, value: entry.value });
    else if (treatment === 'left-to-patroni') plan.leftToPatroni.push(entry.key);
    else
      plan.refused.push({
        key: entry.key,
        why: 'a switchover or failover is pending: in pause, the replica it names races for the free leader key while members move',
      });
  }
  return plan;
}

/** The `pause` a cluster's v2 `config` value carries: the copy must say `pause: true`. */
export function configPaused(plan: Pick<KeyCopyPlan, 'copy'>, base: string): boolean {
  const config = plan.copy.find((entry) => entry.key === `${base}config`);
  if (!config) return false;
  try {
    const parsed: unknown = JSON.parse(config.value);
    return typeof parsed === 'object' && parsed !== null && (parsed as { pause?: unknown }).pause === true;
  } catch {
    return false;
  }
}

/** The v2 directory of a cluster (`/service/alpha`): what the v2 API reads and deletes. */
export function v2Directory(base: string): string {
  return base.replace(/\/+$/, '');
}
