/**
 * bench/auth-herd: the authentication herd on etcd 3.4, without Patroni.
 * When auth goes on, every Patroni 3.0.2 member authenticates again at once
 * (from two or three threads); etcd 3.4 answers each Authenticate with a
 * bcrypt check of the user's password. This starts a 3-member etcd on
 * loopback for each --bcrypt-cost, creates one user per simulated member,
 * enables auth, and fires N Authenticate calls at once (N = members × calls
 * per member), all at one endpoint or spread over the three. For each: the
 * time until the last answer, the slowest single answer, and the CPU time
 * etcd spent (/proc/<pid>/stat). Prints a table; asserts nothing.
 * Usage: node --import tsx bench/auth-herd.ts [members, default 20,60,100,200] [--costs 10,4] [--calls-per-member 2]
 */
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EtcdAuthApi } from '../src/adapters/etcd/auth-api.js';
import { EtcdClient } from '../src/adapters/etcd/etcd-client.js';
import { generatePassword } from '../src/adapters/fs/secret-file.js';
import { stopProcess } from '../src/adapters/process/daemon.js';
import { findFreePortRange } from '../src/adapters/process/port-probe.js';
import { processCpuSeconds } from '../src/adapters/process/process-table.js';
import { labEtcdEndpoints, labPortCount, planLabTopology } from '../src/core/lab/lab-topology.js';
import { textTable } from '../src/core/text-table.js';
import { type StartedEtcdMember, startEtcdMembers, waitForEtcdHealthy } from '../src/lab/etcd-cluster.js';

const args = process.argv.slice(2);
const optionValue = (name: string): string | undefined =>
  args.includes(name) ? args[args.indexOf(name) + 1] : undefined;
const sizes = (
  args.find((arg) => /^\d+(,\d+)*$/.test(arg) && args[args.indexOf(arg) - 1]?.startsWith('--') !== true) ??
  '20,60,100,200'
)
  .split(',')
  .map(Number);
const costs = (optionValue('--costs') ?? '10,4').split(',').map(Number);
const callsPerMember = Number(optionValue('--calls-per-member') ?? 2);
const loadAverage = (): string => readFileSync('/proc/loadavg', 'utf8').split(' ')[0]!;

interface HerdRow {
  cost: number;
  members: number;
  spread: 'one endpoint' | '3 endpoints';
  calls: number;
  lastAnswerMs: number;
  slowestMs: number;
  failed: number;
  etcdCpuS: number;
  load: string;
}
const rows: HerdRow[] = [];

for (const cost of costs) {
  const maxMembers = Math.max(...sizes);
  await withEtcd(cost, maxMembers, async (endpoints, pids, users) => {
    for (const members of sizes) {
      for (const spread of ['one endpoint', '3 endpoints'] as const) {
        const calls = Array.from({ length: members * callsPerMember }, (_, index) => ({
          user: users[index % members]!,
          endpoint: spread === 'one endpoint' ? endpoints[0]! : endpoints[index % endpoints.length]!,
        }));
        const cpuBefore = await etcdCpu(pids);
        const load = loadAverage();
        const started = performance.now();
        const answers = await Promise.all(
          calls.map(async ({ user, endpoint }) => {
            const sent = performance.now();
            const ok = await authenticate(endpoint, user.name, user.password);
            return { ok, ms: performance.now() - sent };
          }),
        );
        const lastAnswerMs = performance.now() - started;
        const row: HerdRow = {
          cost,
          members,
          spread,
          calls: calls.length,
          lastAnswerMs,
          slowestMs: Math.max(...answers.map((answer) => answer.ms)),
          failed: answers.filter((answer) => !answer.ok).length,
          etcdCpuS: (await etcdCpu(pids)) - cpuBefore,
          load,
        };
        rows.push(row);
        console.log(
          `cost ${cost}, ${members} members (${row.calls} calls, ${spread}): last answer after ${(lastAnswerMs / 1000).toFixed(2)} s, etcd CPU ${row.etcdCpuS.toFixed(2)} s, ${row.failed} failed, load ${load}`,
        );
        await new Promise((resolve) => setTimeout(resolve, 1_000));
      }
    }
  });
}

console.log('');
console.log(
  textTable(
    [
      'BCRYPT COST',
      'MEMBERS',
      'CALLS',
      'ENDPOINTS',
      'ALL ANSWERED',
      'SLOWEST CALL',
      'FAILED',
      'ETCD CPU',
      'CPU/CALL',
      'LOAD (1 min)',
    ],
    rows.map((row) => [
      String(row.cost),
      String(row.members),
      String(row.calls),
      row.spread,
      `${(row.lastAnswerMs / 1000).toFixed(2)} s`,
      `${(row.slowestMs / 1000).toFixed(2)} s`,
      String(row.failed),
      `${row.etcdCpuS.toFixed(2)} s`,
      `${((row.etcdCpuS * 1000) / row.calls).toFixed(1)} ms`,
      row.load,
    ]),
  ),
);

async function authenticate(endpoint: string, name: string, password: string): Promise<boolean> {
  try {
    const response = await fetch(`${endpoint}/v3/auth/authenticate`, {
      method: 'POST',
      body: JSON.stringify({ name, password }),
      signal: AbortSignal.timeout(60_000),
    });
    const body = (await response.json()) as { token?: string };
    return response.ok && typeof body.token === 'string';
  } catch {
    return false;
  }
}

async function etcdCpu(pids: number[]): Promise<number> {
  const values = await Promise.all(pids.map((pid) => processCpuSeconds(pid)));
  return values.reduce<number>((sum, value) => sum + (value ?? 0), 0);
}

async function withEtcd(
  cost: number,
  users: number,
  work: (endpoints: string[], pids: number[], users: Array<{ name: string; password: string }>) => Promise<void>,
): Promise<void> {
  const parent = await mkdtemp(join(tmpdir(), 'pgfleet-bench-herd-'));
  await chmod(parent, 0o755);
  const shape = { clusters: 1, nodes: 1, etcdMembers: 3 };
  const topology = planLabTopology({ ...shape, basePort: await findFreePortRange(labPortCount(shape)) });
  let members: StartedEtcdMember[] = [];
  try {
    members = await startEtcdMembers(
      {
        members: topology.etcd,
        host: topology.host,
        dir: parent,
        clusterToken: `pgfleet-herd-${process.pid}-${cost}`,
        bcryptCost: cost,
      },
      () => undefined,
    );
    await waitForEtcdHealthy(members, 30_000);
    const endpoints = labEtcdEndpoints(topology);
    const root = generatePassword();
    const admin = new EtcdClient({ endpoints, credentials: { username: 'root', password: root } });
    const auth = new EtcdAuthApi(admin);
    const created: Array<{ name: string; password: string }> = [];
    try {
      await auth.addUser('root', root);
      await auth.grantRole('root', 'root');
      for (let index = 0; index < users; index += 1) {
        const password = generatePassword();
        await auth.addUser(`member${index}`, password);
        created.push({ name: `member${index}`, password: password.reveal() });
      }
      await auth.enable();
      await work(
        endpoints,
        members.map((member) => member.process.pid),
        created,
      );
    } finally {
      await admin.close();
    }
  } finally {
    await Promise.all(members.map((member) => stopProcess(member.process, { graceMs: 2_000 })));
    await rm(parent, { recursive: true, force: true });
  }
}
