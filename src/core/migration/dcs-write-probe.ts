/**
 * Reading a member's answer to the DCS write probe: `PATCH /config` with a
 * marker key makes the member write the cluster's config key with its own
 * etcd credentials. 200: the write went through. 409: refused (or a genuine
 * compare-and-set conflict: retry once). 401/403: the REST API refused us,
 * which says nothing about the DCS. Reads (dcs_last_seen, GET /cluster) are
 * served from the watch cache and cannot tell (facts note).
 */
export type DcsWriteVerdict = 'writes' | 'refused' | 'conflict' | 'rest-auth' | 'error';

export function classifyPatchConfig(status: number): DcsWriteVerdict {
  if (status === 200) return 'writes';
  if (status === 409) return 'conflict';
  if (status === 401 || status === 403) return 'rest-auth';
  return 'error';
}

/**
 * How long a member's DCS write may go unanswered (or answered by a
 * timeout in its log) before the probe gives up on it. Right after auth
 * enable every Patroni 3.0.2 authenticates again, from two or three threads,
 * and etcd 3.4 checks a bcrypt hash for each (about 45 ms of a core each at
 * the default cost 10, measured on 2 cores: bench/auth-herd.ts): with
 * every member of the fleet in the herd, the last answers come seconds
 * later. The budget grows with the fleet so that a busy etcd is waited for,
 * not taken for a refusal.
 */
export function probeAnswerBudgetMs(members: number): number {
  return 20_000 + members * 150;
}

/** The words that open a probe's detail when etcd, not the member, was too slow: the failure classification reads them. */
export const ETCD_TOO_SLOW = 'etcd too slow to answer';

/** The marker key the probe sets then removes; unique per probe so concurrent probes never cancel out. */
export function probeMarkerPatch(token: string): { set: Record<string, unknown>; clear: Record<string, unknown> } {
  return { set: { pgfleet_probe: token }, clear: { pgfleet_probe: null } };
}

/**
 * The writes that prove every member of one cluster can write to the DCS,
 * one real change each: each member sets the marker to a value of its own.
 * A patch that changes nothing in the member's own view writes nothing and
 * still answers 200: so no member's proof may be a removal, which is a no-op
 * for a member whose view never saw the marker (one cut off from etcd, whose
 * view froze before the others wrote). The marker is removed afterwards by
 * the first member, as cleanup (`proves: false`): its answer proves nothing.
 * Members of a cluster share the config key, so these run one after the other.
 */
export function probeWriteSequence<T>(
  members: T[],
  token: string,
): Array<{ member: T; patch: Record<string, unknown>; proves: boolean }> {
  if (members.length === 0) return [];
  const sets = members.map((member, index) => ({
    member,
    patch: probeMarkerPatch(members.length === 1 ? token : `${token}-${index}`).set,
    proves: true,
  }));
  return [...sets, { member: members[0]!, patch: probeMarkerPatch(token).clear, proves: false }];
}
