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
