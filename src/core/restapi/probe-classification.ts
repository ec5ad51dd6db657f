import type { ProbeEndpoint, ProbeOutcome } from './probe-matrix.js';

/**
 * Turns what one probe request produced into an outcome of the matrix.
 *
 * A refused TLS handshake does not always surface as such: with TLS 1.3 the
 * client finishes its side of the handshake first, sends the request, and
 * only then reads the server's alert ("certificate required", 116), which
 * undici reports as "other side closed". The probe therefore records the
 * error codes its TLS socket emitted and passes them here with the error
 * the request failed with.
 */
export type ProbeAttempt =
  | { kind: 'response'; status: number; body: string }
  | {
      kind: 'error';
      /** Codes of the thrown error, of its cause, and of the socket's own error events, in any order. */
      codes: readonly string[];
      message?: string | undefined;
    };

export interface ProbeClassification {
  outcome: Exclude<ProbeOutcome, 'skipped'>;
  status?: number | undefined;
  detail?: string | undefined;
}

/** The client refused the server certificate: Node's codes for OpenSSL X509_V_ERR_* and hostname checks. */
const SERVER_UNTRUSTED = new Set([
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'CERT_SIGNATURE_FAILURE',
  'CERT_NOT_YET_VALID',
  'CERT_HAS_EXPIRED',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'INVALID_CA',
  'INVALID_PURPOSE',
  'HOSTNAME_MISMATCH',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'ERR_TLS_CERT_ALTNAME_FORMAT',
]);

/** https spoken to a plain http server. */
const PROTOCOL_MISMATCH = new Set([
  'ERR_SSL_WRONG_VERSION_NUMBER',
  'ERR_SSL_PACKET_LENGTH_TOO_LONG',
  'ERR_SSL_HTTP_REQUEST',
]);

const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ETIMEDOUT',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

const CLOSED = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED']);

/** `endpoint`: the probe request sent (see PROBE_REQUESTS); the unsafe one is answered 400 once the access check passed. */
export function classifyProbeAttempt(attempt: ProbeAttempt, endpoint?: ProbeEndpoint): ProbeClassification {
  if (attempt.kind === 'response') return classifyResponse(attempt.status, attempt.body, endpoint);
  const codes = [...new Set(attempt.codes.filter((code) => code.length > 0))];
  // An alert the server sent: it refused the handshake (no, or an untrusted, client certificate).
  const alert = codes.find((code) => /^ERR_SSL_.*ALERT/.test(code));
  if (alert) return { outcome: 'tls-handshake-refused', detail: alert };
  const untrusted = codes.find((code) => SERVER_UNTRUSTED.has(code));
  if (untrusted) return { outcome: 'server-untrusted', detail: untrusted };
  const mismatch =
    codes.find((code) => PROTOCOL_MISMATCH.has(code)) ??
    (attempt.message && /wrong version number/i.test(attempt.message) ? 'ERR_SSL_WRONG_VERSION_NUMBER' : undefined);
  if (mismatch) return { outcome: 'protocol-mismatch', detail: mismatch };
  const unreachable = codes.find((code) => UNREACHABLE.has(code));
  if (unreachable) return { outcome: 'unreachable', detail: unreachable };
  const closed = codes.find((code) => CLOSED.has(code));
  if (closed) return { outcome: 'connection-closed', detail: closed };
  // Anything else also means no answer; the code says what happened.
  return { outcome: 'unreachable', detail: codes[0] ?? firstWords(attempt.message ?? 'unknown error') };
}

/**
 * Patroni answers a refused unsafe call with 403 (allowlist, client
 * certificate) or 401 (basic auth); any other answer means the access check
 * passed (the empty PATCH /config: 400, the body refused after the check;
 * GET /patroni: 200, or 503 while PostgreSQL is down).
 */
function classifyResponse(status: number, body: string, endpoint: ProbeEndpoint | undefined): ProbeClassification {
  if (status === 401) return { outcome: 'unauthorized-401', status, detail: firstWords(body) };
  if (status === 403) return { outcome: 'forbidden-403', status, detail: firstWords(body) };
  if ((status >= 200 && status < 300) || status === 503) return { outcome: 'allowed', status };
  if (endpoint === 'unsafe' && status === 400) return { outcome: 'allowed', status };
  return { outcome: 'unexpected-status', status, detail: firstWords(body) };
}

/** Refusal bodies are short fixed texts ("client certificate required"); never echo more. */
function firstWords(text: string): string | undefined {
  const line = text.trim().split(/\r?\n/)[0]?.trim() ?? '';
  if (line.length === 0) return undefined;
  return line.length > 80 ? `${line.slice(0, 77)}...` : line;
}
