import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { EtcdClient } from '../../src/adapters/etcd/etcd-client.js';
import { readRunLock } from '../../src/adapters/etcd/run-lock.js';
import { PatroniRestClient } from '../../src/adapters/patroni/rest-client.js';
import { Secret } from '../../src/core/secret.js';
import { labEtcdEndpoints } from '../../src/core/lab/lab-topology.js';
import { AUTH_MIGRATION_KEY } from '../../src/core/migration/readiness-record.js';
import { RUN_LOCK_TTL_TEST_ENV } from '../../src/core/migration/run-lock-record.js';
import { resolveSitePaths } from '../../src/core/settings/site-paths.js';
import { etcdAuthEnabled } from '../../src/fleet/fleet-connection.js';
import { labEnv } from '../../src/lab/lab-env.js';
import { etcdRootPasswordFile } from '../../src/lab/lab-secrets.js';
import { labSiteSettings } from '../../src/lab/lab-settings.js';
import type { RoleWatchReport } from '../../src/lab/role-watch.js';
import type { EtcdAuthStatus } from '../../src/migration/etcd-auth/auth-status.js';
import { listLocalInstances } from '../../src/node/local-instances.js';
import { ensureBuiltCli } from '../support/built-cli.js';
import {
  type WriterTally,
  assertEveryWriteLanded,
  assertNoRoleChange,
  leadersAndTimelines,
  startFleetWriters,
  startRoleWatch,
} from '../support/fleet-writers.js';
import { type TestLab, startTestLab } from '../support/lab-fixture.js';
import { registerTeardown } from '../support/process-cleanup.js';
import { type CliResult, runCli } from '../support/run-cli.js';

const CHILD = fileURLToPath(new URL('../support/enforce-child.ts', import.meta.url));
/** Lines that would be a false diagnosis in a run that went through: no probe failed, nothing was rolled back or lost. */
const FALSE_DIAGNOSIS =
  /FAILED|rolled back|it is rolled back|was interrupted|too wide|refused|RUN_LOCK_LOST|lost the run lock|not ready|probe failed/;

/**
 * Issue 18's acceptance, on a real lab (1 etcd, 2 clusters × 2 nodes) with
 * writers on every primary and the roles sampled: one coordinator at a time
 * (two `migrate --yes` at once, two `enforce` 0.5 s apart), a coordinator
 * SIGSTOPped past its lease TTL that stops without acting when continued, a
 * `migrate` that finishes a run whose coordinator was SIGKILLed after auth
 * enable, and a `status` that reports what the members report after a
 * coordinator is SIGKILLed during the resume.
 */
describe('one coordinator at a time on a live fleet (1 etcd, 2 clusters × 2 nodes), with writers on every primary', () => {
  let lab: TestLab;
  let env: Record<string, string>;
  const cli = (...args: string[]): Promise<CliResult> => runCli(args, { env });
  const status = async (): Promise<EtcdAuthStatus> => {
    const result = await cli('--output', 'json', 'etcd', 'auth', 'status');
    assert.equal(result.code, 0, result.stderr);
    return JSON.parse(result.stdout) as EtcdAuthStatus;
  };
  const authEnabled = () => etcdAuthEnabled({ endpoints: labEtcdEndpoints(lab.state.topology) });
  /** As root once auth is on (the lock and the run record are pgfleet's keys); anonymous works while it is off. */
  const withRoot = async <T>(work: (client: EtcdClient) => Promise<T>): Promise<T> => {
    const password = new Secret((await readFile(etcdRootPasswordFile(lab.dir), 'utf8')).trim());
    const client = new EtcdClient({
      endpoints: labEtcdEndpoints(lab.state.topology),
      credentials: { username: 'root', password },
    });
    try {
      return await work(client);
    } finally {
      await client.close();
    }
  };
  const waitFor = async <T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> => {
    for (const deadline = Date.now() + timeoutMs; ; await new Promise((resolve) => setTimeout(resolve, 100))) {
      const value = await probe().catch(() => undefined);
      if (value !== undefined) return value;
      if (Date.now() > deadline) return assert.fail(`timed out after ${timeoutMs} ms waiting for ${what}`);
    }
  };
  /** Each member's pause state as its own REST API reports it now. */
  const pausedPerMember = async (): Promise<Map<string, boolean>> => {
    const paths = resolveSitePaths(labSiteSettings(lab.dir, lab.state.topology).settings, {
      isRoot: process.getuid?.() === 0,
      home: '/',
      env: {},
    });
    const paused = new Map<string, boolean>();
    for (const instance of await listLocalInstances(paths.patroniConfigDir)) {
      const rest = new PatroniRestClient(instance.restUrl);
      try {
        paused.set(`${instance.namespace}${instance.scope}/${instance.node}`, (await rest.nodeStatus()).pause === true);
      } finally {
        await rest.close();
      }
    }
    return paused;
  };
  /** Runs `work` with writers on every primary and the roles sampled; asserts 0 failed writes and no role change. */
  const underWriters = async <T>(work: () => Promise<T>): Promise<T> => {
    const before = await leadersAndTimelines(lab.state.topology);
    const watch = startRoleWatch(lab.state.topology);
    const writers = startFleetWriters(
      lab.dir,
      lab.state.topology,
      new Map([...before].map(([scope, v]) => [scope, v.leader])),
    );
    let tallies: WriterTally[] = [];
    let roles: RoleWatchReport;
    let result: T;
    try {
      result = await work();
    } finally {
      tallies = await writers.stop();
      roles = await watch.stop();
    }
    assertEveryWriteLanded(tallies);
    assertNoRoleChange(roles);
    assert.deepEqual(await leadersAndTimelines(lab.state.topology), before, 'same leaders, same timelines');
    return result;
  };
  const rollback = async (): Promise<void> => {
    const result = await cli('etcd', 'auth', 'rollback');
    assert.equal(result.code, 0, result.stderr);
    assert.equal(await authEnabled(), false);
  };
  /** The fleet enforced, every member unpaused, no run holding the lock, and status says so with nothing disagreeing. */
  const assertEnforced = async (): Promise<void> => {
    assert.equal(await authEnabled(), true);
    const now = await status();
    assert.equal(now.standing.stage, 'enforced', now.standing.summary);
    assert.equal(now.runLock, null);
    assert.deepEqual(now.pausedClusters, []);
    assert.deepEqual(now.disagreements, []);
    assert.ok(now.members.every((member) => member.paused === false && member.ready));
  };
  const runIdIn = (output: string): string | undefined => /run ([0-9a-f]{12}) on /.exec(output)?.[1];

  /** A coordinator child (test/support/enforce-child.ts): its JSON events, its exit. */
  const startChild = (at: string, action: 'stop' | 'kill', extraEnv: Record<string, string> = {}) => {
    const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', CHILD, at, action], {
      env: { ...process.env, ...env, ...extraEnv },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const events: Array<Record<string, unknown>> = [];
    let stderr = '';
    createInterface({ input: child.stdout! }).on('line', (line) =>
      events.push(JSON.parse(line) as Record<string, unknown>),
    );
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const unregister = registerTeardown(async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await exited;
      }
    });
    return {
      child,
      events,
      stderr: () => stderr,
      /** What the child said (its events, then its stderr): the message of an assertion on how it ended. */
      story: () => `${events.map((event) => JSON.stringify(event)).join('\n')}\n${stderr}`,
      exited: exited.finally(unregister),
      event: (name: string) =>
        waitFor(`the coordinator's "${name}" event (stderr: ${stderr.slice(-400)})`, async () =>
          events.find((event) => event.event === name),
        ),
    };
  };

  before(async () => {
    ensureBuiltCli();
    lab = await startTestLab({ clusters: 2, nodes: 2, etcdMembers: 1 });
    env = await labEnv(lab.dir);
  });
  after(async () => {
    await lab?.down();
  });

  it('two `etcd auth migrate --yes` at once: one runs, the other exits busy naming it; the fleet ends enforced with 0 failed writes', async () => {
    const [first, second] = await underWriters(() =>
      Promise.all([cli('etcd', 'auth', 'migrate', '--yes'), cli('etcd', 'auth', 'migrate', '--yes')]),
    );
    const winners = [first, second].filter((result) => result.code === 0);
    const busy = [first, second].filter((result) => result.code === 5);
    assert.equal(winners.length, 1, `exit codes ${first.code} and ${second.code}\n${first.stderr}\n${second.stderr}`);
    assert.equal(busy.length, 1);
    const [winner] = winners;
    const [loser] = busy;
    assert.match(winner!.stdout, /enforced: etcd auth is on; 4 members and 2 tenants probed/);
    const winnerRun = runIdIn(winner!.stdout);
    assert.ok(winnerRun, winner!.stdout);
    assert.match(loser!.stderr, /\[RUN_BUSY\]/);
    assert.ok(
      loser!.stderr.includes(`etcd-auth-migrate run ${winnerRun} (phase`),
      `the refusal names the running migrate: ${loser!.stderr}`,
    );
    assert.match(loser!.stderr, /by pid \d+ on .+, since /);
    assert.doesNotMatch(`${winner!.stdout}\n${winner!.stderr}`, FALSE_DIAGNOSIS);
    assert.equal(loser!.stdout, '', 'the refused run printed no plan and changed nothing');
    assert.doesNotMatch(loser!.stderr, FALSE_DIAGNOSIS);
    await assertEnforced();
  });

  it('two `etcd auth enforce` started 0.5 s apart: one runs, the other exits busy naming it; the fleet ends enforced with 0 failed writes', async () => {
    await rollback();
    const [first, second] = await underWriters(async () => {
      const one = cli('etcd', 'auth', 'enforce');
      await new Promise((resolve) => setTimeout(resolve, 500));
      const two = cli('etcd', 'auth', 'enforce');
      return Promise.all([one, two]);
    });
    // Under load the second process may reach etcd first: which one runs does not matter, that only one does.
    const winner = [first, second].find((result) => result.code === 0);
    const loser = [first, second].find((result) => result.code === 5);
    assert.ok(winner && loser, `exit codes ${first.code} and ${second.code}\n${first.stderr}\n${second.stderr}`);
    assert.match(winner.stdout, /enforced: etcd auth is on; 4 members and 2 tenants probed/);
    assert.ok(loser.stderr.includes(`etcd-auth-enforce run ${runIdIn(winner.stdout)} (phase`), loser.stderr);
    assert.doesNotMatch(`${winner.stdout}\n${winner.stderr}`, FALSE_DIAGNOSIS);
    assert.equal(loser.stdout, '');
    assert.doesNotMatch(loser.stderr, FALSE_DIAGNOSIS);
    await assertEnforced();
  });

  it('a coordinator SIGSTOPped past its lease TTL, then continued: it finds its lock lost and stops without touching the fleet; the run that took over finishes', async () => {
    await rollback();
    const { stopped, taker } = await underWriters(async () => {
      // A 2 s lease (etcd's minimum on the lab): stopped with auth on and every cluster paused, right after recording `probing`.
      const stopped = startChild('probing', 'stop', { [RUN_LOCK_TTL_TEST_ENV]: '2' });
      let taker: CliResult;
      try {
        await stopped.event('stopping');
        const stoppedRun = await withRoot(async (root) => {
          const record = JSON.parse((await root.get(AUTH_MIGRATION_KEY))!.value) as { id: string; phase: string };
          assert.equal(record.phase, 'probing');
          return record.id;
        });
        await waitFor('the stopped coordinator’s lease to expire', () =>
          withRoot(async (root) => ((await readRunLock(root)) ? undefined : true)),
        );
        const taking = cli('etcd', 'auth', 'migrate', '--yes');
        // Continued while the run that took over works: it must find its lock lost at its next step.
        await waitFor('the new run to hold the lock', () =>
          withRoot(async (root) => {
            const held = await readRunLock(root);
            return held?.holder && held.holder.runId !== stoppedRun ? true : undefined;
          }),
        );
        stopped.child.kill('SIGCONT');
        assert.equal(await stopped.exited, 4, stopped.story());
        taker = await taking;
        assert.ok(taker.stderr.includes(`enforce run ${stoppedRun} (`), taker.stderr);
        return { stopped, taker };
      } finally {
        stopped.child.kill('SIGCONT');
        await stopped.exited;
      }
    });
    const continued = stopped.events.findIndex((event) => event.event === 'continued');
    assert.ok(continued > 0, JSON.stringify(stopped.events));
    assert.deepEqual(
      stopped.events.slice(continued + 1).map((event) => [event.event, event.code]),
      [['error', 'RUN_LOCK_LOST']],
      `nothing but the loss after it was continued: ${JSON.stringify(stopped.events.slice(continued))}`,
    );
    assert.equal(taker.code, 0, taker.stderr);
    assert.match(taker.stderr, /was interrupted in phase probing: it is rolled back \(auth disabled/);
    assert.match(taker.stdout, /enforced: etcd auth is on; 4 members and 2 tenants probed/);
    await assertEnforced();
  });

  it('a coordinator SIGKILLed right after auth enable, then `migrate --yes`: it rolls that run back, migrates, and exits 0 with every cluster resumed', async () => {
    await rollback();
    const result = await underWriters(async () => {
      // Spawned, not spawnSync: the writers run in this process and must go on writing meanwhile.
      const killed = startChild('probing', 'kill');
      await killed.exited;
      assert.equal(killed.child.signalCode, 'SIGKILL', killed.story());
      assert.equal(await authEnabled(), true, 'the coordinator died with auth on');
      return cli('etcd', 'auth', 'migrate', '--yes');
    });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /was interrupted in phase probing: it is rolled back/);
    assert.match(result.stdout, /enforced: etcd auth is on; 4 members and 2 tenants probed/);
    await assertEnforced();
  });

  it('a coordinator SIGKILLed during the resume: status reports what the members report, says where the record disagrees, and `migrate --yes` carries the run forward', async () => {
    await rollback();
    const killed = startChild('resumed', 'kill');
    await killed.exited;
    assert.equal(killed.child.signalCode, 'SIGKILL', killed.story());
    const now = await status();
    const members = await pausedPerMember();
    for (const member of now.members) assert.equal(member.paused, members.get(member.member), member.member);
    assert.deepEqual(now.pausedClusters, [], 'the resume went through before the kill');
    assert.equal(now.lastRun?.phase, 'resuming');
    assert.equal(now.lastRun?.pausedByUs.length, 2, 'the record still lists both clusters');
    assert.equal(now.standing.stage, 'enforce-interrupted');
    assert.doesNotMatch(now.standing.summary, /still paused/);
    assert.match(now.standing.summary, /no cluster it paused is paused now/);
    assert.equal(now.disagreements.length, 1, JSON.stringify(now.disagreements));
    assert.match(now.disagreements[0]!, /lists \/service\/alpha, \/service\/beta as paused by it, but every member/);
    const text = await cli('etcd', 'auth', 'status');
    assert.match(text.stdout, /^paused now \(as the members report\): no cluster$/m);
    assert.match(text.stdout, /^record and fleet disagree: /m);
    assert.match(text.stdout, /^next: `pgfleet etcd auth migrate`/m);

    const finish = await cli('etcd', 'auth', 'migrate', '--yes');
    assert.equal(finish.code, 0, finish.stderr);
    assert.match(finish.stdout, /carried forward/);
    await assertEnforced();
  });
});
