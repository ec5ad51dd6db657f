import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { isPgfleetError } from '../../../../src/core/errors.js';
import { Secret } from '../../../../src/core/secret.js';
import { changedLines } from '../../../../src/core/yaml/line-diff.js';
import { editYamlSurgically, type YamlChange } from '../../../../src/core/yaml/surgical-edit.js';
import { readDebianTemplate, renderDebianTemplate } from '../../../support/debian-patroni-template.js';
import { loadWithPyYaml, patroniPython } from '../../patroni-config/pyyaml.js';

/** Debian's file as pg_createconfig_patroni writes it, with an etcd3 dcs.yml. */
function debianFile(): string {
  return renderDebianTemplate(readDebianTemplate(), {
    version: '15',
    cluster: 'main',
    hostname: 'pg1',
    hostip: '10.0.0.11',
    network: '10.0.0.0/24',
    port: 5432,
    apiPort: 8008,
    datadirBase: '/var/lib/postgresql',
    dcsConfig: 'etcd3:\n  hosts: 10.0.0.1:2379,10.0.0.2:2379',
  });
}

const credentials: YamlChange[] = [
  { path: ['etcd3', 'username'], value: 'patroni-15-main' },
  { path: ['etcd3', 'password'], value: new Secret('s3cret-Pw') },
];

function lineNumbersOf(text: string, pattern: RegExp): number[] {
  return text.split('\n').flatMap((line, index) => (pattern.test(line) ? [index + 1] : []));
}

function commentLines(text: string): string[] {
  return text.split('\n').filter((line) => /^\s*#/.test(line));
}

describe('surgical edit of a YAML file pgfleet did not generate', () => {
  it("adds etcd3 credentials to Debian's file touching only the two new lines", () => {
    const original = debianFile();
    const edited = editYamlSurgically(original, credentials);
    const diff = changedLines(original, edited.text);
    assert.deepEqual(diff.removed, []);
    assert.deepEqual(
      diff.added,
      [...lineNumbersOf(edited.text, /^  username: /), ...lineNumbersOf(edited.text, /^  password: /)].sort(
        (a, b) => a - b,
      ),
    );
    assert.equal(diff.added.length, 2);
    assert.equal(diff.finalNewlineChanged, false);
    assert.deepEqual(commentLines(edited.text), commentLines(original));
    assert.equal(edited.wroteSecret, true);
    assert.deepEqual(edited.changedPaths, [
      ['etcd3', 'username'],
      ['etcd3', 'password'],
    ]);
    const value = parse(edited.text, { version: '1.1' }) as { etcd3: Record<string, unknown> };
    assert.deepEqual(value.etcd3, {
      hosts: '10.0.0.1:2379,10.0.0.2:2379',
      username: 'patroni-15-main',
      password: 's3cret-Pw',
    });
  });

  it("replaces an existing password in place, keeping the line's quoting and trailing comment", () => {
    const original = 'etcd3:\n  hosts: h:2379\n  username: "old"  # set by ops\n  password: \'old-pw\'\n\n# end\n';
    const edited = editYamlSurgically(original, [
      { path: ['etcd3', 'username'], value: 'new' },
      { path: ['etcd3', 'password'], value: new Secret("it's") },
    ]);
    assert.equal(
      edited.text,
      "etcd3:\n  hosts: h:2379\n  username: \"new\"  # set by ops\n  password: 'it''s'\n\n# end\n",
    );
    assert.deepEqual(changedLines(original, edited.text), {
      removed: [3, 4],
      added: [3, 4],
      finalNewlineChanged: false,
    });
  });

  it("fills Debian's empty `password:` of the superuser on its own line", () => {
    const original = debianFile();
    const edited = editYamlSurgically(original, [
      { path: ['postgresql', 'authentication', 'superuser', 'password'], value: new Secret('pw') },
    ]);
    const line = lineNumbersOf(original, /^      password:$/);
    assert.equal(line.length, 1);
    assert.deepEqual(changedLines(original, edited.text), { removed: line, added: line, finalNewlineChanged: false });
    assert.match(edited.text.split('\n')[line[0]! - 1]!, /^      password: pw$/);
  });

  it("creates a missing section after the last key, with the file's indentation (a string that starts with a digit is quoted)", () => {
    const original = 'scope: a\nrestapi:\n    listen: 127.0.0.1:8008\n# trailing comment\n';
    const edited = editYamlSurgically(original, [{ path: ['etcd3', 'hosts'], value: '127.0.0.1:2379' }]);
    assert.equal(
      edited.text,
      'scope: a\nrestapi:\n    listen: 127.0.0.1:8008\netcd3:\n    hosts: "127.0.0.1:2379"\n# trailing comment\n',
    );
  });

  it('gives an empty key (`parameters:` followed by comments only) its first entry right under it', () => {
    const original =
      'bootstrap:\n  dcs:\n    postgresql:\n      parameters:\n#        wal_level: hot_standby\n      pg_hba:\n      - local all all peer\n';
    const edited = editYamlSurgically(original, [
      { path: ['bootstrap', 'dcs', 'postgresql', 'parameters', 'wal_level'], value: 'replica' },
    ]);
    assert.equal(
      edited.text,
      'bootstrap:\n  dcs:\n    postgresql:\n      parameters:\n        wal_level: replica\n#        wal_level: hot_standby\n      pg_hba:\n      - local all all peer\n',
    );
  });

  it('writes YAML 1.1 booleans, nulls, numbers and dates as quoted strings so PyYAML keeps them strings', () => {
    const python = patroniPython();
    const dir = mkdtempSync(join(tmpdir(), 'pgfleet-surgical-'));
    try {
      const tricky = [
        'on',
        'off',
        'yes',
        'No',
        'y',
        'null',
        '~',
        '0777',
        '1:20',
        '2001-12-14',
        '1_000',
        '.inf',
        '=',
        '<<',
        '-dash',
        '#hash',
        'a: b',
        'tab\there',
        'quote"s',
        "it's",
        'ünïcode',
        '12e3',
        '0x1F',
      ];
      let text = 'etcd3:\n  hosts: h\n';
      const changes = tricky.map((value, index): YamlChange => ({
        path: ['etcd3', `k${index}`],
        value: new Secret(value),
      }));
      text = editYamlSurgically(text, changes).text;
      const file = join(dir, 'p.yml');
      writeFileSync(file, text);
      const read = loadWithPyYaml(python, file) as { etcd3: Record<string, unknown> };
      tricky.forEach((value, index) => assert.equal(read.etcd3[`k${index}`], value, `k${index}`));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('keeps numbers and booleans typed', () => {
    const edited = editYamlSurgically('bootstrap:\n  dcs:\n    ttl: 30\n', [
      { path: ['bootstrap', 'dcs', 'ttl'], value: 20 },
      { path: ['tags', 'nofailover'], value: false },
    ]);
    assert.deepEqual(parse(edited.text, { version: '1.1' }), {
      bootstrap: { dcs: { ttl: 20 } },
      tags: { nofailover: false },
    });
  });

  it("deletes a key's line and nothing else", () => {
    const original = 'etcd3:\n  hosts: h\n  # who\n  username: u\n  password: p # pw\nrestapi: {}\n';
    const edited = editYamlSurgically(original, [
      { path: ['etcd3', 'password'], delete: true },
      { path: ['etcd3', 'absent'], delete: true },
    ]);
    assert.equal(edited.text, 'etcd3:\n  hosts: h\n  # who\n  username: u\nrestapi: {}\n');
    assert.deepEqual(edited.changedPaths, [['etcd3', 'password']]);
  });

  it('changes nothing when the value is already there', () => {
    const original = 'etcd3:\n  username: u\n';
    const edited = editYamlSurgically(original, [{ path: ['etcd3', 'username'], value: 'u' }]);
    assert.equal(edited.text, original);
    assert.deepEqual(edited.changedPaths, []);
  });

  it('refuses a flow mapping, a sequence or an alias on the path, without naming the value', () => {
    for (const [text, path] of [
      ['etcd3: {hosts: h}\n', ['etcd3', 'password']],
      ['etcd3:\n  - a\n', ['etcd3', 'password']],
      ['base: &b\n  hosts: h\netcd3: *b\n', ['etcd3', 'password']],
    ] as const) {
      assert.throws(
        () => editYamlSurgically(text, [{ path, value: new Secret('do-not-print') }]),
        (error: unknown) =>
          isPgfleetError(error) && error.code === 'YAML_EDIT_UNSUPPORTED' && !error.message.includes('do-not-print'),
      );
    }
  });

  it('refuses a file that is not valid YAML', () => {
    assert.throws(
      () => editYamlSurgically('a: [\n', credentials),
      (error: unknown) => isPgfleetError(error) && error.code === 'YAML_EDIT_INVALID_SOURCE',
    );
  });

  it('writes CRLF lines into a file with CRLF line ends', () => {
    const edited = editYamlSurgically('etcd3:\r\n  hosts: h\r\nrestapi:\r\n  listen: x\r\n', [
      { path: ['etcd3', 'username'], value: 'u' },
    ]);
    assert.equal(edited.text, 'etcd3:\r\n  hosts: h\r\n  username: u\r\nrestapi:\r\n  listen: x\r\n');
  });

  it('keeps a file without a final newline without one', () => {
    const edited = editYamlSurgically('etcd3:\n  hosts: h', [{ path: ['etcd3', 'username'], value: 'u' }]);
    assert.equal(edited.text, 'etcd3:\n  hosts: h\n  username: u');
  });
});
