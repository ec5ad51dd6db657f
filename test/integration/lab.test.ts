import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { mkdtemp, mkdir, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isRunning } from '../../src/adapters/process/daemon.js';
import { findFreePortRange } from '../../src/adapters/process/port-probe.js';
import { instanceLayout } from '../../src/core/instance/instance-layout.js';
import { resolveSitePaths } from '../../src/core/settings/site-paths.js';
import { postmasterHandle } from '../../src/node/patroni-process.js';
import { ensureClusterRoles } from '../../src/lab/lab-secrets.js';
import { labSiteSettings } from '../../src/lab/lab-settings.js';
import { labStatus } from '../../src/lab/lab-status.js';
import { checkWriteReplicates } from '../../src/lab/replication-check.js';
import { type TestLab, startTestLab } from '../support/lab-fixture.js';
import { processesMentioning } from '../support/process-scan.js';
import { runCli } from '../support/run-cli.js';

describe('lab on the real stack: 3 etcd members and 2 clusters of 2 nodes', () => {
  let lab: TestLab;
  before(async () => {
    lab = await startTestLab({ clusters: 2, nodes: 2, etcdMembers: 3 });
  });
  after(async () => {
    await lab?.down();
  });

  it('has a leader in every cluster and a replica streaming from it', async () => {
    assert.equal(lab.readiness.length, 2);
    for (const cluster of lab.readiness) {
      assert.ok(cluster.leader, `${cluster.scope} has a leader`);
      assert.equal(cluster.streaming.length, 1, `${cluster.scope} has one streaming replica`);
      assert.notEqual(cluster.streaming[0], cluster.leader);
    }
    const status = await labStatus(lab.dir);
    assert.equal(status.etcd.filter((member) => member.healthy).length, 3);
    assert.equal(status.etcd.filter((member) => member.leader).length, 1);
    for (const cluster of status.clusters) {
      assert.deepEqual(
        cluster.nodes.map((node) => node.state),
        ['running', 'running'],
      );
    }
  });

  it('replicates a write on each primary to its replica', async () => {
    for (const cluster of lab.state.topology.clusters) {
      const leader = lab.readiness.find((r) => r.scope === cluster.scope)!.leader!;
      const check = await checkWriteReplicates(
        lab.state.topology,
        cluster,
        leader,
        await ensureClusterRoles(lab.dir, cluster.scope),
      );
      assert.equal(check.primary, leader);
      assert.notEqual(check.replica, leader);
    }
  });

  it('keeps every generated Patroni YAML at mode 0600, owned by the Patroni user', async () => {
    const paths = resolveSitePaths(labSiteSettings(lab.dir, lab.state.topology).settings, {
      isRoot: process.getuid?.() === 0,
      home: '/',
      env: {},
    });
    for (const file of await readdir(paths.patroniConfigDir)) {
      const info = await stat(join(paths.patroniConfigDir, file));
      assert.equal(info.mode & 0o777, 0o600, file);
      if (process.getuid?.() === 0) assert.notEqual(info.uid, 0, `${file} belongs to the postgres user, not root`);
    }
  });

  it('lab down stops every etcd, Patroni and PostgreSQL process it started, and is safe to run twice', async () => {
    const paths = resolveSitePaths(labSiteSettings(lab.dir, lab.state.topology).settings, {
      isRoot: process.getuid?.() === 0,
      home: '/',
      env: {},
    });
    const postmasters = await Promise.all(
      lab.state.topology.clusters.flatMap((c) =>
        c.nodes.map((n) => postmasterHandle(instanceLayout(paths, n.name).dataDir)),
      ),
    );
    const started = [...lab.state.processes, ...postmasters.filter((p) => p !== undefined)];
    assert.equal(started.length, 3 + 4 + 4, 'three etcd, four Patroni and four postmasters were running');
    assert.ok(started.every((handle) => isRunning(handle)));

    const first = await runCli(['lab', 'down', '--dir', lab.dir]);
    assert.equal(first.code, 0, first.stderr);
    assert.deepEqual(
      started.filter((handle) => isRunning(handle)),
      [],
    );
    assert.deepEqual(processesMentioning(lab.dir), []);
    await assert.rejects(stat(lab.dir));

    const second = await runCli(['lab', 'down', '--dir', lab.dir]);
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stdout, /nothing to do/);
  });
});

describe('lab up refuses bad input with one clear line, starting nothing and leaving nothing behind', () => {
  let parent: string;
  let blocker: Server | undefined;
  before(async () => {
    parent = await mkdtemp(join(tmpdir(), 'pgfleet-badlab-'));
  });
  after(async () => {
    blocker?.close();
    await rm(parent, { recursive: true, force: true });
  });

  const expectRefusal = async (args: string[], pattern: RegExp, labDir: string): Promise<void> => {
    const before = processesMentioning(labDir).length;
    const result = await runCli(['lab', 'up', '--dir', labDir, ...args]);
    assert.notEqual(result.code, 0);
    assert.equal(result.code, 2, `usage errors exit 2: ${result.stderr}`);
    const errorLines = result.stderr.split('\n').filter((line) => line.startsWith('error'));
    assert.equal(errorLines.length, 1, result.stderr);
    assert.match(errorLines[0]!, pattern);
    assert.equal(processesMentioning(labDir).length, before);
  };

  it('--clusters 0', async () => {
    const dir = join(parent, 'zero');
    await expectRefusal(['--clusters', '0'], /--clusters/, dir);
    await assert.rejects(stat(dir), 'no lab directory was created');
  });

  it('a non-numeric port', async () => {
    const dir = join(parent, 'nan');
    await expectRefusal(['--base-port', 'abc'], /--base-port/, dir);
    await assert.rejects(stat(dir));
  });

  it('a base port whose range is taken', async () => {
    const base = await findFreePortRange(20);
    blocker = createServer();
    await new Promise<void>((resolve) => blocker!.listen(base + 4, '127.0.0.1', resolve));
    const dir = join(parent, 'taken');
    await expectRefusal(
      ['--base-port', String(base), '--clusters', '1', '--etcd-members', '1'],
      new RegExp(`${base + 4}.*in use`),
      dir,
    );
    await assert.rejects(stat(dir));
  });

  it('a lab directory that exists and is not a lab', async () => {
    const dir = join(parent, 'not-a-lab');
    await mkdir(dir);
    await writeFile(join(dir, 'precious.txt'), 'keep me');
    await expectRefusal([], /not a pgfleet lab/, dir);
    assert.deepEqual(await readdir(dir), ['precious.txt']);
  });

  it('lab down refuses a directory it did not create', async () => {
    const dir = join(parent, 'foreign');
    await mkdir(dir);
    await writeFile(join(dir, 'data'), 'x');
    const result = await runCli(['lab', 'down', '--dir', dir]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /not a pgfleet lab/);
    assert.deepEqual(await readdir(dir), ['data']);
  });
});
