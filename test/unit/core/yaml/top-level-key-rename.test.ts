import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'yaml';
import { isPgfleetError } from '../../../../src/core/errors.js';
import { changedLines } from '../../../../src/core/yaml/line-diff.js';
import { renameTopLevelKey } from '../../../../src/core/yaml/top-level-key-rename.js';
import { readDebianTemplate, renderDebianTemplate } from '../../../support/debian-patroni-template.js';

/** Debian's file as pg_createconfig_patroni writes it from a dcs.yml on etcd's v2 section. */
function debianV2File(): string {
  return renderDebianTemplate(readDebianTemplate(), {
    version: '15',
    cluster: 'main',
    hostname: 'pg1',
    hostip: '10.0.0.11',
    network: '10.0.0.0/24',
    port: 5432,
    apiPort: 8008,
    datadirBase: '/var/lib/postgresql',
    dcsConfig: 'etcd:\n  hosts: 10.0.0.1:2379,10.0.0.2:2379\n  username: patroni\n  password: v2-Secret',
  });
}

function refusal(action: () => unknown): string {
  try {
    action();
  } catch (error) {
    assert.ok(isPgfleetError(error), String(error));
    return error.code;
  }
  assert.fail('expected a refusal');
}

describe('renameTopLevelKey (etcd: → etcd3:)', () => {
  it("changes only the key's line of Debian's rendered template: every comment, value and blank line stays byte for byte", () => {
    const original = debianV2File();
    const renamed = renameTopLevelKey(original, 'etcd', 'etcd3');
    const diff = changedLines(original, renamed);
    assert.equal(diff.removed.length, 1);
    assert.deepEqual(diff.added, diff.removed);
    assert.match(renamed.split('\n')[diff.added[0]! - 1]!, /^etcd3:\s*(#.*)?$/);
    const before = parse(original, { version: '1.1' }) as Record<string, unknown>;
    const after = parse(renamed, { version: '1.1' }) as Record<string, unknown>;
    assert.deepEqual(after.etcd3, before.etcd, 'the section, credentials included, is carried over as it was');
    assert.equal(after.etcd, undefined);
  });

  it('renaming back gives the original text exactly', () => {
    const original = debianV2File();
    assert.equal(renameTopLevelKey(renameTopLevelKey(original, 'etcd', 'etcd3'), 'etcd3', 'etcd'), original);
  });

  it("keeps a quoted key's quotes and a comment on the key's line", () => {
    assert.equal(
      renameTopLevelKey('scope: a\n"etcd": # the DCS\n  host: x:2379\n', 'etcd', 'etcd3'),
      'scope: a\n"etcd3": # the DCS\n  host: x:2379\n',
    );
    assert.equal(renameTopLevelKey("'etcd':\n  host: x\n", 'etcd', 'etcd3'), "'etcd3':\n  host: x\n");
  });

  it('leaves a nested key of the same name alone', () => {
    const text = 'scope: a\nbootstrap:\n  etcd: not-this-one\netcd:\n  host: x:2379\n';
    assert.equal(
      renameTopLevelKey(text, 'etcd', 'etcd3'),
      'scope: a\nbootstrap:\n  etcd: not-this-one\netcd3:\n  host: x:2379\n',
    );
  });

  it('refuses a file without the key, a file that already has the new one, and a flow mapping', () => {
    assert.equal(
      refusal(() => renameTopLevelKey('scope: a\netcd3:\n  host: x\n', 'etcd', 'etcd3')),
      'YAML_RENAME_UNSUPPORTED',
    );
    assert.equal(
      refusal(() => renameTopLevelKey('etcd:\n  host: x\netcd3:\n  host: y\n', 'etcd', 'etcd3')),
      'YAML_RENAME_UNSUPPORTED',
    );
    assert.equal(
      refusal(() => renameTopLevelKey('{etcd: {host: x}}\n', 'etcd', 'etcd3')),
      'YAML_RENAME_UNSUPPORTED',
    );
    assert.equal(
      refusal(() => renameTopLevelKey('etcd: [\n', 'etcd', 'etcd3')),
      'YAML_RENAME_INVALID_SOURCE',
    );
  });
});
