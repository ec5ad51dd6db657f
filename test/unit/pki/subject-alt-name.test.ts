import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PgfleetError } from '../../../src/core/errors.js';
import { parseIpAddress } from '../../../src/core/pki/ip-address.js';
import {
  formatSubjectAltName,
  hostCoverage,
  parseOpensslSubjectAltNames,
  parseSubjectAltName,
  parseSubjectAltNames,
} from '../../../src/core/pki/subject-alt-name.js';

describe('IP address literals', () => {
  it('reduce every IPv6 spelling of one address to its RFC 5952 form', () => {
    for (const spelling of ['::1', '0:0:0:0:0:0:0:1', '0000:0000:0000:0000:0000:0000:0000:0001', '[::1]', '0::1']) {
      assert.equal(parseIpAddress(spelling)?.canonical, '::1', spelling);
    }
    assert.equal(parseIpAddress('2001:DB8:0:0:1:0:0:1')?.canonical, '2001:db8::1:0:0:1');
    assert.equal(parseIpAddress('1:0:0:2:0:0:0:3')?.canonical, '1:0:0:2::3');
    assert.equal(parseIpAddress('fe80::1:0:0:2')?.canonical, 'fe80::1:0:0:2');
    assert.equal(parseIpAddress('::')?.canonical, '::');
    assert.equal(parseIpAddress('::ffff:10.0.0.1')?.canonical, '::ffff:a00:1');
  });

  it('keep IPv4 dotted quads and reject octets out of range or with leading zeros', () => {
    assert.deepEqual(parseIpAddress('10.0.0.5'), { version: 4, canonical: '10.0.0.5' });
    for (const bad of [
      '10.0.0.256',
      '010.0.0.1',
      '10.0.0',
      '10.0.0.1.2',
      '1::2::3',
      'fe80::1%eth0',
      '12345::',
      'localhost',
      '',
    ]) {
      assert.equal(parseIpAddress(bad), undefined, bad);
    }
  });
});

describe('subjectAltName input', () => {
  it('read an address as an IP entry and a name as a DNS entry, lower-cased, without a trailing dot', () => {
    assert.deepEqual(parseSubjectAltName('127.0.0.1'), { type: 'ip', value: '127.0.0.1' });
    assert.deepEqual(parseSubjectAltName('0:0:0:0:0:0:0:1'), { type: 'ip', value: '::1' });
    assert.deepEqual(parseSubjectAltName('DB1.Example.COM.'), { type: 'dns', value: 'db1.example.com' });
    assert.deepEqual(parseSubjectAltName('*.pg.internal'), { type: 'dns', value: '*.pg.internal' });
    assert.deepEqual(parseSubjectAltName('IP:10.1.2.3'), { type: 'ip', value: '10.1.2.3' });
    assert.deepEqual(parseSubjectAltName('dns:localhost'), { type: 'dns', value: 'localhost' });
  });

  it('refuse a mistyped address rather than take it for a host name', () => {
    assert.throws(
      () => parseSubjectAltName('10.0.0.300'),
      (error: unknown) => error instanceof PgfleetError && error.code === 'PKI_SAN_INVALID',
    );
    assert.throws(() => parseSubjectAltName('IP:db1'), /is not an IP address/);
  });

  it('refuse names openssl or TLS clients would not accept', () => {
    for (const bad of [
      '',
      'under_score.example',
      '-lead.example',
      'a..b',
      'host*.example',
      '*.',
      'a b',
      `${'x'.repeat(64)}.example`,
      'foo.*.example',
    ]) {
      assert.throws(
        () => parseSubjectAltName(bad),
        (error: unknown) => error instanceof PgfleetError && error.code === 'PKI_SAN_INVALID',
        bad,
      );
    }
  });

  it('drop duplicates, including the same address spelled twice', () => {
    assert.deepEqual(
      parseSubjectAltNames(['::1', '0:0:0:0:0:0:0:1', 'localhost', 'LOCALHOST']).map(formatSubjectAltName),
      ['IP:::1', 'DNS:localhost'],
    );
  });
});

describe("openssl's subjectAltName text", () => {
  it('is read into IP and DNS entries, other kinds kept for display', () => {
    const parsed = parseOpensslSubjectAltNames(
      'IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1, DNS:localhost, email:ops@example.com',
    );
    assert.deepEqual(parsed, [
      { type: 'ip', value: '127.0.0.1' },
      { type: 'ip', value: '::1' },
      { type: 'dns', value: 'localhost' },
      { type: 'other', value: 'email:ops@example.com' },
    ]);
  });
});

describe('host coverage', () => {
  const sans = parseOpensslSubjectAltNames(
    'IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1, DNS:localhost, DNS:*.pg.example.com',
  );

  it('matches an IP only against IP entries, whatever the IPv6 spelling', () => {
    assert.equal(hostCoverage('127.0.0.1', sans).covered, true);
    assert.equal(hostCoverage('[::1]', sans).matchedBy, 'IP:::1');
    assert.equal(hostCoverage('10.0.0.1', sans).covered, false);
    // A DNS entry spelled like an address does not cover the address.
    assert.equal(hostCoverage('10.0.0.9', [{ type: 'dns', value: '10.0.0.9' }]).covered, false);
  });

  it('matches a name against DNS entries, case-insensitively and ignoring a trailing dot', () => {
    assert.equal(hostCoverage('LOCALHOST.', sans).covered, true);
    assert.equal(hostCoverage('db1.pg.example.com', sans).matchedBy, 'DNS:*.pg.example.com');
  });

  it('lets a wildcard cover exactly one leftmost label', () => {
    assert.equal(hostCoverage('pg.example.com', sans).covered, false);
    assert.equal(hostCoverage('a.b.pg.example.com', sans).covered, false);
  });

  it('does not fall back to the common name: a certificate without SANs covers nothing', () => {
    assert.equal(hostCoverage('node1', []).covered, false);
  });
});
