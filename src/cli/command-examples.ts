import type { AddHelpTextContext, Command } from 'commander';

/** One worked example of a command: what an operator types, and what it does. */
export interface CommandExample {
  /** The full command line, starting with `pgfleet`. */
  command: string;
  /** What it does, in a few words. */
  description: string;
}

/** The part of a commander command this helper needs (also fits @commander-js/extra-typings commands). */
interface HelpTextTarget {
  addHelpText(position: 'after', text: string | ((context: AddHelpTextContext) => string)): unknown;
}

const examplesByCommand = new WeakMap<object, CommandExample[]>();

/**
 * Attaches examples to a command: `--help` shows them after the options, and
 * docs/cli.md (scripts/gen-cli-docs.ts) reads them from here. Call it where
 * the command is defined; calling it again adds more examples.
 *
 *   withExamples(lab.command('up').description('...'), [
 *     { command: 'pgfleet lab up --clusters 3', description: 'three clusters of two nodes' },
 *   ]);
 */
export function withExamples<T extends HelpTextTarget>(command: T, examples: CommandExample[]): T {
  const existing = examplesByCommand.get(command);
  if (existing) {
    existing.push(...examples);
    return command;
  }
  const list = [...examples];
  examplesByCommand.set(command, list);
  command.addHelpText('after', () => renderExamples(list));
  return command;
}

/**
 * withExamples for a subcommand found by its path under `parent` (`'up'`,
 * `'issue server'`): lets a command module attach examples in one block at
 * the end of its register function. A path that does not exist throws, so a
 * renamed command cannot keep stale examples (the CLI tests build the tree).
 */
export function withSubcommandExamples(parent: Command, path: string, examples: CommandExample[]): Command {
  return withExamples(subcommandAt(parent, path), examples);
}

/** Help text for arguments declared inline (`.command('server <name>')`, which gives them none). */
export function withArgumentHelp(command: Command, descriptions: Record<string, string>): Command {
  for (const [name, description] of Object.entries(descriptions)) {
    const argument = command.registeredArguments.find((candidate) => candidate.name() === name);
    if (!argument) throw new Error(`${command.name()} has no argument <${name}>`);
    argument.description = description;
  }
  return command;
}

export function subcommandAt(parent: Command, path: string): Command {
  let command = parent;
  for (const name of path.split(' ')) {
    const next = command.commands.find((candidate) => candidate.name() === name);
    if (!next) throw new Error(`no subcommand "${path}" under ${parent.name()}`);
    command = next;
  }
  return command;
}

/** The examples attached to a command, in the order given. */
export function examplesOf(command: object): readonly CommandExample[] {
  return examplesByCommand.get(command) ?? [];
}

export function renderExamples(examples: readonly CommandExample[]): string {
  if (examples.length === 0) return '';
  const lines = ['', 'Examples:'];
  for (const example of examples) lines.push(`  # ${example.description}`, `  $ ${example.command}`);
  return lines.join('\n');
}
