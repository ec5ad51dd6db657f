import type { Command } from 'commander';
import { PgfleetError } from '../../core/errors.js';
import { closestName } from '../../core/settings/closest-name.js';
import { HELP_TOPICS, findHelpTopic } from './topic-list.js';

/**
 * What `pgfleet help [TOPIC | COMMAND...]` prints: the program's help, a
 * topic, or the help of a command; a name that is neither is refused with
 * the closest topic or command at that level.
 */
export async function showHelp(program: Command, names: string[]): Promise<void> {
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
    if (!next) throw unknownTopic(names, target, name);
    target = next;
  }
  target.outputHelp();
}

function unknownTopic(names: string[], level: Command, missing: string): PgfleetError {
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
