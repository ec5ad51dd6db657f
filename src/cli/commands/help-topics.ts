import type { Command } from 'commander';
import { withExamples } from '../command-examples.js';
import { withArgumentWords } from '../command-tree.js';
import { HELP_TOPICS } from '../help-topics/topic-list.js';
import { outputFor } from '../command-kit.js';
import { runCommand } from '../run-command.js';

/**
 * `pgfleet help [TOPIC | COMMAND...]`: a workflow explained end to end, or
 * the help of a command. Replaces commander's implicit help command at the
 * top level (command groups keep theirs: `pgfleet lab help up`).
 */
export function registerHelpCommand(program: Command): void {
  const help = program
    .command('help')
    .description('explain a workflow (pgfleet help TOPIC) or show the help of a command (pgfleet help lab up)')
    .argument(
      '[topic-or-command...]',
      `a topic (${HELP_TOPICS.map((topic) => topic.name).join(', ')}) or a command path`,
    )
    .action(async (names: string[], _options: unknown, command: Command) =>
      runCommand(outputFor(command), async () =>
        (await import('../help-topics/help-answer.js')).showHelp(program, names),
      ),
    );
  withArgumentWords(help, () => [
    ...HELP_TOPICS.map((topic) => topic.name),
    ...program.commands.map((sub) => sub.name()),
  ]);
  withExamples(help, [
    {
      command: 'pgfleet help secure-existing-fleet',
      description: 'the guarded switch of a live fleet to etcd authentication, step by step',
    },
    {
      command: 'pgfleet help etcd auth enforce',
      description: 'the help of one command (same as pgfleet etcd auth enforce --help)',
    },
  ]);
}

/** The topics list shown at the end of `pgfleet --help`. */
export function helpTopicsText(): string {
  const width = Math.max(...HELP_TOPICS.map((topic) => topic.name.length));
  return [
    '',
    'Help topics (pgfleet help TOPIC):',
    ...HELP_TOPICS.map((topic) => `  ${topic.name.padEnd(width)}  ${topic.summary}`),
  ].join('\n');
}
