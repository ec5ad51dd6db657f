import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { checkEtcdAuthMethods } from '../../../src/core/patroni-config/etcd-auth-methods.js';

describe('etcd basic auth and client certificates together', () => {
  it('are flagged: basic auth takes precedence over the certificate', () => {
    const warning = checkEtcdAuthMethods(
      { username: 'patroni-alpha', password: 'secret-pw', cert: '/pki/client.crt', key: '/pki/client.key' },
      '/etc/patroni/alpha-1.yaml',
    );
    assert.equal(warning?.code, 'ETCD_BASIC_AUTH_WITH_CLIENT_CERT');
    assert.match(
      warning!.message,
      /\/etc\/patroni\/alpha-1\.yaml sets both an etcd username\/password \(patroni-alpha\) and a client certificate \(\/pki\/client\.crt\)/,
    );
    assert.doesNotMatch(`${warning!.message} ${warning!.hint}`, /secret-pw/);
  });

  it('are not flagged alone', () => {
    assert.equal(checkEtcdAuthMethods({ username: 'u', password: 'p' }, 'x'), undefined);
    assert.equal(checkEtcdAuthMethods({ cert: '/c', key: '/k' }, 'x'), undefined);
    assert.equal(checkEtcdAuthMethods({ username: '', cert: '/c' }, 'x'), undefined);
    assert.equal(checkEtcdAuthMethods(undefined, 'x'), undefined);
  });
});
