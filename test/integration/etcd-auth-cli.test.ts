import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EtcdClient } from '../../src/adapters/etcd/etcd-client.js';
import { EtcdError } from '../../src/adapters/etcd/etcd-error.js';
import { PatroniRestClient } from '../../src/adapters/patroni/rest-client.js';
import { stopProcess } from '../../src/adapters/process/daemon.js';
import { etcdAuthEnabled } from '../../src/fleet/fleet-connection.js';
import { labEtcdEndpoints } from '../../src/core/lab/lab-topology.js';
import { resolveSitePaths } from '../../src/core/settings/site-paths.js';
import { Secret } from '../../src/core/secret.js';
import { listLocalInstances } from '../../src/node/local-instances.js';
import { labEnv } from '../../src/lab/lab-env.js';
import { labSiteSettings } from '../../src/lab/lab-settings.js';
import type { AuthPlan } from '../../src/core/migration/auth-plan.js';
import type { EtcdAuthStatus } from '../../src/migration/etcd-auth/auth-status.js';
import type { RoleWatchReport } from '../../src/lab/role-watch.js';
import { type TestLab, startTestLab } from '../support/lab-fixture.js';
import {
  type WriterTally,
  assertEveryWriteLanded,
  assertNoRoleChange,
  leadersAndTimelines,
  startFleetWriters,
  startRoleWatch,
} from '../support/fleet-writers.js';
import { ensureBuiltCli } from '../support/built-cli.js';
import { type CliResult, runCli } from '../support/run-cli.js';
import { startProcessTextRecorder } from '../support/process-text-recorder.js';
import { filesHoldingSecrets, secretsInTexts } from '../support/secret-scan.js';
import { AUTH_MIGRATION_KEY } from '../../src/core/migration/readiness-record.js';

/**
 * The acceptance of issue 6, run as an operator would: the built CLI on a
 * lab of 3 etcd members and 3 clusters × 2 nodes, settings from `lab env`.
 */
describe('pgfleet etcd auth on a live fleet (3 etcd, 3 clusters × 2 nodes), run as an operator would', () => {
  let lab: TestLab;
  let env: Record<string, string>;
  const outputs: CliResult[] = [];
  /** Every command line and environment seen on the host while migrate ran (its passwords are generated as it runs). */
  let processTexts: string[] = [];
  const cli = async (...args: string[]): Promise<CliResult> => {
    const result = await runCli(args, { env });
    outputs.push(result);
    return result;
  };
  const json = async <T>(...args: string[]): Promise<T> => {
    const result = await cli('--output', 'json', ...args);
    assert.ok(result.code === 0 || result.code === 1, `${args.join(' ')}: exit ${result.code}\n${result.stderr}`);
    return JSON.parse(result.stdout) as T;
  };
  const authEnabled = () => etcdAuthEnabled({ endpoints: labEtcdEndpoints(lab.state.topology) });
  const localInstances = async () => {
    const paths = resolveSitePaths(labSiteSettings(lab.dir, lab.state.topology).settings, {
      isRoot: process.getuid?.() === 0,
      home: '/',
      env: {},
    });
    return listLocalInstances(paths.patroniConfigDir, paths.patroniLogDir);
  };
  /** PATCH /config, retried while it is a compare-and-set conflict (the member's watch cache lagging behind another member's write). */
  const patchUntilNoConflict = async (rest: PatroniRestClient, patch: Record<string, unknown>): Promise<number> => {
    for (let attempt = 1; ; attempt += 1) {
      const { status } = await rest.patchConfig(patch);
      if (status !== 409 || attempt === 5) return status;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  };
  /** The phase of the first enforce run other than `previousRun` seen in etcd (read anonymously while auth is off), or 'auth on'. */
  const newEnforceRunPhase = async (previousRun: string | undefined): Promise<string> => {
    const observer = new EtcdClient({ endpoints: labEtcdEndpoints(lab.state.topology).slice(0, 2) });
    try {
      for (
        const deadline = Date.now() + 60_000;
        Date.now() < deadline;
        await new Promise((resolve) => setTimeout(resolve, 50))
      ) {
        const entry = await observer.get(AUTH_MIGRATION_KEY).catch(() => 'auth on' as const);
        if (entry === 'auth on') return entry;
        const state = entry
          ? (JSON.parse(entry.value) as { id: string; phase: string; endpointsDown: string[] })
          : undefined;
        if (state && state.id !== previousRun) {
          assert.deepEqual(state.endpointsDown, [], 'every endpoint answered at the gates');
          return state.phase;
        }
      }
      return assert.fail('no new enforce run appeared in etcd within 60 s');
    } finally {
      await observer.close();
    }
  };
  /** The coordinator, run as its own process and SIGKILLed right after auth enable, before any probe. */
  const killCoordinatorAfterEnable = () => {
    const child = spawnSync(
      process.execPath,
      ['--import', 'tsx', fileURLToPath(new URL('../support/enforce-child.ts', import.meta.url)), 'probing'],
      {
        encoding: 'utf8',
        timeout: 120_000,
        env: { ...process.env, ...env },
      },
    );
    assert.equal(child.signal, 'SIGKILL', child.stderr);
  };

  before(async () => {
    ensureBuiltCli();
    lab = await startTestLab({ clusters: 3, nodes: 2, etcdMembers: 3 });
    env = await labEnv(lab.dir);
  });
  after(async () => {
    await lab?.down();
  });

  it('plan on the open fleet lists every member with what will be done, and nothing blocks', async () => {
    const result = await cli('etcd', 'auth', 'plan');
    assert.equal(result.code, 0, result.stderr);
    for (const scope of ['alpha', 'beta', 'gamma']) {
      assert.match(result.stdout, new RegExp(`/service/${scope}/${scope}-1\\s+here`));
      assert.match(result.stdout, new RegExp(`prepare: create user patroni-${scope}`));
    }
    assert.match(result.stdout, /nothing blocks/);
    const plan = await json<AuthPlan>('etcd', 'auth', 'plan');
    assert.equal(plan.blocked, false);
    assert.equal(plan.members.length, 6);
    assert.ok(
      plan.members.every(
        (member) => member.status === 'will-apply' && member.blockers.length === 0 && member.patroniVersion === '3.0.2',
      ),
    );
  });

  it('migrate --yes secures the fleet under writers: auth on, every member writes with its own tenant, 0 failed writes, 0 leader changes, 0 demotions', async () => {
    const before = await leadersAndTimelines(lab.state.topology);
    assert.equal(before.size, 3);
    let tallies: WriterTally[] = [];
    let roles: RoleWatchReport | undefined;
    const watch = startRoleWatch(lab.state.topology);
    const writers = startFleetWriters(
      lab.dir,
      lab.state.topology,
      new Map([...before].map(([scope, v]) => [scope, v.leader])),
    );
    const recorder = startProcessTextRecorder();
    let migrate: CliResult;
    try {
      migrate = await cli('etcd', 'auth', 'migrate', '--yes');
    } finally {
      processTexts = recorder.stop().texts;
      tallies = await writers.stop();
      roles = await watch.stop();
    }
    assert.equal(migrate.code, 0, migrate.stderr);
    assert.match(migrate.stdout, /enforced: etcd auth is on; 6 members and 3 tenants probed/);
    assert.equal(await authEnabled(), true);
    assertEveryWriteLanded(tallies);
    assert.ok(roles);
    assertNoRoleChange(roles);
    assert.deepEqual(await leadersAndTimelines(lab.state.topology), before, 'same leaders, same timelines');

    // Checked here, not taken from the tool's report: each YAML holds its own cluster's tenant, each member writes to the DCS now that auth is on.
    for (const instance of await localInstances()) {
      assert.equal(instance.etcdUsername, `patroni-${instance.scope}`, instance.name);
      const rest = new PatroniRestClient(instance.restUrl);
      try {
        assert.equal(
          await patchUntilNoConflict(rest, { pgfleet_test_marker: instance.name }),
          200,
          `${instance.name} writes to the DCS`,
        );
        assert.equal(await patchUntilNoConflict(rest, { pgfleet_test_marker: null }), 200);
      } finally {
        await rest.close();
      }
    }
    // A tenant reaches its own prefix and nothing of its neighbour's.
    const alphaPassword = new Secret(
      (await readFile(join(lab.dir, 'secrets', 'tenants', 'patroni-alpha.password'), 'utf8')).trim(),
    );
    const alpha = new EtcdClient({
      endpoints: labEtcdEndpoints(lab.state.topology),
      credentials: { username: 'patroni-alpha', password: alphaPassword },
    });
    try {
      assert.ok((await alpha.getPrefix('/service/alpha/')).length > 0);
      await assert.rejects(
        alpha.get('/service/beta/leader'),
        (error: unknown) => error instanceof EtcdError && error.kind === 'permission-denied',
      );
    } finally {
      await alpha.close();
    }
  });

  it('status shows auth on, the token type, etcd and Patroni versions, and every member ready and probed', async () => {
    const status = await json<EtcdAuthStatus>('etcd', 'auth', 'status');
    assert.equal(status.authEnabled, true);
    assert.equal(status.tokenType, 'simple');
    assert.equal(status.etcdVersion, '3.4.23');
    assert.equal(status.standing.stage, 'enforced');
    assert.equal(status.members.length, 6);
    for (const member of status.members) {
      assert.equal(member.patroniVersion, '3.0.2', member.member);
      assert.equal(member.ready, true, member.member);
      assert.equal(member.lastProbe?.ok, true, member.member);
    }
    const text = await cli('etcd', 'auth', 'status');
    assert.match(text.stdout, /auth ON, simple tokens/);
    assert.match(text.stdout, /migration: enforced/);
  });

  it('prepare a second time changes nothing, and plan says there is nothing to migrate', async () => {
    const again = await cli('--output', 'json', 'etcd', 'auth', 'prepare');
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual(JSON.parse(again.stdout), { actions: [] });
    const plan = await cli('etcd', 'auth', 'plan');
    assert.equal(plan.code, 0, plan.stderr);
    assert.match(plan.stdout, /already on: nothing to migrate/);
  });

  it('rollback switches auth off and leaves users, roles and readiness in place', async () => {
    const before = await leadersAndTimelines(lab.state.topology);
    const rollback = await cli('etcd', 'auth', 'rollback');
    assert.equal(rollback.code, 0, rollback.stderr);
    assert.match(rollback.stdout, /auth disabled/);
    const status = await json<EtcdAuthStatus>('etcd', 'auth', 'status');
    assert.equal(status.authEnabled, false);
    assert.equal(status.standing.stage, 'ready-to-enforce');
    assert.deepEqual(await leadersAndTimelines(lab.state.topology), before);
  });

  it('a coordinator SIGKILLed between auth enable and the probes: status shows the interrupted phase, rollback finishes it', async () => {
    killCoordinatorAfterEnable();
    assert.equal(await authEnabled(), true, 'the coordinator died with auth on');
    const status = await json<EtcdAuthStatus>('etcd', 'auth', 'status');
    assert.equal(status.standing.stage, 'enforce-interrupted');
    assert.equal(status.lastRun?.phase, 'probing');
    assert.ok(
      status.members.every((member) => member.paused === true),
      'the run had paused every cluster',
    );
    const text = await cli('etcd', 'auth', 'status');
    assert.match(
      text.stdout,
      /interrupted in phase probing: its coordinator \(pid \d+ on .+\) is gone; auth is ON, 3 cluster\(s\) still paused/,
    );
    assert.match(text.stdout, /next: `pgfleet etcd auth rollback`/);

    // Its steps, as data: other steps may come between (a Patroni whose view of the DCS froze is restarted before the resume).
    const rollback = await cli('--output', 'json', 'etcd', 'auth', 'rollback');
    assert.equal(rollback.code, 0, rollback.stderr);
    const { steps, state } = JSON.parse(rollback.stdout) as { steps: string[]; state: { phase: string } | undefined };
    const disabled = steps.indexOf('auth disabled');
    const resumed = steps.indexOf('resumed /service/alpha, /service/beta, /service/gamma');
    assert.ok(
      disabled >= 0 && resumed > disabled,
      `auth disabled, then the 3 clusters resumed: ${JSON.stringify(steps)}`,
    );
    assert.equal(state?.phase, 'rolled-back');
    const after = await json<EtcdAuthStatus>('etcd', 'auth', 'status');
    assert.equal(after.authEnabled, false);
    assert.equal(after.lastRun?.phase, 'rolled-back');
    assert.ok(
      after.members.every((member) => member.paused === false),
      'every cluster resumed',
    );
  });

  it('a coordinator SIGKILLed again: a new enforce rolls the interrupted run back, then completes', async () => {
    const before = await leadersAndTimelines(lab.state.topology);
    killCoordinatorAfterEnable();
    const interrupted = await json<EtcdAuthStatus>('etcd', 'auth', 'status');
    assert.equal(interrupted.standing.stage, 'enforce-interrupted');
    const enforce = await cli('etcd', 'auth', 'enforce');
    assert.equal(enforce.code, 0, enforce.stderr);
    assert.match(enforce.stdout, new RegExp(`the interrupted run ${interrupted.lastRun!.id} was rolled back first`));
    assert.match(enforce.stdout, /enforced: etcd auth is on; 6 members and 3 tenants probed/);
    const status = await json<EtcdAuthStatus>('etcd', 'auth', 'status');
    assert.equal(status.standing.stage, 'enforced');
    assert.ok(status.members.every((member) => member.paused === false));
    assert.deepEqual(await leadersAndTimelines(lab.state.topology), before);
  });

  it('with one etcd member stopped while enforce runs (quorum kept), enforce completes and says one endpoint was down', async () => {
    assert.equal((await cli('etcd', 'auth', 'rollback')).code, 0);
    const before = await leadersAndTimelines(lab.state.topology);
    const previousRun = (await json<EtcdAuthStatus>('etcd', 'auth', 'status')).lastRun?.id;
    const etcd3 = lab.state.processes.find((process) => process.name === 'etcd3')!;
    const down = labEtcdEndpoints(lab.state.topology)[2]!;
    const watch = startRoleWatch(lab.state.topology);
    const running = cli('etcd', 'auth', 'enforce');
    let phaseSeen: string | undefined;
    let enforce: CliResult;
    let roles: RoleWatchReport;
    try {
      // The member goes once the new run has saved its first phase: its gates saw every endpoint up.
      phaseSeen = await newEnforceRunPhase(previousRun);
      await stopProcess(etcd3, { graceMs: 5_000 });
    } finally {
      // Whatever failed above, the run is waited for and the watch stopped: nothing is left polling the lab.
      enforce = await running;
      roles = await watch.stop();
    }
    assert.equal(enforce.code, 0, enforce.stderr);
    assert.match(enforce.stdout, /enforced: etcd auth is on; 6 members and 3 tenants probed/);
    assert.ok(
      enforce.stdout.includes(`one etcd endpoint was down during the run: ${down}`),
      `${enforce.stdout}\n(etcd3 stopped once the run was at: ${phaseSeen})`,
    );
    assert.equal(await authEnabled(), true);
    assert.deepEqual(roles.demotions, [], 'no demotion');
    assert.deepEqual(await leadersAndTimelines(lab.state.topology), before, 'same leaders, same timelines');
  });

  it('keeps a report of every enforce run (JSON and text), and no password appears in any output; every password file is 0600', async () => {
    const reports = await readdir(join(lab.dir, 'reports'));
    assert.ok(reports.filter((file) => file.endsWith('.json')).length >= 2, reports.join(', '));
    const secretsDir = join(lab.dir, 'secrets');
    const files = [
      join(secretsDir, 'etcd-root.password'),
      ...(await readdir(join(secretsDir, 'tenants'))).map((f) => join(secretsDir, 'tenants', f)),
    ];
    assert.ok(files.length >= 4);
    const reportText = await Promise.all(reports.map((file) => readFile(join(lab.dir, 'reports', file), 'utf8')));
    const everything = [...outputs.map((o) => o.stdout + o.stderr), ...reportText].join('\n');
    for (const file of files) {
      const secret = (await readFile(file, 'utf8')).trim();
      assert.ok(secret.length >= 32);
      assert.equal((await stat(file)).mode & 0o777, 0o600, `${file} is 0600`);
      assert.equal(everything.includes(secret), false, `a password from ${file} leaked into the output or a report`);
    }
    const secrets = Object.fromEntries(
      await Promise.all(files.map(async (file) => [file, (await readFile(file, 'utf8')).trim()] as const)),
    );
    assert.ok(processTexts.length > 0);
    assert.deepEqual(
      secretsInTexts(processTexts, secrets),
      [],
      'no password in any command line or environment seen while migrate ran',
    );
    const logs = (await readdir(lab.dir, { recursive: true }))
      .filter((path) => path.endsWith('.log'))
      .map((path) => join(lab.dir, path));
    assert.ok(logs.length >= 9, `etcd and Patroni logs: ${logs.join(', ')}`);
    assert.deepEqual(filesHoldingSecrets(logs, secrets), [], 'no password in the etcd, Patroni or PostgreSQL logs');
  });
});
