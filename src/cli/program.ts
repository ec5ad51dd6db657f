import { Command, CommanderError, Option } from 'commander';
import { ExitCode } from '../core/errors.js';
import { VERSION } from './command-kit.js';
import { withExamples } from './command-examples.js';
import { registerCompletionCommand } from './commands/completion.js';
import { registerDoctorCommand } from './commands/doctor.js';
import { helpTopicsText, registerHelpCommand } from './commands/help-topics.js';
import { registerEtcdAuthCommands } from './commands/etcd-auth.js';
import { registerEtcdClientsCommands } from './commands/etcd-clients.js';
import { registerInstanceCommands } from './commands/instance.js';
import { registerEtcdTenantsCommands } from './commands/etcd-tenants.js';
import { registerEtcdTlsCommands } from './commands/etcd-tls.js';
import { registerEtcdUpgradeCommands } from './commands/etcd-upgrade.js';
import { registerEtcdV3Commands } from './commands/etcd-v3.js';
import { registerLabCommands } from './commands/lab.js';
import { registerSettingsCommands } from './commands/settings.js';
import { registerPatroniConfigCommands } from './commands/patroni-config.js';
import { registerPkiCommands } from './commands/pki.js';
import { registerRestApiCommands } from './commands/restapi.js';
import { registerClusterCommands } from './commands/cluster.js';
import { registerAuditCommand } from './commands/audit.js';

export { VERSION } from './command-kit.js';

/** Builds the whole command tree. Command modules load their heavy dependencies only when run. */
export function buildProgram(): Command {
  const program = new Command('pgfleet')
    .description(
      'Secure PostgreSQL/Patroni fleets on a shared etcd: instances, tenancy, guarded migrations, audit, lab.',
    )
    .version(VERSION, '-V, --version', 'print the pgfleet version')
    .option(
      '--settings <file>',
      'site settings file (default: the first of $PGFLEET_CONFIG_DIR/settings.yaml, $XDG_CONFIG_HOME/pgfleet/settings.yaml, /etc/pgfleet/settings.yaml)',
    )
    .addOption(
      new Option(
        '-o, --output <format>',
        'format of the data on stdout (sarif: `audit` only); diagnostics always go to stderr',
      )
        .choices(['text', 'json', 'sarif'])
        .default('text'),
    )
    .option('-q, --quiet', 'print only data and errors: no steps or progress on stderr')
    .option('-v, --verbose', 'print more detail on stderr')
    .option('--no-color', 'no colors on stderr (also when NO_COLOR is set or stderr is not a terminal)')
    .option('--debug', 'show the stack trace of an error')
    .showSuggestionAfterError(true)
    .configureOutput({ outputError: (text, write) => write(usageErrorText(text)) })
    .exitOverride()
    .hook('preAction', (_program, action) => {
      if ((action.optsWithGlobals() as { output?: string }).output === 'sarif' && action.name() !== 'audit')
        action.error('error: --output sarif is only for `pgfleet audit`', {
          exitCode: ExitCode.usage,
          code: 'pgfleet.sarifNotSupported',
        });
    });
  registerLabCommands(program);
  registerInstanceCommands(program);
  const etcd = program.command('etcd').description('the shared etcd: authentication of the fleet, tenants');
  registerEtcdAuthCommands(etcd);
  registerEtcdTenantsCommands(etcd);
  registerEtcdClientsCommands(etcd);
  registerEtcdTlsCommands(etcd);
  registerEtcdUpgradeCommands(etcd);
  registerEtcdV3Commands(etcd);
  registerSettingsCommands(program);
  registerPatroniConfigCommands(program);
  registerPkiCommands(program);
  registerRestApiCommands(program);
  registerClusterCommands(program);
  registerAuditCommand(program);
  // Command groups register above this line; doctor, completion and help close the list in --help.
  registerDoctorCommand(program);
  registerCompletionCommand(program);
  registerHelpCommand(program);
  withExamples(program, [
    { command: 'pgfleet doctor', description: 'check the settings file and the programs installed on this host' },
    {
      command: 'pgfleet lab demo',
      description: 'watch the whole story on a real etcd and real Patroni clusters on 127.0.0.1',
    },
    {
      command: 'pgfleet --output json etcd auth status',
      description: 'any data command prints JSON on stdout with --output json',
    },
    {
      command: 'pgfleet help secure-existing-fleet',
      description: 'the guarded switch of a live fleet to etcd authentication',
    },
  ]);
  program.addHelpText('after', helpTopicsText);
  return program;
}

/**
 * commander's usage errors in pgfleet's shape: the error line, then one hint
 * line with commander's suggestion ("did you mean lab?") when it has one.
 */
export function usageErrorText(text: string): string {
  const suggestion = /\n\(Did you mean (.+)\?\)\s*$/.exec(text);
  const message = (suggestion ? text.slice(0, suggestion.index) : text).trimEnd();
  return `${message}\nhint: ${suggestion ? `did you mean ${suggestion[1]}? (--help shows the usage)` : '--help shows the usage'}\n`;
}

/** Maps commander's own errors (unknown option, missing argument) to pgfleet's exit codes. */
export function commanderExitCode(error: CommanderError): number {
  // commander.help is the help printed because a command group was run without its subcommand: a usage error.
  if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version') return ExitCode.ok;
  return ExitCode.usage;
}
