import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PgfleetError } from '../../../src/core/errors.js';
import { parseOpensslDate, parseX509Text } from '../../../src/core/pki/x509-text.js';

// Printed by OpenSSL 3.0 for a server certificate issued by `pgfleet pki`, with X509_INFO_ARGS.
const INFO_OUTPUT = `subject=CN=node1
issuer=CN=pgfleet lab CA
serial=0A1B
notBefore=2026-11-25 05:48:07Z
notAfter=2029-02-27 05:48:07Z
sha256 Fingerprint=F9:DD:14:D0:00:15:4D:70:05:99:64:30:C6:F9:48:B4:84:51:19:33:4B:7D:97:4B:A5:5B:5F:AA:FD:2B:CC:60
X509v3 Basic Constraints: critical
    CA:FALSE
X509v3 Extended Key Usage: 
    TLS Web Server Authentication
X509v3 Subject Alternative Name: 
    IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1, DNS:localhost
`;

// The same certificate with -noout -text (abridged: the public key lines are kept for their indentation).
const TEXT_OUTPUT = `Certificate:
    Data:
        Version: 3 (0x2)
        Serial Number: 2587 (0xa1b)
        Signature Algorithm: ecdsa-with-SHA256
        Issuer: CN = pgfleet lab CA
        Validity
            Not Before: Nov 25 05:48:07 2026 GMT
            Not After : Feb  7 05:48:07 2029 GMT
        Subject: CN = node1, O = pgfleet
        Subject Public Key Info:
            Public Key Algorithm: id-ecPublicKey
                Public-Key: (256 bit)
                pub:
                    04:6f:e1:a6:f8:48:57:10:9c:71:65:27:39:9d:20:
                ASN1 OID: prime256v1
        X509v3 extensions:
            X509v3 Basic Constraints: critical
                CA:FALSE
            X509v3 Key Usage: critical
                Digital Signature, Key Encipherment
            X509v3 Extended Key Usage: 
                TLS Web Server Authentication, TLS Web Client Authentication
            X509v3 Subject Alternative Name: 
                IP Address:10.0.0.5, DNS:db1.example.com
            X509v3 Subject Key Identifier: 
                76:CE:B9:6F:36:64:75:BB:11:78:F5:1C:44:D3:8F:1F:0E:D6:4B:95
    Signature Algorithm: ecdsa-with-SHA256
`;

const CA_OUTPUT = `subject=CN=pgfleet lab CA
issuer=CN=pgfleet lab CA
serial=613C19011C41D12168AB8577C4A26051
notBefore=2026-11-25 05:48:07Z
notAfter=2036-11-22 05:48:07Z
X509v3 Basic Constraints: critical
    CA:TRUE, pathlen:0
`;

describe('openssl x509 output', () => {
  it('gives the subject, issuer, serial, dates, fingerprint, SANs and usages of a server certificate', () => {
    const info = parseX509Text(INFO_OUTPUT, '/pki/server/node1.crt');
    assert.equal(info.subject, 'CN=node1');
    assert.equal(info.commonName, 'node1');
    assert.equal(info.issuer, 'CN=pgfleet lab CA');
    assert.equal(info.serial, '0A1B');
    assert.equal(info.notBefore.toISOString(), '2026-11-25T05:48:07.000Z');
    assert.equal(info.notAfter.toISOString(), '2029-02-27T05:48:07.000Z');
    assert.match(info.fingerprintSha256 ?? '', /^F9:DD:14/);
    assert.deepEqual(info.subjectAltNames, [
      { type: 'ip', value: '127.0.0.1' },
      { type: 'ip', value: '::1' },
      { type: 'dns', value: 'localhost' },
    ]);
    assert.deepEqual(info.extendedKeyUsages, ['serverAuth']);
    assert.equal(info.isCa, false);
  });

  it('reads -text output too: default DN spelling, rfc_822 dates with a padded day, both usages', () => {
    const info = parseX509Text(TEXT_OUTPUT, 'x.crt');
    assert.equal(info.subject, 'CN=node1,O=pgfleet');
    assert.equal(info.commonName, 'node1');
    assert.equal(info.issuer, 'CN=pgfleet lab CA');
    assert.equal(info.notAfter.toISOString(), '2029-02-07T05:48:07.000Z');
    assert.deepEqual(info.extendedKeyUsages, ['serverAuth', 'clientAuth']);
    assert.deepEqual(info.subjectAltNames, [
      { type: 'ip', value: '10.0.0.5' },
      { type: 'dns', value: 'db1.example.com' },
    ]);
  });

  it('marks a CA by its basicConstraints and gives it no SANs or usages', () => {
    const info = parseX509Text(CA_OUTPUT, 'ca.crt');
    assert.equal(info.isCa, true);
    assert.deepEqual(info.subjectAltNames, []);
    assert.deepEqual(info.extendedKeyUsages, []);
    assert.equal(info.fingerprintSha256, undefined);
  });

  it('fails naming the file when openssl printed no certificate fields', () => {
    assert.throws(
      () => parseX509Text('Could not read certificate from g.crt\n', '/etc/patroni/g.crt'),
      (error: unknown) =>
        error instanceof PgfleetError &&
        error.code === 'PKI_CERT_UNREADABLE' &&
        error.message.includes('/etc/patroni/g.crt'),
    );
  });
});

describe('openssl dates', () => {
  it('are read in both formats as UTC', () => {
    assert.equal(parseOpensslDate('2030-01-02 03:04:05Z').toISOString(), '2030-01-02T03:04:05.000Z');
    assert.equal(parseOpensslDate('Dec 31 23:59:59 2030 GMT').toISOString(), '2030-12-31T23:59:59.000Z');
    assert.equal(parseOpensslDate('Mar  1 00:00:00 2028 GMT').toISOString(), '2028-03-01T00:00:00.000Z');
  });

  it('refuse a day that is not in the calendar or an unknown format', () => {
    assert.throws(() => parseOpensslDate('2030-02-30 00:00:00Z'), /not a calendar date/);
    assert.throws(() => parseOpensslDate('Foo  1 00:00:00 2028 GMT'), /cannot read the date/);
    assert.throws(() => parseOpensslDate('1 March 2028'), /cannot read the date/);
  });
});
