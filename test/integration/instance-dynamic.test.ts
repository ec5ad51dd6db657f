import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parse } from 'yaml';
import { withSqlConnection } from '../../src/adapters/postgres/sql-connection.js';
import { PatroniRestClient } from '../../src/adapters/patroni/rest-client.js';
import { Secret } from '../../src/core/secret.js';
import { type TestEtcd, startTestEtcd } from '../support/etcd-fixture.js';
import { type TestMemberPorts, type TestSite, startTestSite } from '../support/instance-site.js';
import { secretsInTexts } from '../support/secret-scan.js';

/**
 * Dynamic configuration mode (patroni.configuration_mode: dynamic): pg_hba
 * and parameters live in the DCS; alter goes through PATCH /config on the
 * cluster's REST API (basic auth on) and never rewrites a YAML.
 */
describe('pgfleet instance in dynamic configuration mode: a 2-member cluster altered through PATCH /config', () => {
  let etcd: TestEtcd;
  let site: TestSite;
  let ports: TestMemberPorts[];
  const hbaLine = 'host all pgfleet_dyn 10.98.0.0/24 scram-sha-256';

  const sql = <T>(index: number, query: string) =>
    withSqlConnection(
      { host: '127.0.0.1', port: ports[index]!.pg, user: 'postgres', password: new Secret(site.passwords.superuser) },
      async (client) => (await client.query(query)).rows as T[],
    );
  const onEveryMember = async <T>(query: string, until: (rows: T[]) => boolean, timeoutMs = 30_000): Promise<T[][]> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const results = await Promise.all(ports.map((_, index) => sql<T>(index, query)));
      if (results.every(until) || Date.now() > deadline) return results;
      await sleep(500);
    }
  };
  const dynamicConfig = async () => {
    const rest = new PatroniRestClient(`http://127.0.0.1:${ports[0]!.rest}`);
    try {
      return (await rest.dynamicConfig()) as {
        postgresql?: { parameters?: Record<string, unknown>; pg_hba?: string[] };
      };
    } finally {
      await rest.close();
    }
  };
  const yamls = () =>
    Promise.all(['dyn1', 'dyn2'].map((name) => readFile(join(site.configDir, `${name}.yaml`), 'utf8')));

  before(async () => {
    etcd = await startTestEtcd();
    site = await startTestSite({
      etcdEndpoints: etcd.endpoints,
      configurationMode: { auth: 'dynamic', parameters: 'dynamic' },
    });
    ports = await site.ports(2);
    for (const [index, name] of ['dyn1', 'dyn2'].entries()) {
      const result = await site.pgfleet(
        site.createArgs(name, { cluster: 'delta', node: `delta-${index + 1}`, ports: ports[index]! }, [
          '--parameter',
          'log_min_duration_statement=2500',
        ]),
      );
      assert.equal(result.code, 0, result.stderr);
    }
  });
  after(async () => {
    await site?.stop();
    await etcd?.stop();
  });

  it('puts the parameters and pg_hba given at creation into bootstrap.dcs: the DCS holds them, the YAMLs do not', async () => {
    const config = await dynamicConfig();
    assert.equal(config.postgresql?.parameters?.log_min_duration_statement, 2500);
    assert.ok(config.postgresql?.pg_hba?.some((line) => line.startsWith('host replication replicator')));
    for (const text of await yamls()) {
      const yaml = parse(text, { version: '1.1' }) as {
        postgresql: { pg_hba?: unknown; parameters?: Record<string, unknown> };
        bootstrap: { dcs: { postgresql: { parameters: Record<string, unknown>; pg_hba: string[] } } };
      };
      assert.equal(yaml.postgresql.pg_hba, undefined, 'no local pg_hba (it would override the DCS)');
      assert.equal(
        yaml.postgresql.parameters?.log_min_duration_statement,
        undefined,
        'no local parameter (it would override the DCS)',
      );
      assert.equal(yaml.bootstrap.dcs.postgresql.parameters.log_min_duration_statement, 2500);
      assert.ok(yaml.bootstrap.dcs.postgresql.pg_hba.length > 0);
    }
  });

  it('sets work_mem and adds a pg_hba entry with PATCH /config: shown as a diff, in GET /config, applied on every member, no YAML rewritten', async () => {
    const before = await yamls();
    const altered = await site.pgfleet([
      '--output',
      'json',
      'instance',
      'alter',
      'dyn1',
      '--parameter',
      'work_mem=20MB',
      '--hba-add',
      hbaLine,
    ]);
    assert.equal(altered.code, 0, altered.stderr);
    const result = JSON.parse(altered.stdout) as {
      patched: boolean;
      written: boolean;
      reloaded: boolean;
      pendingRestart: string[] | null;
      dynamicChanges: Array<{ path: string; before?: unknown; after?: unknown }>;
    };
    // The diff, as data (its text rendering is a unit test's): work_mem is new, the pg_hba list gains the line.
    const change = (path: string) => result.dynamicChanges.find((candidate) => candidate.path === path);
    assert.deepEqual(change('postgresql.parameters.work_mem'), {
      path: 'postgresql.parameters.work_mem',
      after: '20MB',
    });
    const hba = change('postgresql.pg_hba');
    assert.ok(Array.isArray(hba?.before) && Array.isArray(hba.after), JSON.stringify(result.dynamicChanges));
    assert.ok(!hba.before.includes(hbaLine) && hba.after.includes(hbaLine), JSON.stringify(hba));
    // Applied by PATCH /config alone, and no member waits for a restart.
    assert.deepEqual(
      { patched: result.patched, written: result.written, reloaded: result.reloaded },
      { patched: true, written: false, reloaded: false },
    );
    assert.deepEqual(result.pendingRestart, []);
    assert.deepEqual(await yamls(), before, 'dynamic mode rewrites no YAML');

    const config = await dynamicConfig();
    assert.equal(config.postgresql?.parameters?.work_mem, '20MB');
    assert.equal(config.postgresql?.pg_hba?.at(-1), hbaLine);
    const workMem = await onEveryMember<{ work_mem: string }>('SHOW work_mem', (rows) => rows[0]?.work_mem === '20MB');
    assert.deepEqual(
      workMem.map((rows) => rows[0]!.work_mem),
      ['20MB', '20MB'],
    );
    const rules = await onEveryMember<{ n: string }>(
      "SELECT count(*) AS n FROM pg_hba_file_rules WHERE address = '10.98.0.0'",
      (rows) => rows[0]?.n === '1',
    );
    assert.deepEqual(
      rules.map((rows) => rows[0]!.n),
      ['1', '1'],
    );
  });

  it('reports the members with a pending restart after max_connections changes; instance restart --pending clears it on every member', async () => {
    const altered = await site.pgfleet([
      '--output',
      'json',
      'instance',
      'alter',
      'dyn2',
      '--parameter',
      'max_connections=80',
    ]);
    assert.equal(altered.code, 0, altered.stderr);
    const result = JSON.parse(altered.stdout) as {
      patched: boolean;
      written: boolean;
      pendingRestart: string[];
      dynamicChanges: Array<{ path: string; before: unknown; after: unknown }>;
    };
    assert.equal(result.patched, true);
    assert.equal(result.written, false);
    assert.deepEqual(result.dynamicChanges, [{ path: 'postgresql.parameters.max_connections', before: 50, after: 80 }]);
    assert.deepEqual(result.pendingRestart.sort(), ['delta-1', 'delta-2']);
    assert.match(
      altered.stderr,
      /PostgreSQL restart pending on delta-1, delta-2: run `pgfleet instance restart dyn2 --pending`/,
    );

    const restarted = await site.pgfleet(['--output', 'json', 'instance', 'restart', 'dyn2', '--pending']);
    assert.equal(restarted.code, 0, restarted.stderr);
    const members = (
      JSON.parse(restarted.stdout) as {
        members: Array<{ name: string; role: string; restarted: boolean; pendingRestartAfter: boolean }>;
      }
    ).members;
    assert.deepEqual(members.map((m) => `${m.name}:${m.restarted}:${m.pendingRestartAfter}`).sort(), [
      'delta-1:true:false',
      'delta-2:true:false',
    ]);
    assert.equal(members.at(-1)!.role, 'leader', 'the leader is restarted last');

    const maxConnections = await onEveryMember<{ max_connections: string }>(
      'SHOW max_connections',
      (rows) => rows[0]?.max_connections === '80',
    );
    assert.deepEqual(
      maxConnections.map((rows) => rows[0]!.max_connections),
      ['80', '80'],
    );
    for (const name of ['dyn1', 'dyn2']) {
      const status = JSON.parse((await site.pgfleet(['--output', 'json', 'instance', 'status', name])).stdout) as {
        patroni: { pendingRestart: boolean };
      };
      assert.equal(status.patroni.pendingRestart, false, `${name} has no restart pending`);
    }
  });

  it('never printed a password, and drops the cluster', async () => {
    for (const [name, force] of [
      ['dyn2', false],
      ['dyn1', true],
    ] as const) {
      const dropped = await site.pgfleet(['instance', 'drop', name, ...(force ? ['--force'] : [])]);
      assert.equal(dropped.code, 0, dropped.stderr);
    }
    assert.deepEqual(
      secretsInTexts(
        site.outputs.flatMap((o) => [o.stdout, o.stderr]),
        site.passwords,
      ),
      [],
    );
  });
});
