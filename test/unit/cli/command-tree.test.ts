import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { VERSION, buildProgram, commanderExitCode, usageErrorText } from '../../../src/cli/program.js';
import { allCommands, describeCommandTree } from '../../../src/cli/command-tree.js';
import { HELP_TOPICS } from '../../../src/cli/help-topics/topic-list.js';
import { CommanderError } from 'commander';

const tree = describeCommandTree(buildProgram());
const commands = allCommands(tree);
const label = (path: string[]) => ['pgfleet', ...path].join(' ');

/** The command path an example runs, read the way commander reads it: option values are skipped, the first plain word that is no subcommand ends it. */
function commandPathOf(words: string[]): string[] {
  let node = tree;
  const ancestors = [tree];
  const path: string[] = [];
  for (let index = 0; index < words.length; index += 1) {
    const word = words[index]!;
    if (word.startsWith('-')) {
      const option = ancestors
        .flatMap((command) => command.options)
        .find((candidate) => candidate.long === word || candidate.short === word);
      if (option?.takesValue) index += 1;
      continue;
    }
    const next = node.subcommands.find((sub) => sub.name === word || sub.aliases.includes(word));
    if (!next) break;
    node = next;
    ancestors.push(next);
    path.push(word);
  }
  return path;
}

describe('the pgfleet command tree', () => {
  it('gives every command a description', () => {
    const without = commands.filter((spec) => spec.description.trim().length === 0).map((spec) => label(spec.path));
    assert.deepEqual(without, []);
  });

  it('gives every option and argument a description', () => {
    const without = commands.flatMap((spec) => [
      ...spec.options
        .filter((option) => option.description.trim().length === 0)
        .map((option) => `${label(spec.path)} ${option.flags}`),
      ...spec.arguments
        .filter((argument) => argument.description.trim().length === 0)
        .map((argument) => `${label(spec.path)} <${argument.name}>`),
    ]);
    assert.deepEqual(without, []);
  });

  it('gives every command that runs something at least one example, attached with withExamples', () => {
    const without = commands
      .filter((spec) => spec.runnable && spec.examples.length === 0)
      .map((spec) => label(spec.path));
    assert.deepEqual(without, [], 'add examples with withExamples(command, [...]) from src/cli/command-examples.ts');
  });

  it('writes every example as a pgfleet command line with a description', () => {
    const bad = commands.flatMap((spec) =>
      spec.examples
        .filter(
          (example) =>
            !/^(pgfleet |eval "\$\(pgfleet )/.test(example.command) || example.description.trim().length === 0,
        )
        .map((example) => example.command),
    );
    assert.deepEqual(bad, []);
  });

  it('names each example after the command it illustrates (or one of its subcommands)', () => {
    const wrong = commands.flatMap((spec) =>
      spec.examples
        .filter((example) => {
          const words = example.command
            .replace(/^eval "\$\((.*)\)"$/, '$1')
            .split(/\s+/)
            .slice(1);
          const path = commandPathOf(words);
          return path.slice(0, spec.path.length).join(' ') !== spec.path.join(' ');
        })
        .map((example) => `${label(spec.path)}: ${example.command}`),
    );
    assert.deepEqual(wrong, []);
  });

  it('gives every help topic a name, a summary and a text', async () => {
    for (const topic of HELP_TOPICS) {
      assert.match(topic.name, /^[a-z]+(-[a-z]+)*$/);
      assert.ok(topic.summary.length > 10, topic.name);
      assert.ok((await topic.load()).length > 200, topic.name);
    }
    assert.deepEqual(
      HELP_TOPICS.map((topic) => topic.name).filter((name) =>
        ['secure-existing-fleet', 'create-secured-cluster', 'rotate-tenant-password'].includes(name),
      ),
      ['secure-existing-fleet', 'create-secured-cluster', 'rotate-tenant-password'],
    );
  });

  it('reports the version of package.json', () => {
    const manifest = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    assert.equal(VERSION, manifest.version);
  });
});

describe('usage errors', () => {
  it("turn commander's suggestion into a hint line", () => {
    assert.equal(
      usageErrorText("error: unknown command 'labb'\n(Did you mean lab?)\n"),
      "error: unknown command 'labb'\nhint: did you mean lab? (--help shows the usage)\n",
    );
  });

  it('get a hint line pointing at --help when there is no suggestion', () => {
    assert.equal(
      usageErrorText("error: required option '--name <name>' not specified\n"),
      "error: required option '--name <name>' not specified\nhint: --help shows the usage\n",
    );
  });

  it('exit with 2, while --help and --version exit with 0', () => {
    assert.equal(commanderExitCode(new CommanderError(1, 'commander.unknownOption', 'x')), 2);
    assert.equal(commanderExitCode(new CommanderError(1, 'commander.help', 'x')), 2);
    assert.equal(commanderExitCode(new CommanderError(0, 'commander.helpDisplayed', 'x')), 0);
    assert.equal(commanderExitCode(new CommanderError(0, 'commander.version', 'x')), 0);
  });
});
