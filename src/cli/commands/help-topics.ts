import type { Command } from 'commander';
import { withExamples } from '../command-examples.js';
import { withArgumentWords } from '../command-tree.js';
import { HELP_TOPICS, findHelpTopic } from '../help-topics/topic-list.js';
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
    .action(async (names: string[], _options: unknown, command: Command) => {
      await runCommand(outputFor(command), async () => {
        if (names.length === 0) {
          program.outputHelp();
          return;
        }
        const topic = names.length === 1 ? findHelpTopic(names[0]!) : undefined;
        if (topic) {
          process.stdout.write(await topic.load());
          return;
        }
        let target: Command = program;
        for (const name of names) {
          const next = target.commands.find((sub) => sub.name() === name || sub.aliases().includes(name));
          if (!next) throw await unknownTopic(names, target, name);
          target = next;
        }
        target.outputHelp();
      });
    });
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

async function unknownTopic(names: string[], level: Command, missing: string): Promise<Error> {
  const { PgfleetError } = await import('../../core/errors.js');
  const { closestName } = await import('../../core/settings/closest-name.js');
  const wanted = names.join(' ');
  const atTop = level.parent === null;
  const known = [...(atTop ? HELP_TOPICS.map((topic) => topic.name) : []), ...level.commands.map((sub) => sub.name())];
  const suggestion = closestName(missing, known);
  return new PgfleetError('UNKNOWN_HELP_TOPIC', `no help topic or command "${wanted}"`, {
    hint: suggestion
      ? `did you mean "${[...pathOf(level), suggestion].join(' ')}"? (pgfleet help lists topics and commands)`
      : 'pgfleet help lists the topics and commands',
  });
}

function pathOf(command: Command): string[] {
  const path: string[] = [];
  for (let current: Command | null = command; current?.parent; current = current.parent) path.unshift(current.name());
  return path;
}
