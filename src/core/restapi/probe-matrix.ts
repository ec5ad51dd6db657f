/**
 * What each kind of client can do on a Patroni REST API, for a given
 * protection (TLS or not, verify_client, basic auth): the expected matrix the
 * probes and the audit compare against.
 *
 * Sources: the Patroni security page (seed 004) — unsafe endpoints can be
 * protected by basic auth; safe ones only by TLS with client certificates;
 * `verify_client: required` checks certificates for every call, `optional`
 * for unsafe calls only, `none` for none — and Patroni 3.0.2's api.py:
 * - the server's ssl context has verify_mode CERT_NONE / CERT_OPTIONAL /
 *   CERT_REQUIRED, so with `required` a client without a certificate fails
 *   the TLS handshake before any HTTP, and with `none` the server never asks
 *   for a certificate;
 * - only unsafe handlers run `check_access`, in this order: allowlist (403),
 *   no verified client certificate while serving https with verify_client
 *   optional/required (403 "client certificate required"), basic auth (401);
 * - over plain http, verify_client is ignored.
 * The allowlist is not modelled: the prober is assumed to be allowed.
 */

export type VerifyClient = 'none' | 'optional' | 'required';

/** How a member's REST API is protected. */
export interface RestApiProtection {
  /** restapi.certfile is set: the API serves https. */
  tls: boolean;
  verifyClient: VerifyClient;
  /** restapi.authentication is set. */
  basicAuth: boolean;
}

/**
 * The probing clients. Over https, the anonymous client does not verify the
 * server (as an attacker would not); all others trust the CA. Over http the
 * CA and the client certificate play no part.
 */
export const PROBE_CLIENTS = [
  'anonymous',
  'ca-only',
  'client-cert',
  'basic-auth',
  'client-cert-and-basic-auth',
] as const;
export type ProbeClient = (typeof PROBE_CLIENTS)[number];

export const PROBE_CLIENT_DESCRIPTIONS: Record<ProbeClient, string> = {
  anonymous: 'no CA, no client certificate, no password (does not verify the server)',
  'ca-only': 'trusts the CA; no client certificate, no password',
  'client-cert': 'trusts the CA and presents a client certificate; no password',
  'basic-auth': 'trusts the CA and sends the basic auth password; no client certificate',
  'client-cert-and-basic-auth': 'client certificate and password: what patronictl and pgfleet use',
};

/**
 * The safe endpoint (GET /patroni) and an unsafe one that changes nothing:
 * an empty PATCH /config. Patroni 3.0.2's do_PATCH_config runs the access
 * check first (allowlist 403, client certificate 403, basic auth 401), then
 * reads the body: `{}` is not a patch (_read_json_content wants a non-empty
 * object), so it answers 400 and returns before reading or writing the DCS,
 * waking the HA loop or logging anything above DEBUG. POST /reload, the probe
 * before, made every member reload its YAML and PostgreSQL.
 */
export const PROBE_ENDPOINTS = ['safe', 'unsafe'] as const;
export type ProbeEndpoint = (typeof PROBE_ENDPOINTS)[number];

export const PROBE_REQUESTS: Record<ProbeEndpoint, { method: 'GET' | 'PATCH'; path: string; body?: string }> = {
  safe: { method: 'GET', path: '/patroni' },
  unsafe: { method: 'PATCH', path: '/config', body: '{}' },
};

/** What the expected matrix can say. */
export type ExpectedOutcome = 'allowed' | 'unauthorized-401' | 'forbidden-403' | 'tls-handshake-refused';

/**
 * What a probe can observe: the expected outcomes, plus failures that mean
 * something is misconfigured or down rather than protected.
 * - server-untrusted: the client refused the server certificate (CA or SAN);
 * - protocol-mismatch: https spoken to an http server;
 * - connection-closed: the server closed the connection without an answer;
 * - unreachable: refused, timed out, unknown host;
 * - unexpected-status: an HTTP answer the access check cannot give (5xx...);
 * - skipped: the client was not probed (its credentials were not given).
 */
export type ProbeOutcome =
  | ExpectedOutcome
  | 'server-untrusted'
  | 'protocol-mismatch'
  | 'connection-closed'
  | 'unreachable'
  | 'unexpected-status'
  | 'skipped';

/** The expected outcome for one client on one endpoint. */
export function expectedOutcome(
  protection: RestApiProtection,
  client: ProbeClient,
  endpoint: ProbeEndpoint,
): ExpectedOutcome {
  const sendsPassword = client === 'basic-auth' || client === 'client-cert-and-basic-auth';
  const presentsCertificate = client === 'client-cert' || client === 'client-cert-and-basic-auth';
  const verifyClient: VerifyClient = protection.tls ? protection.verifyClient : 'none';
  // With CERT_REQUIRED the handshake fails before any request is read, safe or not.
  if (verifyClient === 'required' && !presentsCertificate) return 'tls-handshake-refused';
  if (endpoint === 'safe') return 'allowed';
  if (verifyClient !== 'none' && !presentsCertificate) return 'forbidden-403';
  if (protection.basicAuth && !sendsPassword) return 'unauthorized-401';
  return 'allowed';
}

export interface MatrixCell<T> {
  client: ProbeClient;
  endpoint: ProbeEndpoint;
  outcome: T;
}

/** The whole expected matrix, client by client, safe before unsafe. */
export function expectedMatrix(
  protection: RestApiProtection,
  clients: readonly ProbeClient[] = PROBE_CLIENTS,
): Array<MatrixCell<ExpectedOutcome>> {
  return clients.flatMap((client) =>
    PROBE_ENDPOINTS.map((endpoint) => ({ client, endpoint, outcome: expectedOutcome(protection, client, endpoint) })),
  );
}

export interface ObservedCell extends MatrixCell<ProbeOutcome> {
  /** HTTP status when there was an answer. */
  status?: number | undefined;
  /** Secret-free detail: error code, or the first words of a refusal body. */
  detail?: string | undefined;
}

export interface MatrixMismatch {
  client: ProbeClient;
  endpoint: ProbeEndpoint;
  expected: ExpectedOutcome;
  observed: ProbeOutcome;
  detail?: string | undefined;
  /**
   * More access than expected is a hole; less access breaks tools; a
   * different refusal (401 for 403) means another layer did the refusing.
   */
  severity: 'more-access-than-expected' | 'less-access-than-expected' | 'different-refusal' | 'probe-failed';
}

/**
 * Compares observations with the expected matrix. Skipped cells are not
 * compared; a cell expected but not observed is a failed probe.
 */
export function compareProbeMatrix(protection: RestApiProtection, observed: readonly ObservedCell[]): MatrixMismatch[] {
  const mismatches: MatrixMismatch[] = [];
  for (const cell of observed) {
    if (cell.outcome === 'skipped') continue;
    const expected = expectedOutcome(protection, cell.client, cell.endpoint);
    if (cell.outcome === expected) continue;
    mismatches.push({
      client: cell.client,
      endpoint: cell.endpoint,
      expected,
      observed: cell.outcome,
      ...(cell.detail ? { detail: cell.detail } : {}),
      severity: severityOf(expected, cell.outcome),
    });
  }
  return mismatches;
}

const ACCESS_RANK: Partial<Record<ProbeOutcome, number>> = {
  allowed: 3,
  'unauthorized-401': 1,
  'forbidden-403': 1,
  'tls-handshake-refused': 0,
};

function severityOf(expected: ExpectedOutcome, observed: ProbeOutcome): MatrixMismatch['severity'] {
  const observedRank = ACCESS_RANK[observed];
  if (observedRank === undefined) return 'probe-failed';
  const expectedRank = ACCESS_RANK[expected]!;
  if (observedRank > expectedRank) return 'more-access-than-expected';
  if (observedRank < expectedRank) return 'less-access-than-expected';
  return 'different-refusal';
}

/** "client-cert PATCH /config": how a cell is named in messages. */
export function describeCell(cell: { client: ProbeClient; endpoint: ProbeEndpoint }): string {
  const request = PROBE_REQUESTS[cell.endpoint];
  return `${cell.client} ${request.method} ${request.path}`;
}
