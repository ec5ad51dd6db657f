import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { classifyProbeAttempt } from '../../../src/core/restapi/probe-classification.js';
import { describeProtection, restApiProtectionOf } from '../../../src/core/restapi/restapi-protection.js';

describe('classifying a probe answer', () => {
  it("reads Patroni's refusals: 403 for the client certificate, 401 for basic auth", () => {
    assert.deepEqual(classifyProbeAttempt({ kind: 'response', status: 403, body: 'client certificate required' }), {
      outcome: 'forbidden-403',
      status: 403,
      detail: 'client certificate required',
    });
    assert.deepEqual(classifyProbeAttempt({ kind: 'response', status: 401, body: 'no auth header received' }), {
      outcome: 'unauthorized-401',
      status: 401,
      detail: 'no auth header received',
    });
  });

  it('counts 200 from GET /patroni as allowed, and 503 from a node without PostgreSQL too', () => {
    for (const status of [200, 202, 503])
      assert.equal(classifyProbeAttempt({ kind: 'response', status, body: '{}' }).outcome, 'allowed', String(status));
  });

  it('counts the 400 Patroni gives the empty PATCH /config past its access check as allowed, and only for that probe', () => {
    assert.deepEqual(classifyProbeAttempt({ kind: 'response', status: 400, body: 'Bad Request' }, 'unsafe'), {
      outcome: 'allowed',
      status: 400,
    });
    assert.equal(
      classifyProbeAttempt({ kind: 'response', status: 400, body: 'Bad Request' }, 'safe').outcome,
      'unexpected-status',
    );
    assert.equal(
      classifyProbeAttempt({ kind: 'response', status: 401, body: 'no auth header received' }, 'unsafe').outcome,
      'unauthorized-401',
    );
  });

  it('calls other statuses unexpected and never echoes a long body', () => {
    const result = classifyProbeAttempt({ kind: 'response', status: 404, body: `${'x'.repeat(200)}\nsecond line` });
    assert.equal(result.outcome, 'unexpected-status');
    assert.equal(result.detail?.length, 80);
  });
});

describe('classifying a probe failure', () => {
  it('sees a TLS 1.3 refusal in the socket alert even when undici only says "other side closed"', () => {
    const result = classifyProbeAttempt({
      kind: 'error',
      codes: ['UND_ERR_SOCKET', '', 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED', 'UND_ERR_SOCKET'],
      message: 'other side closed',
    });
    assert.deepEqual(result, { outcome: 'tls-handshake-refused', detail: 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED' });
  });

  it('calls a TLS 1.2 handshake failure and an unknown-CA alert refusals too', () => {
    assert.equal(
      classifyProbeAttempt({ kind: 'error', codes: ['ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE'] }).outcome,
      'tls-handshake-refused',
    );
    assert.equal(
      classifyProbeAttempt({ kind: 'error', codes: ['ECONNRESET', 'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA'] }).outcome,
      'tls-handshake-refused',
    );
  });

  it('tells a server the client does not trust apart from a refusal by the server', () => {
    for (const code of [
      'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
      'DEPTH_ZERO_SELF_SIGNED_CERT',
      'ERR_TLS_CERT_ALTNAME_INVALID',
      'CERT_HAS_EXPIRED',
      'SELF_SIGNED_CERT_IN_CHAIN',
    ]) {
      assert.deepEqual(classifyProbeAttempt({ kind: 'error', codes: [code] }), {
        outcome: 'server-untrusted',
        detail: code,
      });
    }
  });

  it('recognises https spoken to an http server', () => {
    assert.equal(
      classifyProbeAttempt({ kind: 'error', codes: ['ERR_SSL_WRONG_VERSION_NUMBER'] }).outcome,
      'protocol-mismatch',
    );
    assert.equal(
      classifyProbeAttempt({ kind: 'error', codes: ['EPROTO'], message: 'write EPROTO ...:wrong version number:...' })
        .outcome,
      'protocol-mismatch',
    );
  });

  it('calls refused connections and timeouts unreachable, and resets without an alert connection-closed', () => {
    assert.deepEqual(classifyProbeAttempt({ kind: 'error', codes: ['ECONNREFUSED'] }), {
      outcome: 'unreachable',
      detail: 'ECONNREFUSED',
    });
    assert.equal(classifyProbeAttempt({ kind: 'error', codes: ['UND_ERR_CONNECT_TIMEOUT'] }).outcome, 'unreachable');
    assert.deepEqual(classifyProbeAttempt({ kind: 'error', codes: ['ECONNRESET'] }), {
      outcome: 'connection-closed',
      detail: 'ECONNRESET',
    });
    assert.deepEqual(classifyProbeAttempt({ kind: 'error', codes: [], message: 'weird failure' }), {
      outcome: 'unreachable',
      detail: 'weird failure',
    });
  });
});

describe("a member's restapi section", () => {
  it('is https when certfile is set, with verify_client read as Patroni reads it', () => {
    assert.deepEqual(
      restApiProtectionOf({
        listen: '127.0.0.1:8008',
        certfile: '/p/n.crt',
        keyfile: '/p/n.key',
        verify_client: 'Optional',
      }),
      { tls: true, verifyClient: 'optional', basicAuth: false },
    );
    assert.deepEqual(restApiProtectionOf({ certfile: '/p/n.crt', verify_client: 'sometimes' }), {
      tls: true,
      verifyClient: 'none',
      basicAuth: false,
    });
    assert.deepEqual(restApiProtectionOf(undefined), { tls: false, verifyClient: 'none', basicAuth: false });
  });

  it('has basic auth when authentication has a username and a password', () => {
    assert.equal(restApiProtectionOf({ authentication: { username: 'admin', password: 'x' } }).basicAuth, true);
    assert.equal(restApiProtectionOf({ authentication: { username: 'admin' } }).basicAuth, false);
  });

  it('is described for reports, flagging verify_client without TLS', () => {
    assert.equal(
      describeProtection({ tls: true, verifyClient: 'required', basicAuth: true }),
      'https, verify_client required, basic auth',
    );
    assert.equal(
      describeProtection({ tls: false, verifyClient: 'optional', basicAuth: false }),
      'http, verify_client optional (ignored without TLS), no basic auth',
    );
  });
});
