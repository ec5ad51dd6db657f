import type { Command } from 'commander';
import { outputFor } from '../program.js';
import { runCommand } from '../run-command.js';
import { withSubcommandExamples } from '../command-examples.js';

/**
 * `pgfleet etcd auth status|plan|prepare|apply|enforce|rollback|migrate`: the
 * guarded switch of a live fleet from open etcd to authenticated etcd.
 */
export function registerEtcdAuthCommands(etcd: Command): void {
  const auth = etcd.command('auth').description('switch a live fleet from open etcd to authenticated etcd: prepare → apply → enforce, with automatic rollback');

  const connect = async (command: Command) => {
    const { loadSiteSettings } = await import('../../adapters/settings/site-settings-file.js');
    const { fleetConnectionFromSettings } = await import('../../migration/etcd-auth/fleet-connection.js');
    const settingsFile = (command.optsWithGlobals() as { settings?: string }).settings;
    return fleetConnectionFromSettings(loadSiteSettings(settingsFile).settings);
  };

  /** Runs `work` with an etcd client holding the admin identity, always closed. */
  const withAdmin = async <T>(connection: Awaited<ReturnType<typeof connect>>, work: (admin: import('../../adapters/etcd/etcd-client.js').EtcdClient) => Promise<T>): Promise<T> => {
    const { withAdminClient } = await import('../../migration/etcd-auth/fleet-connection.js');
    return withAdminClient(connection, work);
  };

  auth
    .command('status')
    .description('is auth on, token type, etcd version, each member\'s Patroni version and readiness, and where the migration stands')
    .action(async (_options: unknown, command: Command) => {
      const output = outputFor(command);
      await runCommand(output, async () => {
        const { etcdAuthStatus } = await import('../../migration/etcd-auth/auth-status.js');
        const { renderAuthStatus } = await import('../../migration/etcd-auth/auth-text.js');
        const status = await etcdAuthStatus(await connect(command));
        output.data(status, () => renderAuthStatus(status));
      });
    });

  auth
    .command('plan')
    .description('discover every cluster and member in the DCS, join them with tenancy and local instances, and say per member what the migration will do and what blocks it (exit 1 when something blocks)')
    .action(async (_options: unknown, command: Command) => {
      const output = outputFor(command);
      await runCommand(output, async () => {
        const { planEtcdAuthMigration } = await import('../../migration/etcd-auth/migration-plan.js');
        const { renderAuthPlan } = await import('../../migration/etcd-auth/auth-text.js');
        const plan = await planEtcdAuthMigration(await connect(command));
        output.data(plan, () => renderAuthPlan(plan));
        return plan.blocked ? 1 : 0;
      });
    });

  auth
    .command('prepare')
    .description('create root and one etcd user and role per cluster found in the DCS, on its prefix only (passwords in 0600 files)')
    .action(async (_options: unknown, command: Command) => {
      const output = outputFor(command);
      await runCommand(output, async () => {
        const { prepareTenants } = await import('../../migration/etcd-auth/prepare-tenants.js');
        const connection = await connect(command);
        const actions = await withAdmin(connection, (admin) => prepareTenants({ admin, adminCredentials: connection.admin, namespaces: connection.namespaces, tenants: connection.tenants }));
        output.data({ actions }, () => (actions.length ? actions.map((a) => `  ${a}`).join('\n') : 'nothing to do: every cluster has its tenant'));
      });
    });

  auth
    .command('apply')
    .description("write each local member's tenant credentials into its Patroni YAML, reload it, and record it ready")
    .option('--host-only', 'apply the members of this host and stop there, without reading the rest of the fleet (run this on each host of a fleet spread over hosts)')
    .action(async (options: { hostOnly?: boolean }, command: Command) => {
      const output = outputFor(command);
      await runCommand(output, async () => {
        const { applyCredentialsLocally } = await import('../../migration/etcd-auth/apply-credentials.js');
        const connection = await connect(command);
        const outcomes = await withAdmin(connection, (admin) => applyCredentialsLocally({ instances: connection.localInstances, tenants: connection.tenants, recordStore: admin, onProgress: (m) => output.step(m) }));
        const applied = outcomes.map((o) => `  ${o.scope}/${o.member}: ${o.status} (${o.detail})`).join('\n') || 'no local member';
        if (options.hostOnly) {
          output.data({ outcomes }, () => applied);
        } else {
          // The coordinator's view: which members elsewhere still lack their readiness record.
          const { planEtcdAuthMigration } = await import('../../migration/etcd-auth/migration-plan.js');
          const { pendingOnOtherHosts } = await import('../../core/migration/auth-plan.js');
          // The members of this host are applied by now: a fleet that cannot be read is a warning, not a failure of apply.
          const pendingElsewhere = await planEtcdAuthMigration(connection).then(pendingOnOtherHosts, (error: unknown) => {
            output.warn(`could not read the rest of the fleet: ${error instanceof Error ? error.message : String(error)} (\`pgfleet etcd auth plan\` shows it)`);
            return [];
          });
          output.data({ outcomes, pendingElsewhere }, () =>
            [applied, ...(pendingElsewhere.length > 0 ? [`${pendingElsewhere.length} member(s) on other hosts are not ready yet:`, ...pendingElsewhere.map((p) => `  ${p.subject}: ${p.message}\n    → ${p.hint}`)] : [])].join('\n'),
          );
        }
        return outcomes.some((o) => o.status !== 'applied') ? 1 : 0;
      });
    });

  const enforceAction = (migrate: boolean) => async (options: { skipGates?: boolean; yes?: boolean }, command: Command) => {
    const output = outputFor(command);
    await runCommand(output, async () => {
      const { enforceEtcdAuth } = await import('../../migration/etcd-auth/enforce-run.js');
      const { renderEnforceReport } = await import('../../migration/etcd-auth/auth-text.js');
      const { PgfleetError, ExitCode } = await import('../../core/errors.js');
      const connection = await connect(command);
      if (migrate) {
        const { planEtcdAuthMigration } = await import('../../migration/etcd-auth/migration-plan.js');
        const { renderAuthPlan } = await import('../../migration/etcd-auth/auth-text.js');
        const { prepareTenants } = await import('../../migration/etcd-auth/prepare-tenants.js');
        const { applyCredentialsLocally } = await import('../../migration/etcd-auth/apply-credentials.js');
        const plan = await planEtcdAuthMigration(connection);
        if (plan.authEnabled) throw new PgfleetError('AUTH_ALREADY_ENABLED', 'etcd authentication is already on: nothing to migrate', { hint: '`pgfleet etcd auth status` shows the fleet; `pgfleet etcd auth rollback` switches it off' });
        output.step(renderAuthPlan(plan));
        if (plan.blocked) {
          throw new PgfleetError('MIGRATE_PLAN_BLOCKED', 'the plan is blocked (see above): nothing was changed', { hint: 'fix each blocker, or run prepare and apply step by step; `pgfleet etcd auth plan` shows it again', exitCode: ExitCode.findings });
        }
        if (!options.yes) {
          const { createInterface } = await import('node:readline/promises');
          if (!process.stdin.isTTY) throw new PgfleetError('CONFIRMATION_NEEDED', 'migrate asks for confirmation and stdin is not a terminal', { hint: 'add --yes to go on without asking' });
          const prompt = createInterface({ input: process.stdin, output: process.stderr });
          const answer = await prompt.question('prepare tenants, apply credentials on this host, then enforce auth on etcd? [y/N] ');
          prompt.close();
          if (!/^y(es)?$/i.test(answer.trim())) return 1;
        }
        const applied = await withAdmin(connection, async (admin) => {
          output.step('prepare: tenants');
          for (const action of await prepareTenants({ admin, adminCredentials: connection.admin, namespaces: connection.namespaces, tenants: connection.tenants })) output.detail(`  ${action}`);
          output.step('apply: credentials on this host');
          return applyCredentialsLocally({ instances: connection.localInstances, tenants: connection.tenants, recordStore: admin, onProgress: (m) => output.detail(`  ${m}`) });
        });
        const failed = applied.filter((outcome) => outcome.status !== 'applied');
        if (failed.length > 0) {
          throw new PgfleetError('MIGRATE_APPLY_FAILED', `apply failed for ${failed.map((o) => `${o.scope}/${o.member} (${o.detail})`).join(', ')}: auth was not enabled`, { hint: 'fix those members and run `pgfleet etcd auth apply`, then `pgfleet etcd auth enforce`', exitCode: ExitCode.failed });
        }
      }
      const report = await enforceEtcdAuth(connection, { skipGates: options.skipGates, onProgress: (m) => output.step(m) });
      output.data(report, () => `${renderEnforceReport(report)}${report.reportFiles ? `\nreport: ${report.reportFiles.text}` : ''}`);
    });
  };

  auth
    .command('enforce')
    .description('gates, pause every cluster, auth enable, probe every member and tenant, resume; rolls back at the first failed probe')
    .option('--skip-gates', 'DRILL ONLY: go on although gates failed, to watch the probes catch it and roll back')
    .action(enforceAction(false));

  auth
    .command('migrate')
    .description('plan, then prepare → apply → enforce in one go, with a confirmation between the plan and the first change; refuses a blocked plan')
    .option('--yes', 'do not ask for confirmation')
    .action(enforceAction(true));

  auth
    .command('rollback')
    .description('auth disable (as admin) and resume the clusters an enforce run paused; users and roles stay')
    .action(async (_options: unknown, command: Command) => {
      const output = outputFor(command);
      await runCommand(output, async () => {
        const { rollbackEtcdAuth } = await import('../../migration/etcd-auth/enforce-run.js');
        const result = await rollbackEtcdAuth(await connect(command), (m) => output.step(m));
        output.data(result, () => (result.steps.length ? result.steps.join('\n') : 'nothing to roll back'));
      });
    });

  withSubcommandExamples(auth, 'status', [
    { command: 'pgfleet etcd auth status', description: "is auth on, token type, etcd version, each member's Patroni version and readiness, the migration's stage" },
    { command: 'pgfleet --output json etcd auth status', description: 'the same as JSON, for a script' },
  ]);
  withSubcommandExamples(auth, 'plan', [
    { command: 'pgfleet etcd auth plan', description: 'per member: what prepare, apply and enforce will do, and what blocks it; exit 1 when blocked' },
    { command: 'pgfleet --output json etcd auth plan', description: 'the same as JSON, for a pipeline gate' },
  ]);
  withSubcommandExamples(auth, 'prepare', [{ command: 'pgfleet etcd auth prepare', description: 'root and one user and role per cluster found in the DCS; auth stays off' }]);
  withSubcommandExamples(auth, 'apply', [{ command: 'pgfleet etcd auth apply', description: "on each host running members: write their tenant's credentials, reload Patroni, record them ready" }]);
  withSubcommandExamples(auth, 'enforce', [
    { command: 'pgfleet etcd auth enforce', description: 'gates, pause, auth enable, probes, resume; rolls back by itself (exit 3) when a probe fails' },
    { command: 'pgfleet etcd auth enforce --skip-gates', description: 'DRILL on a lab: let a member without credentials through the gates and watch the probe roll back' },
  ]);
  withSubcommandExamples(auth, 'migrate', [
    { command: 'pgfleet etcd auth migrate', description: 'prepare, apply on this host, enforce, after a confirmation' },
    { command: 'pgfleet etcd auth migrate --yes', description: 'the same without asking (scripts, CI)' },
  ]);
  withSubcommandExamples(auth, 'rollback', [{ command: 'pgfleet etcd auth rollback', description: 'auth disable and resume the clusters an interrupted enforce run paused' }]);
}
