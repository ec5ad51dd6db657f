import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { parse } from 'yaml';
import { EXAMPLES_DIR, GOLDEN_CASES, exampleNames, renderGoldenCase, withoutTestPasswords } from './golden-cases.js';

const update = process.env.PGFLEET_UPDATE_GOLDEN === '1';

/** Exact comparison that never prints a password: a mismatch shows the first differing line, redacted. */
function assertSameText(actual: string, expected: string, what: string): void {
  if (actual === expected) return;
  const a = actual.split('\n');
  const e = expected.split('\n');
  const line = a.findIndex((text, index) => text !== e[index]);
  const at = line === -1 ? Math.min(a.length, e.length) : line;
  assert.fail(
    `${what} differs at line ${at + 1}:\n  expected: ${withoutTestPasswords(e[at] ?? '<end>')}\n  actual:   ${withoutTestPasswords(a[at] ?? '<end>')}\n(regenerate with PGFLEET_UPDATE_GOLDEN=1 if the change is intended)`,
  );
}

describe('golden Patroni configurations of the spec examples', () => {
  it('has a golden case for every example directory, and an example for every case', () => {
    assert.deepEqual(GOLDEN_CASES.map((golden) => golden.name).sort(), exampleNames());
  });

  for (const golden of GOLDEN_CASES) {
    it(`generates exactly the committed YAML for "${golden.name}"`, () => {
      const file = `${EXAMPLES_DIR}${golden.name}/patroni.yaml`;
      const actual = renderGoldenCase(golden);
      if (update || !existsSync(file)) writeFileSync(file, actual);
      assertSameText(actual, readFileSync(file, 'utf8'), file);
    });
  }

  it('puts pg_hba and parameters in bootstrap.dcs, not in postgresql, in dynamic mode', () => {
    const config = parse(readFileSync(`${EXAMPLES_DIR}dynamic-mode/patroni.yaml`, 'utf8'), { version: '1.1' });
    assert.ok(
      Array.isArray(config.bootstrap.dcs.postgresql.pg_hba) && config.bootstrap.dcs.postgresql.pg_hba.length > 0,
    );
    assert.equal(config.bootstrap.dcs.postgresql.parameters.shared_buffers, '256MB');
    assert.equal(config.postgresql.pg_hba, undefined);
    assert.deepEqual(Object.keys(config.postgresql.parameters), ['unix_socket_directories']);
  });

  it('keeps pg_hba and non-postmaster parameters in postgresql in local mode, postmaster-only ones in bootstrap.dcs', () => {
    const config = parse(readFileSync(`${EXAMPLES_DIR}open-etcd-localhost/patroni.yaml`, 'utf8'), { version: '1.1' });
    assert.ok(config.postgresql.pg_hba.length > 0);
    assert.equal(config.postgresql.parameters.shared_buffers, '256MB');
    assert.equal(config.postgresql.parameters.jit, 'off');
    assert.equal(config.postgresql.parameters.max_connections, undefined);
    assert.equal(config.bootstrap.dcs.postgresql.parameters.max_connections, 200);
    assert.equal(config.bootstrap.dcs.postgresql.pg_hba, undefined);
  });
});
