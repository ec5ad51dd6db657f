/**
 * Whether a caller gets past a member's REST API protection on an unsafe
 * endpoint, asked without changing anything: `PATCH /config` with an empty
 * object. Patroni 3.0.2 checks access first (allowlist and client
 * certificate 403, basic auth 401), then refuses an empty patch (400): a 400
 * means the caller was let in, and nothing was written.
 */
export type UnsafeAccess = 'accepted' | 'refused' | 'unknown';

export function unsafeAccessOf(status: number): UnsafeAccess {
  if (status === 400) return 'accepted';
  if (status === 401 || status === 403) return 'refused';
  return 'unknown';
}
