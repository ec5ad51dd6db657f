/** Options and positional arguments of a command line, option names without their dashes. */
export interface CommandLine {
  options: Map<string, string[]>;
  positionals: string[];
}

/**
 * Splits a command line the way Go's flag and pflag, cobra and click read
 * it: `--name=value`, `--name value` and `-name value` for options that take
 * a value (`valued`), `-c value` for short ones; anything else starting with
 * `-` is a switch; `--` ends the options.
 */
export function parseCommandLine(args: readonly string[], valued: ReadonlySet<string>): CommandLine {
  const options = new Map<string, string[]>();
  const positionals: string[] = [];
  const add = (name: string, value: string): void => {
    options.set(name, [...(options.get(name) ?? []), value]);
  };
  for (let index = 0; index < args.length; index += 1) {
    const arg = args[index]!;
    if (arg === '--') {
      positionals.push(...args.slice(index + 1));
      break;
    }
    if (!arg.startsWith('-') || arg === '-') {
      positionals.push(arg);
      continue;
    }
    const body = arg.replace(/^--?/, '');
    const equals = body.indexOf('=');
    if (equals !== -1) {
      add(body.slice(0, equals), body.slice(equals + 1));
    } else if (valued.has(body) && index + 1 < args.length) {
      add(body, args[index + 1]!);
      index += 1;
    } else {
      add(body, '');
    }
  }
  return { options, positionals };
}

/** The last non-empty value of an option; of several names, a later name wins over an earlier one. */
export function lastOption(line: CommandLine, ...names: string[]): string | undefined {
  let found: string | undefined;
  for (const name of names) {
    const values = line.options.get(name);
    const last = values?.at(-1);
    if (last !== undefined && last !== '') found = last;
  }
  return found;
}

/** A list option given as repeats and/or commas. */
export function listOption(line: CommandLine, ...names: string[]): string[] {
  return names.flatMap((name) => line.options.get(name) ?? []).flatMap(splitList);
}

export function splitList(value: string): string[] {
  return value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
}
