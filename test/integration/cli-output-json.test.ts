import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildProgram } from '../../src/cli/program.js';
import { allCommands, describeCommandTree } from '../../src/cli/command-tree.js';
import { ExitCode } from '../../src/core/errors.js';
import { ensureBuiltCli } from '../support/built-cli.js';
import { runCli } from '../support/run-cli.js';

/**
 * Every command that prints data, run with --output json against settings
 * whose etcd does not answer (127.0.0.1:1) and whose directories are in a
 * temporary directory: stdout must be one JSON document, whether the command
 * succeeds or fails. A new command must be classified below.
 */
const NOT_RUN: Record<string, string> = {
  'lab up': 'starts a lab: test/integration/lab.test.ts runs it',
  'lab demo': 'starts a lab: test/integration/lab-demo.test.ts runs it',
  'lab replay-outage': 'starts or changes a lab: test/integration/lab-replay-outage.test.ts runs it',
  completion: 'prints a shell script, not data: test/integration/cli-completion.test.ts',
  help: 'prints help text, not data: test/integration/cli-help.test.ts',
};

describe('pgfleet --output json, run as a user would (the built CLI)', () => {
  let dir: string;
  let settings: string;
  let pki: string;
  const runnable = allCommands(describeCommandTree(buildProgram())).filter((spec) => spec.runnable);

  /** Arguments of each data command (run in this order: pki init comes before the certificates it signs). */
  const cases = (): [string, string[]][] => [
    ['doctor', []],
    ['settings show', []],
    ['settings schema', []],
    ['patroni config render', ['--name', 'main', '--patroni-cluster', 'alpha']],
    ['patroni config validate', [join(dir, 'patroni.yaml')]],
    ['lab status', ['--dir', join(dir, 'no-lab')]],
    ['lab env', ['--dir', join(dir, 'no-lab')]],
    ['lab down', ['--dir', join(dir, 'no-lab')]],
    // No lab in the directory: each refuses before touching a namespace.
    ['lab exec', ['h1', '--dir', join(dir, 'no-lab'), '--', 'true']],
    ['lab partition', ['h1', '--dir', join(dir, 'no-lab')]],
    ['lab heal', ['h1', '--dir', join(dir, 'no-lab')]],
    // No etcd answers: create stops at the pre-flight, the others find no instance (list: none).
    [
      'instance create',
      [
        'main',
        '--patroni-cluster',
        'alpha',
        '--patroni-node',
        'alpha-1',
        '--patroni-postgresql-listen',
        '127.0.0.1',
        '--patroni-restapi-listen',
        '127.0.0.1:8008',
      ],
    ],
    ['instance list', []],
    ['instance status', ['main']],
    ['instance start', ['main']],
    ['instance stop', ['main']],
    ['instance restart', ['main']],
    ['instance reload', ['main']],
    ['instance alter', ['main', '--parameter', 'work_mem=1MB']],
    ['instance drop', ['main']],
    ['instance logs', ['main']],
    ['instance env', ['main']],
    ['lab restapi-tls', ['--dir', join(dir, 'no-lab')]],
    ['restapi status', []],
    ['restapi probe', []],
    ['restapi secure plan', []],
    ['restapi secure apply', []],
    ['cluster switchover', ['alpha']],
    ['lab etcd-https-only', ['--dir', join(dir, 'no-lab')]],
    ['etcd auth status', []],
    ['etcd auth plan', []],
    ['etcd auth prepare', []],
    ['etcd auth apply', []],
    ['etcd auth enforce', []],
    ['etcd auth migrate', []],
    ['etcd auth rollback', []],
    ['etcd auth forget', ['/service/alpha/alpha-2']],
    ['etcd upgrade check', ['--to', '3.4.41']],
    ['etcd tenants plan', []],
    ['etcd tenants apply', []],
    ['etcd tenants show', []],
    ['etcd tenants verify', []],
    ['etcd clients list', []],
    ['etcd clients ready', ['vip-alpha']],
    ['etcd tenants rotate', ['alpha', '--check']],
    ['restapi rotate-password', ['--check']],
    ['etcd tls status', []],
    ['etcd tls migrate', ['--dry-run']],
    ['etcd v3 plan', []],
    ['etcd v3 migrate', ['--yes']],
    ['etcd v3 status', []],
    ['etcd v3 rollback', []],
    ['pki init', ['--dir', pki]],
    ['pki issue server', ['node1', '--san', '127.0.0.1', '--dir', pki]],
    ['pki issue client', ['patronictl', '--dir', pki]],
    ['pki issue peer', ['etcd1', '--san', '127.0.0.1', '--dir', pki]],
    ['pki show', ['--dir', pki]],
    ['pki renew', ['--check', '--dir', pki]],
    ['audit', []],
    [
      'pki check',
      [
        '--cert',
        join(pki, 'server', 'node1.crt'),
        '--ca',
        join(pki, 'ca.crt'),
        '--host',
        '127.0.0.1',
        '--usage',
        'server',
      ],
    ],
  ];

  before(async () => {
    ensureBuiltCli();
    dir = await mkdtemp(join(tmpdir(), 'pgfleet-cli-json-'));
    pki = join(dir, 'pki');
    settings = join(dir, 'settings.yaml');
    await mkdir(join(dir, 'home'), { recursive: true });
    await writeFile(join(dir, 'admin.password'), 'not-a-real-password\n', { mode: 0o600 });
    await writeFile(
      settings,
      [
        `prefix: ${join(dir, 'prefix')}`,
        'patroni:',
        '  etcd:',
        "    hosts: ['127.0.0.1:1']",
        'etcd_admin:',
        `  password_file: ${join(dir, 'admin.password')}`,
        '',
      ].join('\n'),
    );
    await writeFile(
      join(dir, 'patroni.yaml'),
      'scope: alpha\nname: alpha-1\nrestapi:\n  listen: 127.0.0.1:8008\n  connect_address: 127.0.0.1:8008\n',
    );
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('knows, for every command, how it is checked here', () => {
    const classified = new Set([...cases().map(([path]) => path), ...Object.keys(NOT_RUN)]);
    const unknown = runnable.map((spec) => spec.path.join(' ')).filter((path) => !classified.has(path));
    assert.deepEqual(
      unknown,
      [],
      'add the new command to cases() (with arguments that are safe without a fleet) or to NOT_RUN in test/integration/cli-output-json.test.ts',
    );
  });

  it('prints exactly one JSON document on stdout for every data command, success or failure, with a documented exit code', async () => {
    const documented = new Set<number>(Object.values(ExitCode));
    const env = {
      HOME: join(dir, 'home'),
      XDG_CONFIG_HOME: join(dir, 'home', '.config'),
      XDG_STATE_HOME: join(dir, 'home', '.local', 'state'),
      XDG_DATA_HOME: join(dir, 'home', '.local', 'share'),
      PGFLEET_CONFIG_DIR: join(dir, 'config'),
    };
    const known = new Set(runnable.map((spec) => spec.path.join(' ')));
    for (const [path, args] of cases()) {
      if (!known.has(path)) continue;
      const result = await runCli(['--settings', settings, '--output', 'json', ...path.split(' '), ...args], {
        env,
        timeoutMs: 120_000,
      });
      let parsed: unknown;
      assert.doesNotThrow(
        () => (parsed = JSON.parse(result.stdout)),
        `pgfleet ${path}: stdout is not one JSON document:\n${result.stdout}\nstderr: ${result.stderr}`,
      );
      assert.ok(documented.has(result.code), `pgfleet ${path} exited ${result.code}`);
      const isError = typeof parsed === 'object' && parsed !== null && 'error' in parsed;
      if (isError) {
        assert.notEqual(result.code, 0, `pgfleet ${path} printed an error with exit code 0`);
        assert.match(result.stderr, /^error: /m, `pgfleet ${path}: the error is also on stderr`);
      }
      assert.doesNotMatch(result.stderr, /\n\s+at .+:\d+:\d+/, `pgfleet ${path}: no stack trace without --debug`);
      assert.ok(
        !result.stdout.includes('not-a-real-password') && !result.stderr.includes('not-a-real-password'),
        `pgfleet ${path} printed the admin password`,
      );
    }
  });

  it('succeeds, in JSON, for the data commands that need no fleet', async () => {
    const env = { HOME: join(dir, 'home'), XDG_CONFIG_HOME: join(dir, 'home', '.config') };
    const show = await runCli(['--settings', settings, '--output', 'json', 'settings', 'show'], { env });
    assert.equal(show.code, 0, show.stderr);
    assert.equal((JSON.parse(show.stdout) as { source: string }).source, settings);
    const pkiShow = await runCli(['--output', 'json', 'pki', 'show', '--dir', pki], { env });
    assert.equal(pkiShow.code, 0, pkiShow.stderr);
    const inventory = JSON.parse(pkiShow.stdout) as { ca: unknown; certificates: unknown[] };
    assert.ok(inventory.ca);
    assert.equal(inventory.certificates.length, 3);
  });
});
