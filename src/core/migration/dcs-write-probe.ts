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
