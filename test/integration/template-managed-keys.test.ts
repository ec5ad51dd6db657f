import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { findFreePortRange } from '../../src/adapters/process/port-probe.js';
import { ensureBuiltCli } from '../support/built-cli.js';
import { registerTeardown } from '../support/process-cleanup.js';
import { type CliResult, runCli } from '../support/run-cli.js';

const TEMPLATE_PASSWORD = 'template-etcd-password-7f3a';
const TEMPLATE_REST_PASSWORD = 'template-rest-password-91c2';

/** A site template that tries to set what pgfleet manages, beside keys it may set; line numbers matter below. */
const TEMPLATE = `# a site template
scope: not-the-cluster
etcd3:
  password: ${TEMPLATE_PASSWORD}
restapi:
  authentication:
    username: admin
    password: ${TEMPLATE_REST_PASSWORD}
bootstrap:
  dcs:
    ttl: 30
`;
/** Each managed key the template sets, the line it is on, and what becomes of it in a generated file. */
const EXPECTED: Array<[key: string, line: number, outcome: 'replaced' | 'dropped']> = [
  ['scope', 2, 'replaced'],
  ['etcd3.password', 4, 'dropped'],
  ['restapi.authentication.username', 7, 'dropped'],
  ['restapi.authentication.password', 8, 'dropped'],
];

/**
 * The site template's attempts to set keys pgfleet manages are never dropped
 * without a word: `patroni config render`, `instance create` and `settings
 * show` warn, naming each key and its file:line, and never its value.
 */
describe('a site template that sets managed keys: render, create and settings show name each key and its file:line', () => {
  let dir: string;
  let template: string;
  let settings: string;
  const outputs: CliResult[] = [];
  const pgfleet = async (...args: string[]): Promise<CliResult> => {
    const result = await runCli(['--settings', settings, ...args]);
    outputs.push(result);
    return result;
  };
  const assertWarnsOfEveryKey = (stderr: string, outcomes: boolean): void => {
    for (const [key, line, outcome] of EXPECTED) {
      const warning = stderr.split('\n').find((text) => text.includes(`${template}:${line}: `));
      assert.ok(warning, `a warning at ${template}:${line} (${key}) in:\n${stderr}`);
      assert.ok(warning.includes(`sets ${key}, which pgfleet manages`), warning);
      if (outcomes) assert.ok(warning.includes(outcome === 'dropped' ? 'dropped' : 'replaced by'), warning);
    }
    assert.doesNotMatch(stderr, /bootstrap\.dcs\.ttl/, 'a key pgfleet does not manage is not warned about');
  };

  before(async () => {
    ensureBuiltCli();
    dir = await mkdtemp(join(tmpdir(), 'pgfleet-template-keys-'));
    // The postgres user that would run Patroni must get through it, or create refuses before its pre-flight.
    await chmod(dir, 0o755);
    registerTeardown(() => rm(dir, { recursive: true, force: true }));
    template = join(dir, 'template.yaml');
    settings = join(dir, 'settings.yaml');
    await writeFile(template, TEMPLATE);
    await chmod(template, 0o600);
    // etcd on a port where nothing listens: instance create must stop at its pre-flight, after the warnings.
    await writeFile(
      settings,
      `prefix: ${join(dir, 'site')}\npatroni:\n  template: ${template}\n  etcd:\n    hosts: [127.0.0.1:9]\n`,
    );
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('patroni config render warns of each, says replaced or dropped, and the YAML holds pgfleet’s values', async () => {
    const result = await pgfleet(
      'patroni',
      'config',
      'render',
      '--name',
      'main',
      '--patroni-cluster',
      'alpha',
      '--patroni-version',
      '3.0.2',
    );
    assert.equal(result.code, 0, result.stderr);
    assertWarnsOfEveryKey(result.stderr, true);
    const config = parse(result.stdout, { version: '1.1' }) as Record<string, Record<string, unknown>>;
    assert.equal(config.scope, 'alpha');
    assert.equal(config.etcd3!.password, undefined);
    assert.equal(config.bootstrap!.dcs && (config.bootstrap!.dcs as Record<string, unknown>).ttl, 30);

    const json = await pgfleet(
      '--output',
      'json',
      'patroni',
      'config',
      'render',
      '--name',
      'main',
      '--patroni-cluster',
      'alpha',
      '--patroni-version',
      '3.0.2',
    );
    const data = JSON.parse(json.stdout) as { templateManagedKeys: Array<{ key: string; location: string }> };
    assert.deepEqual(
      data.templateManagedKeys.map((found) => [found.key, found.location]),
      EXPECTED.map(([key, line]) => [key, `${template}:${line}`]),
    );
  });

  it('settings show warns of each (with the keys in its JSON) without building an instance', async () => {
    const text = await pgfleet('settings', 'show');
    assert.equal(text.code, 0, text.stderr);
    assertWarnsOfEveryKey(text.stderr, false);
    const json = await pgfleet('--output', 'json', 'settings', 'show');
    const data = JSON.parse(json.stdout) as { templateManagedKeys: Array<{ key: string; location: string }> };
    assert.deepEqual(
      data.templateManagedKeys.map((found) => found.key),
      EXPECTED.map(([key]) => key),
    );
  });

  it('instance create warns of each before anything is made (here its pre-flight then refuses: etcd does not answer)', async () => {
    // Free ports below the ephemeral range: a fixed one can be any outgoing connection's local port at that moment.
    const port = await findFreePortRange(2);
    const result = await pgfleet(
      'instance',
      'create',
      'main',
      '--patroni-cluster',
      'alpha',
      '--patroni-node',
      'alpha-1',
      '--port',
      String(port),
      '--patroni-postgresql-connect-host',
      '127.0.0.1',
      '--patroni-restapi-connect-address',
      `127.0.0.1:${port + 1}`,
    );
    assert.equal(result.code, 2, result.stderr);
    assertWarnsOfEveryKey(result.stderr, true);
    assert.match(result.stderr, /ETCD_UNREACHABLE/);
    assert.deepEqual(
      (await readdir(dir)).sort(),
      ['settings.yaml', 'template.yaml'],
      'create made nothing: the warnings come before any change',
    );
  });

  it('no output carries the template’s passwords', () => {
    const everything = outputs.map((result) => result.stdout + result.stderr).join('\n');
    assert.equal(everything.includes(TEMPLATE_PASSWORD), false);
    assert.equal(everything.includes(TEMPLATE_REST_PASSWORD), false);
  });
});
