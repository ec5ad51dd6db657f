import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { renderPatroniYaml } from '../../../src/core/patroni-config/render-yaml.js';
import { Secret } from '../../../src/core/secret.js';
import { loadWithPyYaml, patroniPython } from './pyyaml.js';

/** Values YAML could misread: YAML 1.1 booleans and numbers, indicators, quotes, comments, line breaks, odd characters. */
const TRICKY = [
  '=',
  '<<',
  'yes',
  'Yes',
  'no',
  'on',
  'OFF',
  'y',
  'n',
  'true',
  'null',
  '~',
  '',
  ' ',
  '0123',
  '0x1F',
  '0o17',
  '1_000',
  '1:20',
  '1e3',
  '1.5',
  '.inf',
  '-.inf',
  '.nan',
  '2001-12-14',
  '2001-12-14 21:59:43.10 -5',
  '*ref',
  '&anchor',
  '!tag',
  '!!str',
  '%YAML',
  '@at',
  '`tick',
  '|pipe',
  '>fold',
  '{x}',
  '[x]',
  '? x',
  ': x',
  '-x',
  '- x',
  '---',
  '...',
  'a: #b',
  'a #b',
  '#comment',
  'a:b',
  'a:',
  '\'quote"',
  '"',
  "'",
  '\\',
  '\\n',
  'multi\nline\n',
  '\r\n',
  'tab\there',
  ' lead',
  'trail ',
  '\u0000nul',
  '\u0007bell',
  '\u007fdel',
  '\u0085nel',
  '\u00a0nbsp',
  '\u2028ls',
  '\u2029ps',
  '\ufeffbom',
  'é€😀',
  'x'.repeat(300),
];

const dir = mkdtempSync(join(tmpdir(), 'pgfleet-render-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function written(config: Record<string, unknown>): { file: string; text: string } {
  const text = renderPatroniYaml(config, { revealSecrets: true });
  const file = join(dir, `config-${Math.random().toString(16).slice(2)}.yaml`);
  writeFileSync(file, text, { mode: 0o600 });
  return { file, text };
}

/** Compares without printing values (they stand in for passwords): names the first differing index. */
function assertSameValues(actual: unknown[], expected: string[], reader: string): void {
  assert.equal(actual.length, expected.length, `${reader} read ${actual.length} values, expected ${expected.length}`);
  const wrong = expected.findIndex((value, index) => actual[index] !== value);
  assert.equal(wrong, -1, `${reader} misread value #${wrong} (${JSON.stringify(expected[wrong])?.length} characters)`);
}

describe('Patroni YAML rendering', () => {
  const python = patroniPython();

  it('writes every tricky password so that PyYAML (what Patroni reads with) gets it back exactly', () => {
    const { file } = written({ passwords: TRICKY.map((value) => new Secret(value)) });
    const read = loadWithPyYaml(python, file) as { passwords: unknown[] };
    assertSameValues(read.passwords, TRICKY, `PyYAML (${python})`);
  });

  it('writes every tricky password so that the yaml library (YAML 1.1 and 1.2) gets it back exactly', () => {
    const { text } = written({ passwords: TRICKY.map((value) => new Secret(value)) });
    for (const version of ['1.1', '1.2'] as const) {
      assertSameValues((parse(text, { version }) as { passwords: unknown[] }).passwords, TRICKY, `yaml ${version}`);
    }
  });

  it('keeps tricky strings as mapping keys and plain values too', () => {
    const mapping = Object.fromEntries(
      TRICKY.filter((value) => value !== '').map((value, index) => [value, `${index}`]),
    );
    const { file, text } = written({ parameters: mapping });
    assert.deepEqual(loadWithPyYaml(python, file), { parameters: mapping });
    assert.deepEqual(parse(text, { version: '1.1' }), { parameters: mapping });
  });

  it('keeps the types of numbers, booleans, null, nested lists and empty collections', () => {
    const config = {
      integers: [0, 1, -7, 5432, 2 ** 53 - 1],
      floats: [1.5, -0.25, 1e-7, 1.5e300],
      flags: [true, false],
      nothing: null,
      nested: [[1, 'on'], { a: [], b: {} }, []],
      empty: {},
      none: [],
    };
    const { file, text } = written(config);
    assert.deepEqual(loadWithPyYaml(python, file), config);
    assert.deepEqual(parse(text, { version: '1.1' }), config);
  });

  it('shows a placeholder instead of secrets unless asked to reveal them', () => {
    const text = renderPatroniYaml(
      { etcd3: { username: 'u', password: new Secret('s3cr3t-value') } },
      { revealSecrets: false },
    );
    assert.ok(!text.includes('s3cr3t-value'));
    assert.equal((parse(text) as { etcd3: { password: string } }).etcd3.password, Secret.redacted);
  });

  it('writes simple identifiers and paths without quotes, for a readable file', () => {
    const text = renderPatroniYaml(
      { scope: 'alpha', postgresql: { data_dir: '/var/lib/pgfleet/pgsql/main/data' } },
      { revealSecrets: true },
    );
    assert.match(text, /^scope: alpha$/m);
    assert.match(text, /^ {2}data_dir: \/var\/lib\/pgfleet\/pgsql\/main\/data$/m);
  });
});
