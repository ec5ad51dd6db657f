import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PgfleetError } from '../../../src/core/errors.js';
import { parseTenantsFile } from '../../../src/core/tenancy/tenants-file.js';

const fails = (text: string, code: string, message: RegExp): void => {
  assert.throws(
    () => parseTenantsFile(text, '/etc/pgfleet/tenants.yaml'),
    (error: unknown) => {
      assert.ok(error instanceof PgfleetError);
      assert.equal(error.code, code, error.message);
      assert.match(error.message, message);
      return true;
    },
  );
};

describe('the tenants file', () => {
  it('lists tenants with optional namespace, user and role, each located by file and line', () => {
    const tenants = parseTenantsFile(
      'tenants:\n  - scope: gamma\n  - scope: alpha\n    namespace: /other/\n    user: app-alpha\n    role: app-alpha-role\n',
      'tenants.yaml',
    );
    assert.deepEqual(tenants, [
      { scope: 'gamma', origin: 'tenants.yaml:2:5' },
      { scope: 'alpha', namespace: '/other/', user: 'app-alpha', role: 'app-alpha-role', origin: 'tenants.yaml:3:5' },
    ]);
  });

  it('may be empty', () => {
    assert.deepEqual(parseTenantsFile('', 'tenants.yaml'), []);
    assert.deepEqual(parseTenantsFile('tenants: []\n', 'tenants.yaml'), []);
  });

  it('refuses a user named twice, naming both entries', () => {
    fails(
      'tenants:\n  - scope: a\n    user: shared\n  - scope: b\n    user: shared\n',
      'TENANTS_FILE_INVALID',
      /^\/etc\/pgfleet\/tenants\.yaml:5:11: tenants\[1\]\.user: user "shared" is already named by tenants\[0\] \(line 2\)/,
    );
  });

  it('refuses a role named twice and a cluster listed twice', () => {
    fails(
      'tenants:\n  - scope: a\n    role: r\n  - scope: b\n    role: r\n',
      'TENANTS_FILE_INVALID',
      /tenants\[1\]\.role: role "r" is already named by tenants\[0\]/,
    );
    fails(
      'tenants:\n  - scope: a\n  - scope: a\n',
      'TENANTS_FILE_INVALID',
      /:3:12: tenants\[1\]\.scope: cluster "a" is already listed by tenants\[0\] \(line 2\)/,
    );
  });

  it('refuses a scope with "/" and an empty scope, at their line', () => {
    fails(
      'tenants:\n  - scope: team/alpha\n',
      'TENANTS_FILE_INVALID',
      /:2:12: tenants\[0\]\.scope: scope "team\/alpha" contains "\/"/,
    );
    fails('tenants:\n  - scope: ""\n', 'TENANTS_FILE_INVALID', /:2:12: tenants\[0\]\.scope: empty cluster scope/);
  });

  it('refuses root as a tenant user or role, and names etcd or a file could not hold', () => {
    fails(
      'tenants:\n  - scope: a\n    user: root\n',
      'TENANTS_FILE_INVALID',
      /tenants\[0\]\.user: "root" is etcd's administrator/,
    );
    fails(
      'tenants:\n  - scope: a\n    user: ../x\n',
      'TENANTS_FILE_INVALID',
      /tenants\[0\]\.user: user name "\.\.\/x" is not usable/,
    );
  });

  it('names an unknown key with a suggestion, and a missing scope', () => {
    fails('tenants:\n  - scope: a\n    usr: x\n', 'TENANTS_FILE_UNKNOWN_KEY', /:3:5: unknown key "tenants\[0\]\.usr"/);
    fails('tenants:\n  - user: x\n', 'TENANTS_FILE_INVALID', /:2:5: tenants\[0\]\.scope: /);
    fails('tenats: []\n', 'TENANTS_FILE_UNKNOWN_KEY', /:1:1: unknown key "tenats"/);
  });

  it('refuses bad YAML and a file that is not a mapping, naming the file', () => {
    fails('tenants: [\n', 'TENANTS_FILE_YAML_INVALID', /^\/etc\/pgfleet\/tenants\.yaml:\d+:\d+: not valid YAML/);
    fails('- scope: a\n', 'TENANTS_FILE_NOT_A_MAPPING', /^\/etc\/pgfleet\/tenants\.yaml: expected a mapping/);
  });

  it('gives the hint of the problem and counts the others', () => {
    assert.throws(
      () => parseTenantsFile('tenants:\n  - scope: a/b\n  - scope: ""\n', 't.yaml'),
      (error: unknown) =>
        error instanceof PgfleetError &&
        /1 more problem\(s\): t\.yaml:3:12: tenants\[1\]\.scope/.test(error.hint ?? '') &&
        Array.isArray(error.details?.problems),
    );
  });
});
