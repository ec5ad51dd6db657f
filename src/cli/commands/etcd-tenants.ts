import type { Command } from 'commander';
import { integerOption, runOperation, siteSettingsOf } from '../command-kit.js';
import { withSubcommandExamples } from '../command-examples.js';
import { registerTenantRotateCommand } from './etcd-tenants-rotate.js';

interface TargetOptions {
  secretsDir?: string;
  tenantsFile?: string;
}

/**
 * `pgfleet etcd tenants plan|apply|show|verify`: one etcd user and role per
 * Patroni cluster on the shared etcd, on that cluster's prefix only.
 */
export function registerEtcdTenantsCommands(etcd: Command): void {
  const tenants = etcd
    .command('tenants')
    .description(
      'one etcd user and role per Patroni cluster, on its own prefix only: plan, apply, show, verify the isolation',
    );

  const operations = () => import('../../tenancy/tenancy-operations.js');

  const targetOptions = (command: Command): Command =>
    command
      .option(
        '--secrets-dir <dir>',
        "directory of the tenants' password files, one 0600 file per user (default: tenancy.secrets_dir, else <prefix>/secrets)",
      )
      .option(
        '--tenants-file <file>',
        'YAML file listing extra tenants or overriding their names (default: tenancy.tenants_file)',
      );

  targetOptions(
    tenants
      .command('plan')
      .description(
        'compare the desired tenants (managed clusters, clusters in the DCS, tenants file) with etcd and print the changes; exit 1 when changes are pending',
      )
      .option('--prune', 'also plan to delete orphan users and roles (named like tenants, no cluster uses them)'),
  ).action(async (options: TargetOptions & { prune?: boolean }, command: Command) =>
    runOperation(command, async () => (await operations()).planEtcdTenants(await siteSettingsOf(command), options)),
  );

  targetOptions(
    tenants
      .command('apply')
      .description(
        'carry the plan out, idempotently: admin user first, then each tenant; new passwords go to 0600 files, existing files are reused, nothing is printed',
      )
      .option('--prune', 'also delete orphan users and roles')
      .option(
        '--reset-missing-passwords',
        'with auth on, set new passwords on existing users that have no password file here (their members must then get the new files)',
      ),
  ).action(async (options: TargetOptions & { prune?: boolean; resetMissingPasswords?: boolean }, command: Command) =>
    runOperation(command, async (progress) =>
      (await operations()).applyEtcdTenants(await siteSettingsOf(command), { ...options, progress }),
    ),
  );

  tenants
    .command('show')
    .description("etcd's users, roles and their ranges as a table, ranges decoded ([/service/alpha/, /service/alpha0))")
    .action(async (_options: unknown, command: Command) =>
      runOperation(command, async () => (await operations()).showEtcdTenants(await siteSettingsOf(command))),
    );

  targetOptions(
    tenants
      .command('verify')
      .description(
        'prove the isolation: a static check over every role range, then, with auth on, each tenant with its own credentials uses its prefix and is denied in every other one and outside; exit 1 unless proven',
      )
      .option('--concurrency <n>', 'tenants probed at once', integerOption(1, 64), 8)
      .option(
        '--static-only',
        'only the static check over the role ranges (exit 0 when it finds nothing, even with auth off)',
      ),
  ).action(async (options: TargetOptions & { concurrency: number; staticOnly?: boolean }, command: Command) =>
    runOperation(command, async () => (await operations()).verifyEtcdTenants(await siteSettingsOf(command), options)),
  );

  registerTenantRotateCommand(tenants);

  withSubcommandExamples(tenants, 'plan', [
    { command: 'pgfleet etcd tenants plan', description: 'what apply would change; exit 1 when something is pending' },
    {
      command: 'pgfleet --output json etcd tenants plan --prune',
      description: 'the same as JSON, orphan users and roles included',
    },
  ]);
  withSubcommandExamples(tenants, 'apply', [
    {
      command: 'pgfleet etcd tenants apply',
      description: 'create root and every missing tenant; a second run changes nothing',
    },
    {
      command: 'pgfleet etcd tenants apply --tenants-file ./tenants.yaml --secrets-dir /var/lib/pgfleet/secrets',
      description: 'with an explicit tenants file and secrets directory',
    },
  ]);
  withSubcommandExamples(tenants, 'show', [
    { command: 'pgfleet etcd tenants show', description: 'users, roles and decoded ranges as a table' },
    { command: 'pgfleet --output json etcd tenants show', description: 'the same as JSON' },
  ]);
  withSubcommandExamples(tenants, 'verify', [
    {
      command: 'pgfleet etcd tenants verify',
      description: "static check, then the live proof with each tenant's own credentials (needs auth on)",
    },
    {
      command: 'pgfleet etcd tenants verify --static-only',
      description:
        'before auth is enabled: overlaps, missing trailing slashes, whole-keyspace ranges, tenants holding root',
    },
  ]);
}
