import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { leafRequest, subjectText } from '../../../src/core/pki/certificate-request.js';
import { opensslConfigText } from '../../../src/core/pki/openssl-config.js';

describe('a client certificate without a CN (for etcd with auth and --client-cert-auth)', () => {
  it('has O=pgfleet as its subject and no CN line in the openssl config', () => {
    const request = leafRequest({ kind: 'client', name: 'etcd-client', withoutCommonName: true });
    assert.equal(request.commonName, '');
    assert.equal(subjectText(request), 'O=pgfleet');
    const config = opensslConfigText(request);
    assert.match(config, /\[pgfleet_dn\]\nO = pgfleet\n/);
    assert.doesNotMatch(config, /CN =/);
  });

  it('is for clients only: servers and peers are named by their CN and SANs', () => {
    assert.throws(
      () => leafRequest({ kind: 'peer', name: 'etcd1', sans: ['127.0.0.1'], withoutCommonName: true }),
      /needs a common name/,
    );
  });

  it('leaves the usual subject alone', () => {
    assert.equal(subjectText(leafRequest({ kind: 'client', name: 'patronictl' })), 'CN=patronictl');
  });
});
