import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parse, stringify } from 'yaml';
import { labEtcdEndpoints } from '../../src/core/lab/lab-topology.js';
import type { AuthPlan } from '../../src/core/migration/auth-plan.js';
import { etcdAuthEnabled } from '../../src/fleet/fleet-connection.js';
import { labEnv } from '../../src/lab/lab-env.js';
import type { DeclaredClientListing } from '../../src/tenancy/client-credentials.js';
import { type TestChild, etcdctl, startEtcdctlWatch } from '../support/etcd-clients.js';
import { leadersAndTimelines } from '../support/fleet-writers.js';
import { type TestLab, startTestLab } from '../support/lab-fixture.js';
import { type NetnsVipManager, startVipManagerInNetns } from '../support/netns-vip-manager.js';
import { ensureBuiltCli } from '../support/built-cli.js';
import { type CliResult, runCli } from '../support/run-cli.js';

/**
 * The acceptance of issue 23 for clients that are not Patroni: Debian's own
 * vip-manager (1.0.2, etcd v2 only) running for cluster alpha, first not
 * declared, then declared; then a declared reader of alpha's leader key
 * (an `etcdctl watch` with the reader's credentials in its environment,
 * standing in for a v3 vip-manager) through the migration and a switchover.
 */
describe('etcd clients that are not Patroni: vip-manager, then a declared reader of the leader key', () => {
  let lab: TestLab;
  let env: Record<string, string>;
  let vip: NetnsVipManager | undefined;
  let reader: TestChild | undefined;
  let settingsFile: string;
  let tenantsFile: string;
  const vipProcess = `unknown-process:${hostname()}:vip-manager:/service/alpha/leader`;
  const cli = (...args: string[]): Promise<CliResult> => runCli(['--settings', settingsFile, ...args], { env });
  const json = async <T>(...args: string[]): Promise<T> => {
    const result = await cli('--output', 'json', ...args);
    assert.ok(result.code === 0 || result.code === 1, `${args.join(' ')}: ${result.code}\n${result.stderr}`);
    return JSON.parse(result.stdout) as T;
  };
  const endpoint = () => labEtcdEndpoints(lab.state.topology)[0]!;
  const authEnabled = () => etcdAuthEnabled({ endpoints: labEtcdEndpoints(lab.state.topology) });
  const declare = (clients: unknown[]) => writeFile(tenantsFile, stringify({ tenants: [], clients }));
  const passwordOf = async (user: string) =>
    (await readFile(join(lab.dir, 'secrets', 'tenants', `${user}.password`), 'utf8')).trim();

  before(async () => {
    ensureBuiltCli();
    lab = await startTestLab({ clusters: 2, nodes: 2, etcdMembers: 1 });
    env = await labEnv(lab.dir);
    tenantsFile = join(lab.dir, 'tenants.yaml');
    settingsFile = join(lab.dir, 'settings-clients.yaml');
    const document = parse(await readFile(join(lab.dir, 'settings.yaml'), 'utf8')) as Record<
      string,
      Record<string, unknown>
    >;
    document['tenancy'] = { ...document['tenancy'], tenants_file: tenantsFile };
    await writeFile(settingsFile, stringify(document));
    await declare([]);
    vip = await startVipManagerInNetns({
      etcdEndpoint: endpoint(),
      triggerKey: '/service/alpha/leader',
      triggerValue: 'alpha-1',
    });
  });
  after(async () => {
    await reader?.stop();
    await vip?.stop();
    await lab?.down();
  });

  it('plan names the vip-manager nobody declared and the key it reads, and enforce refuses', async () => {
    const plan = await json<AuthPlan>('etcd', 'auth', 'plan');
    assert.equal(plan.blocked, true);
    const subject = plan.census!.subjects.find((candidate) => candidate.id === vipProcess);
    assert.ok(subject, plan.census!.subjects.map((candidate) => candidate.id).join(', '));
    assert.deepEqual(subject.details['pids'], [vip!.pid]);
    assert.deepEqual(subject.details['keys'], [{ key: '/service/alpha/leader', prefix: false, use: 'read' }]);
    assert.deepEqual([subject.details['api'], subject.details['version']], ['v2', '1.0.2-6+b2']);
    assert.ok(plan.blockers.some((blocker) => blocker.subject === vipProcess));

    for (const step of ['prepare', 'apply']) {
      const result = await cli('etcd', 'auth', step);
      assert.equal(result.code, 0, `${step}: ${result.stderr}`);
    }
    const enforce = await cli('etcd', 'auth', 'enforce');
    assert.notEqual(enforce.code, 0);
    assert.match(
      enforce.stderr,
      /vip-manager \(pid \d+\) on .* talks to this etcd \(v2 API, read \/service\/alpha\/leader, without credentials\) and is not declared/,
    );
    assert.match(enforce.stderr, /without them every read fails and vip-manager drops the VIP/);
    assert.equal(await authEnabled(), false);
  });

  it('declared, it gets its own user with read of its one key (password in a 0600 file), and enforce refuses until it is ready — and then because Debian 1.0.2 speaks only etcd v2', async () => {
    await declare([{ name: 'vip-alpha', kind: 'vip-manager', scope: 'alpha' }]);
    const apply = await cli('etcd', 'tenants', 'apply');
    assert.equal(apply.code, 0, apply.stderr);
    const show = await json<{
      roles: Array<{ name: string; permissions: Array<{ permType: string; range: string }> }>;
    }>('etcd', 'tenants', 'show');
    assert.deepEqual(show.roles.find((role) => role.name === 'vip-alpha')?.permissions, [
      { permType: 'READ', range: '/service/alpha/leader' },
    ]);
    const file = await stat(join(lab.dir, 'secrets', 'tenants', 'vip-alpha.password'));
    assert.equal(file.mode & 0o777, 0o600);
    let listing = await json<DeclaredClientListing[]>('etcd', 'clients', 'list');
    assert.deepEqual(
      listing.map((client) => [client.name, client.setUp, client.ready]),
      [['vip-alpha', true, false]],
    );

    const notReady = await cli('etcd', 'auth', 'enforce');
    assert.notEqual(notReady.code, 0);
    assert.match(notReady.stderr, /declared client vip-alpha \(vip-manager\): not acknowledged ready/);
    // Declared, it is no longer an unknown process.
    assert.doesNotMatch(notReady.stderr, /is not declared/);

    const ready = await cli('etcd', 'clients', 'ready', 'vip-alpha');
    assert.equal(ready.code, 0, ready.stderr);
    listing = await json<DeclaredClientListing[]>('etcd', 'clients', 'list');
    assert.equal(listing[0]!.ready, true);
    const v2Only = await cli('etcd', 'auth', 'enforce');
    assert.notEqual(v2Only.code, 0);
    assert.doesNotMatch(v2Only.stderr, /not acknowledged ready/);
    assert.match(v2Only.stderr, /vip-alpha \(vip-manager 1\.0\.2-6\+b2\) speaks only etcd's v2 API/);
    assert.match(v2Only.stderr, /its process \d+ on .* runs without etcd credentials/);
    assert.equal(await authEnabled(), false);
  });

  it('a declared reader of the leader key, ready: migrate proves it; it still sees the leader change on a switchover, its write and another cluster are denied', async () => {
    await vip!.stop();
    vip = undefined;
    await declare([{ name: 'alpha-leader-reader', kind: 'vip-manager', scope: 'alpha', version: '2.8.0' }]);
    for (const args of [
      ['etcd', 'tenants', 'apply'],
      ['etcd', 'clients', 'ready', 'alpha-leader-reader'],
    ]) {
      const result = await cli(...args);
      assert.equal(result.code, 0, `${args.join(' ')}: ${result.stderr}`);
    }
    const migrate = await cli('etcd', 'auth', 'migrate', '--yes');
    assert.equal(migrate.code, 0, migrate.stderr);
    assert.match(
      migrate.stdout,
      /enforced: etcd auth is on; 4 members and 2 tenants probed, and 1 declared client: all proven with their own credentials/,
    );
    assert.match(
      migrate.stdout,
      /declared client alpha-leader-reader \(vip-manager\): read of the key \/service\/alpha\/leader works; write \/service\/alpha\/leader: denied; read \/service\/alpha\/config .*: denied; read \/service\/beta\/leader .*: denied/,
    );
    assert.equal(await authEnabled(), true);

    const credentials = { username: 'alpha-leader-reader', password: await passwordOf('alpha-leader-reader') };
    reader = startEtcdctlWatch({ endpoint: endpoint(), key: '/service/alpha/leader', credentials });
    const argv = await readFile(`/proc/${reader.child.pid}/cmdline`, 'utf8');
    assert.ok(!argv.includes(credentials.password), 'no password on its command line');
    await sleep(1_500);
    const leaderBefore = (await leadersAndTimelines(lab.state.topology)).get('alpha')!.leader;
    const switchover = await cli('cluster', 'switchover', 'alpha');
    assert.equal(switchover.code, 0, switchover.stderr);
    const leaderAfter = (await leadersAndTimelines(lab.state.topology)).get('alpha')!.leader;
    assert.notEqual(leaderAfter, leaderBefore);
    for (const deadline = Date.now() + 60_000; !reader.output().includes(leaderAfter); await sleep(250))
      assert.ok(Date.now() < deadline, `the watch never saw ${leaderAfter}: ${reader.output()}`);
    assert.match(reader.output(), /PUT\n\/service\/alpha\/leader\n/);

    const write = await etcdctl(endpoint(), ['put', '/service/alpha/leader', 'not-the-leader'], credentials);
    assert.notEqual(write.code, 0);
    assert.match(write.stderr, /permission denied/);
    const neighbour = await etcdctl(endpoint(), ['get', '/service/beta/leader'], credentials);
    assert.notEqual(neighbour.code, 0);
    assert.match(neighbour.stderr, /permission denied/);
    const own = await etcdctl(endpoint(), ['get', '/service/alpha/leader', '--print-value-only'], credentials);
    assert.equal(own.code, 0, own.stderr);
    assert.equal(own.stdout.trim(), leaderAfter);
  });
});
