import type { Command } from 'commander';
import { runOperation, siteSettingsOf, terminalConfirmation } from '../command-kit.js';
import { withSubcommandExamples } from '../command-examples.js';

/**
 * `pgfleet etcd v3 plan|migrate|status|rollback`: move live Patroni clusters
 * from etcd's v2 API (the `etcd:` section) to v3 (`etcd3:`), cluster by
 * cluster, before etcd 3.6 removes v2.
 */
export function registerEtcdV3Commands(etcd: Command): void {
  const v3 = etcd
    .command('v3')
    .description(
      "move live clusters from etcd's v2 API (etcd: section) to v3 (etcd3:), one cluster at a time, guarded, with automatic rollback",
    );

  const operations = () => import('../../migration/etcd-v3/v3-operations.js');

  v3.command('plan')
    .description(
      'each cluster still on the v2 API: its members, the keys that will be copied, and what refuses its move (exit 1 when a cluster is refused)',
    )
    .argument('[scope...]', 'only these clusters (scope, or namespace/scope)')
    .action(async (scopes: string[], _options: unknown, command: Command) =>
      runOperation(command, async () => (await operations()).showEtcdV3Plan(await siteSettingsOf(command), { scopes })),
    );

  v3.command('migrate')
    .description(
      "per cluster: gates, pause, copy its durable keys to v3, rewrite each member's YAML etcd: → etcd3:, restart Patroni while paused, verify (same leader, same timeline, every member writing), resume, remove its v2 keys; a failure rolls that cluster back to v2",
    )
    .argument('[scope...]', 'only these clusters (scope, or namespace/scope)')
    .option('--yes', 'do not ask for confirmation')
    .action(async (scopes: string[], options: { yes?: boolean }, command: Command) =>
      runOperation(command, async (progress) =>
        (await operations()).migrateEtcdV3(await siteSettingsOf(command), {
          scopes,
          confirm: terminalConfirmation(options.yes),
          progress,
        }),
      ),
    );

  v3.command('status')
    .description(
      'clusters still on the v2 API, members of this host on the etcd: section, and the last migrate run (exit 1 when it was interrupted)',
    )
    .action(async (_options: unknown, command: Command) =>
      runOperation(command, async () => (await operations()).showEtcdV3Status(await siteSettingsOf(command))),
    );

  v3.command('rollback')
    .description(
      'finish an interrupted migrate run: each cluster caught before its verification back on v2 (YAML, restart while paused, resume, v3 copies removed), one already verified on v3 finished there',
    )
    .action(async (_options: unknown, command: Command) =>
      runOperation(command, async (progress) =>
        (await operations()).rollbackEtcdV3(await siteSettingsOf(command), { progress }),
      ),
    );

  withSubcommandExamples(v3, 'plan', [
    { command: 'pgfleet etcd v3 plan', description: 'every cluster on the v2 API, and what would refuse its move' },
    { command: 'pgfleet --output json etcd v3 plan alpha', description: 'one cluster, as JSON' },
  ]);
  withSubcommandExamples(v3, 'migrate', [
    {
      command: 'pgfleet etcd v3 migrate',
      description: 'move every cluster that passes its gates, after a confirmation',
    },
    { command: 'pgfleet etcd v3 migrate alpha --yes', description: 'move one cluster without asking' },
  ]);
  withSubcommandExamples(v3, 'status', [
    { command: 'pgfleet etcd v3 status', description: 'what is left on v2, and whether a run was interrupted' },
  ]);
  withSubcommandExamples(v3, 'rollback', [
    { command: 'pgfleet etcd v3 rollback', description: 'finish a run whose coordinator was killed' },
  ]);
}
