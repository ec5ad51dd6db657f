import Table from 'cli-table3';
import { type AuthSnapshot, ROOT_ROLE } from '../core/etcd/auth-model.js';
import { formatRange, prefixRange } from '../core/etcd/key-range.js';
import { nameList } from '../core/name-list.js';
import { tenantId } from '../core/tenancy/desired-tenants.js';
import { describeGrant } from '../core/tenancy/declared-clients.js';
import { type TenancyPlan, describeAction } from '../core/tenancy/tenancy-plan.js';
import type { TenantIsolationResult } from '../fleet/tenant-isolation-probe.js';
import type { TenancyApplyReport } from './tenancy-apply.js';
import type { TenancyVerifyReport } from './tenancy-verify.js';

export function renderPlan(plan: TenancyPlan): string {
  const lines = [
    `etcd auth is ${plan.authEnabled ? 'on' : 'off'}; admin user ${plan.admin}; ${plan.tenants.length} tenant(s)`,
  ];
  if (plan.tenants.length > 0) {
    lines.push('tenants:');
    lines.push(
      ...table(
        plan.tenants.map((tenant) => [
          tenantId(tenant),
          `user ${tenant.user}`,
          `role ${tenant.role}`,
          formatRange(prefixRange(tenant.prefix)),
          `(${tenant.sources.join(', ')})`,
        ]),
        '  ',
      ),
    );
  }
  if (plan.clients.length > 0) {
    lines.push('declared clients:');
    lines.push(
      ...table(
        plan.clients.map((client) => [
          client.name,
          client.kind,
          `user ${client.user}`,
          `role ${client.role}`,
          describeGrant(client.grant),
        ]),
        '  ',
      ),
    );
  }
  if (plan.actions.length === 0) lines.push('no change: etcd holds every tenant as desired');
  else
    lines.push(`changes (${plan.actions.length}):`, ...plan.actions.map((action) => `  + ${describeAction(action)}`));
  lines.push(...orphanLines(plan), ...passwordNote(plan));
  return lines.join('\n');
}

export function renderApply(report: TenancyApplyReport): string {
  const lines =
    report.done.length === 0
      ? ['nothing to change: etcd holds every tenant as desired']
      : [`applied ${report.done.length} change(s):`, ...report.done.map((action) => `  + ${describeAction(action)}`)];
  if (report.passwordsSynced.length > 0)
    lines.push(
      `set from their files (auth is off, so they could not be checked): the passwords of ${nameList(report.passwordsSynced)}`,
    );
  lines.push(...orphanLines(report.plan));
  return lines.join('\n');
}

/** Users, roles and their ranges, one row per user and range; roles no user holds at the end. */
export function renderShow(snapshot: AuthSnapshot): string {
  const roles = new Map(snapshot.roles.map((role) => [role.name, role]));
  const rows: string[][] = [];
  const held = new Set<string>();
  const roleRows = (user: string, roleName: string): void => {
    held.add(roleName);
    if (roleName === ROOT_ROLE) return void rows.push([user, roleName, 'all', 'every key, and the auth API']);
    const permissions = roles.get(roleName)?.permissions ?? [];
    if (!roles.has(roleName)) rows.push([user, roleName, '-', '(role does not exist)']);
    else if (permissions.length === 0) rows.push([user, roleName, '-', '(no permission)']);
    for (const permission of permissions)
      rows.push([user, roleName, permission.permType.toLowerCase(), formatRange(permission)]);
  };
  for (const user of [...snapshot.users].sort((a, b) => a.name.localeCompare(b.name))) {
    if (user.roles.length === 0) rows.push([user.name, '-', '-', '(no role)']);
    for (const role of user.roles) roleRows(user.name, role);
  }
  for (const role of [...snapshot.roles].sort((a, b) => a.name.localeCompare(b.name)))
    if (!held.has(role.name)) roleRows('-', role.name);
  const header = `etcd auth is ${snapshot.authEnabled ? 'on' : 'off'}; ${snapshot.users.length} user(s), ${snapshot.roles.length} role(s)`;
  if (rows.length === 0)
    return `${header}\nno user and no role yet: \`pgfleet etcd tenants plan\` shows what apply would create`;
  return [header, ...table([['USER', 'ROLE', 'PERMISSION', 'RANGE'], ...rows], '')].join('\n');
}

export function renderVerify(report: TenancyVerifyReport): string {
  const lines = [
    `static check over the role ranges (${report.tenants.length} tenant(s)): ${report.findings.length === 0 ? 'no finding' : `${report.findings.length} finding(s)`}`,
  ];
  for (const finding of report.findings) lines.push(`  ✗ [${finding.kind}] ${finding.message}`);
  if (report.live === null) lines.push(`live proof: not run: ${report.liveSkipped ?? ''}`);
  else {
    lines.push('live proof, each tenant with its own credentials:');
    for (const result of report.live) lines.push(`  ${result.ok ? 'ok  ' : 'FAIL'}  ${liveLine(result)}`);
  }
  if (report.isolated)
    lines.push(
      report.live === null
        ? 'static check passed (live proof not asked for)'
        : 'isolated: every tenant reads and writes its own prefix, and only it',
    );
  else if (report.live === null && report.findings.length === 0 && !report.authEnabled)
    lines.push('static check passed; isolation is not proven until the live proof runs with auth on');
  else lines.push('NOT isolated: see above');
  return lines.join('\n');
}

function liveLine(result: TenantIsolationResult): string {
  const head = `${result.tenant} (${result.user}):`;
  if (!result.ownPrefix.ok)
    return `${head} ${result.ownPrefix.detail}${result.errors.length > 0 ? ` (${result.errors.join('; ')})` : ''}`;
  const parts = [`reads and writes ${result.tenant}/`];
  if (result.deniedIn.length > 0 || result.outsideDenied)
    parts.push(
      `denied in ${[...(result.deniedIn.length > 0 ? [nameList(result.deniedIn)] : []), ...(result.outsideDenied ? ['outside every prefix'] : [])].join(' and ')}`,
    );
  if (result.breaches.length > 0)
    parts.push(`NOT denied: ${result.breaches.map((breach) => `${breach.op} ${breach.key}`).join(', ')}`);
  if (result.errors.length > 0) parts.push(`could not probe: ${result.errors.join('; ')}`);
  return `${head} ${parts.join('; ')}`;
}

function orphanLines(plan: TenancyPlan): string[] {
  const kept = !plan.actions.some((action) => action.kind === 'delete-user' || action.kind === 'delete-role');
  if (!kept || (plan.orphans.users.length === 0 && plan.orphans.roles.length === 0)) return [];
  const parts = [
    ...(plan.orphans.users.length > 0 ? [`user(s) ${nameList(plan.orphans.users)}`] : []),
    ...(plan.orphans.roles.length > 0 ? [`role(s) ${nameList(plan.orphans.roles)}`] : []),
  ];
  return [`orphans (named like tenants, no cluster uses them), kept without --prune: ${parts.join('; ')}`];
}

function passwordNote(plan: TenancyPlan): string[] {
  if (plan.unverifiedPasswords.length === 0) return [];
  return [
    `note: etcd auth is off, so the passwords of ${plan.unverifiedPasswords.length} existing user(s) cannot be checked; apply sets them from their files`,
  ];
}

/** Borderless, left-aligned columns. */
function table(rows: string[][], indent: string): string[] {
  const rendered = new Table({
    chars: {
      top: '',
      'top-mid': '',
      'top-left': '',
      'top-right': '',
      bottom: '',
      'bottom-mid': '',
      'bottom-left': '',
      'bottom-right': '',
      left: '',
      'left-mid': '',
      mid: '',
      'mid-mid': '',
      right: '',
      'right-mid': '',
      middle: '  ',
    },
    style: { head: [], border: [], 'padding-left': 0, 'padding-right': 0 },
  });
  rendered.push(...rows);
  return rendered
    .toString()
    .split('\n')
    .map((line) => `${indent}${line.trimEnd()}`);
}
