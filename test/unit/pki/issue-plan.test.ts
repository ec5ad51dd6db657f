import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PgfleetError } from '../../../src/core/errors.js';
import { caRequest, leafRequest } from '../../../src/core/pki/certificate-request.js';
import { type CaState, describeIssuePlan, planCaInit, planLeafIssue } from '../../../src/core/pki/issue-plan.js';
import { caFiles } from '../../../src/core/pki/pki-layout.js';
import type { CertificateInfo } from '../../../src/core/pki/x509-text.js';

const dir = '/srv/pki';
const now = new Date('2027-01-01T00:00:00Z');
const none = { certFile: false, keyFile: false };
const code = (expected: string) => (error: unknown) => error instanceof PgfleetError && error.code === expected;

function caInfo(overrides: Partial<CertificateInfo> = {}): CertificateInfo {
  return {
    subject: 'CN=pgfleet CA',
    commonName: 'pgfleet CA',
    issuer: 'CN=pgfleet CA',
    serial: '01',
    notBefore: new Date('2026-01-01T00:00:00Z'),
    notAfter: new Date('2036-01-01T00:00:00Z'),
    fingerprintSha256: undefined,
    subjectAltNames: [],
    extendedKeyUsages: [],
    isCa: true,
    ...overrides,
  };
}

const ca = (info: CertificateInfo | undefined = caInfo(), keyExists = true): CaState => ({
  files: caFiles(dir),
  info,
  keyExists,
});
const server = leafRequest({ kind: 'server', name: 'node1', sans: ['127.0.0.1'] }) as ReturnType<typeof leafRequest> & {
  kind: 'server';
};

describe('planning pki init', () => {
  it('creates ca.key and ca.crt in the directory, self-signed', () => {
    const plan = planCaInit({ dir, request: caRequest(), existing: none, now });
    assert.deepEqual(plan.files, { certFile: '/srv/pki/ca.crt', keyFile: '/srv/pki/ca.key' });
    assert.equal(plan.ca, undefined);
    assert.equal(plan.notAfter.toISOString(), '2036-12-29T00:00:00.000Z');
    assert.equal(describeIssuePlan(plan).signedBy, 'self-signed');
  });

  it('never replaces an existing CA, even half of one', () => {
    assert.throws(
      () => planCaInit({ dir, request: caRequest(), existing: { certFile: false, keyFile: true }, now }),
      (error: unknown) => code('PKI_CA_EXISTS')(error) && (error as Error).message.includes('/srv/pki/ca.key'),
    );
  });
});

describe('planning pki issue', () => {
  it('puts a server certificate under server/ and has the CA sign it', () => {
    const plan = planLeafIssue({ dir, request: server, ca: ca(), existing: none, force: false, now });
    assert.deepEqual(plan.files, { certFile: '/srv/pki/server/node1.crt', keyFile: '/srv/pki/server/node1.key' });
    assert.deepEqual(plan.ca, caFiles(dir));
    assert.deepEqual(plan.replaces, []);
    const summary = describeIssuePlan(plan);
    assert.deepEqual(summary.subjectAltNames, ['IP:127.0.0.1']);
    assert.equal(summary.subject, 'CN=node1');
  });

  it('needs a CA, and says how to make one', () => {
    assert.throws(
      () =>
        planLeafIssue({
          dir,
          request: server,
          ca: { files: caFiles(dir), info: undefined, keyExists: true },
          existing: none,
          force: false,
          now,
        }),
      (error: unknown) =>
        code('PKI_CA_MISSING')(error) && /pgfleet pki init --dir \/srv\/pki/.test((error as PgfleetError).hint ?? ''),
    );
    assert.throws(
      () => planLeafIssue({ dir, request: server, ca: ca(caInfo(), false), existing: none, force: false, now }),
      code('PKI_CA_MISSING'),
    );
  });

  it('refuses to sign with a certificate that is not a CA, or with an expired CA', () => {
    assert.throws(
      () => planLeafIssue({ dir, request: server, ca: ca(caInfo({ isCa: false })), existing: none, force: false, now }),
      code('PKI_CA_INVALID'),
    );
    assert.throws(
      () =>
        planLeafIssue({
          dir,
          request: server,
          ca: ca(caInfo({ notAfter: new Date('2026-06-01T00:00:00Z') })),
          existing: none,
          force: false,
          now,
        }),
      code('PKI_CA_NOT_VALID'),
    );
  });

  it('refuses a certificate that would outlive its CA and suggests a lifetime that fits', () => {
    const shortCa = caInfo({ notAfter: new Date('2027-03-01T00:00:00Z') });
    assert.throws(
      () => planLeafIssue({ dir, request: server, ca: ca(shortCa), existing: none, force: false, now }),
      (error: unknown) => code('PKI_OUTLIVES_CA')(error) && (error as PgfleetError).hint === 'use --days 59 or less',
    );
  });

  it('refuses to replace an existing certificate without --force, and lists what --force replaces', () => {
    const existing = { certFile: true, keyFile: true };
    assert.throws(
      () => planLeafIssue({ dir, request: server, ca: ca(), existing, force: false, now }),
      code('PKI_CERT_EXISTS'),
    );
    const plan = planLeafIssue({ dir, request: server, ca: ca(), existing, force: true, now });
    assert.deepEqual(plan.replaces, ['/srv/pki/server/node1.key', '/srv/pki/server/node1.crt']);
  });
});
