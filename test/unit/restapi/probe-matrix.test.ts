import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  type ExpectedOutcome,
  type ObservedCell,
  PROBE_CLIENTS,
  type ProbeClient,
  type RestApiProtection,
  compareProbeMatrix,
  describeCell,
  expectedMatrix,
  expectedOutcome,
} from '../../../src/core/restapi/probe-matrix.js';

/**
 * The expected matrix written out by hand, row by row, from the seed
 * (basic auth guards unsafe calls; verify_client required = certificate for
 * every call, optional = for unsafe calls, none = for none) and Patroni
 * 3.0.2's check order (client certificate 403 before basic auth 401).
 * Each row: [GET /patroni, PATCH /config (empty)].
 */
type Row = [ExpectedOutcome, ExpectedOutcome];
const A: ExpectedOutcome = 'allowed';
const R401: ExpectedOutcome = 'unauthorized-401';
const R403: ExpectedOutcome = 'forbidden-403';
const TLS_NO: ExpectedOutcome = 'tls-handshake-refused';

const CASES: Array<{ name: string; protection: RestApiProtection; rows: Record<ProbeClient, Row> }> = [
  {
    name: 'http, no basic auth: everything open',
    protection: { tls: false, verifyClient: 'none', basicAuth: false },
    rows: {
      anonymous: [A, A],
      'ca-only': [A, A],
      'client-cert': [A, A],
      'basic-auth': [A, A],
      'client-cert-and-basic-auth': [A, A],
    },
  },
  {
    name: 'http with basic auth: unsafe calls need the password',
    protection: { tls: false, verifyClient: 'none', basicAuth: true },
    rows: {
      anonymous: [A, R401],
      'ca-only': [A, R401],
      'client-cert': [A, R401],
      'basic-auth': [A, A],
      'client-cert-and-basic-auth': [A, A],
    },
  },
  {
    name: 'http with verify_client required: ignored without TLS',
    protection: { tls: false, verifyClient: 'required', basicAuth: true },
    rows: {
      anonymous: [A, R401],
      'ca-only': [A, R401],
      'client-cert': [A, R401],
      'basic-auth': [A, A],
      'client-cert-and-basic-auth': [A, A],
    },
  },
  {
    name: 'https, verify_client none, no basic auth: encrypted but open',
    protection: { tls: true, verifyClient: 'none', basicAuth: false },
    rows: {
      anonymous: [A, A],
      'ca-only': [A, A],
      'client-cert': [A, A],
      'basic-auth': [A, A],
      'client-cert-and-basic-auth': [A, A],
    },
  },
  {
    name: 'https, verify_client none, basic auth',
    protection: { tls: true, verifyClient: 'none', basicAuth: true },
    rows: {
      anonymous: [A, R401],
      'ca-only': [A, R401],
      'client-cert': [A, R401],
      'basic-auth': [A, A],
      'client-cert-and-basic-auth': [A, A],
    },
  },
  {
    name: 'https, verify_client optional, no basic auth',
    protection: { tls: true, verifyClient: 'optional', basicAuth: false },
    rows: {
      anonymous: [A, R403],
      'ca-only': [A, R403],
      'client-cert': [A, A],
      'basic-auth': [A, R403],
      'client-cert-and-basic-auth': [A, A],
    },
  },
  {
    name: 'https, verify_client optional, basic auth (the issue target)',
    protection: { tls: true, verifyClient: 'optional', basicAuth: true },
    rows: {
      anonymous: [A, R403],
      'ca-only': [A, R403],
      'client-cert': [A, R401],
      'basic-auth': [A, R403],
      'client-cert-and-basic-auth': [A, A],
    },
  },
  {
    name: 'https, verify_client required, no basic auth',
    protection: { tls: true, verifyClient: 'required', basicAuth: false },
    rows: {
      anonymous: [TLS_NO, TLS_NO],
      'ca-only': [TLS_NO, TLS_NO],
      'client-cert': [A, A],
      'basic-auth': [TLS_NO, TLS_NO],
      'client-cert-and-basic-auth': [A, A],
    },
  },
  {
    name: 'https, verify_client required, basic auth',
    protection: { tls: true, verifyClient: 'required', basicAuth: true },
    rows: {
      anonymous: [TLS_NO, TLS_NO],
      'ca-only': [TLS_NO, TLS_NO],
      'client-cert': [A, R401],
      'basic-auth': [TLS_NO, TLS_NO],
      'client-cert-and-basic-auth': [A, A],
    },
  },
];

describe('expected REST API probe matrix', () => {
  for (const { name, protection, rows } of CASES) {
    it(`matches the table for ${name}`, () => {
      for (const client of PROBE_CLIENTS) {
        assert.deepEqual(
          [expectedOutcome(protection, client, 'safe'), expectedOutcome(protection, client, 'unsafe')],
          rows[client],
          client,
        );
      }
    });
  }

  it('covers every combination of TLS, verify_client and basic auth with a known outcome', () => {
    for (const tls of [false, true]) {
      for (const verifyClient of ['none', 'optional', 'required'] as const) {
        for (const basicAuth of [false, true]) {
          const matrix = expectedMatrix({ tls, verifyClient, basicAuth });
          assert.equal(matrix.length, PROBE_CLIENTS.length * 2);
          for (const cell of matrix)
            assert.ok(['allowed', 'unauthorized-401', 'forbidden-403', 'tls-handshake-refused'].includes(cell.outcome));
        }
      }
    }
  });

  it('with verify_client required, an anonymous GET /patroni fails the TLS handshake', () => {
    assert.equal(
      expectedOutcome({ tls: true, verifyClient: 'required', basicAuth: false }, 'anonymous', 'safe'),
      'tls-handshake-refused',
    );
  });

  it('leaves GET /patroni open to anyone who completes the handshake: only TLS with required protects it', () => {
    for (const verifyClient of ['none', 'optional'] as const) {
      for (const basicAuth of [false, true])
        assert.equal(expectedOutcome({ tls: true, verifyClient, basicAuth }, 'anonymous', 'safe'), 'allowed');
    }
  });

  it('lets the credentials patronictl and pgfleet use reach every endpoint under every protection', () => {
    for (const tls of [false, true]) {
      for (const verifyClient of ['none', 'optional', 'required'] as const) {
        for (const basicAuth of [false, true]) {
          for (const endpoint of ['safe', 'unsafe'] as const)
            assert.equal(
              expectedOutcome({ tls, verifyClient, basicAuth }, 'client-cert-and-basic-auth', endpoint),
              'allowed',
            );
        }
      }
    }
  });

  it('checks the client certificate before the password: a password without a certificate gets 403, not 401', () => {
    assert.equal(
      expectedOutcome({ tls: true, verifyClient: 'optional', basicAuth: true }, 'basic-auth', 'unsafe'),
      'forbidden-403',
    );
    assert.equal(
      expectedOutcome({ tls: true, verifyClient: 'optional', basicAuth: true }, 'anonymous', 'unsafe'),
      'forbidden-403',
    );
  });

  it('lists the matrix client by client, safe before unsafe, for the clients asked', () => {
    const cells = expectedMatrix({ tls: true, verifyClient: 'optional', basicAuth: false }, [
      'anonymous',
      'client-cert',
    ]);
    assert.deepEqual(cells.map(describeCell), [
      'anonymous GET /patroni',
      'anonymous PATCH /config',
      'client-cert GET /patroni',
      'client-cert PATCH /config',
    ]);
  });
});

describe('comparing probes with the expected matrix', () => {
  const protection: RestApiProtection = { tls: true, verifyClient: 'optional', basicAuth: true };
  const asExpected = (): ObservedCell[] => expectedMatrix(protection).map((cell) => ({ ...cell }));

  it('finds nothing when every probe saw what was expected, and ignores skipped probes', () => {
    const observed = asExpected();
    observed[0] = { ...observed[0]!, outcome: 'skipped' };
    assert.deepEqual(compareProbeMatrix(protection, observed), []);
  });

  it('reports an anonymous reload that went through as more access than expected', () => {
    const observed = asExpected().map((cell) =>
      cell.client === 'anonymous' && cell.endpoint === 'unsafe'
        ? { ...cell, outcome: 'allowed' as const, status: 202 }
        : cell,
    );
    assert.deepEqual(compareProbeMatrix(protection, observed), [
      {
        client: 'anonymous',
        endpoint: 'unsafe',
        expected: 'forbidden-403',
        observed: 'allowed',
        severity: 'more-access-than-expected',
      },
    ]);
  });

  it('reports refused pgfleet credentials as less access than expected', () => {
    const observed = asExpected().map((cell) =>
      cell.client === 'client-cert-and-basic-auth'
        ? { ...cell, outcome: 'tls-handshake-refused' as const, detail: 'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA' }
        : cell,
    );
    const mismatches = compareProbeMatrix(protection, observed);
    assert.equal(mismatches.length, 2);
    assert.ok(
      mismatches.every(
        (mismatch) =>
          mismatch.severity === 'less-access-than-expected' && mismatch.detail === 'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA',
      ),
    );
  });

  it('reports a 401 where the client-certificate check should have answered 403 as a different refusal', () => {
    const observed = asExpected().map((cell) =>
      cell.client === 'ca-only' && cell.endpoint === 'unsafe'
        ? { ...cell, outcome: 'unauthorized-401' as const }
        : cell,
    );
    assert.equal(compareProbeMatrix(protection, observed)[0]?.severity, 'different-refusal');
  });

  it('reports an untrusted server or an unreachable member as a failed probe, not as a protection verdict', () => {
    const observed = asExpected().map((cell) =>
      cell.client === 'ca-only'
        ? { ...cell, outcome: 'server-untrusted' as const }
        : cell.client === 'anonymous'
          ? { ...cell, outcome: 'unreachable' as const }
          : cell,
    );
    const mismatches = compareProbeMatrix(protection, observed);
    assert.equal(mismatches.length, 4);
    assert.ok(mismatches.every((mismatch) => mismatch.severity === 'probe-failed'));
  });
});
