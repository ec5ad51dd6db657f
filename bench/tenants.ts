/**
 * bench/tenants: how long tenancy takes.
 * - plan and static isolation check for 1,000 synthetic tenants (pure, no I/O):
 *   the plan from an empty etcd, the plan of a converged etcd, the check of a
 *   clean etcd and of one with a too-wide grant;
 * - on a lab-shaped etcd (3 members on loopback, as `lab up` starts them):
 *   `tenants apply` for 10 and 50 clusters found in the DCS, the no-op second
 *   apply, and the live `tenants verify` once auth is on.
 * Prints figures; asserts nothing.
 * Usage: node --import tsx bench/tenants.ts [runs] [etcd members]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { AuthSnapshot } from '../src/core/etcd/auth-model.js';
import { prefixRange } from '../src/core/etcd/key-range.js';
import { labEtcdEndpoints, labPortCount, planLabTopology } from '../src/core/lab/lab-topology.js';
import { Secret } from '../src/core/secret.js';
import { type TenantNaming, desiredTenants } from '../src/core/tenancy/desired-tenants.js';
import { checkIsolation } from '../src/core/tenancy/isolation-check.js';
import { planTenancy } from '../src/core/tenancy/tenancy-plan.js';
import type { Tenant } from '../src/core/tenancy/tenant.js';
import { EtcdAuthApi } from '../src/adapters/etcd/auth-api.js';
import { EtcdClient } from '../src/adapters/etcd/etcd-client.js';
import { findFreePortRange } from '../src/adapters/process/port-probe.js';
import { stopProcess } from '../src/adapters/process/daemon.js';
import { type StartedEtcdMember, startEtcdMembers, waitForEtcdHealthy } from '../src/lab/etcd-cluster.js';
import { SettingsTenantDirectory } from '../src/fleet/settings-tenant-directory.js';
import { applyTenancy } from '../src/tenancy/tenancy-apply.js';
import type { TenancyTarget } from '../src/tenancy/tenancy-target.js';
import { verifyTenancy } from '../src/tenancy/tenancy-verify.js';

const runs = Number(process.argv[2] ?? 5);
const etcdMembers = Number(process.argv[3] ?? 3);
const naming: TenantNaming = {
  userFormat: 'patroni-{scope}',
  roleFormat: 'patroni-{scope}',
  defaultNamespace: '/service/',
  adminUser: 'root',
};

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};
const timed = <T>(work: () => T): { value: T; ms: number } => {
  const started = performance.now();
  const value = work();
  return { value, ms: performance.now() - started };
};
const ms = (value: number): string => `${value.toFixed(value < 10 ? 2 : 0)} ms`;

// ---- Pure: 1,000 synthetic tenants ----
const discovered = Array.from({ length: 1000 }, (_, index) => ({
  namespace: '/service/',
  scope: `cluster-${index}`,
  origin: `/service/cluster-${index}/members/n1`,
}));
/** What etcd holds once every tenant is in place: one user and one role with the exact grant each. */
const converged = (tenants: Tenant[]): AuthSnapshot => ({
  authEnabled: true,
  users: [{ name: 'root', roles: ['root'] }, ...tenants.map((tenant) => ({ name: tenant.user, roles: [tenant.role] }))],
  roles: tenants.map((tenant) => ({
    name: tenant.role,
    permissions: [{ ...prefixRange(tenant.prefix), permType: 'READWRITE' as const }],
  })),
});
const figures = {
  desired: [] as number[],
  planEmpty: [] as number[],
  planConverged: [] as number[],
  checkClean: [] as number[],
  checkWide: [] as number[],
};
let counts = { actions: 0, pending: 0, findings: 0 };
for (let run = 0; run < Math.max(runs, 3); run += 1) {
  const desired = timed(() => desiredTenants({ managed: [], discovered, listed: [] }, naming));
  const tenants = desired.value;
  const actual = converged(tenants);
  const users = new Set(actual.users.map((user) => user.name));
  const empty = timed(() =>
    planTenancy({
      tenants,
      actual: { authEnabled: false, users: [], roles: [] },
      naming,
      passwords: { withFile: new Set(), rejected: new Set() },
      prune: false,
    }),
  );
  const again = timed(() =>
    planTenancy({ tenants, actual, naming, passwords: { withFile: users, rejected: new Set() }, prune: true }),
  );
  const clean = timed(() => checkIsolation(tenants, actual));
  const drifted: AuthSnapshot = {
    ...actual,
    roles: actual.roles.map((role, index) =>
      index % 100 === 1
        ? {
            ...role,
            permissions: [
              ...role.permissions,
              { ...prefixRange(`/service/cluster-${index}`), permType: 'READWRITE' as const },
            ],
          }
        : role,
    ),
  };
  const wide = timed(() => checkIsolation(tenants, drifted));
  figures.desired.push(desired.ms);
  figures.planEmpty.push(empty.ms);
  figures.planConverged.push(again.ms);
  figures.checkClean.push(clean.ms);
  figures.checkWide.push(wide.ms);
  counts = {
    actions: empty.value.actions.length,
    pending: again.value.actions.length + clean.value.length,
    findings: wide.value.length,
  };
}
console.log(`1,000 synthetic tenants (median of ${Math.max(runs, 3)} runs):`);
console.log(`  desired tenants            ${ms(median(figures.desired))}`);
console.log(`  plan from an empty etcd    ${ms(median(figures.planEmpty))} (${counts.actions} actions)`);
console.log(`  plan of a converged etcd   ${ms(median(figures.planConverged))} (${counts.pending} actions, prune on)`);
console.log(`  static check, clean        ${ms(median(figures.checkClean))}`);
console.log(`  static check, 10 too wide  ${ms(median(figures.checkWide))} (${counts.findings} findings)`);

// ---- Live: a lab-shaped etcd ----
const dir = await mkdtemp(join(tmpdir(), 'pgfleet-bench-tenants-'));
const members: StartedEtcdMember[] = [];
try {
  const basePort = await findFreePortRange(labPortCount({ clusters: 1, nodes: 1, etcdMembers }));
  const topology = planLabTopology({ clusters: 1, nodes: 1, etcdMembers, basePort });
  await startEtcdMembers(
    { members: topology.etcd, host: topology.host, dir, clusterToken: `bench-${randomBytes(4).toString('hex')}` },
    (member) => {
      members.push(member);
    },
  );
  await waitForEtcdHealthy(members, 30_000);
  const endpoints = labEtcdEndpoints(topology);
  const adminPassword = new Secret(randomBytes(24).toString('base64url'));
  const admin = new EtcdClient({ endpoints, credentials: { username: 'root', password: adminPassword } });
  const auth = new EtcdAuthApi(admin);
  console.log(
    `\netcd ${(await admin.status()).version}, ${etcdMembers} member(s) on 127.0.0.1 (median of ${runs} runs):`,
  );
  try {
    for (const count of [10, 50]) {
      const applyTimes: number[] = [];
      const noopTimes: number[] = [];
      const verifyTimes: number[] = [];
      for (let run = 0; run < runs; run += 1) {
        // A fresh start: open etcd, no user, no role, `count` clusters in the DCS.
        if (await admin.isAuthEnabled()) await auth.disable();
        for (const user of await auth.listUsers()) await auth.deleteUser(user);
        for (const role of await auth.listRoles()) await auth.deleteRole(role);
        await admin.delete('/service/', { prefix: true });
        for (let index = 0; index < count; index += 1) await admin.put(`/service/bench-${index}/members/n1`, '{}');
        const secretsDir = join(dir, `secrets-${count}-${run}`);
        const target: TenancyTarget = {
          access: {
            endpoints,
            tls: {},
            namespaces: ['/service/'],
            admin: { username: 'root', password: adminPassword },
            adminPasswordSource: 'bench',
          },
          directory: new SettingsTenantDirectory(naming, secretsDir),
          managed: [],
        };
        let started = performance.now();
        const report = await applyTenancy(target, admin);
        applyTimes.push(performance.now() - started);
        if (report.done.length !== 2 + 4 * count)
          throw new Error(`apply made ${report.done.length} changes, expected ${2 + 4 * count}`);
        started = performance.now();
        await applyTenancy(target, admin);
        noopTimes.push(performance.now() - started);
        await auth.enable();
        started = performance.now();
        const verified = await verifyTenancy(target, admin);
        verifyTimes.push(performance.now() - started);
        if (!verified.isolated) throw new Error('verify did not prove the isolation');
        await auth.disable();
      }
      console.log(
        `  ${String(count).padStart(2)} tenants: apply ${ms(median(applyTimes))}, second apply (nothing planned, passwords re-set from their files as auth is off) ${ms(median(noopTimes))}, verify with auth on ${ms(median(verifyTimes))} (${count * (count - 1) * 2 + count * 5} probes)`,
      );
    }
  } finally {
    await admin.close();
  }
} finally {
  await Promise.all(members.map((member) => stopProcess(member.process, { graceMs: 5_000 })));
  await rm(dir, { recursive: true, force: true });
}
