/**
 * What a process's command line says about Patroni: whether it is a Patroni
 * daemon and which configuration path it was given. Pure: the adapter reads
 * /proc/PID/cmdline.
 *
 * Recognised (Patroni 3.0.2's argparse takes one optional positional
 * `configfile`): `patroni CONFIG`, `/usr/bin/patroni CONFIG`,
 * `python3 [-u|-E|-X opt...] /usr/bin/patroni CONFIG`, `python3 -m patroni CONFIG`.
 * Not daemons: `--validate-config`, `--version`, `--help` runs, patronictl.
 */
export type PatroniCommandLine =
  | { kind: 'daemon'; configArg: string }
  /** A daemon started without a path: Patroni then reads PATRONI_CONFIGURATION and PATRONI_* variables. */
  | { kind: 'daemon-without-file' };

const PYTHON = /^python[0-9.]*$/;
/** Interpreter options that take a value as the next argument. */
const PYTHON_OPTIONS_WITH_VALUE = new Set(['-X', '-W', '-c', '--check-hash-based-pycs']);
const NOT_A_DAEMON = new Set(['--validate-config', '--version', '-h', '--help']);

export function parsePatroniCommandLine(argv: readonly string[]): PatroniCommandLine | undefined {
  const args = patroniArguments(argv);
  if (args === undefined) return undefined;
  if (args.some((arg) => NOT_A_DAEMON.has(arg))) return undefined;
  const positional = args.filter((arg) => !arg.startsWith('-'));
  const configArg = positional[0];
  return configArg === undefined || configArg === '' ? { kind: 'daemon-without-file' } : { kind: 'daemon', configArg };
}

/** The arguments after the Patroni program itself, or undefined when the command is not Patroni. */
function patroniArguments(argv: readonly string[]): readonly string[] | undefined {
  const program = argv[0];
  if (program === undefined) return undefined;
  if (baseName(program) === 'patroni') return argv.slice(1);
  if (!PYTHON.test(baseName(program))) return undefined;
  for (let index = 1; index < argv.length; index += 1) {
    const arg = argv[index]!;
    if (arg === '-m') return argv[index + 1] === 'patroni' ? argv.slice(index + 2) : undefined;
    if (arg === '-c') return undefined;
    if (PYTHON_OPTIONS_WITH_VALUE.has(arg)) {
      index += 1;
      continue;
    }
    if (arg.startsWith('-')) continue;
    return baseName(arg) === 'patroni' ? argv.slice(index + 1) : undefined;
  }
  return undefined;
}

function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}
