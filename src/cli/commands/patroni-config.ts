import { type Command, Option } from 'commander';
import { globalOptions, integerOption, runOperation, siteSettingsOf } from '../command-kit.js';
import type { PatroniConfigRenderRequest } from '../../instance/patroni-config-render.js';
import { withSubcommandExamples } from '../command-examples.js';

/**
 * The Patroni options of an instance, as pglift names them. `instance
 * create` adds the same ones. Passwords come from files only.
 */
export function patroniInstanceOptionList(): Option[] {
  return [
    new Option('--patroni-cluster <scope>', 'Patroni cluster name (scope); default: the instance name'),
    new Option('--patroni-node <name>', 'Patroni member name; default: this host name'),
    new Option('--port <port>', 'PostgreSQL port (default 5432)').argParser(integerOption(1, 65535)),
    new Option('--patroni-restapi-listen <host:port>', 'REST API bind address; default: the connect address'),
    new Option(
      '--patroni-restapi-connect-address <host:port>',
      'REST API address other members use; default: <connect host>:8008',
    ),
    new Option(
      '--patroni-postgresql-connect-host <host>',
      'host other members and clients reach PostgreSQL at; default: this host name',
    ),
    new Option(
      '--patroni-postgresql-listen <hosts>',
      "addresses PostgreSQL listens on (listen_addresses, comma-separated); default: '*'",
    ),
    new Option('--patroni-etcd-username <name>', "etcd user of the cluster's tenant"),
    new Option('--patroni-etcd-password-file <file>', 'file (0600) holding the etcd password'),
    new Option('--patroni-restapi-authentication-username <name>', 'REST API basic-auth user for unsafe calls'),
    new Option('--patroni-restapi-authentication-password-file <file>', 'file (0600) holding the REST API password'),
  ];
}

/** `pgfleet patroni config render|validate`. */
export function registerPatroniConfigCommands(program: Command): void {
  const patroni =
    program.commands.find((command) => command.name() === 'patroni') ??
    program.command('patroni').description('Patroni configuration of instances');
  const config = patroni
    .command('config')
    .description('the Patroni YAML pgfleet generates: template + inputs + managed values');

  const render = config
    .command('render')
    .description(
      'print the Patroni YAML that would be written for an instance (secrets redacted unless --show-secrets)',
    )
    .requiredOption('--name <name>', 'instance name');
  for (const option of patroniInstanceOptionList()) render.addOption(option);
  render
    .option('--superuser-password-file <file>', 'file (0600) with the superuser password (default: a generated one)')
    .option(
      '--replication-password-file <file>',
      'file (0600) with the replication password (default: a generated one)',
    )
    .option('--rewind-password-file <file>', 'file (0600) with the rewind user password (default: a generated one)')
    .option('--patroni-version <version>', 'generate for this Patroni version instead of the installed one')
    .option('--show-secrets', 'print passwords in the YAML (never in JSON output)', false)
    .action(async (options: PatroniConfigRenderRequest, command: Command) =>
      runOperation(command, async (output) =>
        (await import('../../instance/patroni-config-render.js')).renderPatroniConfig(
          globalOptions(command).settings,
          options,
          { jsonOutput: output.json, progress: output },
        ),
      ),
    );

  config
    .command('validate')
    .description(
      'run `patroni --validate-config` on a file and sort its findings: real errors vs loopback addresses, unreachable etcd, ports in use, keys Patroni runs without (bootstrap.* of a joined member)',
    )
    .argument('<file>', 'Patroni YAML file')
    .action(async (file: string, _options: unknown, command: Command) =>
      runOperation(command, async () =>
        (await import('../../instance/patroni-config-validate.js')).validatePatroniConfig(
          await siteSettingsOf(command),
          file,
        ),
      ),
    );

  withSubcommandExamples(config, 'render', [
    {
      command: 'pgfleet patroni config render --name main --patroni-cluster alpha --patroni-node alpha-1',
      description: 'the YAML instance main of cluster alpha would get, secrets redacted',
    },
    {
      command:
        'pgfleet patroni config render --name main --patroni-cluster alpha --patroni-etcd-username patroni-alpha --patroni-etcd-password-file /var/lib/pgfleet/secrets/patroni-alpha.password',
      description: "the same with the cluster's etcd tenant credentials (the password comes from a 0600 file)",
    },
  ]);
  withSubcommandExamples(config, 'validate', [
    {
      command: 'pgfleet patroni config validate /etc/patroni/main.yaml',
      description:
        'run the installed Patroni validator on a file and sort real errors from loopback/unreachable-etcd findings',
    },
  ]);
}
