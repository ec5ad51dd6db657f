import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { buildProgram } from '../../src/cli/program.js';
import { allCommands, describeCommandTree } from '../../src/cli/command-tree.js';
import { HELP_TOPICS } from '../../src/cli/help-topics/topic-list.js';
import { ensureBuiltCli } from '../support/built-cli.js';
import { type CliResult, runCli } from '../support/run-cli.js';

const commands = allCommands(describeCommandTree(buildProgram()));

/** Runs the built CLI for each argument list, a few at a time (two cores are shared). */
async function runAll(argumentLists: string[][]): Promise<CliResult[]> {
  const results: CliResult[] = new Array(argumentLists.length);
  let next = 0;
  const worker = async () => {
    while (next < argumentLists.length) {
      const index = next++;
      results[index] = await runCli(argumentLists[index]!, { timeoutMs: 60_000 });
    }
  };
  await Promise.all([worker(), worker(), worker()]);
  return results;
}

const firstWords = (text: string) => text.split(/\s+/).slice(0, 3).join(' ');
const unwrapped = (text: string) => text.replace(/\s+/g, ' ');

describe('pgfleet help, run as a user would (the built CLI)', () => {
  before(() => ensureBuiltCli());

  it('prints the help of every command on stdout with its usage, description and examples, and exits 0', async () => {
    const results = await runAll(commands.map((spec) => [...spec.path, '--help']));
    commands.forEach((spec, index) => {
      const result = results[index]!;
      const name = ['pgfleet', ...spec.path].join(' ');
      assert.equal(result.code, 0, `${name} --help: ${result.stderr}`);
      assert.equal(result.stderr, '', name);
      assert.ok(result.stdout.startsWith(`Usage: ${name}`), `${name} --help starts with its usage`);
      assert.ok(
        unwrapped(result.stdout).includes(firstWords(spec.description)),
        `${name} --help shows its description`,
      );
      for (const option of spec.options)
        assert.ok(result.stdout.includes(option.flags), `${name} --help lists ${option.flags}`);
      for (const example of spec.examples)
        assert.ok(
          unwrapped(result.stdout).includes(`$ ${example.command}`),
          `${name} --help shows the example ${example.command}`,
        );
    });
  });

  it('prints the same help for `pgfleet help COMMAND...` as for `COMMAND --help`', async () => {
    const sample = commands.filter((spec) => spec.path.length > 0);
    const viaHelp = await runAll(sample.map((spec) => ['help', ...spec.path]));
    const viaOption = await runAll(sample.map((spec) => [...spec.path, '--help']));
    sample.forEach((spec, index) => {
      assert.equal(viaHelp[index]!.code, 0, spec.path.join(' '));
      assert.equal(viaHelp[index]!.stdout, viaOption[index]!.stdout, `pgfleet help ${spec.path.join(' ')}`);
    });
  });

  it('explains each workflow with `pgfleet help TOPIC`', async () => {
    const results = await runAll(HELP_TOPICS.map((topic) => ['help', topic.name]));
    for (const [index, topic] of HELP_TOPICS.entries()) {
      const result = results[index]!;
      assert.equal(result.code, 0, topic.name);
      assert.equal(result.stdout, await topic.load());
    }
    const secure = results[HELP_TOPICS.findIndex((topic) => topic.name === 'secure-existing-fleet')]!.stdout;
    for (const step of [
      'pgfleet etcd auth prepare',
      'pgfleet etcd auth apply',
      'pgfleet etcd auth enforce',
      'pgfleet etcd auth rollback',
    ])
      assert.ok(secure.includes(step), step);
  });

  it('lists the help topics at the end of `pgfleet --help`', async () => {
    const result = await runCli(['--help']);
    for (const topic of HELP_TOPICS) assert.ok(result.stdout.includes(topic.name), topic.name);
  });

  it('prints the version of package.json with --version and -V', async () => {
    const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    for (const flag of ['--version', '-V']) {
      const result = await runCli([flag]);
      assert.equal(result.code, 0);
      assert.equal(result.stdout, `${version}\n`);
    }
  });

  it('suggests the closest topic for a misspelt one, with exit code 2', async () => {
    const result = await runCli(['help', 'rotate-tenant-pasword']);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /^error: no help topic or command "rotate-tenant-pasword"/);
    assert.match(result.stderr, /hint: did you mean "rotate-tenant-password"\?/);
  });
});
