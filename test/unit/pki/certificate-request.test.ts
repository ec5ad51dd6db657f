import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PgfleetError } from '../../../src/core/errors.js';
import {
  DEFAULT_CA_DAYS,
  DEFAULT_LEAF_DAYS,
  caRequest,
  leafRequest,
  validateCertificateName,
} from '../../../src/core/pki/certificate-request.js';
import { opensslConfigText } from '../../../src/core/pki/openssl-config.js';

const code = (expected: string) => (error: unknown) => error instanceof PgfleetError && error.code === expected;

describe('certificate requests', () => {
  it('give a server certificate serverAuth, its SANs and the default lifetime', () => {
    const request = leafRequest({ kind: 'server', name: 'node1', sans: ['127.0.0.1', 'localhost', '::1'] });
    assert.equal(request.commonName, 'node1');
    assert.deepEqual(request.extendedKeyUsages, ['serverAuth']);
    assert.deepEqual(request.subjectAltNames, [
      { type: 'ip', value: '127.0.0.1' },
      { type: 'dns', value: 'localhost' },
      { type: 'ip', value: '::1' },
    ]);
    assert.equal(request.days, DEFAULT_LEAF_DAYS);
  });

  it('give a peer certificate both usages, for etcd peers that are server and client at once', () => {
    assert.deepEqual(leafRequest({ kind: 'peer', name: 'etcd1', sans: ['10.0.0.1'] }).extendedKeyUsages, [
      'serverAuth',
      'clientAuth',
    ]);
  });

  it('refuse a server or peer certificate without SANs, and a client certificate with some', () => {
    assert.throws(() => leafRequest({ kind: 'server', name: 'node1' }), code('PKI_SAN_REQUIRED'));
    assert.throws(() => leafRequest({ kind: 'peer', name: 'etcd1', sans: [] }), code('PKI_SAN_REQUIRED'));
    assert.throws(() => leafRequest({ kind: 'client', name: 'ctl', sans: ['localhost'] }), code('PKI_SAN_UNEXPECTED'));
    assert.deepEqual(leafRequest({ kind: 'client', name: 'ctl' }).extendedKeyUsages, ['clientAuth']);
  });

  it('refuse names that could escape the PKI directory or break the openssl config', () => {
    for (const bad of ['../x', 'a/b', '.hidden', '', 'node 1', 'x$y', 'trailing.', 'a'.repeat(64)]) {
      assert.throws(() => validateCertificateName(bad), code('PKI_NAME_INVALID'), bad);
    }
    assert.equal(validateCertificateName('alpha-1.rest_api'), 'alpha-1.rest_api');
    assert.throws(
      () => leafRequest({ kind: 'client', name: 'ctl', commonName: 'x = y' }),
      code('PKI_COMMON_NAME_INVALID'),
    );
    assert.throws(() => caRequest({ commonName: 'CA $HOME' }), code('PKI_COMMON_NAME_INVALID'));
  });

  it('refuse a lifetime that is not a whole number of days from 1 to 36500', () => {
    for (const days of [0, -1, 1.5, 36_501, Number.NaN])
      assert.throws(() => leafRequest({ kind: 'client', name: 'c', days }), code('PKI_DAYS_INVALID'), String(days));
    assert.equal(caRequest().days, DEFAULT_CA_DAYS);
    assert.equal(caRequest({ days: 30 }).days, 30);
  });
});

describe('openssl config text', () => {
  it('makes the CA a CA that signs leaves only, with the subject in the file instead of argv', () => {
    const text = opensslConfigText(caRequest({ commonName: 'lab CA' }));
    assert.match(text, /^prompt = no$/m);
    assert.match(text, /^x509_extensions = pgfleet_ext$/m);
    assert.match(text, /^CN = lab CA$/m);
    assert.match(text, /^basicConstraints = critical, CA:true, pathlen:0$/m);
    assert.match(text, /^keyUsage = critical, keyCertSign, cRLSign$/m);
    assert.doesNotMatch(text, /subjectAltName/);
  });

  it('numbers IP and DNS SANs separately and names the usages of a peer', () => {
    const text = opensslConfigText(
      leafRequest({ kind: 'peer', name: 'etcd1', sans: ['10.0.0.1', 'etcd1.lab', '::1', 'localhost'] }),
    );
    assert.match(text, /^extendedKeyUsage = serverAuth, clientAuth$/m);
    assert.match(text, /^subjectAltName = @pgfleet_san$/m);
    const sanSection = text.slice(text.indexOf('[pgfleet_san]'));
    assert.deepEqual(sanSection.trim().split('\n').slice(1), [
      'IP.1 = 10.0.0.1',
      'DNS.1 = etcd1.lab',
      'IP.2 = ::1',
      'DNS.2 = localhost',
    ]);
    assert.match(text, /^basicConstraints = critical, CA:false$/m);
    assert.doesNotMatch(text, /^x509_extensions/m);
  });

  it('gives a client certificate no subjectAltName line at all', () => {
    const text = opensslConfigText(leafRequest({ kind: 'client', name: 'ctl' }));
    assert.match(text, /^extendedKeyUsage = clientAuth$/m);
    assert.doesNotMatch(text, /subjectAltName|pgfleet_san/);
  });
});
