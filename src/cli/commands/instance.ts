import { type Command, Option } from 'commander';
import { ctrlCInterruption, globalOptions, integerOption, runOperation, terminalInterruption } from '../command-kit.js';
import { withSubcommandExamples } from '../command-examples.js';
import { ETCD_PASSWORD_ENV, RESTAPI_PASSWORD_ENV } from '../../core/instance/password-environment.js';
import type { InstanceAlterRequest, InstanceCreateRequest } from '../../instance/instance-operations.js';
import { patroniInstanceOptionList } from './patroni-config.js';

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** The settings file named by --settings: the instance operations load it after checking their options. */
const settingsFileOf = (command: Command): string | undefined => globalOptions(command).settings;

/**
 * `pgfleet instance create|list|status|start|stop|restart|reload|alter|drop|logs|env`:
 * Patroni-managed PostgreSQL instances on this host, in the spirit of
 * pglift's instance commands with its Patroni plugin.
 */
export function registerInstanceCommands(program: Command): void {
  const operations = () => import('../../instance/instance-operations.js');
  const instance = program
    .command('instance')
    .description('Patroni-managed PostgreSQL instances on this host: create, operate, alter, drop');
  const timeoutOption = (seconds: number): Option =>
    new Option('--timeout <seconds>', 'bound on the wait for the REST API readiness (GET /readiness)')
      .argParser(integerOption(5, 86_400))
      .default(seconds);

  const create = instance
    .command('create')
    .description(
      'create an instance: pre-flight of its etcd credentials, Patroni YAML (0600), Patroni started; the first member of a cluster bootstraps it, the next ones join as replicas',
    )
    .argument('<name>', 'instance name (names its files)');
  for (const option of patroniInstanceOptionList()) create.addOption(option);
  create
    .option(
      '--superuser-password-file <file>',
      "file (0600) with the cluster's superuser password (default: the one pgfleet keeps for the cluster, or a generated one)",
    )
    .option('--replication-password-file <file>', "file (0600) with the cluster's replication password (same default)")
    .option('--rewind-password-file <file>', "file (0600) with the cluster's pg_rewind user password (same default)")
    .option(
      '--parameter <name=value>',
      'PostgreSQL parameter (repeatable); in dynamic mode it goes to bootstrap.dcs',
      collect,
      [],
    )
    .option(
      '--hba-add <line>',
      'pg_hba entry added to the defaults (repeatable); in dynamic mode it goes to bootstrap.dcs',
      collect,
      [],
    )
    .addOption(
      new Option(
        '--service <kind>',
        'how Patroni runs: a background process with a pid file and a log file, or a systemd unit (pgfleet-patroni@NAME)',
      )
        .choices(['background', 'systemd'])
        .default('background'),
    )
    .option(
      '--skip-preflight',
      'DANGER: start Patroni without checking its etcd credentials first (loudly reported)',
      false,
    )
    .addOption(timeoutOption(300))
    .addHelpText(
      'after',
      `\nThe etcd password may come from $${ETCD_PASSWORD_ENV} and the REST API password from $${RESTAPI_PASSWORD_ENV} instead of a file.`,
    )
    .action(async (name: string, options: InstanceCreateRequest, command: Command) =>
      runOperation(command, async (progress) =>
        (await operations()).createInstanceFromSettings(settingsFileOf(command), name, options, {
          // Ctrl-C while Patroni starts: stop waiting and undo the create instead of leaving a half-made instance.
          interruption: terminalInterruption,
          progress,
        }),
      ),
    );

  instance
    .command('list')
    .description(
      "the members of this host: pgfleet's instances and the ones it adopts (running Patroni processes, patroni.member_files), with cluster, member, port, Patroni process, role and state",
    )
    .action(async (_options: unknown, command: Command) =>
      runOperation(command, async () => (await operations()).listSiteInstances(settingsFileOf(command))),
    );

  instance
    .command('status')
    .description(
      'Patroni state, role, timeline, lag, pending restart and pause of an instance, and every member of its cluster',
    )
    .argument('<name>', "instance name (an adopted member's file name without .yml, or its configuration file)")
    .action(async (name: string, _options: unknown, command: Command) =>
      runOperation(command, async () => (await operations()).showInstanceStatus(settingsFileOf(command), name)),
    );

  instance
    .command('start')
    .description('start Patroni (and PostgreSQL) and wait for the REST API readiness; the last log lines on failure')
    .argument('<name>', 'instance name')
    .addOption(timeoutOption(120))
    .action(async (name: string, options: { timeout: number }, command: Command) =>
      runOperation(command, async (progress) =>
        (await operations()).startSiteInstance(settingsFileOf(command), name, { timeout: options.timeout, progress }),
      ),
    );

  instance
    .command('stop')
    .description('stop Patroni, which stops PostgreSQL (a leader hands over to a replica)')
    .argument('<name>', 'instance name')
    .action(async (name: string, _options: unknown, command: Command) =>
      runOperation(command, async () => (await operations()).stopSiteInstance(settingsFileOf(command), name)),
    );

  instance
    .command('restart')
    .description(
      'restart PostgreSQL through Patroni (POST /restart); --pending: every member of the cluster waiting for a restart; --patroni: the Patroni daemon itself',
    )
    .argument('<name>', 'instance name')
    .option(
      '--pending',
      'restart every member of the cluster whose pending_restart is set, replicas first, leader last',
      false,
    )
    .option(
      '--patroni',
      'restart the Patroni daemon (needed after changing etcd hosts, protocol or certificates); PostgreSQL restarts with it, unless the member sees its cluster paused',
      false,
    )
    .addOption(timeoutOption(120))
    .action(async (name: string, options: { pending: boolean; patroni: boolean; timeout: number }, command: Command) =>
      runOperation(command, async (progress) =>
        (await operations()).restartSiteInstance(settingsFileOf(command), name, { ...options, progress }),
      ),
    );

  instance
    .command('reload')
    .description('make Patroni re-read its YAML (POST /reload), at its next cycle')
    .argument('<name>', 'instance name')
    .action(async (name: string, _options: unknown, command: Command) =>
      runOperation(command, async () => (await operations()).reloadSiteInstance(settingsFileOf(command), name)),
    );

  instance
    .command('alter')
    .description(
      'change parameters, pg_hba, credentials or REST API addresses: local mode rewrites the YAML (0600) and reloads; dynamic mode uses PATCH /config; says when a restart is needed',
    )
    .argument('<name>', 'instance name')
    .option('--parameter <name=value>', 'set a PostgreSQL parameter (repeatable)', collect, [])
    .option('--reset-parameter <name>', 'remove a PostgreSQL parameter, back to its default (repeatable)', collect, [])
    .option('--hba-add <line>', 'add a pg_hba entry at the end (repeatable)', collect, [])
    .option('--hba-remove <line>', 'remove a pg_hba entry (repeatable)', collect, [])
    .option('--patroni-etcd-username <name>', 'new etcd user of the instance (checked by the pre-flight first)')
    .option(
      '--patroni-etcd-password-file <file>',
      `file (0600) holding the new etcd password (or $${ETCD_PASSWORD_ENV})`,
    )
    .option('--patroni-restapi-authentication-username <name>', 'new REST API basic-auth user')
    .option(
      '--patroni-restapi-authentication-password-file <file>',
      `file (0600) holding the new REST API password (or $${RESTAPI_PASSWORD_ENV})`,
    )
    .option('--remove-patroni-restapi-authentication', 'remove the REST API basic auth', false)
    .option('--patroni-restapi-listen <host:port>', 'new REST API bind address (applied on reload)')
    .option('--patroni-restapi-connect-address <host:port>', 'new REST API address other members use')
    .option(
      '--apply-settings',
      'rewrite the keys that come from the site settings (etcd hosts, protocol and TLS; REST API and ctl TLS; watchdog; use_pg_rewind) from the current settings',
      false,
    )
    .option(
      '--skip-preflight',
      'DANGER: change the etcd credentials without checking them first (loudly reported)',
      false,
    )
    .option('--dry-run', 'show the changes, apply nothing', false)
    .option('--no-wait', "do not wait for Patroni's next cycle to report members with a pending restart")
    .action(async (name: string, options: InstanceAlterRequest, command: Command) =>
      runOperation(command, async (progress) =>
        (await operations()).alterSiteInstance(settingsFileOf(command), name, options, { progress }),
      ),
    );

  instance
    .command('drop')
    .description(
      "stop an instance and remove its files; the last member of a cluster needs --force, which also removes the cluster's keys from etcd",
    )
    .argument('<name>', 'instance name')
    .option('--force', "drop the last member of a cluster too, and remove the cluster's keys from etcd", false)
    .action(async (name: string, options: { force: boolean }, command: Command) =>
      runOperation(command, async (progress) =>
        (await operations()).dropSiteInstance(settingsFileOf(command), name, { force: options.force, progress }),
      ),
    );

  instance
    .command('logs')
    .description(
      "the last lines of an instance's Patroni log (its file, or its systemd journal); --follow to keep printing",
    )
    .argument('<name>', 'instance name')
    .option('-n, --lines <n>', 'how many lines', integerOption(1, 100_000), 50)
    .option('-f, --follow', 'keep printing new lines until Ctrl-C (text output only)', false)
    .action(async (name: string, options: { lines: number; follow: boolean }, command: Command) =>
      runOperation(command, async (output) =>
        (await operations()).showInstanceLogs(settingsFileOf(command), name, {
          lines: options.lines,
          // Following is for a terminal: JSON output gets the last lines only.
          follow:
            options.follow && !output.json
              ? { print: (text) => output.print(text), interruption: ctrlCInterruption }
              : undefined,
        }),
      ),
    );

  instance
    .command('env')
    .description(
      'print shell exports for an instance (PATRONICTL_CONFIG_FILE, PGDATA, PGHOST, PGPORT, PGUSER): eval "$(pgfleet instance env NAME)"',
    )
    .argument('<name>', 'instance name')
    .action(async (name: string, _options: unknown, command: Command) =>
      runOperation(command, async () => (await operations()).showInstanceEnvironment(settingsFileOf(command), name)),
    );

  withSubcommandExamples(instance, 'create', [
    {
      command: 'pgfleet instance create main --patroni-cluster alpha --patroni-node alpha-1',
      description: 'the first member of cluster alpha: bootstraps it (open etcd from the settings)',
    },
    {
      command:
        'pgfleet instance create main --patroni-cluster alpha --patroni-node alpha-2 --patroni-etcd-username patroni-alpha --patroni-etcd-password-file /var/lib/pgfleet/secrets/patroni-alpha.password --replication-password-file /root/alpha-replication.password --superuser-password-file /root/alpha-superuser.password --rewind-password-file /root/alpha-rewind.password',
      description:
        "a second member on another host, with the cluster's etcd tenant and role passwords: joins as a replica",
    },
    {
      command:
        'pgfleet instance create main --patroni-cluster alpha --port 5433 --parameter work_mem=16MB --service systemd',
      description: 'on another port, with a parameter, run by systemd (pgfleet-patroni@main)',
    },
  ]);
  withSubcommandExamples(instance, 'list', [
    {
      command: 'pgfleet instance list',
      description: 'every instance of this host, with its Patroni process, role and state',
    },
    { command: 'pgfleet --output json instance list', description: 'the same as JSON' },
  ]);
  withSubcommandExamples(instance, 'status', [
    {
      command: 'pgfleet instance status main',
      description: 'state, role, timeline, lag, pending restart, pause, and the members of its cluster',
    },
    { command: 'pgfleet --output json instance status main', description: 'the same as JSON' },
  ]);
  withSubcommandExamples(instance, 'start', [
    { command: 'pgfleet instance start main', description: 'start it and wait until its REST API says ready' },
  ]);
  withSubcommandExamples(instance, 'stop', [
    { command: 'pgfleet instance stop main', description: 'stop Patroni and PostgreSQL' },
  ]);
  withSubcommandExamples(instance, 'restart', [
    { command: 'pgfleet instance restart main', description: 'restart PostgreSQL of this member through Patroni' },
    {
      command: 'pgfleet instance restart main --pending',
      description: 'restart every member of the cluster with a pending restart (e.g. after max_connections changed)',
    },
    {
      command: 'pgfleet instance restart main --patroni',
      description: 'restart the Patroni daemon (after an etcd hosts or TLS change)',
    },
  ]);
  withSubcommandExamples(instance, 'reload', [
    { command: 'pgfleet instance reload main', description: 'Patroni re-reads its YAML' },
  ]);
  withSubcommandExamples(instance, 'alter', [
    {
      command:
        'pgfleet instance alter main --parameter work_mem=32MB --hba-add "host app app 10.0.0.0/24 scram-sha-256"',
      description: 'a parameter and a pg_hba entry (YAML + reload, or PATCH /config in dynamic mode)',
    },
    {
      command: 'pgfleet instance alter main --parameter max_connections=200',
      description:
        'a parameter read from the DCS only: PATCH /config, then it reports the members with a pending restart',
    },
    {
      command:
        'pgfleet instance alter main --patroni-etcd-username patroni-alpha --patroni-etcd-password-file /var/lib/pgfleet/secrets/patroni-alpha.password',
      description: 'new etcd credentials, checked by the pre-flight before the YAML changes',
    },
    {
      command: 'pgfleet instance alter main --apply-settings --dry-run',
      description: 'what the current site settings would change (etcd hosts, TLS...), without applying it',
    },
  ]);
  withSubcommandExamples(instance, 'drop', [
    { command: 'pgfleet instance drop main', description: 'drop a member; refused for the last member of its cluster' },
    {
      command: 'pgfleet instance drop main --force',
      description: "drop the last member and remove its cluster's keys from etcd",
    },
  ]);
  withSubcommandExamples(instance, 'logs', [
    { command: 'pgfleet instance logs main --lines 100', description: 'the last 100 lines of its Patroni log' },
    { command: 'pgfleet instance logs main --follow', description: 'keep printing new lines until Ctrl-C' },
  ]);
  withSubcommandExamples(instance, 'env', [
    {
      command: 'eval "$(pgfleet instance env main)"',
      description: 'point patronictl, psql and pg_ctl at instance main in this shell',
    },
    { command: 'pgfleet --output json instance env main', description: 'the variables as JSON' },
  ]);
}
