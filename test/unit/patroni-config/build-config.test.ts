import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { buildPatroniConfig } from '../../../src/core/patroni-config/build-config.js';
import type { ConfigTree } from '../../../src/core/patroni-config/deep-merge.js';
import type { InstanceSpec } from '../../../src/core/patroni-config/instance-spec.js';
import { managedKeysSetBy } from '../../../src/core/patroni-config/managed-keys.js';
import { patroniFeatures } from '../../../src/core/patroni-config/patroni-features.js';
import { PgfleetError } from '../../../src/core/errors.js';
import { Secret } from '../../../src/core/secret.js';
import { PatroniSettingsSchema, type PatroniSettings } from '../../../src/core/settings/site-settings.js';

const settings = (input: unknown = {}): PatroniSettings => PatroniSettingsSchema.parse(input);
const v302 = patroniFeatures('3.0.2');

function spec(overrides: Partial<InstanceSpec> = {}): InstanceSpec {
  return {
    name: 'main',
    scope: 'alpha',
    node: 'alpha-1',
    postgresql: {
      port: 5432,
      listenHost: '*',
      connectHost: '198.51.100.10',
      dataDir: '/srv/pg/main/data',
      binDir: '/usr/lib/postgresql/15/bin',
      socketDir: '/run/pgfleet/main',
      pgpass: '/srv/pg/main/pgpass',
      parameters: { shared_buffers: '128MB', max_connections: 100 },
      pgHba: ['local all all peer'],
    },
    restapi: {
      listen: '0.0.0.0:8008',
      connectAddress: '198.51.100.10:8008',
      authentication: { username: 'api', password: new Secret('api-pw') },
    },
    superuser: { username: 'postgres', password: new Secret('su-pw') },
    replication: { username: 'replicator', password: new Secret('repl-pw') },
    rewind: { username: 'rewind_user', password: new Secret('rw-pw') },
    ...overrides,
  };
}

const build = (
  template: ConfigTree,
  patroni: PatroniSettings = settings(),
  instance: InstanceSpec = spec(),
  features = v302,
) => buildPatroniConfig({ settings: patroni, instance, template, features });

const HOSTILE_TEMPLATE: ConfigTree = {
  scope: 'hijacked',
  name: 'other-node',
  namespace: '/elsewhere/',
  etcd3: { hosts: ['10.9.9.9:2379'], username: 'root', password: 'template-pw', protocol: 'https' },
  consul: { host: 'consul:8500' },
  restapi: {
    listen: '0.0.0.0:1',
    certfile: '/template/cert.pem',
    authentication: { username: 'x', password: 'y' },
    http_extra_headers: { 'X-Frame-Options': 'DENY' },
  },
  ctl: { insecure: true },
  postgresql: {
    data_dir: '/template/data',
    pg_hba: ['host all all 0.0.0.0/0 trust'],
    authentication: { superuser: { username: 'admin', password: 'template-su', sslmode: 'verify-full' } },
    parameters: { shared_buffers: '1GB', work_mem: '64MB', unix_socket_directories: '/tmp' },
    pg_ctl_timeout: 120,
  },
  bootstrap: { dcs: { ttl: 42, postgresql: { pg_hba: ['host all all 0.0.0.0/0 trust'] } }, initdb: ['data-checksums'] },
  watchdog: { mode: 'automatic' },
  tags: { nofailover: true },
  log: { level: 'DEBUG' },
};

describe('Patroni configuration generation', () => {
  it('keeps managed values when a template sets scope, etcd3.hosts or restapi.listen', () => {
    const config = build(HOSTILE_TEMPLATE) as any;
    assert.equal(config.scope, 'alpha');
    assert.equal(config.name, 'alpha-1');
    assert.equal(config.namespace, '/service/');
    assert.deepEqual(config.etcd3.hosts, ['127.0.0.1:2379']);
    assert.equal(config.etcd3.protocol, 'http');
    assert.equal(config.restapi.listen, '0.0.0.0:8008');
    assert.equal(config.postgresql.data_dir, '/srv/pg/main/data');
    assert.deepEqual(config.postgresql.pg_hba, ['local all all peer']);
    assert.equal(config.postgresql.parameters.shared_buffers, '128MB');
    assert.equal(config.postgresql.parameters.unix_socket_directories, '/run/pgfleet/main');
    assert.equal(config.watchdog.mode, 'off');
  });

  it('drops template values at managed keys pgfleet leaves empty: no template etcd credentials, REST API TLS or auth, ctl, foreign DCS', () => {
    const config = build(
      HOSTILE_TEMPLATE,
      settings(),
      spec({ restapi: { listen: '0.0.0.0:8008', connectAddress: '198.51.100.10:8008' } }),
    ) as any;
    assert.equal(config.etcd3.username, undefined);
    assert.equal(config.etcd3.password, undefined);
    assert.equal(config.consul, undefined);
    assert.equal(config.restapi.certfile, undefined);
    assert.equal(config.restapi.authentication, undefined);
    assert.equal(config.ctl, undefined);
    assert.equal(config.bootstrap.dcs.postgresql.pg_hba, undefined, 'pg_hba in the DCS is pgfleet-managed');
    assert.deepEqual(config.bootstrap.dcs.postgresql.parameters, { max_connections: 100 });
  });

  it('keeps template keys pgfleet does not manage (bootstrap.dcs.ttl, tags, log, initdb, extra REST API headers, sslmode, work_mem)', () => {
    const config = build(HOSTILE_TEMPLATE) as any;
    assert.equal(config.bootstrap.dcs.ttl, 42);
    assert.deepEqual(config.bootstrap.initdb, ['data-checksums']);
    assert.deepEqual(config.tags, { nofailover: true });
    assert.deepEqual(config.log, { level: 'DEBUG' });
    assert.deepEqual(config.restapi.http_extra_headers, { 'X-Frame-Options': 'DENY' });
    assert.equal(config.postgresql.authentication.superuser.sslmode, 'verify-full');
    assert.equal(config.postgresql.authentication.superuser.username, 'postgres');
    assert.equal(config.postgresql.parameters.work_mem, '64MB');
    assert.equal(config.postgresql.pg_ctl_timeout, 120);
  });

  it('layers user input above the template and below managed values', () => {
    const config = build(
      { tags: { nofailover: false }, bootstrap: { dcs: { ttl: 30 } } },
      settings(),
      spec({ userInput: { tags: { nofailover: true }, scope: 'from-user', bootstrap: { dcs: { ttl: 20 } } } }),
    ) as any;
    assert.equal(config.tags.nofailover, true);
    assert.equal(config.bootstrap.dcs.ttl, 20);
    assert.equal(config.scope, 'alpha');
  });

  it('writes an etcd section (v2 API) instead of etcd3 when settings say version: etcd, and drops a template etcd3 section', () => {
    const config = build(
      { etcd3: { hosts: ['10.9.9.9:2379'] } },
      settings({ etcd: { version: 'etcd', hosts: ['10.0.0.1:2379'] } }),
    ) as any;
    assert.deepEqual(config.etcd.hosts, ['10.0.0.1:2379']);
    assert.equal(config.etcd3, undefined);
  });

  it('gives the bootstrap.dcs, bootstrap.initdb and bootstrap.pg_hba that Patroni 3.0.2 validation insists on, even from an empty template', () => {
    const config = build({}) as any;
    assert.ok(config.bootstrap.dcs && typeof config.bootstrap.dcs === 'object');
    assert.ok(Array.isArray(config.bootstrap.initdb) && config.bootstrap.initdb.length > 0);
    assert.deepEqual(config.bootstrap.pg_hba, ['local all all peer']);
    assert.ok(config.postgresql.authentication.rewind.username);
  });

  it('puts every parameter and pg_hba into bootstrap.dcs in dynamic mode and removes those names from the local section', () => {
    const config = build(
      { postgresql: { parameters: { shared_buffers: '1GB', work_mem: '4MB' } } },
      settings({ configuration_mode: { auth: 'dynamic', parameters: 'dynamic' } }),
    ) as any;
    assert.deepEqual(config.bootstrap.dcs.postgresql.parameters, { shared_buffers: '128MB', max_connections: 100 });
    assert.deepEqual(config.bootstrap.dcs.postgresql.pg_hba, ['local all all peer']);
    assert.equal(config.postgresql.pg_hba, undefined);
    assert.deepEqual(config.postgresql.parameters, { work_mem: '4MB', unix_socket_directories: '/run/pgfleet/main' });
  });

  it('writes REST API verify_client only with TLS, and ctl certificates from the settings', () => {
    const tls = build(
      {},
      settings({
        restapi: { certfile: '/tls/api.crt', keyfile: '/tls/api.key', verify_client: 'required' },
        ctl: { certfile: '/tls/ctl.crt', keyfile: '/tls/ctl.key', cacert: '/tls/ca.crt' },
      }),
    ) as any;
    assert.equal(tls.restapi.verify_client, 'required');
    assert.deepEqual(tls.ctl, { cacert: '/tls/ca.crt', certfile: '/tls/ctl.crt', keyfile: '/tls/ctl.key' });
    const plain = build({}) as any;
    assert.equal(plain.restapi.verify_client, undefined);
  });

  it('refuses patroni.ctl.restapi_credentials on Patroni 3.0.2, naming the version that has ctl.authentication', () => {
    const patroni = settings({ ctl: { restapi_credentials: true } });
    assert.throws(
      () => build({}, patroni, spec(), patroniFeatures('3.0.2')),
      (error: unknown) =>
        error instanceof PgfleetError &&
        error.code === 'PATRONI_VERSION_TOO_OLD' &&
        /Patroni >= 3\.1\.0/.test(error.message) &&
        /3\.0\.2/.test(error.message),
    );
    const config = build({}, patroni, spec(), patroniFeatures('3.1.0')) as any;
    assert.equal(config.ctl.authentication.username, 'api');
    assert.ok(config.ctl.authentication.password instanceof Secret);
  });

  it('does not modify the template it was given', () => {
    const template = structuredClone(HOSTILE_TEMPLATE);
    build(template);
    assert.deepEqual(template, HOSTILE_TEMPLATE);
  });
});

describe('managed keys a template sets', () => {
  it('lists scope, etcd3.hosts and restapi.listen, not bootstrap.dcs.ttl or tags', () => {
    const keys = managedKeysSetBy({
      scope: 'x',
      etcd3: { hosts: ['a:1'], use_proxies: true },
      restapi: { listen: 'a:1' },
      bootstrap: { dcs: { ttl: 30 } },
      tags: { nofailover: true },
    });
    assert.deepEqual(keys, ['scope', 'etcd3.hosts', 'restapi.listen']);
  });

  it('names the leaves under a managed mapping and a whole foreign DCS section', () => {
    const keys = managedKeysSetBy({
      restapi: { authentication: { username: 'u', password: 'p' } },
      consul: { host: 'c:8500' },
      postgresql: { authentication: { superuser: { username: 'a', sslmode: 'require' } } },
    });
    assert.deepEqual(keys, [
      'consul.host',
      'restapi.authentication.username',
      'restapi.authentication.password',
      'postgresql.authentication.superuser.username',
    ]);
  });

  it('counts the etcd section the settings do not use as managed once the DCS version is known', () => {
    assert.deepEqual(managedKeysSetBy({ etcd: { hosts: ['a:1'], use_proxies: true } }, { dcs: 'etcd3' }), [
      'etcd.hosts',
      'etcd.use_proxies',
    ]);
    assert.deepEqual(managedKeysSetBy({ etcd: { hosts: ['a:1'], use_proxies: true } }), ['etcd.hosts']);
  });

  it('flags the built-in template only for watchdog.mode, which pgfleet always writes', () => {
    assert.deepEqual(managedKeysSetBy({ bootstrap: { dcs: { loop_wait: 10 } }, watchdog: { mode: 'off' } }), [
      'watchdog.mode',
    ]);
  });
});
