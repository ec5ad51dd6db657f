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
 * one real change each (a no-op patch writes nothing): each member but the
 * last sets the marker to a value of its own, the last removes it. A
 * single member sets it, then removes it. Members of a cluster share the
 * config key, so these run one after the other.
 */
export function probeWriteSequence<T>(
  members: T[],
  token: string,
): Array<{ member: T; patch: Record<string, unknown> }> {
  if (members.length === 1)
    return [
      { member: members[0]!, patch: probeMarkerPatch(token).set },
      { member: members[0]!, patch: probeMarkerPatch(token).clear },
    ];
  return members.map((member, index) => ({
    member,
    patch: index === members.length - 1 ? probeMarkerPatch(token).clear : probeMarkerPatch(`${token}-${index}`).set,
  }));
}
