import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { looksLikeMemberConfig, memberIdentity } from '../../../src/core/patroni-config/member-identity.js';

describe('who a foreign Patroni YAML says its member is', () => {
  const debian = {
    scope: '15-main',
    namespace: '/postgresql-common/',
    name: 'pg1',
    etcd3: { hosts: '10.0.0.1:2379', username: 'patroni-15-main', password: 'secret' },
    restapi: { listen: '10.0.0.11:8008', connect_address: '10.0.0.11:8008' },
    postgresql: {},
  };

  it('reads scope, name, namespace, the etcd3 section and the REST addresses, and only whether a password is set', () => {
    const identity = memberIdentity(debian);
    assert.deepEqual(identity, {
      scope: '15-main',
      name: 'pg1',
      namespace: '/postgresql-common/',
      dcs: 'etcd3',
      dcsSection: 'etcd3',
      dcsCredentials: { username: 'patroni-15-main', passwordSet: true },
      dcsHosts: ['10.0.0.1:2379'],
      restapi: { listen: '10.0.0.11:8008', connectAddress: '10.0.0.11:8008' },
      logDir: undefined,
      problems: [],
    });
    assert.ok(!JSON.stringify(identity).includes('secret'));
  });

  it('takes the DCS Patroni takes when several sections exist (modules by name: etcd before etcd3)', () => {
    assert.equal(memberIdentity({ ...debian, etcd: { host: 'h:2379' } }).dcsSection, 'etcd');
    const { etcd3: _etcd3, ...withoutEtcd } = debian;
    assert.deepEqual(memberIdentity({ ...withoutEtcd, zookeeper: { hosts: 'z' } }).problems, [
      'the DCS is zookeeper, not etcd',
    ]);
  });

  it('names the etcd endpoints the member uses (host, hosts as a string or a list, url), to tell this fleet from another', () => {
    const hosts = (etcd3: Record<string, unknown>) => memberIdentity({ ...debian, etcd3 }).dcsHosts;
    assert.deepEqual(hosts({ hosts: '127.0.0.1:2379, 127.0.0.1:22379' }), ['127.0.0.1:2379', '127.0.0.1:22379']);
    assert.deepEqual(hosts({ hosts: ['Etcd1:2379', 'etcd2'] }), ['etcd1:2379', 'etcd2:2379']);
    assert.deepEqual(hosts({ url: 'https://10.0.0.1:2379/' }), ['10.0.0.1:2379']);
    assert.equal(hosts({ srv: 'example.org' }), undefined, 'SRV discovery: unknown until resolved');
  });

  it('defaults the namespace to /service/ and normalises slashes', () => {
    assert.equal(memberIdentity({ ...debian, namespace: undefined }).namespace, '/service/');
    assert.equal(memberIdentity({ ...debian, namespace: 'pg' }).namespace, '/pg/');
  });

  it('lets PATRONI_SCOPE, PATRONI_NAME and PATRONI_NAMESPACE win, as Patroni does', () => {
    const identity = memberIdentity(debian, { scope: 'other', name: 'n2', namespace: '/ns/' });
    assert.deepEqual([identity.scope, identity.name, identity.namespace], ['other', 'n2', '/ns/']);
  });

  it('says what is missing instead of failing', () => {
    assert.deepEqual(memberIdentity({ postgresql: {} }).problems, [
      'no scope',
      'no name',
      'no restapi.connect_address or restapi.listen',
      'no DCS section',
    ]);
  });

  it("does not take a DCS snippet such as Debian's dcs.yml for a member", () => {
    assert.equal(looksLikeMemberConfig({ zookeeper: { hosts: '127.0.0.1:2181' } }), false);
    assert.equal(looksLikeMemberConfig(null), false);
    assert.equal(looksLikeMemberConfig(debian), true);
  });

  it("counts an empty password as not set (Debian's `password:`)", () => {
    assert.equal(
      memberIdentity({ ...debian, etcd3: { hosts: 'h', username: 'u', password: null } }).dcsCredentials.passwordSet,
      false,
    );
  });
});
