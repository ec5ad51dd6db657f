import { mapWithConcurrency } from '../core/bounded-concurrency.js';
import { ExitCode, PgfleetError, describeError } from '../core/errors.js';
import type { Secret } from '../core/secret.js';
import { type TenancyAction, type TenancyPlan, describeAction } from '../core/tenancy/tenancy-plan.js';
import { EtcdAuthApi } from '../adapters/etcd/auth-api.js';
import type { EtcdClient } from '../adapters/etcd/etcd-client.js';
import { EtcdError } from '../adapters/etcd/etcd-error.js';
import { generatePassword, readSecretFile, writeSecretFile } from '../adapters/fs/secret-file.js';
import { existingFiles, prepareSecretsDirectory } from './secrets-directory.js';
import { planTenancyFromEtcd } from './tenancy-state.js';
import type { TenancyTarget } from './tenancy-target.js';

/** Tenants set up at once by apply (each tenant's own actions stay in order). */
export const APPLY_CONCURRENCY = 8;

/**
 * etcd 3.4 hashes a new password with bcrypt inside its apply loop, on every
 * member (hashing moved to the API layer only in 3.5, etcd#11943): each user
 * add or password change stalls every write behind it for one bcrypt. Sent
 * together, they stall the keyspace for all of them in a row, and under load
 * for longer than Patroni's retry_timeout (every leader demotes: measured at
 * 30 clusters on a loaded 2-core machine). One at a time, other writes
 * interleave; roles and grants, which hash nothing, still go in parallel.
 */
function oneAtATime(): <T>(work: () => Promise<T>) => Promise<T> {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(work: () => Promise<T>): Promise<T> => {
    const next = tail.then(work, work);
    tail = next.catch(() => undefined);
    return next;
  };
}

export interface TenancyApplyOptions {
  /** Also delete orphan users and roles. */
  prune?: boolean | undefined;
  /** Set new passwords on existing users that have no password file here, although auth is on. */
  resetMissingPasswords?: boolean | undefined;
  /** Called after each action is done (for progress; never given a secret). */
  onAction?: ((action: TenancyAction) => void) | undefined;
}

export interface TenancyApplyReport {
  plan: TenancyPlan;
  done: TenancyAction[];
  /** Existing users whose password was set from its file because auth is off and it could not be checked. */
  passwordsSynced: string[];
}

/** `etcd tenants apply`: plan, then carry the plan out. A second run plans nothing. */
export async function applyTenancy(
  target: TenancyTarget,
  admin: EtcdClient,
  options: TenancyApplyOptions = {},
): Promise<TenancyApplyReport> {
  const plan = await planTenancyFromEtcd(target, admin, { prune: options.prune });
  return applyTenancyPlan(plan, target, admin, options);
}

/**
 * Carries a plan out: the admin identity first (etcd needs root before auth
 * can be enabled), then each tenant's actions in order, tenants side by
 * side, then the prunes. Generated passwords go to their 0600 file before
 * etcd gets them; an existing file is reused. With auth off, existing users'
 * passwords are set from their files (they cannot be checked, and nothing
 * holds a token). Refuses, before any change, to reset with auth on the
 * password of a user whose file is missing here.
 */
export async function applyTenancyPlan(
  plan: TenancyPlan,
  target: TenancyTarget,
  admin: EtcdClient,
  options: TenancyApplyOptions = {},
): Promise<TenancyApplyReport> {
  const directory = target.directory;
  const resets = plan.actions.filter((action) => action.kind === 'set-password' && action.disruptive);
  if (resets.length > 0 && !options.resetMissingPasswords) {
    const users = resets.map((action) => (action as { user: string }).user);
    throw new PgfleetError(
      'TENANCY_PASSWORD_RESET_REFUSED',
      `etcd auth is on and user(s) ${users.join(', ')} have no password file in ${directory.secretsDir}: new passwords would cut their clusters' members off the DCS; nothing was changed`,
      {
        hint: `copy their password files (0600) from the host that created them into ${directory.secretsDir}, or run apply --reset-missing-passwords and then \`pgfleet etcd auth apply\` on every host running their members`,
      },
    );
  }
  if (plan.actions.length === 0 && plan.unverifiedPasswords.length === 0)
    return { plan, done: [], passwordsSynced: [] };
  await prepareSecretsDirectory(directory.secretsDir);

  const auth = new EtcdAuthApi(admin);
  const done: TenancyAction[] = [];
  const passwordOf = async (user: string, mayGenerate: boolean): Promise<Secret> => {
    const file = directory.passwordFile(user);
    if (!mayGenerate || (await existingFiles([file])).has(file))
      return readSecretFile(file, `password of etcd user ${user}`);
    const fresh = generatePassword();
    await writeSecretFile(file, fresh);
    return fresh;
  };
  const stopped = (what: string, error: unknown): PgfleetError =>
    new PgfleetError('TENANCY_APPLY_FAILED', `apply stopped at "${what}": ${describeError(error)}`, {
      exitCode: ExitCode.failed,
      hint: `${done.length} of ${plan.actions.length} change(s) were made; \`pgfleet etcd tenants plan\` shows what remains, and apply again finishes it (apply is idempotent)`,
      cause: error,
    });
  const run = async (action: TenancyAction): Promise<void> => {
    try {
      await perform(action).catch(async (error: unknown) => {
        if (!alreadyDone(action, error)) throw error;
        // A request retried on another endpoint after a timeout may have been carried out the first time.
        if (action.kind === 'create-user')
          await auth.changePassword(
            action.user,
            action.password === 'admin' ? target.access.admin.password : await passwordOf(action.user, false),
          );
      });
    } catch (error) {
      throw stopped(describeAction(action), error);
    }
    done.push(action);
    options.onAction?.(action);
  };
  const passwordWrite = oneAtATime();
  const perform = async (action: TenancyAction): Promise<void> => {
    switch (action.kind) {
      case 'create-user': {
        const password =
          action.password === 'admin'
            ? target.access.admin.password
            : await passwordOf(action.user, action.password === 'generated');
        return passwordWrite(() => auth.addUser(action.user, password));
      }
      case 'set-password': {
        const password = await passwordOf(action.user, action.reason === 'file-missing');
        return passwordWrite(() => auth.changePassword(action.user, password));
      }
      case 'grant-role':
        return auth.grantRole(action.user, action.role);
      case 'revoke-role':
        return auth.revokeRole(action.user, action.role);
      case 'create-role':
        return auth.addRole(action.role);
      case 'grant-permission':
        return auth.grantPermission(action.role, action.permission);
      case 'revoke-permission':
        return auth.revokePermission(action.role, action.permission);
      case 'delete-user':
        return auth.deleteUser(action.user);
      case 'delete-role':
        return auth.deleteRole(action.role);
    }
  };

  const first = plan.actions.filter(
    (action) =>
      !('tenant' in action && action.tenant) && action.kind !== 'delete-user' && action.kind !== 'delete-role',
  );
  const byTenant = new Map<string, TenancyAction[]>();
  for (const action of plan.actions) {
    if ('tenant' in action && action.tenant)
      byTenant.set(action.tenant, [...(byTenant.get(action.tenant) ?? []), action]);
  }
  const prunes = plan.actions.filter((action) => action.kind === 'delete-user' || action.kind === 'delete-role');

  for (const action of first) await run(action);
  await mapWithConcurrency([...byTenant.values()], APPLY_CONCURRENCY, async (actions) => {
    for (const action of actions) await run(action);
  });
  for (const action of prunes) await run(action);

  const passwordsSynced: string[] = [];
  await mapWithConcurrency(plan.unverifiedPasswords, APPLY_CONCURRENCY, async (user) => {
    try {
      const password = await passwordOf(user, false);
      await passwordWrite(() => auth.changePassword(user, password));
    } catch (error) {
      throw stopped(`set the password of user ${user} from its file`, error);
    }
    passwordsSynced.push(user);
  });
  const made = new Set(done);
  return { plan, done: plan.actions.filter((action) => made.has(action)), passwordsSynced: passwordsSynced.sort() };
}

/** etcd's answer when the change is already in place (a retried request, or someone quicker). */
function alreadyDone(action: TenancyAction, error: unknown): boolean {
  if (!(error instanceof EtcdError)) return false;
  switch (action.kind) {
    case 'create-user':
      return error.kind === 'user-exists';
    case 'create-role':
      return error.kind === 'role-exists';
    case 'delete-user':
      return error.kind === 'user-not-found';
    case 'delete-role':
      return error.kind === 'role-not-found';
    case 'revoke-permission':
      return /permission is not granted/i.test(error.message);
    case 'revoke-role':
      return /role is not granted/i.test(error.message);
    default:
      return false;
  }
}
