import type { Argument, Command, Option } from 'commander';
import { type CommandExample, examplesOf } from './command-examples.js';

/**
 * The command tree as plain data: what docs/cli.md and the shell completion
 * scripts are generated from, so both always match the commander definitions.
 */
export interface OptionSpec {
  flags: string;
  long: string | undefined;
  short: string | undefined;
  description: string;
  /** Takes a value (`--dir <dir>`). */
  takesValue: boolean;
  /** Must be given (commander's requiredOption). */
  mandatory: boolean;
  choices: string[] | undefined;
  /** Default as shown in the docs, or undefined when there is none worth showing. */
  defaultText: string | undefined;
  /** What the shell should complete for its value. */
  valueKind: ValueKind;
}

export interface ArgumentSpec {
  name: string;
  description: string;
  required: boolean;
  variadic: boolean;
  choices: string[] | undefined;
  valueKind: ValueKind;
}

export interface CommandSpec {
  /** Names from the root, without the program name: `['lab', 'up']`. */
  path: string[];
  name: string;
  aliases: string[];
  description: string;
  /** `pgfleet lab up [options]`. */
  usage: string;
  options: OptionSpec[];
  arguments: ArgumentSpec[];
  examples: readonly CommandExample[];
  /** Extra words the shell completes for the arguments (e.g. help topics). */
  argumentWords: string[];
  runnable: boolean;
  subcommands: CommandSpec[];
}

export type ValueKind = 'file' | 'directory' | 'choice' | 'word';

const argumentWordsByCommand = new WeakMap<object, () => string[]>();

/** Words the shell may complete for a command's arguments (beyond choices and files). */
export function withArgumentWords<T extends object>(command: T, words: () => string[]): T {
  argumentWordsByCommand.set(command, words);
  return command;
}

export function describeCommandTree(root: Command): CommandSpec {
  return describe(root, []);
}

/** Every command of the tree, depth first, the root included. */
export function allCommands(spec: CommandSpec): CommandSpec[] {
  return [spec, ...spec.subcommands.flatMap(allCommands)];
}

function describe(command: Command, path: string[]): CommandSpec {
  const help = command.createHelp();
  const visible = new Set(help.visibleCommands(command));
  const rootName = rootOf(command).name();
  const options = help
    .visibleOptions(command)
    .filter((option) => option.long !== '--help')
    .map(describeOption);
  return {
    path,
    name: command.name(),
    aliases: command.aliases(),
    description: command.description(),
    usage: [rootName, ...path, command.usage()].filter((part) => part.length > 0).join(' '),
    options,
    arguments: command.registeredArguments.map(describeArgument),
    examples: examplesOf(command),
    argumentWords: argumentWordsByCommand.get(command)?.() ?? [],
    runnable: hasAction(command),
    subcommands: command.commands.filter((sub) => visible.has(sub)).map((sub) => describe(sub, [...path, sub.name()])),
  };
}

function describeOption(option: Option): OptionSpec {
  const takesValue = option.required || option.optional;
  return {
    flags: option.flags,
    long: option.long,
    short: option.short,
    description: option.description,
    takesValue,
    mandatory: option.mandatory,
    choices: option.argChoices ? [...option.argChoices] : undefined,
    defaultText: defaultText(option),
    valueKind: option.argChoices ? 'choice' : valueKindOf(option.flags),
  };
}

function describeArgument(argument: Argument): ArgumentSpec {
  return {
    name: argument.name(),
    description: argument.description,
    required: argument.required,
    variadic: argument.variadic,
    choices: argument.argChoices ? [...argument.argChoices] : undefined,
    valueKind: argument.argChoices ? 'choice' : valueKindOf(argument.name()),
  };
}

function defaultText(option: Option): string | undefined {
  if (option.defaultValueDescription) return option.defaultValueDescription;
  const value: unknown = option.defaultValue;
  // A boolean flag that is off unless given has nothing to say about its default.
  if (value === undefined || value === false || option.negate) return undefined;
  if (value === true && !(option.required || option.optional)) return undefined;
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** From the value's placeholder: `<file>`, `<dir>`, `<path>`... */
function valueKindOf(text: string): ValueKind {
  const placeholder = /[<[]([^>\]]+)[>\]]/.exec(text)?.[1] ?? text;
  if (/dir(ectory)?\b/i.test(placeholder)) return 'directory';
  if (/file|path|cert|key|ca\b/i.test(placeholder)) return 'file';
  return 'word';
}

function hasAction(command: Command): boolean {
  return Boolean((command as unknown as { _actionHandler?: unknown })._actionHandler);
}

function rootOf(command: Command): Command {
  let current = command;
  while (current.parent) current = current.parent;
  return current;
}
