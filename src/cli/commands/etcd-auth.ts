import type { Command } from 'commander';
import { runOperation, siteSettingsOf, terminalConfirmation } from '../command-kit.js';
import { withSubcommandExamples } from '../command-examples.js';

/**
 * `pgfleet etcd auth status|plan|prepare|apply|enforce|rollback|migrate`: the
 * guarded switch of a live fleet from open etcd to authenticated etcd.
 */
export function registerEtcdAuthCommands(etcd: Command): void {
  const auth = etcd
    .command('auth')
    .description(
      'switch a live fleet from open etcd to authenticated etcd: prepare → apply → enforce, with automatic rollback',
    );

  const operations = () => import('../../migration/etcd-auth/auth-operations.js');

  auth
    .command('status')
    .description(
      "is auth on, token type, etcd version, each member's Patroni version and readiness, and where the migration stands",
    )
    .action(async (_options: unknown, command: Command) =>
      runOperation(command, async () => (await operations()).showEtcdAuthStatus(await siteSettingsOf(command))),
    );

  auth
    .command('plan')
    .description(
      'discover every cluster and member in the DCS, join them with tenancy and local instances, and say per member what the migration will do and what blocks it (exit 1 when something blocks)',
    )
    .action(async (_options: unknown, command: Command) =>
      runOperation(command, async () => (await operations()).showEtcdAuthPlan(await siteSettingsOf(command))),
    );

  auth
    .command('prepare')
    .description(
      'create root and one etcd user and role per cluster found in the DCS, on its prefix only (passwords in 0600 files)',
    )
    .action(async (_options: unknown, command: Command) =>
      runOperation(command, async () => (await operations()).prepareEtcdAuth(await siteSettingsOf(command))),
    );

  auth
    .command('apply')
    .description("write each local member's tenant credentials into its Patroni YAML, reload it, and record it ready")
    .option(
      '--host-only',
      'apply the members of this host and stop there, without reading the rest of the fleet (run this on each host of a fleet spread over hosts)',
    )
    .action(async (options: { hostOnly?: boolean }, command: Command) =>
      runOperation(command, async (progress) =>
        (await operations()).applyEtcdAuth(await siteSettingsOf(command), { hostOnly: options.hostOnly, progress }),
      ),
    );

  auth
    .command('enforce')
    .description(
      'gates, pause every cluster, auth enable, probe every member and tenant, resume; rolls back at the first failed probe',
    )
    .option('--skip-gates', 'DRILL ONLY: go on although gates failed, to watch the probes catch it and roll back')
    .action(async (options: { skipGates?: boolean }, command: Command) =>
      runOperation(command, async (progress) =>
        (await operations()).enforceEtcdAuthFromSettings(await siteSettingsOf(command), {
          skipGates: options.skipGates,
          progress,
        }),
      ),
    );

  auth
    .command('migrate')
    .description(
      'plan, then prepare → apply → enforce in one go, with a confirmation between the plan and the first change; refuses a blocked plan',
    )
    .option('--yes', 'do not ask for confirmation')
    .action(async (options: { yes?: boolean }, command: Command) =>
      runOperation(command, async (progress) =>
        (await operations()).migrateEtcdAuth(await siteSettingsOf(command), {
          confirm: terminalConfirmation(options.yes),
          progress,
        }),
      ),
    );

  auth
    .command('rollback')
    .description('auth disable (as admin) and resume the clusters an enforce run paused; users and roles stay')
    .action(async (_options: unknown, command: Command) =>
      runOperation(command, async (progress) =>
        (await operations()).rollbackEtcdAuthFromSettings(await siteSettingsOf(command), { progress }),
      ),
    );

  auth
    .command('forget')
    .description(
      "drop the readiness record of a member that left its cluster for good: enforce's gates expect every member `apply` recorded and refuse while the DCS does not list one (refused while the DCS lists it)",
    )
    .argument('<member>', 'member id as `etcd auth status` prints it: /<namespace>/<scope>/<member>')
    .action(async (member: string, _options: unknown, command: Command) =>
      runOperation(command, async () =>
        (await operations()).forgetEtcdAuthMember(await siteSettingsOf(command), member),
      ),
    );

  withSubcommandExamples(auth, 'status', [
    {
      command: 'pgfleet etcd auth status',
      description:
        "is auth on, token type, etcd version, each member's Patroni version and readiness, the migration's stage",
    },
    { command: 'pgfleet --output json etcd auth status', description: 'the same as JSON, for a script' },
  ]);
  withSubcommandExamples(auth, 'plan', [
    {
      command: 'pgfleet etcd auth plan',
      description: 'per member: what prepare, apply and enforce will do, and what blocks it; exit 1 when blocked',
    },
    { command: 'pgfleet --output json etcd auth plan', description: 'the same as JSON, for a pipeline gate' },
  ]);
  withSubcommandExamples(auth, 'prepare', [
    {
      command: 'pgfleet etcd auth prepare',
      description: 'root and one user and role per cluster found in the DCS; auth stays off',
    },
  ]);
  withSubcommandExamples(auth, 'apply', [
    {
      command: 'pgfleet etcd auth apply',
      description: "on each host running members: write their tenant's credentials, reload Patroni, record them ready",
    },
  ]);
  withSubcommandExamples(auth, 'enforce', [
    {
      command: 'pgfleet etcd auth enforce',
      description: 'gates, pause, auth enable, probes, resume; rolls back by itself (exit 3) when a probe fails',
    },
    {
      command: 'pgfleet etcd auth enforce --skip-gates',
      description: 'DRILL on a lab: let a member without credentials through the gates and watch the probe roll back',
    },
  ]);
  withSubcommandExamples(auth, 'migrate', [
    { command: 'pgfleet etcd auth migrate', description: 'prepare, apply on this host, enforce, after a confirmation' },
    { command: 'pgfleet etcd auth migrate --yes', description: 'the same without asking (scripts, CI)' },
  ]);
  withSubcommandExamples(auth, 'rollback', [
    {
      command: 'pgfleet etcd auth rollback',
      description: 'auth disable and resume the clusters an interrupted enforce run paused',
    },
  ]);
  withSubcommandExamples(auth, 'forget', [
    {
      command: 'pgfleet etcd auth forget /service/alpha/alpha-3',
      description: "alpha-3's host was retired: enforce stops expecting it in the DCS",
    },
  ]);
}
