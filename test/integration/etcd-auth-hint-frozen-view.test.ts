import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { randomBytes } from 'node:crypto';
import { parseDocument, stringify } from 'yaml';
import { EtcdAuthApi } from '../../src/adapters/etcd/auth-api.js';
import { EtcdClient } from '../../src/adapters/etcd/etcd-client.js';
import type { PatroniRestClient } from '../../src/adapters/patroni/rest-client.js';
import { prefixRange } from '../../src/core/etcd/key-range.js';
import type { LabNode } from '../../src/core/lab/lab-topology.js';
import { labEtcdEndpoints } from '../../src/core/lab/lab-topology.js';
import { etcdAuthEnabled } from '../../src/fleet/fleet-connection.js';
import { labEnv } from '../../src/lab/lab-env.js';
import { labNodeConfigFile, labNodeRestClient } from '../../src/lab/lab-rest-client.js';
import { labSiteSettingsDocument } from '../../src/lab/lab-settings.js';
import type { EtcdAuthStatus } from '../../src/migration/etcd-auth/auth-status.js';
import { ensureBuiltCli } from '../support/built-cli.js';
import { EtcdWatchRelay } from '../support/etcd-watch-relay.js';
import type { RoleWatchReport } from '../../src/lab/role-watch.js';
import {
  assertEveryWriteLanded,
  assertNoRoleChange,
  leadersAndTimelines,
  startFleetWriters,
  startRoleWatch,
} from '../support/fleet-writers.js';
import { type TestLab, startTestLab } from '../support/lab-fixture.js';
import { type CliResult, runCli } from '../support/run-cli.js';

/**
 * A member whose view of the DCS froze during a rollback, and enforce's
 * answer to it, followed as printed. Patroni 3.0.2 keeps its view in a cache
 * fed by one long-lived watch stream, read with no timeout; when etcd cancels
 * that watch but keeps the stream open (auth switched off while Patroni
 * re-authenticates: a race), the member serves its old view for ever. The
 * race is replaced by fault injection on the network path: one member
 * (beta's replica) reaches etcd through a relay (test/support/etcd-watch-relay.ts)
 * that, armed, stalls the watch that member opens after its re-authentication
 * at `auth disable`, every time. etcd and Patroni are real. The rollback is
 * caused by an ordinary failure: a tenant role widened by hand (the probe
 * finds it too wide; `etcd tenants apply` fixes it).
 */
describe('a member whose view of the DCS froze during a rollback: restarted by enforce, or the printed hint followed', () => {
  let lab: TestLab;
  let env: Record<string, string>;
  let relay: EtcdWatchRelay;
  let frozen: LabNode;
  let leaders: Map<string, { leader: string; timeline: number }>;
  let coordinatorDir: string;
  const cli = (args: string[], withEnv = env): Promise<CliResult> => runCli(args, { env: withEnv });
  const endpoints = () => labEtcdEndpoints(lab.state.topology);
  const restOf = async (node: LabNode): Promise<PatroniRestClient> =>
    (await labNodeRestClient(lab.dir, lab.state.topology, node, 5_000)).client;
  const nodesOf = (scope: string): LabNode[] => lab.state.topology.clusters.find((c) => c.scope === scope)!.nodes;
  const withEtcd = async <T>(work: (client: EtcdClient) => Promise<T>): Promise<T> => {
    const client = new EtcdClient({ endpoints: endpoints() });
    try {
      return await work(client);
    } finally {
      await client.close();
    }
  };
  /** Sets a marker in beta's dynamic configuration through its leader; resolves with whether `node`'s GET /config shows it within `withinMs`. */
  const seesMarker = async (node: LabNode, withinMs: number): Promise<boolean> => {
    const nonce = randomBytes(4).toString('hex');
    const leader = await restOf(nodesOf('beta').find((n) => n.name === leaders.get('beta')!.leader)!);
    const member = await restOf(node);
    try {
      assert.equal((await leader.patchConfig({ frozen_view_probe: nonce })).status, 200);
      const deadline = Date.now() + withinMs;
      while (Date.now() < deadline) {
        const config = await member.dynamicConfig().catch(() => undefined);
        if (config?.frozen_view_probe === nonce) return true;
        await sleep(200);
      }
      return false;
    } finally {
      await leader.patchConfig({ frozen_view_probe: null }).catch(() => undefined);
      await leader.close();
      await member.close();
    }
  };
  /** Writers and role watches of the cases, stopped in `after` too when a case fails before stopping them. */
  const background: Array<{ stop(): Promise<unknown> }> = [];
  const writeOnEveryPrimary = () => {
    const writers = startFleetWriters(lab.dir, lab.state.topology, leaderNames());
    background.push(writers);
    return writers;
  };
  const watchRoles = () => {
    const roles = startRoleWatch(lab.state.topology, 250, lab.dir);
    background.push(roles);
    return roles;
  };
  const leaderNames = (): Map<string, string> => new Map([...leaders].map(([scope, { leader }]) => [scope, leader]));
  const memberKeyRevision = (): Promise<number> =>
    withEtcd(async (client) => (await client.get(`/service/beta/members/${frozen.name}`))?.modRevision ?? 0);
  const hintOf = (result: CliResult): string => {
    const hint = /^hint: (.*)$/m.exec(result.stderr)?.[1];
    assert.ok(hint, `no hint in:\n${result.stderr}`);
    return hint;
  };
  /** Every command the hint names, in its order (pgfleet's and patronictl's, each in backquotes). */
  const commandsIn = (hint: string): string[][] =>
    [...hint.matchAll(/`((?:pgfleet|patronictl) [^`]+)`/g)].map((match) => match[1]!.split(' '));
  const widenAlphaRole = (): Promise<void> =>
    withEtcd((client) =>
      new EtcdAuthApi(client).grantPermission('patroni-alpha', { ...prefixRange('/service/'), permType: 'READWRITE' }),
    );
  const assertEnforced = async (withEnv: Record<string, string>): Promise<void> => {
    const status = await cli(['--output', 'json', 'etcd', 'auth', 'status'], withEnv);
    const parsed = JSON.parse(status.stdout) as EtcdAuthStatus;
    assert.equal(parsed.standing.stage, 'enforced', status.stdout);
    assert.deepEqual(parsed.pausedClusters, []);
  };
  const assertLeadersKept = async (roles: RoleWatchReport): Promise<void> => {
    assertNoRoleChange(roles);
    assert.deepEqual(
      [...(await leadersAndTimelines(lab.state.topology, lab.dir))].map(([scope, { leader }]) => [scope, leader]),
      [...leaders].map(([scope, { leader }]) => [scope, leader]),
    );
  };

  before(async () => {
    ensureBuiltCli();
    lab = await startTestLab({ clusters: 2, nodes: 2, etcdMembers: 1 });
    env = await labEnv(lab.dir);
    for (const step of [
      ['etcd', 'auth', 'prepare'],
      ['etcd', 'auth', 'apply'],
    ]) {
      const result = await cli(step);
      assert.equal(result.code, 0, result.stderr);
    }
    leaders = await leadersAndTimelines(lab.state.topology, lab.dir);
    frozen = nodesOf('beta').find((node) => node.name !== leaders.get('beta')!.leader)!;
    // Its etcd through the relay, as a proxy (no topology discovery, which would lead it to etcd's own URL);
    // etcd hosts are read at Patroni's start only: restart its daemon (a replica: PostgreSQL restarts with it).
    relay = await EtcdWatchRelay.start(endpoints()[0]!.replace(/^https?:\/\//, ''));
    const configFile = labNodeConfigFile(lab.dir, lab.state.topology, frozen.name);
    const document = parseDocument(await readFile(configFile, 'utf8'), { version: '1.1' });
    document.setIn(['etcd3', 'hosts'], [relay.hostPort]);
    document.setIn(['etcd3', 'use_proxies'], true);
    await writeFile(configFile, document.toString());
    const restart = await cli(['instance', 'restart', frozen.name, '--patroni']);
    assert.equal(restart.code, 0, restart.stderr);
    for (let waited = 0; relay.openWatches === 0; waited += 100) {
      assert.ok(waited < 30_000, `${frozen.name} opened no watch through the relay`);
      await sleep(100);
    }
    // A coordinator on a host of its own: the lab's settings with a prefix of its own (no instances), the same etcd,
    // admin and tenant secrets. It finds the lab's running Patroni processes and adopts those of its etcd; the
    // relayed member's etcd is the relay, not the site's: it is left alone, not managed on the coordinator's host.
    coordinatorDir = await mkdtemp(join(tmpdir(), 'pgfleet-coordinator-'));
    const settings = labSiteSettingsDocument(lab.dir, lab.state.topology);
    await writeFile(
      join(coordinatorDir, 'settings.yaml'),
      stringify({
        ...settings,
        prefix: coordinatorDir,
        postgresql: { ...(settings.postgresql as object), rundir: join(coordinatorDir, 'run') },
      }),
    );
  });
  after(async () => {
    await Promise.all(background.map((task) => task.stop().catch(() => undefined)));
    await relay?.close();
    await lab?.down();
    if (coordinatorDir) await rm(coordinatorDir, { recursive: true, force: true });
  });

  it('a stalled watch stream: the member stops following the DCS, while its REST API answers as if it did and its own DCS writes still land', async () => {
    assert.equal(await seesMarker(frozen, 10_000), true, 'through the relay, the member follows the DCS');
    // Writers on every primary: the replica's WAL position moves, so its HA loop has its member key to rewrite.
    const writers = writeOnEveryPrimary();
    const rest = await restOf(frozen);
    try {
      assert.equal(relay.stallOpenWatches(), 1, 'one watch stream open through the relay');
      const before = await rest.nodeStatus();
      const memberKeyBefore = await memberKeyRevision();
      assert.equal(await seesMarker(frozen, 10_000), false, 'a change every other member shows does not reach it');
      const after = await rest.nodeStatus();
      assert.ok(
        (after.dcs_last_seen ?? 0) > (before.dcs_last_seen ?? 0),
        'GET /patroni still reports a DCS seen just now (it reads its cache)',
      );
      assert.ok((await memberKeyRevision()) > memberKeyBefore, 'its member key is still written (other connections)');
      assert.equal(
        (await rest.patchConfig({ frozen_view_own_write: 1 })).status,
        409,
        "a PATCH /config through it is refused: a compare-and-set against the configuration's old revision",
      );
    } finally {
      await rest.close();
      assertEveryWriteLanded(await writers.stop());
    }
    relay.releaseStalled();
    assert.equal(await seesMarker(frozen, 15_000), true, 'its watch closed, it reads the DCS afresh');
  });

  it('managed on the coordinator’s host: the rollback restarts its Patroni while paused, and the hint (`etcd tenants apply`, then enforce) ends enforced', async () => {
    const roles = watchRoles();
    const writers = writeOnEveryPrimary();
    await widenAlphaRole();
    relay.arm();
    const stalledBefore = relay.stalled;
    const enforce = await cli(['etcd', 'auth', 'enforce']);
    assert.equal(enforce.code, 3, enforce.stderr);
    assert.equal(relay.stalled, stalledBefore + 1, 'the member’s watch was stalled during the rollback');
    assert.match(
      enforce.stderr,
      new RegExp(
        `/service/beta/${frozen.name}: its view of the DCS was frozen: Patroni restarted, PostgreSQL kept running`,
      ),
    );
    const hint = hintOf(enforce);
    assert.deepEqual(
      commandsIn(hint),
      [
        ['pgfleet', 'etcd', 'tenants', 'apply'],
        ['pgfleet', 'etcd', 'auth', 'enforce'],
      ],
      hint,
    );
    for (const [program, ...args] of commandsIn(hint)) {
      assert.equal(program, 'pgfleet');
      const result = await cli(args);
      assert.equal(result.code, 0, `${program} ${args.join(' ')} (from the hint "${hint}"): ${result.stderr}`);
    }
    await assertEnforced(env);
    assertEveryWriteLanded(await writers.stop());
    await assertLeadersKept(await roles.stop());
    assert.equal(await seesMarker(frozen, 10_000), true, 'the restarted member follows the DCS');
    const rollback = await cli(['etcd', 'auth', 'rollback']);
    assert.equal(rollback.code, 0, rollback.stderr);
    assert.equal(await etcdAuthEnabled({ endpoints: endpoints() }), false);
  });

  it('not managed on the coordinator’s host: the hint names `patronictl pause`, `pgfleet instance restart --patroni` on its host and `patronictl resume`; followed as printed, the fleet ends enforced', async () => {
    const coordinator = { PGFLEET_CONFIG_DIR: coordinatorDir };
    // The member's host: the lab's settings, patronictl reading that member's YAML.
    const itsHost = await labEnv(lab.dir, frozen.name);
    const roles = watchRoles();
    const writers = writeOnEveryPrimary();
    await widenAlphaRole();
    relay.arm();
    const stalledBefore = relay.stalled;
    const enforce = await cli(['etcd', 'auth', 'enforce'], coordinator);
    assert.equal(enforce.code, 3, enforce.stderr);
    assert.equal(relay.stalled, stalledBefore + 1, 'the member’s watch was stalled during the rollback');
    const hint = hintOf(enforce);
    assert.match(hint, new RegExp(`/service/beta/${frozen.name}.* frozen view of the DCS`));
    assert.deepEqual(
      commandsIn(hint),
      [
        ['pgfleet', 'etcd', 'tenants', 'apply'],
        ['patronictl', 'pause', 'beta'],
        ['pgfleet', 'instance', 'restart', frozen.name, '--patroni'],
        ['patronictl', 'resume', 'beta'],
        ['pgfleet', 'etcd', 'auth', 'enforce'],
      ],
      hint,
    );
    assert.equal(await seesMarker(frozen, 5_000), false, 'still frozen when the hint is printed');
    for (const [program, ...args] of commandsIn(hint)) {
      // What the hint says to do on the member's host runs there; the rest on the coordinator's.
      const onItsHost = program === 'patronictl' || args[0] === 'instance';
      const result =
        program === 'pgfleet' ? await cli(args, onItsHost ? itsHost : coordinator) : await patronictl(args, itsHost);
      assert.equal(result.code, 0, `${program} ${args.join(' ')} (from the hint "${hint}"): ${result.stderr}`);
    }
    await assertEnforced(coordinator);
    assertEveryWriteLanded(await writers.stop());
    await assertLeadersKept(await roles.stop());
    assert.equal(await seesMarker(frozen, 10_000), true, 'the restarted member follows the DCS');
  });
});

function patronictl(args: string[], env: Record<string, string>): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile('patronictl', args, { env: { ...process.env, ...env }, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
}
