import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { EtcdAuthApi } from '../../src/adapters/etcd/auth-api.js';
import { EtcdClient } from '../../src/adapters/etcd/etcd-client.js';
import { prefixRange } from '../../src/core/etcd/key-range.js';
import { Secret } from '../../src/core/secret.js';
import { runDcsPreflight } from '../../src/instance/dcs-preflight-probe.js';
import { type TestEtcd, startTestEtcd } from '../support/etcd-fixture.js';

const rootPassword = new Secret('preflight-root-secret');
const alphaPassword = new Secret('preflight-alpha-secret');

describe('DCS pre-flight against a real etcd', () => {
  let etcd: TestEtcd;
  let admin: EtcdClient;
  before(async () => {
    etcd = await startTestEtcd();
    admin = new EtcdClient({ endpoints: etcd.endpoints, credentials: { username: 'root', password: rootPassword } });
    const auth = new EtcdAuthApi(admin);
    await auth.addUser('root', rootPassword);
    await auth.grantRole('root', 'root');
    await auth.addRole('patroni-alpha');
    await auth.grantPermission('patroni-alpha', { ...prefixRange('/service/alpha/'), permType: 'READWRITE' });
    await auth.addUser('patroni-alpha', alphaPassword);
    await auth.grantRole('patroni-alpha', 'patroni-alpha');
  });
  after(async () => {
    await admin?.close();
    await etcd?.stop();
  });

  const target = (scope: string, username: string, password: Secret) => ({
    endpoints: etcd.endpoints,
    namespace: '/service/',
    scope,
    credentials: { username, password },
    admin: { username: 'root', password: rootPassword },
  });

  it('with auth off, checks the user and its grant but warns that the password cannot be verified', async () => {
    const report = await runDcsPreflight(target('alpha', 'patroni-alpha', new Secret('anything at all')));
    assert.equal(report.authEnabled, false);
    assert.equal(report.ok, true);
    assert.deepEqual(
      report.checks.map((c) => `${c.id}:${c.status}`),
      ['password-unverifiable:warn'],
    );
  });

  it('with auth off, stops on a user that does not exist', async () => {
    const report = await runDcsPreflight(target('alpha', 'patroni-nobody', alphaPassword));
    assert.equal(report.ok, false);
    assert.equal(report.checks[0]!.id, 'user-unknown');
  });

  describe('with auth on', () => {
    before(async () => {
      await new EtcdAuthApi(admin).enable();
    });

    it('passes with the right password: PUT, GET and DELETE under the prefix worked', async () => {
      const report = await runDcsPreflight(target('alpha', 'patroni-alpha', alphaPassword));
      assert.equal(report.ok, true, JSON.stringify(report.checks));
      assert.ok(report.checks.some((c) => c.id === 'probe' && c.status === 'pass'));
      const leftovers = await admin.getPrefix('/service/alpha/pgfleet-preflight-');
      assert.deepEqual(leftovers, [], 'the probe key was deleted');
    });

    it('stops on a wrong password with an authentication message', async () => {
      const report = await runDcsPreflight(target('alpha', 'patroni-alpha', new Secret('wrong-password')));
      assert.equal(report.ok, false);
      const probe = report.checks.find((c) => c.id === 'probe')!;
      assert.equal(probe.status, 'fail');
      assert.match(probe.message, /authentication failed/);
      assert.doesNotMatch(JSON.stringify(report), /wrong-password|preflight-alpha-secret/);
    });

    it('stops on an unknown user', async () => {
      const report = await runDcsPreflight(target('alpha', 'patroni-nobody', alphaPassword));
      assert.equal(report.ok, false);
      assert.ok(report.checks.some((c) => c.id === 'user-unknown'));
    });

    it('stops when the role is on another prefix, naming the denied operation', async () => {
      const report = await runDcsPreflight(target('beta', 'patroni-alpha', alphaPassword));
      assert.equal(report.ok, false);
      const probe = report.checks.find((c) => c.id === 'probe')!;
      assert.match(probe.message, /denied the PUT of a key under \/service\/beta\//);
      assert.ok(report.checks.some((c) => c.id === 'range-missing'));
    });
  });
});
