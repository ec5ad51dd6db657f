import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PgfleetError } from '../../../src/core/errors.js';
import {
  type InstanceAlterRequest,
  alterTouchesDcs,
  isEmptyAlterRequest,
  planInstanceAlter,
} from '../../../src/core/instance/alter-plan.js';
import { renderConfigChanges } from '../../../src/core/instance/config-changes.js';
import { Secret } from '../../../src/core/secret.js';

const LOCAL = { auth: 'local', parameters: 'local' } as const;
const DYNAMIC = { auth: 'dynamic', parameters: 'dynamic' } as const;
const HBA = ['local all all peer', 'host all all 127.0.0.1/32 scram-sha-256'];

/** A Patroni YAML as read back from disk (plain strings for passwords). */
const yaml = () => ({
  scope: 'alpha',
  name: 'alpha-1',
  etcd3: { hosts: ['10.0.0.1:2379'], protocol: 'http', username: 'patroni-alpha', password: 'old-etcd-pw' },
  restapi: { listen: '10.0.0.5:8008', connect_address: '10.0.0.5:8008' },
  postgresql: {
    listen: '*:5432',
    parameters: { unix_socket_directories: '/run/pgfleet/main', shared_buffers: '128MB' },
    pg_hba: [...HBA],
  },
});
const request = (changes: Partial<InstanceAlterRequest>): InstanceAlterRequest => ({
  setParameters: [],
  resetParameters: [],
  hbaAdd: [],
  hbaRemove: [],
  ...changes,
});
const refuses = (fn: () => unknown, code: string) =>
  assert.throws(fn, (error: unknown) => error instanceof PgfleetError && error.code === code);

describe('instance alter plan, local mode', () => {
  it('sets and resets parameters and edits pg_hba in the YAML, which Patroni picks up on reload', () => {
    const plan = planInstanceAlter({
      config: yaml(),
      request: request({
        setParameters: [{ name: 'work_mem', value: '24MB' }],
        resetParameters: ['shared_buffers'],
        hbaAdd: ['host app app 10.0.0.0/24 scram-sha-256'],
        hbaRemove: ['local all all peer'],
      }),
      modes: LOCAL,
    });
    const postgresql = plan.localConfig!.postgresql as { parameters: Record<string, unknown>; pg_hba: string[] };
    assert.equal(postgresql.parameters.work_mem, '24MB');
    assert.equal(postgresql.parameters.shared_buffers, undefined);
    assert.deepEqual(postgresql.pg_hba, [
      'host all all 127.0.0.1/32 scram-sha-256',
      'host app app 10.0.0.0/24 scram-sha-256',
    ]);
    assert.equal(plan.dynamicPatch, undefined);
    assert.equal(plan.restart.needed, false);
    assert.deepEqual(renderConfigChanges(plan.localChanges), [
      '- postgresql.parameters.shared_buffers (was 128MB)',
      '+ postgresql.parameters.work_mem: 24MB',
      '~ postgresql.pg_hba:',
      '    - local all all peer',
      '    + host app app 10.0.0.0/24 scram-sha-256',
    ]);
  });

  it('sends a parameter Patroni reads from the DCS only (max_connections) through PATCH /config even in local mode, and says why', () => {
    const plan = planInstanceAlter({
      config: yaml(),
      dynamicConfig: { postgresql: { parameters: { max_connections: 100 } } },
      request: request({ setParameters: [{ name: 'max_connections', value: 200 }] }),
      modes: LOCAL,
    });
    assert.equal(plan.localConfig, undefined, 'the YAML does not change');
    assert.deepEqual(plan.dynamicPatch, { postgresql: { parameters: { max_connections: 200 } } });
    assert.deepEqual(plan.dynamicChanges, [{ path: 'postgresql.parameters.max_connections', before: 100, after: 200 }]);
    assert.match(plan.notes[0]!, /max_connections is read from the DCS only/);
    assert.equal(alterTouchesDcs(request({ setParameters: [{ name: 'max_connections', value: 200 }] }), LOCAL), true);
    assert.equal(alterTouchesDcs(request({ setParameters: [{ name: 'work_mem', value: '1MB' }] }), LOCAL), false);
  });

  it('writes new etcd credentials as a Secret and shows the password change redacted; credentials need no Patroni restart', () => {
    const plan = planInstanceAlter({
      config: yaml(),
      request: request({ etcdCredentials: { username: 'patroni-alpha', password: new Secret('new-etcd-pw') } }),
      modes: LOCAL,
    });
    assert.ok((plan.localConfig!.etcd3 as { password: unknown }).password instanceof Secret);
    assert.deepEqual(plan.localChanges, [
      { path: 'etcd3.password', before: '[redacted]', after: '[redacted]', secret: true },
    ]);
    assert.doesNotMatch(JSON.stringify(plan.localChanges), /etcd-pw/);
    assert.equal(plan.restart.needed, false);
  });

  it('sees no change when the new etcd password is the one already there', () => {
    const plan = planInstanceAlter({
      config: yaml(),
      request: request({ etcdCredentials: { username: 'patroni-alpha', password: new Secret('old-etcd-pw') } }),
      modes: LOCAL,
    });
    assert.equal(plan.localConfig, undefined);
    assert.deepEqual(plan.localChanges, []);
  });

  it('says a Patroni restart is needed when the settings move etcd (hosts, protocol), and why', () => {
    const plan = planInstanceAlter({
      config: yaml(),
      request: request({
        settingsValues: [
          { path: ['etcd3', 'hosts'], value: ['10.0.0.9:2379'] },
          { path: ['etcd3', 'protocol'], value: 'https' },
          { path: ['etcd3', 'cacert'], value: '/etc/pki/ca.crt' },
        ],
      }),
      modes: LOCAL,
    });
    assert.equal(plan.restart.needed, true);
    assert.equal(plan.restart.reasons.length, 3);
    assert.match(
      plan.restart.reasons[0]!,
      /etcd3\.hosts changed: Patroni 3\.0\.2 reads the etcd hosts, protocol and certificates only when it starts/,
    );
  });

  it('adds REST API basic auth, and removes it', () => {
    const added = planInstanceAlter({
      config: yaml(),
      request: request({ restapiAuthentication: { username: 'patroni', password: new Secret('rest-pw') } }),
      modes: LOCAL,
    });
    assert.deepEqual(added.localChanges, [
      { path: 'restapi.authentication', after: { username: 'patroni', password: '[redacted]' } },
    ]);
    const config = {
      ...yaml(),
      restapi: { listen: 'a:1', connect_address: 'a:1', authentication: { username: 'patroni', password: 'x' } },
    };
    const removed = planInstanceAlter({ config, request: request({ restapiAuthentication: null }), modes: LOCAL });
    assert.equal((removed.localConfig!.restapi as Record<string, unknown>).authentication, undefined);
  });

  it('refuses to leave pg_hba empty, and a YAML without a pg_hba list', () => {
    refuses(
      () => planInstanceAlter({ config: yaml(), request: request({ hbaRemove: HBA }), modes: LOCAL }),
      'INSTANCE_HBA_EMPTY',
    );
    const { postgresql, ...rest } = yaml();
    refuses(
      () =>
        planInstanceAlter({
          config: { ...rest, postgresql: { ...postgresql, pg_hba: undefined } },
          request: request({ hbaAdd: ['host all all 10.0.0.0/8 scram-sha-256'] }),
          modes: LOCAL,
        }),
      'INSTANCE_HBA_UNKNOWN',
    );
  });

  it('notes an entry already present or absent instead of changing anything', () => {
    const plan = planInstanceAlter({
      config: yaml(),
      request: request({ hbaAdd: ['local  all   all peer'], hbaRemove: ['host x x 1.2.3.4/32 md5'] }),
      modes: LOCAL,
    });
    assert.equal(plan.localConfig, undefined);
    assert.deepEqual(plan.notes, [
      'pg_hba already has "local all all peer"',
      'pg_hba has no "host x x 1.2.3.4/32 md5": nothing to remove',
    ]);
  });
});

describe('instance alter plan, dynamic mode', () => {
  const dcsYaml = () => {
    const config = yaml();
    delete (config.postgresql as { pg_hba?: string[] }).pg_hba;
    delete (config.postgresql.parameters as Record<string, unknown>).shared_buffers;
    return config;
  };

  it('replaces pg_hba whole and nulls a reset parameter in one PATCH /config, leaving the YAML alone', () => {
    const plan = planInstanceAlter({
      config: dcsYaml(),
      dynamicConfig: {
        loop_wait: 10,
        postgresql: { parameters: { work_mem: '4MB', log_min_duration_statement: 1000 }, pg_hba: HBA },
      },
      request: request({
        setParameters: [{ name: 'work_mem', value: '20MB' }],
        resetParameters: ['log_min_duration_statement'],
        hbaAdd: ['host app app 10.0.0.0/24 scram-sha-256'],
      }),
      modes: DYNAMIC,
    });
    assert.equal(plan.localConfig, undefined);
    assert.deepEqual(plan.dynamicPatch, {
      postgresql: {
        parameters: { work_mem: '20MB', log_min_duration_statement: null },
        pg_hba: [...HBA, 'host app app 10.0.0.0/24 scram-sha-256'],
      },
    });
    assert.deepEqual(
      plan.dynamicChanges.map((change) => change.path),
      ['postgresql.parameters.work_mem', 'postgresql.parameters.log_min_duration_statement', 'postgresql.pg_hba'],
    );
  });

  it('sends nothing when the DCS already holds the values', () => {
    const plan = planInstanceAlter({
      config: dcsYaml(),
      dynamicConfig: { postgresql: { parameters: { work_mem: '20MB' } } },
      request: request({ setParameters: [{ name: 'work_mem', value: '20MB' }] }),
      modes: DYNAMIC,
    });
    assert.equal(plan.dynamicPatch, undefined);
  });

  it('refuses a change the YAML would override: a local parameter of the same name, a local pg_hba', () => {
    refuses(
      () =>
        planInstanceAlter({
          config: yaml(),
          dynamicConfig: {},
          request: request({ setParameters: [{ name: 'shared_buffers', value: '1GB' }] }),
          modes: DYNAMIC,
        }),
      'INSTANCE_PARAMETER_LOCAL_OVERRIDE',
    );
    refuses(
      () =>
        planInstanceAlter({
          config: yaml(),
          dynamicConfig: { postgresql: { pg_hba: HBA } },
          request: request({ hbaAdd: ['host a a 10.0.0.0/8 md5'] }),
          modes: DYNAMIC,
        }),
      'INSTANCE_HBA_LOCAL_OVERRIDE',
    );
  });

  it('refuses to replace a pg_hba the DCS does not have (it would keep only the new lines)', () => {
    refuses(
      () =>
        planInstanceAlter({
          config: dcsYaml(),
          dynamicConfig: {},
          request: request({ hbaAdd: ['host a a 10.0.0.0/8 md5'] }),
          modes: DYNAMIC,
        }),
      'INSTANCE_HBA_UNKNOWN',
    );
  });
});

describe('an empty alter request', () => {
  it('is recognised', () => {
    assert.equal(isEmptyAlterRequest(request({})), true);
    assert.equal(isEmptyAlterRequest(request({ restapiAuthentication: null })), false);
    assert.equal(isEmptyAlterRequest(request({ settingsValues: [] })), true);
  });
});
