import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { ExitCode } from '../core/errors.js';
import { CliOutput, type GlobalOptions, type OutputFormat } from './cli-output.js';
import { registerEtcdAuthCommands } from './commands/etcd-auth.js';
import { registerLabCommands } from './commands/lab.js';

export const VERSION = '0.1.0';

/** Builds the whole command tree. Command modules load their heavy dependencies only when run. */
export function buildProgram(): Command {
  const program = new Command('pgfleet')
    .description('Secure PostgreSQL/Patroni fleets on a shared etcd: instances, tenancy, guarded migrations, audit, lab.')
    .version(VERSION, '-V, --version', 'print the pgfleet version')
    .option('--settings <file>', 'site settings file (default: $PGFLEET_CONFIG_DIR, $XDG_CONFIG_HOME/pgfleet, /etc/pgfleet)')
    .addOption(new Option('-o, --output <format>', 'output format of data').choices(['text', 'json']).default('text'))
    .option('-q, --quiet', 'print only data and errors', false)
    .option('-v, --verbose', 'print more detail on stderr', false)
    .option('--no-color', 'no colors (also with NO_COLOR set)')
    .option('--debug', 'show stack traces of errors', false)
    .showSuggestionAfterError(true)
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  registerLabCommands(program);
  const etcd = program.command('etcd').description('the shared etcd: authentication of the fleet, tenants');
  registerEtcdAuthCommands(etcd);
  return program;
}

/** The global options as seen from any subcommand. */
export function globalOptions(command: Command): GlobalOptions {
  const raw = command.optsWithGlobals() as Record<string, unknown>;
  return {
    settings: raw.settings as string | undefined,
    output: (raw.output as OutputFormat | undefined) ?? 'text',
    quiet: Boolean(raw.quiet),
    verbose: Boolean(raw.verbose),
    color: raw.color !== false && !process.env.NO_COLOR && Boolean(process.stderr.isTTY),
    debug: Boolean(raw.debug),
  };
}

export function outputFor(command: Command): CliOutput {
  return new CliOutput(globalOptions(command));
}

/** Option parser for whole numbers, with the option's name in the message. */
export function integerOption(min: number, max: number): (value: string) => number {
  return (value: string) => {
    if (!/^-?\d+$/.test(value)) throw new InvalidArgumentError(`expected an integer from ${min} to ${max}`);
    const parsed = Number(value);
    if (parsed < min || parsed > max) throw new InvalidArgumentError(`expected an integer from ${min} to ${max}`);
    return parsed;
  };
}

/** Maps commander's own errors (unknown option, missing argument) to pgfleet's exit codes. */
export function commanderExitCode(error: CommanderError): number {
  if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') return ExitCode.ok;
  return ExitCode.usage;
}
