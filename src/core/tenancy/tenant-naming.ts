import { PgfleetError } from '../errors.js';

const SCOPE = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
/** etcd accepts any name; pgfleet also uses it as a file name (`<user>.password`). */
const NAME = /^[A-Za-z0-9][A-Za-z0-9_.@-]*$/;

/** Why a name cannot be used, and what to do about it. */
export interface NamingProblem {
  message: string;
  hint: string;
}

/**
 * Why a scope cannot be isolated, if it cannot: empty (the role would cover
 * the whole namespace) or with a "/" (its prefix would nest inside another
 * cluster's). The message starts with what is wrong, without saying where.
 */
export function scopeProblem(scope: string): NamingProblem | undefined {
  if (scope.length === 0) {
    return {
      message: 'empty cluster scope: its prefix would be the whole namespace',
      hint: 'give the cluster a scope; a DCS key such as /service//members/x comes from a Patroni configured without one',
    };
  }
  if (scope.includes('/')) {
    return {
      message: `scope "${scope}" contains "/": its prefix would nest inside another cluster's and could not be isolated`,
      hint: 'rename the cluster; if the part before the "/" is a namespace of its own, add it to tenancy.namespaces in the settings',
    };
  }
  if (!SCOPE.test(scope)) {
    return {
      message: `scope "${scope}" cannot name a tenant: expected letters, digits, ".", "_" or "-"`,
      hint: 'rename the cluster or list it in the tenants file with an explicit user name',
    };
  }
  return undefined;
}

/** Why an etcd user or role name is not usable by pgfleet (also a file name), if it is not. */
export function nameProblem(name: string, what: 'user' | 'role'): NamingProblem | undefined {
  if (NAME.test(name)) return undefined;
  return {
    message: `${what} name "${name}" is not usable: expected letters, digits, ".", "_", "@" or "-", starting with a letter or digit`,
    hint: `choose another ${what} name`,
  };
}

/** Refuses a scope that cannot be isolated. `origin` says where it came from (DCS key, file:line). */
export function checkScope(scope: string, origin?: string): void {
  const problem = scopeProblem(scope);
  if (problem) throw new PgfleetError('TENANT_BAD_SCOPE', withOrigin(problem.message, origin), { hint: problem.hint });
}

/** Refuses an etcd user or role name pgfleet could not also use as a file name. */
export function checkTenantName(name: string, what: 'user' | 'role', origin?: string): void {
  const problem = nameProblem(name, what);
  if (problem) throw new PgfleetError('TENANT_BAD_NAME', withOrigin(problem.message, origin), { hint: problem.hint });
}

/** The etcd user or role name of a cluster's tenant, from a format such as `patroni-{scope}`. */
export function tenantName(format: string, scope: string, origin?: string): string {
  checkScope(scope, origin);
  return format.replaceAll('{scope}', scope);
}

/**
 * Recognises names a format produces (`patroni-{scope}` → `patroni-alpha`):
 * how orphans (users and roles of clusters that are gone) are told apart
 * from users pgfleet did not create.
 */
export function namePattern(format: string): RegExp {
  const [before, ...rest] = format.split('{scope}');
  const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(
    `^${escape(before ?? '')}${rest.map((part) => `[A-Za-z0-9][A-Za-z0-9_.-]*${escape(part)}`).join('')}$`,
  );
}

function withOrigin(message: string, origin: string | undefined): string {
  return origin ? `${origin}: ${message}` : message;
}
