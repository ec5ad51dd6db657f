import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PgfleetError } from '../../../src/core/errors.js';
import { diffConfig } from '../../../src/core/instance/config-changes.js';
import { decideDrop } from '../../../src/core/instance/drop-decision.js';
import { applyDynamicPatch } from '../../../src/core/instance/dynamic-config-patch.js';
import { instanceEnvironment } from '../../../src/core/instance/instance-environment.js';
import {
  isInterruptedCreate,
  newInstanceRecord,
  parseInstanceRecord,
} from '../../../src/core/instance/instance-record.js';
import { startFailureExcerpt } from '../../../src/core/instance/log-excerpt.js';
import { patroniRestartRequirement } from '../../../src/core/instance/patroni-restart-requirement.js';
import { settingsDerivedValues } from '../../../src/core/instance/settings-derived-keys.js';
import { patroniUnitName, renderPatroniUnit } from '../../../src/core/instance/systemd-unit.js';
import { Secret } from '../../../src/core/secret.js';
import { PatroniSettingsSchema } from '../../../src/core/settings/site-settings.js';

describe('instance drop decision', () => {
  const input = { instance: 'main', scope: 'alpha', node: 'alpha-1', force: false };

  it('lets a member go when others remain, keeping the cluster keys', () => {
    assert.deepEqual(decideDrop({ ...input, members: ['alpha-1', 'alpha-2'] }), {
      allowed: true,
      lastMember: false,
      removeClusterKeys: false,
      otherMembers: ['alpha-2'],
    });
  });

  it('refuses the last member without --force, and removes the cluster keys with it', () => {
    const refused = decideDrop({ ...input, members: ['alpha-1'] });
    assert.equal(refused.allowed, false);
    assert.equal(refused.allowed === false && refused.code, 'INSTANCE_LAST_MEMBER');
    assert.deepEqual(decideDrop({ ...input, members: [], force: true }), {
      allowed: true,
      lastMember: true,
      removeClusterKeys: true,
      otherMembers: [],
    });
  });

  it('treats unknown members (etcd unreachable) as the last member: refused unless forced', () => {
    const refused = decideDrop({ ...input, members: undefined });
    assert.equal(refused.allowed === false && refused.code, 'INSTANCE_MEMBERS_UNKNOWN');
    assert.equal(decideDrop({ ...input, members: undefined, force: true }).allowed, true);
  });
});

describe('Patroni restart requirement (3.0.2)', () => {
  it('needs a restart for etcd hosts, protocol and certificates, namespace, scope and name; not for credentials, REST API or parameters', () => {
    const needs = (path: string) => patroniRestartRequirement([{ path }]).needed;
    for (const path of [
      'etcd3.hosts',
      'etcd3.protocol',
      'etcd3.cacert',
      'etcd3.cert',
      'etcd3.key',
      'etcd.hosts',
      'namespace',
      'scope',
      'name',
      'postgresql.data_dir',
    ])
      assert.equal(needs(path), true, path);
    for (const path of [
      'etcd3.username',
      'etcd3.password',
      'restapi.listen',
      'restapi.certfile',
      'restapi.authentication',
      'postgresql.parameters.work_mem',
      'postgresql.pg_hba',
      'watchdog.mode',
    ])
      assert.equal(needs(path), false, path);
  });
});

describe('PATCH /config semantics', () => {
  it('merges mappings, deletes on null, replaces lists whole', () => {
    const current = { ttl: 30, postgresql: { parameters: { work_mem: '4MB', a: 1 }, pg_hba: ['x', 'y'] } };
    assert.deepEqual(
      applyDynamicPatch(current, { postgresql: { parameters: { work_mem: '8MB', a: null, b: 2 }, pg_hba: ['z'] } }),
      { ttl: 30, postgresql: { parameters: { work_mem: '8MB', b: 2 }, pg_hba: ['z'] } },
    );
    assert.deepEqual(current.postgresql.pg_hba, ['x', 'y'], 'the input is untouched');
  });
});

describe('configuration diff', () => {
  it('compares numbers and their strings alike, Secrets by content, and redacts password-like keys', () => {
    assert.deepEqual(diffConfig({ a: 50, b: { password: 'old' } }, { a: '50', b: { password: new Secret('new') } }), [
      { path: 'b.password', before: '[redacted]', after: '[redacted]', secret: true },
    ]);
    assert.deepEqual(diffConfig({ p: new Secret('same') }, { p: 'same' }), []);
  });
});

describe('instance record', () => {
  it('marks the leftovers of an interrupted create: still creating, creator gone', () => {
    const record = newInstanceRecord(
      { name: 'main', scope: 'alpha', node: 'alpha-1', service: 'background', creatorPid: 4242, bootstrap: true },
      new Date('2026-01-01T00:00:00Z'),
    );
    assert.equal(
      isInterruptedCreate(record, () => false),
      true,
    );
    assert.equal(
      isInterruptedCreate(record, () => true),
      false,
      'a create still running is not leftovers',
    );
    assert.equal(
      isInterruptedCreate({ ...record, phase: 'ready' }, () => false),
      false,
    );
    assert.deepEqual(parseInstanceRecord(JSON.stringify(record), 'f'), record);
  });

  it('refuses a file that is not a record, naming it', () => {
    assert.throws(
      () => parseInstanceRecord('{"marker":"x"}', '/d/pgfleet-instance.json'),
      (error: unknown) =>
        error instanceof PgfleetError &&
        error.code === 'INSTANCE_RECORD_INVALID' &&
        /\/d\/pgfleet-instance\.json/.test(error.message),
    );
    assert.throws(
      () => parseInstanceRecord('not json', 'f'),
      (error: unknown) => error instanceof PgfleetError && error.code === 'INSTANCE_RECORD_INVALID',
    );
  });
});

describe('instance environment', () => {
  it('exports PATRONICTL_CONFIG_FILE and the PG* variables of the instance, no secret', () => {
    const config = {
      postgresql: {
        listen: '127.0.0.1:5433',
        data_dir: '/var/lib/pgfleet/pgsql/main/data',
        parameters: { unix_socket_directories: '/run/pgfleet/main' },
        authentication: { superuser: { username: 'postgres', password: 'secret-pw' } },
      },
    };
    const variables = instanceEnvironment({ configFile: '/etc/patroni/main.yaml', config });
    assert.deepEqual(variables, {
      PATRONICTL_CONFIG_FILE: '/etc/patroni/main.yaml',
      PGDATA: '/var/lib/pgfleet/pgsql/main/data',
      PGHOST: '/run/pgfleet/main',
      PGPORT: '5433',
      PGUSER: 'postgres',
    });
    assert.doesNotMatch(JSON.stringify(variables), /secret-pw/);
  });
});

describe('start failure excerpt of a Patroni log', () => {
  it('brings up the FATAL line of PostgreSQL from above the traceback, then the last lines', () => {
    const log = [
      'INFO: a',
      '2026 UTC [1] FATAL:  could not access file "pg_stat_statement"',
      ...Array.from({ length: 20 }, (_, i) => `  traceback line ${i}`),
      "patroni.exceptions.PatroniFatalException: 'Failed to bootstrap cluster'",
    ].join('\n');
    const excerpt = startFailureExcerpt(log, { tail: 3 });
    assert.equal(excerpt[0], '2026 UTC [1] FATAL:  could not access file "pg_stat_statement"');
    assert.equal(excerpt[1], '...');
    assert.equal(excerpt.at(-1), "patroni.exceptions.PatroniFatalException: 'Failed to bootstrap cluster'");
    assert.deepEqual(startFailureExcerpt('a\nb\n', { tail: 5 }), ['a', 'b']);
  });
});

describe('settings-derived keys (alter --apply-settings)', () => {
  it('gives the etcd, REST API TLS, watchdog and pg_rewind values of the settings, and deletes what the settings no longer have', () => {
    const settings = PatroniSettingsSchema.parse({
      etcd: { hosts: ['10.0.0.1:2379'], protocol: 'https', cacert: '/ca.crt' },
      postgresql: { use_pg_rewind: true },
    });
    const values = new Map(
      settingsDerivedValues(settings, { etcd3: {} }).map(({ path, value }) => [path.join('.'), value]),
    );
    assert.deepEqual(values.get('etcd3.hosts'), ['10.0.0.1:2379']);
    assert.equal(values.get('etcd3.protocol'), 'https');
    assert.equal(values.get('etcd3.cacert'), '/ca.crt');
    assert.ok(
      values.has('etcd3.cert') && values.get('etcd3.cert') === undefined,
      'no client certificate any more: deleted',
    );
    assert.equal(values.get('postgresql.use_pg_rewind'), true);
    assert.equal(values.get('watchdog.mode'), 'off');
    assert.ok(
      ![...values.keys()].some((key) => /username|password|namespace|scope|listen|connect_address/.test(key)),
      "the instance's own keys are not touched",
    );
  });
});

describe('systemd unit of Patroni-managed instances', () => {
  it('is a template run as the Patroni user, that lets Patroni stop PostgreSQL and never restarts by itself', () => {
    const unit = renderPatroniUnit({
      execpath: '/usr/bin/patroni',
      configDir: '/etc/patroni/',
      user: { name: 'postgres', group: 'postgres' },
    });
    assert.match(unit, /^ExecStart=\/usr\/bin\/patroni \/etc\/patroni\/%i\.yaml$/m);
    assert.match(unit, /^User=postgres$/m);
    assert.match(unit, /^KillMode=process$/m);
    assert.match(unit, /^Restart=no$/m);
    assert.match(unit, /^ExecReload=\/bin\/kill -s HUP \$MAINPID$/m);
    assert.match(unit, /^WantedBy=multi-user\.target$/m);
    assert.equal(patroniUnitName('main'), 'pgfleet-patroni@main.service');
  });

  it('quotes a path with spaces and escapes a % that is not %i; a user unit has no User=', () => {
    const unit = renderPatroniUnit({ execpath: '/opt/patroni 3/bin/patroni', configDir: '/srv/100%/patroni' });
    assert.match(unit, /^ExecStart="\/opt\/patroni 3\/bin\/patroni" \/srv\/100%%\/patroni\/%i\.yaml$/m);
    assert.doesNotMatch(unit, /^User=/m);
    assert.match(unit, /^WantedBy=default\.target$/m);
  });
});
