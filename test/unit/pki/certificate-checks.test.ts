import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PgfleetError } from '../../../src/core/errors.js';
import {
  assertCertificateChecks,
  certificateCheckError,
  evaluateHostCovered,
  evaluateKeyFilePrivate,
  evaluateKeyMatch,
  evaluateSignedByCa,
  evaluateUsage,
  evaluateValidity,
} from '../../../src/core/pki/certificate-checks.js';
import { renderCertificateChecks } from '../../../src/core/pki/pki-report.js';
import { parseOpensslSubjectAltNames } from '../../../src/core/pki/subject-alt-name.js';
import { parseVerifyOutput } from '../../../src/core/pki/verify-output.js';

const CERT = '/etc/patroni/node1.crt';
const KEY = '/etc/patroni/node1.key';
const CA = '/etc/patroni/ca.crt';
const PUBLIC_A = '-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEb+Gm\n-----END PUBLIC KEY-----\n';
const PUBLIC_B = '-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEzzzz\n-----END PUBLIC KEY-----\n';
const dates = { notBefore: new Date('2026-01-01T00:00:00Z'), notAfter: new Date('2027-01-01T00:00:00Z') };

describe('openssl verify output', () => {
  it('is OK only with exit 0 and an "OK" line', () => {
    assert.deepEqual(parseVerifyOutput('/x/node1.crt: OK\n', 0), {
      ok: true,
      errorNumber: undefined,
      depth: undefined,
      reason: undefined,
    });
  });

  it('gives the error number, depth and reason of a certificate from another CA', () => {
    const verdict = parseVerifyOutput(
      'CN = node1\nerror 20 at 0 depth lookup: unable to get local issuer certificate\nerror /x/node1.crt: verification failed\n',
      2,
    );
    assert.deepEqual(verdict, {
      ok: false,
      errorNumber: 20,
      depth: 0,
      reason: 'unable to get local issuer certificate',
    });
  });

  it('keeps the last line when openssl could not even load a file', () => {
    const verdict = parseVerifyOutput('Could not read certificate from /x/ca.crt\nUnable to load certificate\n', 2);
    assert.equal(verdict.ok, false);
    assert.equal(verdict.reason, 'Unable to load certificate');
  });
});

describe('certificate checks', () => {
  it('find a certificate that does not match its key, naming both files', () => {
    assert.equal(evaluateKeyMatch(CERT, KEY, PUBLIC_A, `${PUBLIC_A.trim()}\r\n`).ok, true);
    const check = evaluateKeyMatch(CERT, KEY, PUBLIC_A, PUBLIC_B);
    assert.equal(check.ok, false);
    assert.equal(check.code, 'PKI_KEY_MISMATCH');
    assert.match(check.message, /\/etc\/patroni\/node1\.crt does not match the key \/etc\/patroni\/node1\.key/);
    assert.equal(evaluateKeyMatch(CERT, KEY, '', '').ok, false, 'no public key at all is no match');
  });

  it('find an expired certificate and an expired CA, with different codes', () => {
    const after = new Date('2027-02-01T00:00:00Z');
    const cert = evaluateValidity(CERT, 'certificate', dates, after);
    assert.equal(cert.code, 'PKI_CERT_EXPIRED');
    assert.match(cert.message, /^\/etc\/patroni\/node1\.crt expired on 2027-01-01 \(31 days ago\)$/);
    assert.match(cert.hint ?? '', /issue a new certificate/);
    const ca = evaluateValidity(CA, 'ca', dates, after);
    assert.equal(ca.code, 'PKI_CA_EXPIRED');
    assert.match(ca.message, /^the CA \/etc\/patroni\/ca\.crt expired/);
  });

  it('find a certificate not valid yet and point at the clock', () => {
    const check = evaluateValidity(CERT, 'certificate', dates, new Date('2025-12-01T00:00:00Z'));
    assert.equal(check.code, 'PKI_CERT_NOT_YET_VALID');
    assert.match(check.hint ?? '', /clock/);
  });

  it('pass a valid certificate, with a warning when it expires soon', () => {
    assert.equal(evaluateValidity(CERT, 'certificate', dates, new Date('2026-06-01T00:00:00Z')).warning, undefined);
    const soon = evaluateValidity(CERT, 'certificate', dates, new Date('2026-12-20T00:00:00Z'));
    assert.equal(soon.ok, true);
    assert.match(soon.warning ?? '', /renew it soon/);
  });

  it('find a CA that did not sign the certificate, quoting openssl', () => {
    const check = evaluateSignedByCa(
      CERT,
      CA,
      parseVerifyOutput('error 20 at 0 depth lookup: unable to get local issuer certificate\n', 2),
    );
    assert.equal(check.code, 'PKI_CERT_NOT_SIGNED_BY_CA');
    assert.equal(
      check.message,
      '/etc/patroni/node1.crt is not signed by the CA /etc/patroni/ca.crt (openssl verify: unable to get local issuer certificate)',
    );
    assert.equal(evaluateSignedByCa(CERT, CA, parseVerifyOutput(`${CERT}: OK`, 0)).ok, true);
  });

  it('find a host the SANs do not cover, listing the SANs and the --san to add', () => {
    const info = { subjectAltNames: parseOpensslSubjectAltNames('IP Address:127.0.0.1, DNS:localhost') };
    assert.equal(evaluateHostCovered(CERT, info, '127.0.0.1').ok, true);
    const check = evaluateHostCovered(CERT, info, '10.0.0.7');
    assert.equal(check.code, 'PKI_SAN_MISSING_HOST');
    assert.equal(
      check.message,
      '/etc/patroni/node1.crt does not cover the address 10.0.0.7: its subjectAltNames are IP:127.0.0.1, DNS:localhost',
    );
    assert.match(check.hint ?? '', /--san 10\.0\.0\.7/);
    assert.match(
      evaluateHostCovered(CERT, { subjectAltNames: [] }, 'db1').message,
      /the host name db1: its subjectAltNames are none/,
    );
  });

  it('find a client certificate used as a server certificate; no EKU extension means any usage', () => {
    const check = evaluateUsage(CERT, { extendedKeyUsages: ['clientAuth'] }, 'serverAuth');
    assert.equal(check.code, 'PKI_CERT_WRONG_USAGE');
    assert.match(check.message, /without TLS Web Server Authentication/);
    assert.equal(evaluateUsage(CERT, { extendedKeyUsages: [] }, 'serverAuth').ok, true);
    assert.equal(evaluateUsage(CERT, { extendedKeyUsages: ['serverAuth', 'clientAuth'] }, 'clientAuth').ok, true);
  });

  it('accept key files 0600, 0400 and 0640, and refuse any access for others or group write', () => {
    for (const mode of [0o100600, 0o400, 0o640])
      assert.equal(evaluateKeyFilePrivate(KEY, mode).ok, true, mode.toString(8));
    for (const mode of [0o644, 0o604, 0o660, 0o666]) {
      const check = evaluateKeyFilePrivate(KEY, mode);
      assert.equal(check.code, 'PKI_KEY_FILE_READABLE', mode.toString(8));
      assert.equal(check.mode, `0${mode.toString(8)}`);
    }
  });
});

describe('check errors', () => {
  it('give no error for a passed check, and a PgfleetError with code, message, hint and secret-free details otherwise', () => {
    assert.equal(certificateCheckError(evaluateKeyMatch(CERT, KEY, PUBLIC_A, PUBLIC_A)), undefined);
    const error = certificateCheckError(evaluateKeyMatch(CERT, KEY, PUBLIC_A, PUBLIC_B));
    assert.ok(error instanceof PgfleetError);
    assert.equal(error.code, 'PKI_KEY_MISMATCH');
    assert.equal(error.exitCode, 2);
    assert.deepEqual(error.details, { check: 'key-match', certFile: CERT, keyFile: KEY });
  });

  it('stop a plan at the first failed check and count the others', () => {
    const expired = evaluateValidity(CERT, 'certificate', dates, new Date('2028-01-01T00:00:00Z'));
    const mismatch = evaluateKeyMatch(CERT, KEY, PUBLIC_A, PUBLIC_B);
    const fine = evaluateUsage(CERT, { extendedKeyUsages: ['serverAuth'] }, 'serverAuth');
    assert.doesNotThrow(() => assertCertificateChecks([fine]));
    assert.throws(
      () => assertCertificateChecks([fine, mismatch]),
      (error: unknown) =>
        error instanceof PgfleetError && error.code === 'PKI_KEY_MISMATCH' && !error.message.includes('more'),
    );
    assert.throws(
      () => assertCertificateChecks([expired, fine, mismatch]),
      (error: unknown) =>
        error instanceof PgfleetError &&
        error.code === 'PKI_CERT_EXPIRED' &&
        error.message.endsWith('(and 1 more failed certificate check)') &&
        Array.isArray(error.details?.failed),
    );
  });

  it('render one line per check with the hint under each failure', () => {
    const text = renderCertificateChecks([
      evaluateUsage(CERT, { extendedKeyUsages: ['serverAuth'] }, 'serverAuth'),
      evaluateKeyMatch(CERT, KEY, PUBLIC_A, PUBLIC_B),
    ]);
    const lines = text.split('\n');
    assert.match(lines[0]!, /^ok +usage/);
    assert.match(lines[1]!, /^FAIL +key-match .*\[PKI_KEY_MISMATCH\]$/);
    assert.match(lines[2]!, /hint: point keyfile at the key/);
    assert.equal(lines[3], '1 of 2 checks failed');
  });
});
