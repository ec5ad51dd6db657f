import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { etcdAccessFromSettings } from '../../../src/adapters/settings/etcd-access.js';
import { SiteSettingsSchema } from '../../../src/core/settings/site-settings.js';

const ENV = { PGFLEET_ETCD_ADMIN_PASSWORD: 'not-a-real-admin-password' };

describe('etcd access from the site settings', () => {
  it('carries the token type the operator declared in etcd_admin.auth_token, for when etcd cannot say', async () => {
    const settings = SiteSettingsSchema.parse({ patroni: {}, etcd_admin: { auth_token: 'simple' } });
    const access = await etcdAccessFromSettings(settings, ENV);
    assert.equal(access.declaredTokenType, 'simple');
    assert.deepEqual(access.endpoints, ['http://127.0.0.1:2379']);
  });

  it('declares no token type unless the settings do', async () => {
    const access = await etcdAccessFromSettings(SiteSettingsSchema.parse({ patroni: {} }), ENV);
    assert.equal(access.declaredTokenType, undefined);
  });

  it('refuses a token type etcd does not have', () => {
    const parsed = SiteSettingsSchema.safeParse({ patroni: {}, etcd_admin: { auth_token: 'kerberos' } });
    assert.equal(parsed.success, false);
    assert.deepEqual(parsed.error?.issues[0]?.path, ['etcd_admin', 'auth_token']);
  });
});
