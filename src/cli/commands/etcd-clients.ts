import type { Command } from 'commander';
import { runOperation, siteSettingsOf } from '../command-kit.js';
import { withSubcommandExamples } from '../command-examples.js';

/**
 * `pgfleet etcd clients list|ready`: the etcd clients that are not Patroni
 * (vip-manager, monitoring, an admin host's patronictl, confd), declared in
 * the tenants file, each with its own user and role; enforce requires each
 * to be acknowledged ready and proves it once auth is on.
 */
export function registerEtcdClientsCommands(etcd: Command): void {
  const clients = etcd
    .command('clients')
    .description(
      'etcd clients that are not Patroni (vip-manager, monitoring, patronictl, confd), declared in the tenants file: each has its own user and role; enforce requires them ready',
    );
  const operations = () => import('../../tenancy/index.js');

  clients
    .command('list')
    .description('the declared clients: kind, etcd user, grant, password file, and whether each was acknowledged ready')
    .action(async (_options: unknown, command: Command) =>
      runOperation(command, async () => (await operations()).listDeclaredClients(await siteSettingsOf(command))),
    );

  clients
    .command('ready')
    .description(
      "record in etcd that a declared client is configured with its own user and its password file's password: enforce requires it (refused while its user, role or grant is not as declared)",
    )
    .argument('<name>', 'the client, as named in the tenants file')
    .action(async (name: string, _options: unknown, command: Command) =>
      runOperation(command, async () => (await operations()).markClientReady(await siteSettingsOf(command), name)),
    );

  withSubcommandExamples(clients, 'list', [
    { command: 'pgfleet etcd clients list', description: 'each declared client, its grant, and whether it is ready' },
  ]);
  withSubcommandExamples(clients, 'ready', [
    {
      command: 'pgfleet etcd clients ready vip-alpha',
      description:
        'after configuring vip-manager with user vip-alpha and the password of its 0600 file: the gates require it',
    },
  ]);
}
