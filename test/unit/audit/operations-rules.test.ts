import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { auditIncompleteRule } from '../../../src/core/audit/rules/audit-incomplete.js';
import { passwordInCommandLineRule } from '../../../src/core/audit/rules/password-in-command-line.js';
import { pgRewindOffRule } from '../../../src/core/audit/rules/pg-rewind-off.js';
import { watchdogOffRule } from '../../../src/core/audit/rules/watchdog-off.js';
import { redactCommandLine } from '../../../src/core/audit/redaction.js';
import type { ConfigTree } from '../../../src/core/patroni-config/deep-merge.js';
import { check, etcdFacts, securedDocument, settings, snapshot, yamlFile } from './snapshot-builder.js';

describe('operations.watchdog-off', () => {
  it('fires when the watchdog is off on a cluster in synchronous mode (from the DCS configuration)', () => {
    const etcd = etcdFacts();
    etcd.clusters[0]!.config = { synchronousMode: true, usePgRewind: true };
    const findings = check(watchdogOffRule, snapshot({ live: { etcd, restApis: [] } }));
    assert.equal(findings.length, 1);
    assert.match(findings[0]!.evidence, /watchdog\.mode is off while \/service\/alpha runs synchronous_mode/);
  });
  it('fires when the settings ask for a watchdog the YAML turns off', () => {
    const findings = check(
      watchdogOffRule,
      snapshot({ settings: settings({ patroni: { watchdog: { mode: 'required', device: '/dev/null' } } }) }),
    );
    assert.match(findings[0]!.evidence, /the settings ask for patroni\.watchdog\.mode required/);
  });
  it('stays quiet without synchronous mode or a settings request, and with the watchdog on', () => {
    assert.deepEqual(check(watchdogOffRule, snapshot()), []);
    const on = yamlFile(
      '/etc/patroni/a.yaml',
      securedDocument('alpha', 'alpha-1', (d) => {
        d.watchdog = { mode: 'required' };
        d.bootstrap = { dcs: { synchronous_mode: true } };
      }),
    );
    assert.deepEqual(check(watchdogOffRule, snapshot({ patroniFiles: [on] })), []);
  });
});

describe('operations.pg-rewind-off', () => {
  it('fires once per cluster whose members run without pg_rewind', () => {
    const off = (name: string) =>
      yamlFile(
        `/etc/patroni/${name}.yaml`,
        securedDocument('alpha', name, (d) => ((d.postgresql as ConfigTree).use_pg_rewind = false)),
      );
    const findings = check(pgRewindOffRule, snapshot({ patroniFiles: [off('alpha-1'), off('alpha-2')] }));
    assert.equal(findings.length, 1);
    assert.equal(findings[0]!.object.name, '/service/alpha');
    assert.match(findings[0]!.evidence, /alpha-1 .*alpha-2/);
  });
  it('stays quiet when the YAML sets it, or leaves it to a DCS configuration that sets it', () => {
    assert.deepEqual(check(pgRewindOffRule, snapshot()), []);
    const unset = yamlFile(
      '/etc/patroni/a.yaml',
      securedDocument('alpha', 'alpha-1', (d) => delete (d.postgresql as ConfigTree).use_pg_rewind),
    );
    assert.deepEqual(
      check(pgRewindOffRule, snapshot({ patroniFiles: [unset], live: { etcd: etcdFacts(), restApis: [] } })),
      [],
    );
  });
  it('does not judge a YAML that leaves it unset without the DCS configuration (no --live): the DCS may well set it', () => {
    const unset = yamlFile(
      '/etc/patroni/a.yaml',
      securedDocument('alpha', 'alpha-1', (d) => delete (d.postgresql as ConfigTree).use_pg_rewind),
    );
    assert.deepEqual(check(pgRewindOffRule, snapshot({ patroniFiles: [unset] })), []);
  });
  it("takes Debian's bootstrap.dcs.postgresql.use_pg_rewind: true statically, and the live DCS configuration over it", () => {
    const debian = (value: boolean) =>
      yamlFile(
        '/etc/patroni/15-main.yml',
        securedDocument('15-main', 'pg1', (d) => {
          delete (d.postgresql as ConfigTree).use_pg_rewind;
          d.namespace = '/postgresql-common/';
          d.bootstrap = { dcs: { postgresql: { use_pg_rewind: value } } };
        }),
        { generated: false },
      );
    assert.deepEqual(check(pgRewindOffRule, snapshot({ patroniFiles: [debian(true)] })), []);
    const staticOff = check(pgRewindOffRule, snapshot({ patroniFiles: [debian(false)] }));
    assert.match(
      staticOff[0]!.evidence,
      /bootstrap\.dcs\.postgresql\.use_pg_rewind: false in \/etc\/patroni\/15-main\.yml/,
    );
    const liveCluster = (config: { usePgRewind?: boolean }) =>
      etcdFacts({
        clusters: [{ namespace: '/postgresql-common/', scope: '15-main', members: [{ name: 'pg1' }], config }],
      });
    assert.deepEqual(
      check(
        pgRewindOffRule,
        snapshot({ patroniFiles: [debian(false)], live: { etcd: liveCluster({ usePgRewind: true }), restApis: [] } }),
      ),
      [],
      'the DCS configuration says true: bootstrap.dcs no longer matters',
    );
    const dcsUnset = check(
      pgRewindOffRule,
      snapshot({ patroniFiles: [debian(true)], live: { etcd: liveCluster({}), restApis: [] } }),
    );
    assert.match(dcsUnset[0]!.evidence, /not set in \/etc\/patroni\/15-main\.yml nor in the DCS configuration/);
  });
  it('gives a file pgfleet did not generate a fix naming the key and the file, never "regenerate the instance configuration"', () => {
    const foreign = yamlFile(
      '/etc/patroni/15-main.yml',
      securedDocument('alpha', 'alpha-1', (d) => ((d.postgresql as ConfigTree).use_pg_rewind = false)),
      { generated: false },
    );
    const [finding] = check(pgRewindOffRule, snapshot({ patroniFiles: [foreign] }));
    assert.doesNotMatch(finding!.fix, /regenerate/);
    assert.match(finding!.fix, /remove postgresql\.use_pg_rewind: false from \/etc\/patroni\/15-main\.yml/);
    assert.match(finding!.fix, /use_pg_rewind: true in the DCS configuration/);
  });
});

describe('operations.password-in-command-line', () => {
  it('fires on a process whose arguments carried a password, showing it redacted', () => {
    const { args, passwordArguments } = redactCommandLine([
      'etcdctl',
      'user',
      'add',
      'alice',
      '--new-user-password=s3cret-on-argv',
    ]);
    const findings = check(
      passwordInCommandLineRule,
      snapshot({ processes: [{ pid: 77, program: 'etcdctl', args, passwordArguments }] }),
    );
    assert.equal(findings.length, 1);
    assert.match(findings[0]!.evidence, /--new-user-password=\[redacted\]/);
    assert.equal(findings[0]!.object.name, 'etcdctl[77]');
  });
  it('stays quiet on processes without passwords (a password file is not a password)', () => {
    const { args, passwordArguments } = redactCommandLine([
      'pgfleet',
      'etcd',
      'auth',
      'status',
      '--password-file',
      '/etc/pgfleet/root.password',
    ]);
    assert.deepEqual(
      check(
        passwordInCommandLineRule,
        snapshot({ processes: [{ pid: 78, program: 'pgfleet', args, passwordArguments }] }),
      ),
      [],
    );
  });
});

describe('audit.incomplete', () => {
  it('reports each part the collector could not look at', () => {
    const findings = check(
      auditIncompleteRule,
      snapshot({
        gaps: [{ what: 'etcd users and roles', reason: 'etcd auth is on and the admin credentials were refused' }],
      }),
    );
    assert.deepEqual(
      findings.map((f) => [f.severity, f.object.name]),
      [['warning', 'etcd users and roles']],
    );
  });
  it('stays quiet when everything was seen', () => {
    assert.deepEqual(check(auditIncompleteRule, snapshot()), []);
  });
});
