import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { EtcdAuthApi } from '../../src/adapters/etcd/auth-api.js';
import { PgfleetError } from '../../src/core/errors.js';
import { EtcdClient } from '../../src/adapters/etcd/etcd-client.js';
import { labEtcdEndpoints } from '../../src/core/lab/lab-topology.js';
import { resolveSitePaths } from '../../src/core/settings/site-paths.js';
import { listLocalInstances } from '../../src/node/local-instances.js';
import { waitForClusters } from '../../src/lab/cluster-wait.js';
import type { DemoNarrator } from '../../src/lab/demo-narrator.js';
import { labSiteSettings } from '../../src/lab/lab-settings.js';
import { type OutageReplayResult, replayOutage } from '../../src/lab/outage-replay.js';
import { type TestLab, startTestLab } from '../support/lab-fixture.js';

describe('pgfleet lab replay-outage on a running lab: the naive runbook of the outage report, then the lab restored', () => {
  let lab: TestLab;
  let result: OutageReplayResult;
  const lines: string[] = [];
  const yamlBefore = new Map<string, string>();
  const narrator: DemoNarrator = {
    step: (title) => lines.push(`# ${title}`),
    command: (line) => lines.push(`$ ${line}`),
    say: (line) => lines.push(line),
    progress: () => undefined,
    endProgress: () => undefined,
    status: () => undefined,
  };
  const instances = () => {
    const paths = resolveSitePaths(labSiteSettings(lab.dir, lab.state.topology).settings, {
      isRoot: process.getuid?.() === 0,
      home: '/',
      env: {},
    });
    return listLocalInstances(paths.patroniConfigDir);
  };

  /** A first replay, interrupted (Ctrl-C) once auth is on, and what it left. */
  let interrupted: {
    error: unknown;
    lines: string[];
    authEnabled: boolean;
    users: string[];
    yamlUnchanged: boolean;
    readiness: Array<{ ready: boolean }>;
  };
  const authAndUsers = async (): Promise<{ authEnabled: boolean; users: string[] }> => {
    const admin = new EtcdClient({ endpoints: labEtcdEndpoints(lab.state.topology) });
    try {
      const authEnabled = await admin.isAuthEnabled();
      return { authEnabled, users: authEnabled ? [] : await new EtcdAuthApi(admin).listUsers() };
    } finally {
      await admin.close();
    }
  };
  const yamlAsBefore = async (): Promise<boolean> => {
    for (const instance of await instances())
      if ((await readFile(instance.configFile, 'utf8')) !== yamlBefore.get(instance.configFile)) return false;
    return true;
  };

  before(async () => {
    lab = await startTestLab({ clusters: 2, nodes: 2, etcdMembers: 3 });
    for (const instance of await instances())
      yamlBefore.set(instance.configFile, await readFile(instance.configFile, 'utf8'));
    const abort = new AbortController();
    const interruptedLines: string[] = [];
    const interruptOnceAuthIsOn: DemoNarrator = {
      ...narrator,
      step: (title) => interruptedLines.push(`# ${title}`),
      say: (line) => {
        interruptedLines.push(line);
        if (line.startsWith('auth is ON')) abort.abort();
      },
    };
    const error = await replayOutage({ dir: lab.dir, narrator: interruptOnceAuthIsOn, signal: abort.signal }).then(
      () => undefined,
      (failure: unknown) => failure,
    );
    const readiness = await waitForClusters(lab.dir, lab.state.topology, ['alpha', 'beta'], { timeoutMs: 30_000 });
    interrupted = {
      error,
      lines: interruptedLines,
      ...(await authAndUsers()),
      yamlUnchanged: await yamlAsBefore(),
      readiness,
    };
    result = await replayOutage({ dir: lab.dir, narrator });
  });
  after(async () => {
    await lab?.down();
  });

  it('interrupted (Ctrl-C) while auth is on, leaves the lab as it was: auth off, every node running, no runbook user, YAML files unchanged', () => {
    assert.ok(
      interrupted.error instanceof PgfleetError && interrupted.error.code === 'LAB_STORY_INTERRUPTED',
      String(interrupted.error),
    );
    assert.equal(interrupted.error.exitCode, 130);
    assert.match(
      interrupted.lines.join('\n'),
      /the replay stopped part-way: etcd auth was switched off again, every node started, and the runbook's user, role and YAML changes undone/,
    );
    assert.doesNotMatch(interrupted.lines.join('\n'), /looks healthy/, 'no step started after the interruption');
    assert.equal(interrupted.authEnabled, false);
    assert.deepEqual(
      interrupted.users.filter((user) => user === 'patroni_user' || user === 'root'),
      [],
    );
    assert.equal(interrupted.yamlUnchanged, true);
    assert.ok(interrupted.readiness.every((cluster) => cluster.ready));
  });

  it("says the runbook's etcdctl line does not exist, and what the real commands are", () => {
    const text = lines.join('\n');
    assert.match(text, /`etcdctl role add-user` does not exist/);
    assert.match(
      text,
      /etcdctl role grant-permission patroni_role --prefix=true readwrite \/service\/ {3}and {3}etcdctl user grant-role patroni_user patroni_role/,
    );
    assert.match(text, /refuses without a root user/);
  });

  it('shows the forgotten cluster looking healthy to the usual checks while auth is on', () => {
    assert.equal(result.forgotten, 'beta');
    assert.equal(result.looksHealthy.clusterStatus, 200);
    assert.ok(result.looksHealthy.leader, 'GET /cluster still names a leader');
    assert.ok(
      result.looksHealthy.dcsLastSeenAdvancedS > 0,
      `dcs_last_seen advanced by ${result.looksHealthy.dcsLastSeenAdvancedS} s`,
    );
    assert.equal(result.looksHealthy.sqlWriteOk, true);
  });

  it('while its DCS writes are refused, for lack of credentials', () => {
    assert.equal(result.dcsWrite.status, 409);
    assert.equal(result.dcsWrite.logCause, 'no-credentials');
  });

  it("and at the next failover it gets no leader: the application's writes fail", () => {
    assert.equal(result.failover.newLeader, undefined);
    assert.ok(result.failover.watchedMs >= 30_000);
    assert.ok(result.failover.failedWrites > 0);
  });

  it('restores the lab it was given: auth off, every cluster with a leader and a streaming replica, no runbook user, YAML files as they were', async () => {
    assert.equal(result.startedLab, false);
    assert.equal(result.kept, true);
    const { authEnabled, users } = await authAndUsers();
    assert.equal(authEnabled, false);
    assert.deepEqual(
      users.filter((user) => user === 'patroni_user' || user === 'root'),
      [],
    );
    const readiness = await waitForClusters(lab.dir, lab.state.topology, ['alpha', 'beta'], { timeoutMs: 30_000 });
    assert.ok(readiness.every((cluster) => cluster.ready));
    assert.equal(await yamlAsBefore(), true, 'every YAML file as it was');
  });
});
