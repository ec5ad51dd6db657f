import type { Command } from 'commander';
import { integerOption, runOperation, siteSettingsOf } from '../command-kit.js';
import { withArgumentHelp, withSubcommandExamples } from '../command-examples.js';

/** `pgfleet cluster switchover`: cluster-wide operations through the REST API, with the credentials of the members' YAML. */
export function registerClusterCommands(program: Command): void {
  const cluster = program
    .command('cluster')
    .description(
      'operations on a whole Patroni cluster through its REST API (TLS, client certificate and basic auth as configured)',
    );

  const switchover = cluster
    .command('switchover <scope>')
    .description(
      'planned switchover: POST /switchover to the leader with the credentials of a member on this host, then wait until the new leader runs',
    )
    .option('--candidate <node>', 'the member to promote (default: Patroni chooses the healthiest replica)')
    .option('--timeout <seconds>', 'how long to wait for the cluster to settle', integerOption(10, 3600), 120)
    .action(async (scope: string, options: { candidate?: string; timeout: number }, command: Command) =>
      runOperation(command, async (progress) =>
        (await import('../../cluster/cluster-operations.js')).switchoverClusterFromSettings(
          await siteSettingsOf(command),
          { scope, candidate: options.candidate, timeoutMs: options.timeout * 1000, progress },
        ),
      ),
    );
  withArgumentHelp(switchover, { scope: 'the Patroni cluster (scope); a member of it must be managed on this host' });

  withSubcommandExamples(cluster, 'switchover', [
    {
      command: 'pgfleet cluster switchover alpha',
      description: 'hand the leader role of alpha to its healthiest replica',
    },
    { command: 'pgfleet cluster switchover alpha --candidate alpha-2', description: 'promote alpha-2' },
  ]);
}
