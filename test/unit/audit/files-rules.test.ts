import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fileModeNot0600Rule } from '../../../src/core/audit/rules/file-mode-not-0600.js';
import { fileOwnerNotPatroniUserRule } from '../../../src/core/audit/rules/file-owner-not-patroni-user.js';
import { passwordWorldReadableRule } from '../../../src/core/audit/rules/password-world-readable.js';
import { templateSetsManagedKeyRule } from '../../../src/core/audit/rules/template-sets-managed-key.js';
import type { SecretFileFacts } from '../../../src/core/audit/fleet-snapshot.js';
import { redactPasswords } from '../../../src/core/audit/redaction.js';
import { POSTGRES, check, securedDocument, snapshot, yamlFile } from './snapshot-builder.js';

const secretFile = (path: string, mode: number, fields: Partial<SecretFileFacts> = {}): SecretFileFacts => ({
  path,
  mode,
  uid: 0,
  gid: 0,
  kind: 'tenant-password',
  referencedBy: 'tenancy.secrets_dir',
  readByPatroni: false,
  ...fields,
});

describe('files.mode-not-0600', () => {
  it('fires on a group-readable Patroni YAML and a group-writable secret file, with the chmod to run', () => {
    const findings = check(
      fileModeNot0600Rule,
      snapshot({
        patroniFiles: [yamlFile('/etc/patroni/a.yaml', securedDocument(), { mode: 0o640 })],
        secretFiles: [secretFile('/var/lib/pgfleet/secrets/t.password', 0o620)],
      }),
    );
    assert.deepEqual(findings.map((f) => f.fix).sort(), [
      'chmod 600 /etc/patroni/a.yaml',
      'chmod 600 /var/lib/pgfleet/secrets/t.password',
    ]);
    assert.match(
      findings.find((f) => f.object.name === '/etc/patroni/a.yaml')!.evidence,
      /mode 0640 \(its group may read it\)/,
    );
  });
  it("says exactly who may do what: Debian's 0660 is read and write by the group, not by others", () => {
    const evidence = (mode: number) =>
      check(
        fileModeNot0600Rule,
        snapshot({ patroniFiles: [yamlFile('/etc/patroni/15-main.yml', securedDocument(), { mode })] }),
      )[0]!.evidence;
    assert.match(evidence(0o660), /mode 0660 \(its group may read and write it\)$/);
    assert.doesNotMatch(evidence(0o660), /others/);
    assert.match(evidence(0o602), /mode 0602 \(others may write it\)$/);
    assert.match(evidence(0o672), /mode 0672 \(its group may read, write and execute it, others may write it\)$/);
  });
  it('stays quiet on 0600 and 0400 files, and leaves world-readable ones to files.password-world-readable', () => {
    assert.deepEqual(check(fileModeNot0600Rule, snapshot({ secretFiles: [secretFile('/s/a', 0o400)] })), []);
    assert.deepEqual(
      check(
        fileModeNot0600Rule,
        snapshot({ patroniFiles: [yamlFile('/etc/patroni/a.yaml', securedDocument(), { mode: 0o644 })] }),
      ),
      [],
    );
  });
});

describe('files.owner-not-patroni-user', () => {
  it('fires on a Patroni YAML or a key Patroni reads that belongs to root', () => {
    const key = secretFile('/etc/pgfleet/restapi.key', 0o600, {
      kind: 'private-key',
      readByPatroni: true,
      ownerName: 'root',
    });
    const findings = check(
      fileOwnerNotPatroniUserRule,
      snapshot({ patroniFiles: [yamlFile('/etc/patroni/a.yaml', securedDocument(), { uid: 0 })], secretFiles: [key] }),
    );
    assert.equal(findings.length, 2);
    assert.match(
      findings.find((f) => f.object.name === '/etc/pgfleet/restapi.key')!.evidence,
      /belongs to root \(uid 0\); Patroni runs as postgres \(uid 108\)/,
    );
    assert.equal(findings[0]!.fix.startsWith('chown postgres '), true);
  });
  it("stays quiet on pgfleet's own secrets owned by root, and when the Patroni user is unknown", () => {
    assert.deepEqual(
      check(
        fileOwnerNotPatroniUserRule,
        snapshot({ secretFiles: [secretFile('/s/etcd-root.password', 0o600, { kind: 'etcd-admin-password' })] }),
      ),
      [],
    );
    assert.deepEqual(
      check(
        fileOwnerNotPatroniUserRule,
        snapshot({
          patroniUser: undefined,
          patroniFiles: [yamlFile('/etc/patroni/a.yaml', securedDocument(), { uid: 0 })],
        }),
      ),
      [],
    );
    assert.equal(POSTGRES.uid, 108);
  });
});

describe('files.password-world-readable', () => {
  it('fires on a 0644 Patroni YAML (naming the keys, not the values) and on a template carrying a password', () => {
    const yaml = yamlFile('/etc/patroni/a.yaml', securedDocument(), { mode: 0o644, keyLines: { 'etcd3.password': 9 } });
    const template = {
      path: '/etc/pgfleet/patroni.yaml',
      mode: 0o644,
      uid: 0,
      gid: 0,
      keyLines: {},
      document: redactPasswords({ restapi: { authentication: { username: 'u', password: 'rest-pw' } } }),
    };
    const findings = check(passwordWorldReadableRule, snapshot({ patroniFiles: [yaml], template }));
    assert.equal(findings.length, 2);
    const onYaml = findings.find((f) => f.object.name === '/etc/patroni/a.yaml')!;
    assert.match(onYaml.evidence, /mode 0644 and holds secrets at etcd3\.password, restapi\.authentication\.password/);
    assert.deepEqual(onYaml.location, { file: '/etc/patroni/a.yaml', key: 'etcd3.password', line: 9 });
    assert.match(findings.find((f) => f.object.name === '/etc/pgfleet/patroni.yaml')!.fix, /remove the passwords/);
  });
  it('stays quiet on 0600 files and on a world-readable template without passwords', () => {
    const template = {
      path: '/etc/pgfleet/patroni.yaml',
      mode: 0o644,
      uid: 0,
      gid: 0,
      keyLines: {},
      document: { bootstrap: { dcs: { loop_wait: 10 } } },
    };
    assert.deepEqual(check(passwordWorldReadableRule, snapshot({ template })), []);
  });
});

describe('files.template-sets-managed-key', () => {
  it('fires once per managed key the site template sets, with its line', () => {
    const template = {
      path: '/etc/pgfleet/patroni.yaml',
      mode: 0o644,
      uid: 0,
      gid: 0,
      keyLines: { 'restapi.listen': 4, watchdog: 7 },
      document: {
        restapi: { listen: '0.0.0.0:8008' },
        watchdog: { mode: 'off' },
        bootstrap: { dcs: { loop_wait: 10 } },
      },
    };
    const findings = check(templateSetsManagedKeyRule, snapshot({ template }));
    assert.deepEqual(
      findings.map((f) => [f.location?.key, f.location?.line]),
      [
        ['restapi.listen', 4],
        ['watchdog.mode', 7],
      ],
    );
  });
  it('stays quiet on a template of unmanaged keys only, and without a site template', () => {
    const template = {
      path: '/t.yaml',
      mode: 0o644,
      uid: 0,
      gid: 0,
      keyLines: {},
      document: { bootstrap: { dcs: { loop_wait: 10 } }, tags: { nofailover: false } },
    };
    assert.deepEqual(check(templateSetsManagedKeyRule, snapshot({ template })), []);
    assert.deepEqual(check(templateSetsManagedKeyRule, snapshot()), []);
  });
});
