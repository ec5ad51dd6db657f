import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { parseDocument } from 'yaml';
import { EtcdAuthApi } from '../../src/adapters/etcd/auth-api.js';
import { EtcdClient } from '../../src/adapters/etcd/etcd-client.js';
import { prefixRange } from '../../src/core/etcd/key-range.js';
import { labEtcdEndpoints } from '../../src/core/lab/lab-topology.js';
import { resolveSitePaths } from '../../src/core/settings/site-paths.js';
import { Secret } from '../../src/core/secret.js';
import { etcdAuthEnabled } from '../../src/fleet/fleet-connection.js';
import { labEnv } from '../../src/lab/lab-env.js';
import { labSiteSettings } from '../../src/lab/lab-settings.js';
import type { EtcdAuthStatus } from '../../src/migration/etcd-auth/auth-status.js';
import { type LocalInstance, listLocalInstances } from '../../src/node/local-instances.js';
import { ensureBuiltCli } from '../support/built-cli.js';
import { type TestLab, startTestLab } from '../support/lab-fixture.js';
import { type CliResult, runCli } from '../support/run-cli.js';

/**
 * Every hint enforce prints is a path that works: for each cause a gate or
 * the probes report, the test runs the commands the printed hint names, in
 * its order, exactly as printed, and the fleet ends enforced (then rolled
 * back for the next cause). One lab (1 etcd, 2 clusters × 2 nodes) for all
 * of them: a lab costs more to start than a case to run.
 */
describe('every enforce hint, followed as printed, ends with the fleet enforced (1 etcd, 2 clusters × 2 nodes)', () => {
  let lab: TestLab;
  let env: Record<string, string>;
  const cli = (...args: string[]): Promise<CliResult> => runCli(args, { env });
  const endpoints = () => labEtcdEndpoints(lab.state.topology);
  const authEnabled = () => etcdAuthEnabled({ endpoints: endpoints() });
  const instance = async (node: string): Promise<LocalInstance> => {
    const paths = resolveSitePaths(labSiteSettings(lab.dir, lab.state.topology).settings, {
      isRoot: process.getuid?.() === 0,
      home: '/',
      env: {},
    });
    const found = (await listLocalInstances(paths.patroniConfigDir)).find((candidate) => candidate.node === node);
    assert.ok(found, `instance ${node}`);
    return found;
  };
  /** Edits a member's Patroni YAML in place (owner and mode kept), then makes Patroni reload it. */
  const editYaml = async (node: string, edit: (document: ReturnType<typeof parseDocument>) => void): Promise<void> => {
    const { configFile, name } = await instance(node);
    const document = parseDocument(await readFile(configFile, 'utf8'), { version: '1.1' });
    edit(document);
    await writeFile(configFile, document.toString());
    const reload = await cli('instance', 'reload', name);
    assert.equal(reload.code, 0, reload.stderr);
    // POST /reload is taken at Patroni's next cycle (loop_wait 2 s on the lab).
    await new Promise((resolve) => setTimeout(resolve, 3_000));
  };
  /** An anonymous client: auth is off whenever the test changes etcd by hand. */
  const withEtcd = async <T>(work: (auth: EtcdAuthApi) => Promise<T>): Promise<T> => {
    const client = new EtcdClient({ endpoints: endpoints() });
    try {
      return await work(new EtcdAuthApi(client));
    } finally {
      await client.close();
    }
  };
  const hintOf = (result: CliResult): string => {
    const hint = /^hint: (.*)$/m.exec(result.stderr)?.[1];
    assert.ok(hint, `no hint in:\n${result.stderr}`);
    return hint;
  };
  const commandsIn = (hint: string): string[][] =>
    [...hint.matchAll(/`pgfleet ([^`]+)`/g)].map((match) => match[1]!.split(' '));
  /**
   * Runs the hint's commands in order, as printed. Every command but the last must succeed; the last is
   * `pgfleet etcd auth enforce`, which must enforce.
   */
  const followHint = async (hint: string): Promise<CliResult> => {
    const commands = commandsIn(hint);
    assert.deepEqual(commands.at(-1), ['etcd', 'auth', 'enforce'], `the hint ends with enforce: ${hint}`);
    let last: CliResult | undefined;
    for (const command of commands) {
      last = await cli(...command);
      assert.equal(last.code, 0, `pgfleet ${command.join(' ')} (from the hint "${hint}"): ${last.stderr}`);
    }
    assert.match(last!.stdout, /enforced: etcd auth is on; 4 members and 2 tenants probed/);
    const status = await cli('--output', 'json', 'etcd', 'auth', 'status');
    const parsed = JSON.parse(status.stdout) as EtcdAuthStatus;
    assert.equal(parsed.standing.stage, 'enforced');
    assert.deepEqual(parsed.pausedClusters, []);
    return last!;
  };
  /** The failed run's exit code, the cause it names, and the commands its hint names (the last one: enforce). */
  const hintNaming = (result: CliResult, exitCode: number, cause: RegExp, commands: string[][]): string => {
    assert.equal(result.code, exitCode, result.stderr);
    assert.match(result.stderr, cause);
    const hint = hintOf(result);
    assert.deepEqual(commandsIn(hint), [...commands, ['etcd', 'auth', 'enforce']], hint);
    return hint;
  };
  const rollback = async (): Promise<void> => {
    const result = await cli('etcd', 'auth', 'rollback');
    assert.equal(result.code, 0, result.stderr);
    assert.equal(await authEnabled(), false);
  };

  before(async () => {
    ensureBuiltCli();
    lab = await startTestLab({ clusters: 2, nodes: 2, etcdMembers: 1 });
    env = await labEnv(lab.dir);
    const prepare = await cli('etcd', 'auth', 'prepare');
    assert.equal(prepare.code, 0, prepare.stderr);
  });
  after(async () => {
    await lab?.down();
  });

  it('no credentials yet (gate): the refusal names `etcd auth apply`, then enforce', async () => {
    const refused = await cli('etcd', 'auth', 'enforce');
    const hint = hintNaming(refused, 2, /\[ENFORCE_GATES_REFUSED\]/, [['etcd', 'auth', 'apply']]);
    await followHint(hint);
    await rollback();
  });

  it('a member without credentials caught by the probe (--skip-gates drill): rolled back, the hint names `etcd auth apply`', async () => {
    await editYaml('alpha-2', (document) => {
      document.deleteIn(['etcd3', 'username']);
      document.deleteIn(['etcd3', 'password']);
    });
    const drill = await cli('etcd', 'auth', 'enforce', '--skip-gates');
    const hint = hintNaming(
      drill,
      3,
      /\/service\/alpha\/alpha-2 has no etcd credentials in its Patroni configuration/,
      [['etcd', 'auth', 'apply']],
    );
    await followHint(hint);
    await rollback();
  });

  it('a wrong password in a member’s YAML caught by the probe (--skip-gates drill): the hint names `etcd auth apply`, which rewrites it', async () => {
    await editYaml('beta-1', (document) => document.setIn(['etcd3', 'password'], 'not-the-beta-password'));
    const drill = await cli('etcd', 'auth', 'enforce', '--skip-gates');
    assert.doesNotMatch(drill.stderr, /not-the-beta-password/);
    const hint = hintNaming(
      drill,
      3,
      /etcd authentication failed for \/service\/beta\/beta-1: its etcd password is wrong/,
      [['etcd', 'auth', 'apply']],
    );
    await followHint(hint);
    await rollback();
  });

  it('a tenant password changed in etcd by hand: the hint names `etcd tenants apply` (not `etcd auth apply`, which would loop)', async () => {
    await withEtcd((auth) => auth.changePassword('patroni-alpha', new Secret('changed-by-hand-in-etcd')));
    const enforce = await cli('etcd', 'auth', 'enforce');
    assert.doesNotMatch(enforce.stderr, /too wide/);
    const hint = hintNaming(
      enforce,
      3,
      /etcd authentication failed for \/service\/alpha\/alpha-\d: its YAML holds the password of patroni-alpha from the tenant's password file, and etcd holds another one/,
      [['etcd', 'tenants', 'apply']],
    );
    await followHint(hint);
    await rollback();
  });

  it('a tenant role widened by hand: the tenant probe finds it too wide, the hint names `etcd tenants apply`', async () => {
    await withEtcd((auth) =>
      auth.grantPermission('patroni-beta', { ...prefixRange('/service/'), permType: 'READWRITE' }),
    );
    const enforce = await cli('etcd', 'auth', 'enforce');
    const hint = hintNaming(
      enforce,
      3,
      /tenant patroni-beta: could read \/service\/alpha\/leader.* its role is too wide/,
      [['etcd', 'tenants', 'apply']],
    );
    await followHint(hint);
    await rollback();
  });

  it('a member whose Patroni is stopped (gate: unreachable): the hint names `instance start` for it, then enforce', async () => {
    const { name } = await instance('beta-2');
    const stop = await cli('instance', 'stop', name);
    assert.equal(stop.code, 0, stop.stderr);
    // Its member key outlives it for Patroni's TTL (20 s on the lab): the gate sees a member that does not answer.
    const refused = await cli('etcd', 'auth', 'enforce');
    const hint = hintNaming(refused, 2, /member \/service\/beta\/beta-2 is unreachable/, [['instance', 'start', name]]);
    await followHint(hint);
  });
});
