import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PgfleetError } from '../../../src/core/errors.js';
import {
  checkInstanceOptions,
  instanceSpecFromOptions,
  type PatroniInstanceOptions,
} from '../../../src/core/patroni-config/instance-options.js';
import { Secret } from '../../../src/core/secret.js';
import { resolveSitePaths } from '../../../src/core/settings/site-paths.js';
import { SiteSettingsSchema } from '../../../src/core/settings/site-settings.js';

const settings = SiteSettingsSchema.parse({ patroni: {} });
const paths = resolveSitePaths(settings, { isRoot: true, home: '/root', env: {} });
const secrets = {
  superuser: new Secret('a'),
  replication: new Secret('b'),
  rewind: new Secret('c'),
  etcdPassword: new Secret('d'),
  restapiPassword: new Secret('e'),
};
const specFor = (
  options: PatroniInstanceOptions,
  context = { settings, paths, hostname: 'db1.example.com', secrets },
) => instanceSpecFromOptions(options, context);

const rejects = (options: PatroniInstanceOptions, code: string, pattern: RegExp) =>
  assert.throws(
    () => checkInstanceOptions(options),
    (error: unknown) => error instanceof PgfleetError && error.code === code && pattern.test(error.message),
  );

describe('instance options to InstanceSpec', () => {
  it('defaults as pglift does: scope = instance name, node and connect host = this host, port 5432, REST API on <host>:8008', () => {
    const spec = specFor({ name: 'main' });
    assert.equal(spec.scope, 'main');
    assert.equal(spec.node, 'db1.example.com');
    assert.equal(spec.postgresql.port, 5432);
    assert.equal(spec.postgresql.connectHost, 'db1.example.com');
    assert.equal(spec.postgresql.listenHost, '*');
    assert.equal(spec.restapi.connectAddress, 'db1.example.com:8008');
    assert.equal(spec.restapi.listen, 'db1.example.com:8008');
    assert.equal(spec.etcdCredentials, undefined);
    assert.equal(spec.restapi.authentication, undefined);
  });

  it('maps every option to its place', () => {
    const spec = specFor({
      name: 'main',
      patroniCluster: 'alpha',
      patroniNode: 'n1',
      port: 5433,
      patroniRestapiListen: '0.0.0.0:8010',
      patroniRestapiConnectAddress: '10.0.0.5:8010',
      patroniPostgresqlConnectHost: '10.0.0.5',
      patroniEtcdUsername: 'patroni-alpha',
      patroniEtcdPasswordFile: '/s/etcd',
      patroniRestapiAuthenticationUsername: 'api',
      patroniRestapiAuthenticationPasswordFile: '/s/api',
    });
    assert.equal(spec.scope, 'alpha');
    assert.equal(spec.node, 'n1');
    assert.equal(spec.postgresql.port, 5433);
    assert.equal(spec.postgresql.connectHost, '10.0.0.5');
    assert.equal(spec.restapi.listen, '0.0.0.0:8010');
    assert.equal(spec.restapi.connectAddress, '10.0.0.5:8010');
    assert.equal(spec.etcdCredentials?.username, 'patroni-alpha');
    assert.ok(spec.etcdCredentials?.password.equals(secrets.etcdPassword));
    assert.equal(spec.restapi.authentication?.username, 'api');
    assert.ok(spec.restapi.authentication?.password.equals(secrets.restapiPassword));
  });

  it('places files by the site paths and role names by the settings; passfile template names the pgpass', () => {
    const custom = SiteSettingsSchema.parse({
      postgresql: { superuser: 'admin', replication_user: 'repl' },
      patroni: { postgresql: { passfile: '/var/lib/pgpass/{name}.pgpass' } },
    });
    const spec = specFor({ name: 'main' }, { settings: custom, paths, hostname: 'h', secrets });
    assert.equal(spec.postgresql.dataDir, '/var/lib/pgfleet/pgsql/main/data');
    assert.equal(spec.postgresql.socketDir, '/run/pgfleet/main');
    assert.equal(spec.postgresql.pgpass, '/var/lib/pgpass/main.pgpass');
    assert.equal(spec.superuser.username, 'admin');
    assert.equal(spec.replication.username, 'repl');
    assert.ok(spec.postgresql.pgHba.some((line) => line.includes('replication repl ')));
  });

  it('refuses a username without its password file, and a password file without its username', () => {
    rejects(
      { name: 'm', patroniEtcdUsername: 'u' },
      'INSTANCE_OPTION_MISSING_PASSWORD_FILE',
      /--patroni-etcd-username is given without --patroni-etcd-password-file/,
    );
    rejects(
      { name: 'm', patroniRestapiAuthenticationPasswordFile: '/f' },
      'INSTANCE_OPTION_MISSING_USERNAME',
      /--patroni-restapi-authentication-password-file is given without --patroni-restapi-authentication-username/,
    );
  });

  it('refuses bad names and addresses, naming the option', () => {
    rejects({ name: '../etc' }, 'INSTANCE_OPTION_INVALID', /^name "\.\.\/etc"/);
    rejects({ name: 'm', patroniCluster: 'a/b' }, 'INSTANCE_OPTION_INVALID', /--patroni-cluster "a\/b"/);
    rejects(
      { name: 'm', patroniRestapiListen: '0.0.0.0' },
      'INSTANCE_OPTION_INVALID',
      /--patroni-restapi-listen "0\.0\.0\.0".*host:port/,
    );
    rejects(
      { name: 'm', patroniRestapiConnectAddress: 'h:70000' },
      'INSTANCE_OPTION_INVALID',
      /--patroni-restapi-connect-address/,
    );
    rejects(
      { name: 'm', patroniPostgresqlConnectHost: 'h:5432' },
      'INSTANCE_OPTION_INVALID',
      /--patroni-postgresql-connect-host/,
    );
    rejects({ name: 'm', port: 0 }, 'INSTANCE_OPTION_INVALID', /--port/);
  });

  it('accepts IPv6 addresses in brackets', () => {
    const spec = specFor({
      name: 'm',
      patroniRestapiListen: '[::]:8008',
      patroniRestapiConnectAddress: '[2001:db8::5]:8008',
      patroniPostgresqlConnectHost: '[2001:db8::5]',
    });
    assert.equal(spec.restapi.connectAddress, '[2001:db8::5]:8008');
  });

  it('listens where --patroni-postgresql-listen says (listen_addresses), refusing a port in it', () => {
    assert.equal(
      specFor({ name: 'm', patroniPostgresqlListen: '127.0.0.1,10.0.0.5' }).postgresql.listenHost,
      '127.0.0.1,10.0.0.5',
    );
    assert.equal(specFor({ name: 'm', patroniPostgresqlListen: '*' }).postgresql.listenHost, '*');
    rejects(
      { name: 'm', patroniPostgresqlListen: '127.0.0.1:5432' },
      'INSTANCE_OPTION_INVALID',
      /--patroni-postgresql-listen "127\.0\.0\.1:5432"/,
    );
  });

  it('takes an environment variable named for the password in place of the file', () => {
    checkInstanceOptions({
      name: 'm',
      patroniEtcdUsername: 'u',
      patroniEtcdPasswordEnv: 'PGFLEET_PATRONI_ETCD_PASSWORD',
    });
    rejects(
      { name: 'm', patroniEtcdPasswordEnv: 'PGFLEET_PATRONI_ETCD_PASSWORD' },
      'INSTANCE_OPTION_MISSING_USERNAME',
      /\$PGFLEET_PATRONI_ETCD_PASSWORD is given without --patroni-etcd-username/,
    );
  });
});
