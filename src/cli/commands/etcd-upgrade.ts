import type { Command } from 'commander';
import { runOperation, siteSettingsOf } from '../command-kit.js';
import { withSubcommandExamples } from '../command-examples.js';

/** `pgfleet etcd upgrade check --to VERSION`: would this etcd release break a member of the fleet, with the credentials it has now? */
export function registerEtcdUpgradeCommands(etcd: Command): void {
  const upgrade = etcd
    .command('upgrade')
    .description('judge an etcd upgrade against the compatibility matrix of Patroni × etcd × token type, per member');
  upgrade
    .command('check')
    .description(
      'would upgrading the etcd members to VERSION break any member of this fleet with the credentials it has now? Per member: verdict, reason, citation (exit 1 when one would break)',
    )
    .requiredOption('--to <version>', 'the etcd release the members would run, e.g. 3.4.41')
    .action(async (options: { to: string }, command: Command) =>
      runOperation(command, async () =>
        (await import('../../migration/etcd-auth/auth-operations.js')).checkEtcdUpgradeFromSettings(
          await siteSettingsOf(command),
          options.to,
        ),
      ),
    );
  withSubcommandExamples(upgrade, 'check', [
    {
      command: 'pgfleet etcd upgrade check --to 3.4.42',
      description: 'per member: safe, degraded, unsafe or unknown, with the upstream issue or release note behind it',
    },
    {
      command: 'pgfleet --output json etcd upgrade check --to 3.6.10',
      description: 'the same as JSON, for a pipeline gate',
    },
  ]);
}
