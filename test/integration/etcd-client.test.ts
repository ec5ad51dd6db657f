import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { EtcdClient } from '../../src/adapters/etcd/etcd-client.js';
import { EtcdAuthApi } from '../../src/adapters/etcd/auth-api.js';
import { EtcdError } from '../../src/adapters/etcd/etcd-error.js';
import { prefixRange } from '../../src/core/etcd/key-range.js';
import { Secret } from '../../src/core/secret.js';
import { type TestEtcd, startTestEtcd } from '../support/etcd-fixture.js';

describe('etcd gateway client on a real etcd 3.4', () => {
  let etcd: TestEtcd;
  before(async () => {
    etcd = await startTestEtcd({ members: 1 });
  });
  after(async () => {
    await etcd?.stop();
  });

  it('survives auth being switched on and off under it, as Patroni does', async () => {
    const rootPassword = new Secret('root-pw-for-test');
    const tenantPassword = new Secret('tenant-pw-for-test');
    const admin = new EtcdClient({
      endpoints: etcd.endpoints,
      credentials: { username: 'root', password: rootPassword },
    });
    const tenant = new EtcdClient({
      endpoints: etcd.endpoints,
      credentials: { username: 'patroni-alpha', password: tenantPassword },
    });
    const anonymous = new EtcdClient({ endpoints: etcd.endpoints });
    try {
      // Auth off: credentials are ignored, as with Patroni ("not enabled" means no token).
      assert.equal(await admin.isAuthEnabled(), false);
      await tenant.put('/service/alpha/probe', 'before');
      assert.equal((await tenant.get('/service/alpha/probe'))?.value, 'before');

      const auth = new EtcdAuthApi(admin);
      await auth.addUser('root', rootPassword);
      await auth.grantRole('root', 'root');
      await auth.addRole('patroni-alpha');
      await auth.grantPermission('patroni-alpha', { ...prefixRange('/service/alpha/'), permType: 'READWRITE' });
      await auth.addUser('patroni-alpha', tenantPassword);
      await auth.grantRole('patroni-alpha', 'patroni-alpha');
      await auth.enable();
      assert.equal(await anonymous.isAuthEnabled(), true);

      // The same client objects now authenticate by themselves.
      await tenant.put('/service/alpha/probe', 'after');
      assert.equal((await tenant.get('/service/alpha/probe'))?.value, 'after');
      await assert.rejects(
        tenant.put('/service/alpha2/probe', 'x'),
        (error: unknown) => error instanceof EtcdError && error.kind === 'permission-denied',
      );
      await assert.rejects(
        anonymous.get('/service/alpha/probe'),
        (error: unknown) => error instanceof EtcdError && error.kind === 'user-name-empty',
      );

      // Switched off again: the stale token is dropped and calls go on without one.
      await auth.disable();
      await tenant.put('/service/alpha/probe', 'off-again');
      assert.equal((await anonymous.get('/service/alpha/probe'))?.value, 'off-again');
    } finally {
      await Promise.all([admin.close(), tenant.close(), anonymous.close()]);
    }
  });

  it('names every endpoint it tried when etcd is unreachable', async () => {
    const client = new EtcdClient({ endpoints: ['http://127.0.0.1:1', 'http://127.0.0.1:2'], timeoutMs: 500 });
    try {
      await assert.rejects(client.get('/x'), (error: unknown) => {
        assert.ok(error instanceof EtcdError);
        assert.equal(error.kind, 'unreachable');
        assert.match(error.message, /127\.0\.0\.1:1/);
        assert.match(error.message, /127\.0\.0\.1:2/);
        return true;
      });
    } finally {
      await client.close();
    }
  });
});
