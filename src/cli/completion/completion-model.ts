import { type CommandSpec, type OptionSpec, type ValueKind, allCommands } from '../command-tree.js';

/** What the shell may complete at one point of the command tree: the shape both completion scripts are rendered from. */
export interface CompletionNode {
  /** Command path joined by spaces; '' for the program itself. */
  key: string;
  /** Subcommands (with aliases) and extra argument words, with a description. */
  words: { word: string; description: string }[];
  /**
   * Options valid here: this command's and its ancestors' below the program
   * (commander accepts parent options after a subcommand). The program's own
   * options are valid everywhere: see CompletionModel.globalOptions.
   */
  options: { name: string; description: string; takesValue: boolean; kind: ValueKind; choices: string[] }[];
  /** What a positional argument completes to, besides `words`. */
  argumentKind: 'file' | 'directory' | 'none';
}

/** Characters that need no quoting in either shell, for every completed word. */
const SAFE_WORD = /^[A-Za-z0-9._/=@+-]+$/;

export interface CompletionModel {
  program: string;
  /** The program's options, valid after any subcommand too. */
  globalOptions: CompletionNode['options'];
  nodes: CompletionNode[];
}

export function completionModel(root: CommandSpec): CompletionModel {
  const byPath = new Map(allCommands(root).map((spec) => [spec.path.join(' '), spec]));
  const nodes = allCommands(root).map((spec) => {
    // Ancestors below the program, nearest first.
    const ancestors = spec.path.slice(1).map((_, index) => byPath.get(spec.path.slice(0, index + 1).join(' '))!);
    const options = spec.path.length === 0 ? [] : [...optionsOf(spec), ...ancestors.reverse().flatMap(optionsOf)];
    const seen = new Set<string>();
    const words: CompletionNode['words'] = [];
    const addWord = (word: string, description: string) => {
      if (SAFE_WORD.test(word) && !seen.has(word)) {
        seen.add(word);
        words.push({ word, description });
      }
    };
    for (const sub of spec.subcommands) for (const name of [sub.name, ...sub.aliases]) addWord(name, sub.description);
    for (const argument of spec.arguments)
      for (const choice of argument.choices ?? []) addWord(choice, argument.description);
    for (const word of spec.argumentWords) addWord(word, '');
    const kinds = spec.arguments.map((argument) => argument.valueKind);
    return {
      key: spec.path.join(' '),
      words,
      options: dedupe(options),
      argumentKind: kinds.includes('file') ? 'file' : kinds.includes('directory') ? 'directory' : 'none',
    } satisfies CompletionNode;
  });
  return { program: root.name, globalOptions: dedupe(optionsOf(root)), nodes };
}

function optionsOf(spec: CommandSpec): CompletionNode['options'] {
  return spec.options.flatMap((option: OptionSpec) =>
    [option.long, option.short]
      .filter((name): name is string => typeof name === 'string' && SAFE_WORD.test(name))
      .map((name) => ({
        name,
        description: option.description,
        takesValue: option.takesValue,
        kind: option.valueKind,
        choices: (option.choices ?? []).filter((choice) => SAFE_WORD.test(choice)),
      })),
  );
}

function dedupe(options: CompletionNode['options']): CompletionNode['options'] {
  const seen = new Set<string>();
  return options.filter((option) => !seen.has(option.name) && seen.add(option.name));
}

/** A single-quoted shell word (bash and zsh). */
export function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

export type CompletionOption = CompletionNode['options'][number];

/**
 * The `case` arms (bash and zsh share the syntax) that complete an option's
 * value: one per option of each node (`<path>|<option>`), then one per
 * global option valid after any path (`*|<option>`). `action` is the
 * shell's own completion command for the option.
 */
export function optionValueCases(
  model: Pick<CompletionModel, 'nodes' | 'globalOptions'>,
  action: (option: CompletionOption) => string,
): string {
  const completesValue = (option: CompletionOption) => option.takesValue && option.kind !== 'word';
  return model.nodes
    .flatMap((node) =>
      node.options
        .filter(completesValue)
        .map((option) => `    ${shellQuote(`${node.key}|${option.name}`)}) ${action(option)} ;;`),
    )
    .concat(
      model.globalOptions
        .filter(completesValue)
        .map((option) => `    *${shellQuote(`|${option.name}`)}) ${action(option)} ;;`),
    )
    .join('\n');
}
