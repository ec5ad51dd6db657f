import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PgfleetError } from '../../../src/core/errors.js';
import { checkPgHbaLine, editPgHba, normalisePgHbaLine } from '../../../src/core/instance/pg-hba-lines.js';
import {
  checkDistinctParameters,
  checkParameterName,
  isDcsOnlyParameter,
  parseParameterAssignment,
} from '../../../src/core/instance/postgresql-parameters.js';

const refuses = (fn: () => unknown, code: string, pattern?: RegExp) =>
  assert.throws(
    fn,
    (error: unknown) =>
      error instanceof PgfleetError && error.code === code && (!pattern || pattern.test(error.message)),
  );

describe('--parameter name=value', () => {
  it('keeps values as PostgreSQL reads them: integers as numbers, the rest as strings, name folded to lower case', () => {
    assert.deepEqual(parseParameterAssignment('work_mem=16MB'), { name: 'work_mem', value: '16MB' });
    assert.deepEqual(parseParameterAssignment('Max_Connections=200'), { name: 'max_connections', value: 200 });
    assert.deepEqual(parseParameterAssignment("search_path='$user', public"), {
      name: 'search_path',
      value: "'$user', public",
    });
    assert.deepEqual(parseParameterAssignment('shared_preload_libraries='), {
      name: 'shared_preload_libraries',
      value: '',
    });
    assert.deepEqual(parseParameterAssignment('pg_stat_statements.max=5000'), {
      name: 'pg_stat_statements.max',
      value: 5000,
    });
  });

  it('refuses a text without "=", a bad name, a multi-line value', () => {
    refuses(() => parseParameterAssignment('work_mem'), 'INSTANCE_PARAMETER_INVALID', /expected name=value/);
    refuses(() => parseParameterAssignment('=1'), 'INSTANCE_PARAMETER_INVALID');
    refuses(() => parseParameterAssignment('1abc=1'), 'INSTANCE_PARAMETER_INVALID', /not a PostgreSQL parameter name/);
    refuses(() => parseParameterAssignment('work_mem=1MB\nfsync=off'), 'INSTANCE_PARAMETER_INVALID', /line break/);
  });

  it('refuses parameters Patroni or pgfleet set from their own keys, saying where they come from', () => {
    refuses(
      () => checkParameterName('port'),
      'INSTANCE_PARAMETER_MANAGED',
      /port cannot be set as a parameter: it comes from postgresql\.listen/,
    );
    refuses(() => checkParameterName('listen_addresses'), 'INSTANCE_PARAMETER_MANAGED');
    refuses(() => checkParameterName('Primary_Conninfo'), 'INSTANCE_PARAMETER_MANAGED');
    refuses(() => checkParameterName('unix_socket_directories', '--reset-parameter'), 'INSTANCE_PARAMETER_MANAGED');
  });

  it('knows the parameters Patroni 3.0.2 reads from the DCS only (its CMDLINE_OPTIONS)', () => {
    for (const name of [
      'max_connections',
      'max_wal_senders',
      'wal_level',
      'hot_standby',
      'wal_keep_size',
      'max_locks_per_transaction',
      'track_commit_timestamp',
    ])
      assert.equal(isDcsOnlyParameter(name), true, name);
    for (const name of ['work_mem', 'shared_buffers', 'log_min_duration_statement'])
      assert.equal(isDcsOnlyParameter(name), false, name);
  });

  it('refuses the same parameter twice', () => {
    refuses(
      () => checkDistinctParameters([{ name: 'work_mem', value: '1MB' }], ['work_mem']),
      'INSTANCE_PARAMETER_TWICE',
    );
    checkDistinctParameters([{ name: 'work_mem', value: '1MB' }], ['shared_buffers']);
  });
});

describe('pg_hba entries', () => {
  it('compares entries with their whitespace normalised', () => {
    assert.equal(
      normalisePgHbaLine('  host\tall  all 10.0.0.0/8   scram-sha-256 '),
      'host all all 10.0.0.0/8 scram-sha-256',
    );
  });

  it('accepts local and host entries with enough fields, and refuses anything else', () => {
    assert.equal(checkPgHbaLine('local all all peer', '--hba-add'), 'local all all peer');
    assert.equal(
      checkPgHbaLine('hostssl app app 10.0.0.0/24 cert clientcert=verify-full', '--hba-add'),
      'hostssl app app 10.0.0.0/24 cert clientcert=verify-full',
    );
    refuses(
      () => checkPgHbaLine('host all all scram-sha-256', '--hba-add'),
      'INSTANCE_HBA_INVALID',
      /--hba-add "host all all scram-sha-256" is not a pg_hba entry/,
    );
    refuses(() => checkPgHbaLine('hots all all 1.2.3.4/32 md5', '--hba-add'), 'INSTANCE_HBA_INVALID');
    refuses(
      () => checkPgHbaLine('host all all 1.2.3.4/32 md5\nhost all all 0.0.0.0/0 trust', '--hba-add'),
      'INSTANCE_HBA_INVALID',
      /one line/,
    );
  });

  it('appends new entries after the existing ones (first match wins: existing rules keep precedence) and removes others', () => {
    const edit = editPgHba(['local all all peer', 'host all all 127.0.0.1/32 scram-sha-256'], {
      add: ['host app app 10.0.0.0/24 scram-sha-256', 'local all all peer'],
      remove: ['host  all all 127.0.0.1/32 scram-sha-256', 'host x x 1.1.1.1/32 md5'],
    });
    assert.deepEqual(edit.lines, ['local all all peer', 'host app app 10.0.0.0/24 scram-sha-256']);
    assert.deepEqual(edit.added, ['host app app 10.0.0.0/24 scram-sha-256']);
    assert.deepEqual(edit.removed, ['host all all 127.0.0.1/32 scram-sha-256']);
    assert.deepEqual(edit.alreadyPresent, ['local all all peer']);
    assert.deepEqual(edit.notPresent, ['host x x 1.1.1.1/32 md5']);
  });
});

describe('a password from a file or the environment', () => {
  it('reads the variable named instead of a file, and refuses it empty', async () => {
    const { readPassword } = await import('../../../src/adapters/settings/instance-secret-files.js');
    const secret = await readPassword({ env: 'PW' }, 'etcd password', { PW: 'from-env' });
    assert.equal(secret?.reveal(), 'from-env');
    assert.equal(await readPassword({}, 'etcd password', {}), undefined);
    await assert.rejects(
      readPassword({ env: 'PW' }, 'etcd password', {}),
      (error: unknown) =>
        error instanceof PgfleetError &&
        error.code === 'SECRET_ENV_EMPTY' &&
        /\$PW is empty or not set/.test(error.message),
    );
  });
});
