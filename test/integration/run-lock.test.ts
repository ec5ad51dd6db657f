import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { type ChildProcessWithoutNullStreams, spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { hostname } from 'node:os';
import { EtcdClient } from '../../src/adapters/etcd/etcd-client.js';
import { EtcdAuthApi } from '../../src/adapters/etcd/auth-api.js';
import { EtcdError } from '../../src/adapters/etcd/etcd-error.js';
import { type RunLock, acquireRunLock, readRunLock, withRunLock } from '../../src/adapters/etcd/run-lock.js';
import { ExitCode, PgfleetError, isPgfleetError } from '../../src/core/errors.js';
import { RUN_LOCK_KEY } from '../../src/core/migration/run-lock-record.js';
import { prefixRange } from '../../src/core/etcd/key-range.js';
import { Secret } from '../../src/core/secret.js';
import { type TestEtcd, startTestEtcd } from '../support/etcd-fixture.js';
import { registerTeardown } from '../support/process-cleanup.js';

/** etcd's minimum lease TTL with the lab's 1 s election timeout: a lock that expires quickly. */
const TTL = 2;
const STATE_KEY = '/pgfleet/test/run-state';

const isCode = (code: string) => (error: unknown) => isPgfleetError(error) && error.code === code;

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > until) assert.fail(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function activeLeases(client: EtcdClient): Promise<string[]> {
  const answer = await client.call<{ leases?: Array<{ ID: string }> }>('/v3/lease/leases', {});
  return (answer.leases ?? []).map((lease) => lease.ID);
}

/** A coordinator in its own process (test/support/run-lock-child.ts), its JSON lines collected. */
class ChildCoordinator {
  readonly events: Array<Record<string, unknown>> = [];
  readonly #child: ChildProcessWithoutNullStreams;
  readonly #unregister: () => void;
  #stderr = '';

  constructor(endpoints: string[]) {
    this.#child = spawn(
      process.execPath,
      ['--import', 'tsx', fileURLToPath(new URL('../support/run-lock-child.ts', import.meta.url)), String(TTL)],
      {
        env: { ...process.env, PGFLEET_TEST_ETCD_ENDPOINTS: endpoints.join(',') },
        stdio: ['pipe', 'pipe', 'pipe'],
      },
    );
    createInterface({ input: this.#child.stdout }).on('line', (line) =>
      this.events.push(JSON.parse(line) as Record<string, unknown>),
    );
    this.#child.stderr.on('data', (chunk: Buffer) => {
      this.#stderr += chunk.toString();
    });
    this.#unregister = registerTeardown(() => this.kill());
  }

  get pid(): number {
    return this.#child.pid!;
  }

  send(line: string): void {
    this.#child.stdin.write(`${line}\n`);
  }

  async event(name: string, timeoutMs = 30_000): Promise<Record<string, unknown>> {
    return waitFor(
      `the child's "${name}" event (stderr: ${this.#stderr.slice(-500)})`,
      async () => this.events.find((event) => event.event === name),
      timeoutMs,
    );
  }

  async kill(): Promise<void> {
    this.#unregister();
    if (this.#child.exitCode !== null || this.#child.signalCode !== null) return;
    const exited = new Promise((resolve) => this.#child.once('exit', resolve));
    // A stopped process must be continued to die of anything but SIGKILL; SIGKILL works either way.
    this.#child.kill('SIGKILL');
    await exited;
  }
}

describe('the run lock on a real etcd 3.4 (auth off)', () => {
  let etcd: TestEtcd;
  let admin: EtcdClient;
  before(async () => {
    etcd = await startTestEtcd({ members: 1 });
    admin = new EtcdClient({ endpoints: etcd.endpoints });
  });
  after(async () => {
    await admin?.close();
    await etcd?.stop();
  });

  it('a second coordinator is refused while the first holds the lock, and the error names the holder', async () => {
    const first = await acquireRunLock(admin, {
      kind: 'etcd-auth',
      runId: 'run-first',
      phase: 'preflight',
      ttlSeconds: TTL,
    });
    try {
      await first.update({ phase: 'probing' });
      // Held past its TTL: the renewals keep it.
      await sleep(TTL * 1000 * 1.5);
      const error = await acquireRunLock(admin, {
        kind: 'etcd-tls',
        runId: 'run-second',
        phase: 'preflight',
        ttlSeconds: TTL,
      }).then(
        () => assert.fail('the second coordinator took the lock'),
        (caught: unknown) => caught,
      );
      assert.ok(error instanceof PgfleetError);
      assert.equal(error.code, 'RUN_BUSY');
      assert.equal(error.exitCode, ExitCode.busy);
      for (const part of [
        'etcd-auth run run-first',
        'phase probing',
        `pid ${process.pid}`,
        `on ${hostname()}`,
        `since ${first.holder.since}`,
      ]) {
        assert.ok(error.message.includes(part), `"${part}" missing from: ${error.message}`);
      }
      const held = await readRunLock(admin);
      assert.equal(held?.holder?.runId, 'run-first');
      assert.equal(held?.holder?.phase, 'probing');
      assert.equal(held?.leaseId, first.leaseId);
      assert.ok(held.leaseTtlSeconds > 0);
      // The refused coordinator gave its lease back.
      assert.deepEqual(await activeLeases(admin), [first.leaseId]);
    } finally {
      assert.equal(await first.release(), 'released');
    }
    assert.equal(await readRunLock(admin), undefined);
    assert.deepEqual(await activeLeases(admin), []);
  });

  it('withRunLock releases the lock however the run ends', async () => {
    await assert.rejects(
      withRunLock(
        admin,
        { kind: 'etcd-auth', runId: 'run-throws', phase: 'preflight', ttlSeconds: TTL },
        async (lock) => {
          await lock.fence(STATE_KEY, 'written-by-run-throws');
          assert.equal((await readRunLock(admin))?.holder?.runId, 'run-throws');
          throw new Error('the run failed');
        },
      ),
      /the run failed/,
    );
    assert.equal(await readRunLock(admin), undefined);
    const result = await withRunLock(
      admin,
      { kind: 'etcd-auth', runId: 'run-ok', phase: 'preflight', ttlSeconds: TTL },
      async () => 'done',
    );
    assert.equal(result, 'done');
    assert.equal(await readRunLock(admin), undefined);
  });

  it('withRunLock takes the lock over a holder on this host whose process is gone, and refuses a live holder', async () => {
    // A pid that existed and exited: the coordinator killed on this host.
    const gone = spawnSync(process.execPath, ['-e', '']).pid;
    const stale = await acquireRunLock(admin, {
      kind: 'etcd-auth',
      runId: 'run-killed',
      phase: 'enabling',
      pid: gone,
      ttlSeconds: TTL,
    });
    try {
      const took = await withRunLock(
        admin,
        { kind: 'etcd-auth', runId: 'run-after-kill', phase: 'preflight', ttlSeconds: TTL },
        async (lock) => {
          assert.notEqual(lock.leaseId, stale.leaseId);
          return (await readRunLock(admin))?.holder?.runId;
        },
      );
      assert.equal(took, 'run-after-kill');
      assert.equal(await readRunLock(admin), undefined);
    } finally {
      await stale.release();
    }

    const live = await acquireRunLock(admin, {
      kind: 'etcd-auth',
      runId: 'run-live',
      phase: 'enabling',
      ttlSeconds: TTL,
    });
    try {
      await assert.rejects(
        withRunLock(admin, { kind: 'etcd-auth', runId: 'run-refused', phase: 'preflight', ttlSeconds: TTL }, async () =>
          assert.fail('a live holder keeps the lock'),
        ),
        isCode('RUN_BUSY'),
      );
      assert.equal((await readRunLock(admin))?.holder?.runId, 'run-live');
    } finally {
      assert.equal(await live.release(), 'released');
    }
    assert.deepEqual(await activeLeases(admin), []);
  });

  it('two coordinators racing: exactly one acquires', async () => {
    const attempts = await Promise.allSettled(
      Array.from({ length: 10 }, (_, index) =>
        acquireRunLock(admin, { kind: 'etcd-auth', runId: `racer-${index}`, phase: 'preflight', ttlSeconds: TTL }),
      ),
    );
    const winners = attempts
      .filter((attempt): attempt is PromiseFulfilledResult<RunLock> => attempt.status === 'fulfilled')
      .map((attempt) => attempt.value);
    try {
      assert.equal(winners.length, 1);
      const refusals = attempts.filter((attempt): attempt is PromiseRejectedResult => attempt.status === 'rejected');
      assert.equal(refusals.length, 9);
      for (const refusal of refusals) {
        assert.ok(isCode('RUN_BUSY')(refusal.reason), String(refusal.reason));
        assert.ok(String((refusal.reason as Error).message).includes(`run ${winners[0]!.holder.runId} `));
      }
      assert.equal((await readRunLock(admin))?.holder?.runId, winners[0]!.holder.runId);
      assert.deepEqual(await activeLeases(admin), [winners[0]!.leaseId]);
    } finally {
      await Promise.all(winners.map((winner) => winner.release()));
    }
  });

  it('fenced writes work while held and are refused after loss', async () => {
    const lost: PgfleetError[] = [];
    const lock = await acquireRunLock(admin, {
      kind: 'etcd-auth',
      runId: 'run-fenced',
      phase: 'pausing',
      ttlSeconds: TTL,
      onLost: (error) => lost.push(error),
    });
    try {
      await lock.fence(STATE_KEY, 'v1');
      await lock.confirm();
      assert.equal((await admin.get(STATE_KEY))?.value, 'v1');
      // A state write does not ride on the lease: the record outlives the run.
      assert.equal((await admin.get(STATE_KEY))?.lease, undefined);
      await lock.update({ phase: 'enabling' });
      const held = await readRunLock(admin);
      assert.equal(held?.holder?.phase, 'enabling');
      assert.equal(held?.leaseId, lock.leaseId, 'the rewritten record stays on the lease');

      // The lease ends behind the run's back (as when it expires): the next fenced write goes to etcd and is refused there.
      assert.equal(await admin.leaseRevoke(lock.leaseId), true);
      await assert.rejects(lock.fence(STATE_KEY, 'v2'), isCode('RUN_LOCK_LOST'));
      assert.equal((await admin.get(STATE_KEY))?.value, 'v1');
      assert.equal(lock.lost, true);
      assert.equal(lock.signal.aborted, true);
      assert.equal(lost.length, 1);
      assert.equal(lost[0]!.details?.reason, 'lock-key-gone');
      assert.throws(() => lock.assertHeld(), isCode('RUN_LOCK_LOST'));
      await assert.rejects(lock.update({ phase: 'probing' }), isCode('RUN_LOCK_LOST'));
      await assert.rejects(lock.fenceDelete(STATE_KEY), isCode('RUN_LOCK_LOST'));
      assert.equal((await admin.get(STATE_KEY))?.value, 'v1');
      assert.equal(lost.length, 1, 'onLost is called once');
    } finally {
      assert.equal(await lock.release(), 'already-gone');
    }
  });

  it('a fenced write of a run whose lock was taken over is refused, naming the new holder', async () => {
    const lock = await acquireRunLock(admin, {
      kind: 'etcd-auth',
      runId: 'run-old',
      phase: 'probing',
      ttlSeconds: TTL,
    });
    await admin.leaseRevoke(lock.leaseId);
    const next = await acquireRunLock(admin, {
      kind: 'etcd-auth',
      runId: 'run-new',
      phase: 'preflight',
      ttlSeconds: TTL,
    });
    try {
      await next.fence(STATE_KEY, 'by-run-new');
      const error = await lock.fence(STATE_KEY, 'by-run-old').then(
        () => assert.fail('the old run wrote'),
        (caught: unknown) => caught,
      );
      assert.ok(isCode('RUN_LOCK_LOST')(error));
      assert.equal((error as PgfleetError).details?.reason, 'lock-taken-over');
      assert.match((error as PgfleetError).message, /now held by etcd-auth run run-new/);
      assert.equal((await admin.get(STATE_KEY))?.value, 'by-run-new');
    } finally {
      await next.release();
      await lock.release();
    }
  });

  it('a lock key written by hand, without a lease, refuses runs and says it will never expire', async () => {
    await admin.put(RUN_LOCK_KEY, 'held by hand');
    try {
      const error = await acquireRunLock(admin, {
        kind: 'etcd-auth',
        runId: 'run-blocked',
        phase: 'preflight',
        ttlSeconds: TTL,
      }).then(
        () => assert.fail('the run took a lock key it does not own'),
        (caught: unknown) => caught,
      );
      assert.ok(isCode('RUN_BUSY')(error));
      assert.match(
        (error as PgfleetError).message,
        /a holder whose record cannot be read \(the lock key does not hold JSON\)/,
      );
      assert.equal((error as PgfleetError).details?.leaseless, true);
      const held = await readRunLock(admin);
      assert.equal(held?.leaseId, '0');
      assert.equal(held?.holder, undefined);
    } finally {
      await admin.delete(RUN_LOCK_KEY);
    }
    assert.deepEqual(await activeLeases(admin), []);
  });

  it('a lock whose holder stopped renewing expires after its TTL and another coordinator takes over', async () => {
    const child = new ChildCoordinator(etcd.endpoints);
    try {
      const acquired = await child.event('acquired');
      const held = await readRunLock(admin);
      assert.equal(held?.holder?.runId, acquired.runId);
      assert.equal(held?.holder?.pid, child.pid);
      child.send(`fence ${STATE_KEY} child-before-stop`);
      assert.deepEqual(await child.event('fence'), { event: 'fence', ok: true });
      assert.equal((await admin.get(STATE_KEY))?.value, 'child-before-stop');
      child.events.splice(0);

      // Suspended, not killed: its process lives on, but it renews nothing.
      process.kill(child.pid, 'SIGSTOP');
      await assert.rejects(
        acquireRunLock(admin, { kind: 'etcd-auth', runId: 'run-takeover', phase: 'preflight', ttlSeconds: TTL }),
        isCode('RUN_BUSY'),
      );
      await waitFor(
        'the stopped child’s lock to expire',
        async () => ((await readRunLock(admin)) === undefined ? true : undefined),
        (TTL + 10) * 1000,
      );
      const takeover = await acquireRunLock(admin, {
        kind: 'etcd-auth',
        runId: 'run-takeover',
        phase: 'preflight',
        ttlSeconds: TTL,
      });
      try {
        await takeover.fence(STATE_KEY, 'takeover');

        // Continued: it must find out and write nothing. Its write is asked for at once, racing its own renewal.
        process.kill(child.pid, 'SIGCONT');
        child.send(`fence ${STATE_KEY} child-after-continue`);
        const lostEvent = await child.event('lost');
        assert.equal(lostEvent.code, 'RUN_LOCK_LOST');
        assert.ok(
          ['lease-expired', 'lock-key-gone', 'lock-taken-over', 'renewal-deadline-passed'].includes(
            String(lostEvent.reason),
          ),
        );
        assert.deepEqual(await child.event('fence'), { event: 'fence', ok: false, code: 'RUN_LOCK_LOST' });
        assert.equal((await admin.get(STATE_KEY))?.value, 'takeover');
        assert.equal((await readRunLock(admin))?.holder?.runId, 'run-takeover');
        await takeover.confirm();

        child.send('release');
        // Its lease is long gone: releasing touches nothing of the new holder's.
        assert.deepEqual(await child.event('released'), { event: 'released', outcome: 'already-gone' });
        assert.equal((await readRunLock(admin))?.holder?.runId, 'run-takeover');
      } finally {
        await takeover.release();
      }
    } finally {
      await child.kill();
    }
  });
});

describe('the run lock with etcd auth on', () => {
  let etcd: TestEtcd;
  let admin: EtcdClient;
  let tenant: EtcdClient;
  let anonymous: EtcdClient;
  before(async () => {
    etcd = await startTestEtcd({ members: 1 });
    const rootPassword = new Secret('root-pw-for-run-lock-test');
    const tenantPassword = new Secret('tenant-pw-for-run-lock-test');
    admin = new EtcdClient({ endpoints: etcd.endpoints, credentials: { username: 'root', password: rootPassword } });
    tenant = new EtcdClient({
      endpoints: etcd.endpoints,
      credentials: { username: 'patroni-alpha', password: tenantPassword },
    });
    anonymous = new EtcdClient({ endpoints: etcd.endpoints });
    const auth = new EtcdAuthApi(admin);
    await auth.addUser('root', rootPassword);
    await auth.grantRole('root', 'root');
    await auth.addRole('patroni-alpha');
    await auth.grantPermission('patroni-alpha', { ...prefixRange('/service/alpha/'), permType: 'READWRITE' });
    await auth.addUser('patroni-alpha', tenantPassword);
    await auth.grantRole('patroni-alpha', 'patroni-alpha');
    await auth.enable();
  });
  after(async () => {
    await Promise.all([admin?.close(), tenant?.close(), anonymous?.close()]);
    await etcd?.stop();
  });

  it('the lock works with auth on, and only root can see or take it', async () => {
    assert.equal(await anonymous.isAuthEnabled(), true);
    await withRunLock(
      admin,
      { kind: 'etcd-auth', runId: 'run-auth-on', phase: 'probing', ttlSeconds: TTL },
      async (lock) => {
        await lock.fence(STATE_KEY, 'with-auth');
        await lock.update({ phase: 'resuming' });
        // Held past its TTL: the renewals work with auth on.
        await sleep(TTL * 1000 * 1.5);
        lock.assertHeld();
        await lock.confirm();
        const held = await readRunLock(admin);
        assert.equal(held?.holder?.runId, 'run-auth-on');
        assert.equal(held?.holder?.phase, 'resuming');
        await assert.rejects(
          acquireRunLock(admin, { kind: 'etcd-auth', runId: 'run-second', phase: 'preflight', ttlSeconds: TTL }),
          isCode('RUN_BUSY'),
        );

        // pgfleet's prefix is outside every tenant role: neither a tenant nor an anonymous client sees or takes the lock.
        await assert.rejects(
          readRunLock(tenant),
          (error: unknown) => error instanceof EtcdError && error.kind === 'permission-denied',
        );
        await assert.rejects(
          acquireRunLock(tenant, { kind: 'etcd-auth', runId: 'run-tenant', phase: 'preflight', ttlSeconds: TTL }),
          (error: unknown) => error instanceof EtcdError && error.kind === 'permission-denied',
        );
        await assert.rejects(
          readRunLock(anonymous),
          (error: unknown) => error instanceof EtcdError && error.kind === 'user-name-empty',
        );
      },
    );
    assert.equal((await admin.get(STATE_KEY))?.value, 'with-auth');
    assert.equal(await readRunLock(admin), undefined);
    assert.deepEqual(await activeLeases(admin), []);
  });
});
