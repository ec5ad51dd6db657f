import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExitCode } from '../../src/core/errors.js';
import { ensureBuiltCli } from '../support/built-cli.js';
import { runCli } from '../support/run-cli.js';

/** stderr without the trailing newline, line by line. */
const lines = (text: string) => text.trimEnd().split('\n');

describe('pgfleet usage errors and exit codes, run as a user would (the built CLI)', () => {
  let dir: string;
  before(async () => {
    ensureBuiltCli();
    dir = await mkdtemp(join(tmpdir(), 'pgfleet-cli-errors-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('suggests the closest command for an unknown one, prints nothing on stdout and exits 2', async () => {
    const result = await runCli(['labb']);
    assert.equal(result.code, ExitCode.usage);
    assert.equal(result.stdout, '');
    assert.deepEqual(lines(result.stderr), [
      "error: unknown command 'labb'",
      'hint: did you mean lab? (--help shows the usage)',
    ]);
  });

  it('suggests the closest subcommand at any depth', async () => {
    const result = await runCli(['etcd', 'auth', 'enforc']);
    assert.equal(result.code, ExitCode.usage);
    assert.deepEqual(lines(result.stderr), [
      "error: unknown command 'enforc'",
      'hint: did you mean enforce? (--help shows the usage)',
    ]);
  });

  it('suggests the closest option for an unknown one and runs nothing', async () => {
    const result = await runCli(['lab', 'status', '--dri', dir]);
    assert.equal(result.code, ExitCode.usage);
    assert.equal(result.stdout, '');
    assert.deepEqual(lines(result.stderr), [
      "error: unknown option '--dri'",
      'hint: did you mean --dir? (--help shows the usage)',
    ]);
  });

  it('names a missing required option', async () => {
    const result = await runCli(['patroni', 'config', 'render']);
    assert.equal(result.code, ExitCode.usage);
    assert.deepEqual(lines(result.stderr), [
      "error: required option '--name <name>' not specified",
      'hint: --help shows the usage',
    ]);
  });

  it('names the allowed values of an option with choices', async () => {
    const result = await runCli(['--output', 'yaml', 'doctor']);
    assert.equal(result.code, ExitCode.usage);
    assert.match(
      lines(result.stderr)[0]!,
      /^error: option '-o, --output <format>' argument 'yaml' is invalid\. Allowed choices are text, json, sarif\.$/,
    );
  });

  it('names the allowed values of an argument with choices', async () => {
    const result = await runCli(['completion', 'fish']);
    assert.equal(result.code, ExitCode.usage);
    assert.match(
      result.stderr,
      /^error: command-argument value 'fish' is invalid for argument 'shell'\. Allowed choices are bash, zsh\.\n/,
    );
  });

  it('prints the group help on stderr and exits 2 for a command group run without its subcommand', async () => {
    for (const args of [[], ['etcd', 'auth']]) {
      const result = await runCli(args);
      assert.equal(result.code, ExitCode.usage, args.join(' '));
      assert.equal(result.stdout, '');
      assert.match(result.stderr, new RegExp(`^Usage: ${['pgfleet', ...args].join(' ')} \\[options\\] \\[command\\]`));
    }
  });

  it('reports a failed command as one error line and one hint line, the stack trace only with --debug', async () => {
    const missing = join(dir, 'missing.yaml');
    const plain = await runCli(['--settings', missing, 'settings', 'show']);
    assert.equal(plain.code, ExitCode.usage);
    assert.equal(plain.stdout, '');
    assert.deepEqual(lines(plain.stderr), [
      `error: ${missing}: cannot read the settings file (ENOENT) [SETTINGS_UNREADABLE]`,
      'hint: check the path given with --settings',
    ]);

    const debug = await runCli(['--settings', missing, '--debug', 'settings', 'show']);
    assert.equal(debug.code, ExitCode.usage);
    assert.deepEqual(lines(debug.stderr).slice(0, 2), lines(plain.stderr));
    assert.match(debug.stderr, /\n\s+at .+\(.+:\d+:\d+\)/);
  });

  it('prints the error of a failed command as JSON on stdout with --output json', async () => {
    const bad = join(dir, 'bad.yaml');
    await writeFile(bad, 'patroni:\n  etcd:\n    protokol: https\n');
    const result = await runCli(['--settings', bad, '--output', 'json', 'settings', 'show']);
    assert.equal(result.code, ExitCode.usage);
    const parsed = JSON.parse(result.stdout) as { error: { code: string; message: string; hint?: string } };
    assert.equal(parsed.error.code.length > 0, true);
    assert.match(parsed.error.message, /protokol/);
    assert.match(result.stderr, /^error: .*protokol/);
  });

  it('accepts the global options after the command as well as before it', async () => {
    const before = await runCli(['--output', 'json', 'lab', 'down', '--dir', join(dir, 'no-lab')]);
    const after = await runCli(['lab', 'down', '--dir', join(dir, 'no-lab'), '--output', 'json']);
    assert.equal(before.code, 0, before.stderr);
    assert.deepEqual(JSON.parse(after.stdout), JSON.parse(before.stdout));
  });
});
