import type { Command } from 'commander';
import { integerOption, runOperation, siteSettingsOf, terminalConfirmation } from '../command-kit.js';
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
      "per cluster: gates, pause, copy its durable keys to v3, rewrite each member's YAML etcd: → etcd3:, restart Patroni while paused, verify (same leader, same timeline, every member writing), resume, remove its v2 keys; a failure rolls that cluster back to v2. A member whose YAML is on another host is moved there by `etcd v3 migrate --host-only`, when this coordinator asks",
    )
    .argument('[scope...]', 'only these clusters (scope, or namespace/scope)')
    .option('--yes', 'do not ask for confirmation')
    .option(
      '--host-only',
      "this host's part of a move coordinated elsewhere: wait for the coordinator's requests, move (or put back) this host's members when asked, end when its run is over",
    )
    .option(
      '--host-timeout <seconds>',
      "coordinator: how long to wait for each member's host to run its step (no answer: V3_HOSTS_NOT_READY, the cluster rolled back); --host-only: how long to wait for a coordinator (default 300)",
      integerOption(1, 86_400),
    )
    .action(
      async (
        scopes: string[],
        options: { yes?: boolean; hostOnly?: boolean; hostTimeout?: number },
        command: Command,
      ) =>
        runOperation(command, async (progress) =>
          (await operations()).migrateEtcdV3(await siteSettingsOf(command), {
            scopes,
            confirm: terminalConfirmation(options.yes),
            progress,
            hostOnly: options.hostOnly,
            hostTimeoutMs: options.hostTimeout === undefined ? undefined : options.hostTimeout * 1000,
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
      'finish an interrupted migrate run: each cluster caught before its verification back on v2 (YAML, restart while paused, resume, v3 copies removed), one already verified on v3 finished there; members on other hosts are put back by `etcd v3 migrate --host-only` there',
    )
    .option(
      '--host-timeout <seconds>',
      "how long to wait for each member's host to run its step (default 300)",
      integerOption(1, 86_400),
    )
    .action(async (options: { hostTimeout?: number }, command: Command) =>
      runOperation(command, async (progress) =>
        (await operations()).rollbackEtcdV3(await siteSettingsOf(command), {
          progress,
          hostTimeoutMs: options.hostTimeout === undefined ? undefined : options.hostTimeout * 1000,
        }),
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
    {
      command: 'pgfleet etcd v3 migrate --host-only',
      description:
        "on each other member host, while the coordinator's migrate runs: move this host's members when asked",
    },
  ]);
  withSubcommandExamples(v3, 'status', [
    { command: 'pgfleet etcd v3 status', description: 'what is left on v2, and whether a run was interrupted' },
  ]);
  withSubcommandExamples(v3, 'rollback', [
    { command: 'pgfleet etcd v3 rollback', description: 'finish a run whose coordinator was killed' },
  ]);
}
