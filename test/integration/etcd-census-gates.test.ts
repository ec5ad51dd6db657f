import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { PatroniRestClient } from '../../src/adapters/patroni/rest-client.js';
import { labEtcdEndpoints } from '../../src/core/lab/lab-topology.js';
import type { AuthPlan } from '../../src/core/migration/auth-plan.js';
import { resolveSitePaths } from '../../src/core/settings/site-paths.js';
import { etcdAuthEnabled } from '../../src/fleet/fleet-connection.js';
import { labEnv } from '../../src/lab/lab-env.js';
import { labSiteSettings } from '../../src/lab/lab-settings.js';
import type { EnforceReport } from '../../src/migration/etcd-auth/enforce-report.js';
import { type DebianFleet, startDebianFleet } from '../support/debian-fleet.js';
import type { TestEtcd } from '../support/etcd-fixture.js';
import {
  type PostgresWriterTally,
  type TestChild,
  startEtcdctlWatch,
  startKeyWriter,
  startPostgresWriter,
} from '../support/etcd-clients.js';
import {
  type WriterTally,
  assertEveryWriteLanded,
  leadersAndTimelines,
  startFleetWriters,
} from '../support/fleet-writers.js';
import { type TestLab, startTestLab } from '../support/lab-fixture.js';
import { ensureBuiltCli } from '../support/built-cli.js';
import { type CliResult, runCli } from '../support/run-cli.js';

/**
 * The acceptance of issue 23 for clients pgfleet was never told about: a
 * Patroni cluster the test starts itself (from Debian's template, not
 * through pgfleet) under /postgresql-common/, a namespace the lab's settings
 * do not name; an `etcdctl watch --prefix /x/`; and a process writing under
 * /app/. Run as an operator would: the built CLI, settings from `lab env`.
 */
describe('every client of the etcd before auth goes on (a lab, a foreign Patroni cluster, an unknown watcher and writer)', () => {
  let lab: TestLab;
  let foreign: DebianFleet;
  let env: Record<string, string>;
  let watcher: TestChild;
  let writer: TestChild;
  let settingsFile: string;
  let tenantsFile: string;
  const outside = '/postgresql-common/15-ext/';
  const watcherProcess = `unknown-process:${hostname()}:etcdctl:/x/`;
  const cli = (...args: string[]): Promise<CliResult> => runCli(args, { env });
  const plan = async (...settings: string[]): Promise<AuthPlan> => {
    const result = await cli('--output', 'json', ...settings, 'etcd', 'auth', 'plan');
    assert.ok(result.code === 0 || result.code === 1, result.stderr);
    return JSON.parse(result.stdout) as AuthPlan;
  };
  const blockerSubjects = (authPlan: AuthPlan): string[] => authPlan.blockers.map((blocker) => blocker.subject);
  const endpoint = () => labEtcdEndpoints(lab.state.topology)[0]!;
  const authEnabled = () => etcdAuthEnabled({ endpoints: labEtcdEndpoints(lab.state.topology) });
  const foreignMember = () => foreign.members[0]!;
  const foreignPassword = async (): Promise<string> => {
    const document = parse(await readFile(foreignMember().symlink!, 'utf8'), { version: '1.1' }) as {
      postgresql: { authentication: { superuser: { password: string } } };
    };
    return document.postgresql.authentication.superuser.password;
  };
  /** Writers on every primary: the lab's clusters (its own writer) and the foreign one. */
  const withWriters = async <T>(
    work: () => Promise<T>,
  ): Promise<{ result: T; lab: WriterTally[]; foreign: PostgresWriterTally }> => {
    const leaders = await leadersAndTimelines(lab.state.topology);
    const labWriters = startFleetWriters(
      lab.dir,
      lab.state.topology,
      new Map([...leaders].map(([s, v]) => [s, v.leader])),
    );
    const foreignWriter = startPostgresWriter({ port: foreignMember().pgPort, password: await foreignPassword() });
    try {
      const result = await work();
      return { result, lab: await labWriters.stop(), foreign: await foreignWriter.stop() };
    } catch (error) {
      await labWriters.stop();
      await foreignWriter.stop();
      throw error;
    }
  };

  before(async () => {
    ensureBuiltCli();
    lab = await startTestLab({ clusters: 2, nodes: 1, etcdMembers: 1 });
    env = await labEnv(lab.dir);
    // Started through a symlink, as Debian's own members can be: the file moves later without Patroni noticing.
    foreign = await startDebianFleet({
      etcd: { endpoints: labEtcdEndpoints(lab.state.topology) } as TestEtcd,
      clusters: ['ext'],
      hosts: ['host1'],
      viaSymlink: { host: 'host1', cluster: 'ext' },
      viaRelativePath: { host: 'none', cluster: 'none' },
    });
    watcher = startEtcdctlWatch({ endpoint: endpoint(), key: '/x/', prefix: true });
    writer = startKeyWriter(endpoint(), '/app/');
    tenantsFile = join(lab.dir, 'tenants.yaml');
    settingsFile = join(lab.dir, 'settings-census.yaml');
  });
  after(async () => {
    await writer?.stop();
    await watcher?.stop();
    await foreign?.stop();
    await lab?.down();
  });

  it('plan names the Patroni cluster outside the configured namespaces, the unknown watcher and the unknown writer, and blocks', async () => {
    const authPlan = await plan();
    assert.equal(authPlan.blocked, true);
    const subjects = blockerSubjects(authPlan);
    for (const id of [`outside-cluster:${outside}`, 'unknown-writer:/app/', 'unexplained-watchers', watcherProcess])
      assert.ok(subjects.includes(id), `${id} in ${subjects.join(', ')}`);
    const cluster = authPlan.census!.subjects.find((subject) => subject.id === `outside-cluster:${outside}`)!;
    assert.deepEqual(cluster.details['members'], [foreignMember().name]);
    assert.match(
      authPlan.blockers.find((blocker) => blocker.subject === `outside-cluster:${outside}`)!.hint,
      /add \/postgresql-common\/ to tenancy\.namespaces/,
    );
    // The lab's own members, leases, watchers and Patroni processes are all explained: nothing else is named.
    assert.deepEqual(
      authPlan.census!.subjects.map((subject) => subject.id).sort(),
      [`outside-cluster:${outside}`, 'unexplained-watchers', 'unknown-writer:/app/', watcherProcess].sort(),
    );
  });

  it('migrate --yes refuses under writers on every primary, naming that cluster: auth stays off, 0 failed writes', async () => {
    const run = await withWriters(() => cli('etcd', 'auth', 'migrate', '--yes'));
    assert.equal(run.result.code, 1, run.result.stderr);
    assert.match(
      `${run.result.stdout}\n${run.result.stderr}`,
      /Patroni cluster \/postgresql-common\/15-ext\/ .* is outside the configured namespaces/,
    );
    assert.match(run.result.stderr, /the plan is blocked/);
    assert.equal(await authEnabled(), false);
    assertEveryWriteLanded(run.lab);
    assert.equal(run.foreign.failed, 0, 'failed writes on the foreign cluster');
    assert.ok(run.foreign.ok > 0);
  });

  it('with its namespace in the settings and its YAML where pgfleet reads members, the cluster is part of the plan; enforce still refuses until each unknown client is acknowledged', async () => {
    const settings = labSiteSettings(lab.dir, lab.state.topology).settings;
    const configDir = resolveSitePaths(settings, {
      isRoot: process.getuid?.() === 0,
      home: '/',
      env: {},
    }).patroniConfigDir;
    // Its file moves to pgfleet's configuration directory; Patroni keeps reading it through the path it was started with.
    const member = foreignMember();
    const moved = join(configDir, `${member.scope}.yaml`);
    await rename(member.realConfigFile, moved);
    await rm(member.symlink!);
    await symlink(moved, member.symlink!);
    const document = parse(await readFile(join(lab.dir, 'settings.yaml'), 'utf8')) as Record<
      string,
      Record<string, unknown>
    >;
    document['tenancy'] = { ...document['tenancy'], namespaces: ['/postgresql-common/'], tenants_file: tenantsFile };
    await writeFile(settingsFile, stringify(document));
    await writeFile(tenantsFile, 'tenants: []\n');

    const authPlan = await plan('--settings', settingsFile);
    assert.ok(
      authPlan.members.some((entry) => entry.member === `${outside}${member.name}` && entry.where === 'this host'),
    );
    assert.ok(!blockerSubjects(authPlan).includes(`outside-cluster:${outside}`));

    // prepare and apply (the foreign member gets its own tenant), then enforce: refused for what is still unknown.
    for (const step of ['prepare', 'apply']) {
      const result = await cli('--settings', settingsFile, 'etcd', 'auth', step);
      assert.equal(result.code, 0, `${step}: ${result.stderr}`);
    }
    await writeFile(
      tenantsFile,
      stringify({
        tenants: [],
        acknowledged: [{ subject: 'unknown-writer:/app/', reason: 'the app cache: it falls back to its database' }],
      }),
    );
    const refused = await cli('--settings', settingsFile, 'etcd', 'auth', 'enforce');
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /enforce refused at the gates/);
    assert.match(refused.stderr, /more than the fleet explains/);
    assert.match(
      refused.stderr,
      /etcdctl \(pid \d+\) on .* talks to this etcd \(v3 API, watch \/x\/ and under, without credentials\) and is not declared/,
    );
    assert.doesNotMatch(
      refused.stderr.slice(refused.stderr.indexOf('enforce refused at the gates')),
      /\/app\/ is being written/,
    );
    assert.match(refused.stderr, /ACKNOWLEDGED, NOT PROTECTED: unknown-writer:\/app\//);
    assert.equal(await authEnabled(), false);
  });

  it('once each is acknowledged, migrate secures the foreign cluster too: it writes with its own credentials; the report names what was acknowledged and the writer lost', async () => {
    await writeFile(
      tenantsFile,
      stringify({
        tenants: [],
        acknowledged: [
          { subject: 'unknown-writer:/app/', reason: 'the app cache: it falls back to its database' },
          { subject: 'unexplained-watchers', reason: 'the etcdctl watch of /x/ below' },
          { subject: watcherProcess, reason: 'an operator watching /x/ by hand' },
        ],
      }),
    );
    const run = await withWriters(() =>
      cli('--output', 'json', '--settings', settingsFile, 'etcd', 'auth', 'migrate', '--yes'),
    );
    assert.equal(run.result.code, 0, run.result.stderr);
    const report = JSON.parse(run.result.stdout) as EnforceReport;
    assert.equal(report.outcome, 'enforced');
    assert.equal(await authEnabled(), true);
    assertEveryWriteLanded(run.lab);
    assert.equal(run.foreign.failed, 0, 'failed writes on the foreign cluster');

    const member = foreignMember();
    const probe = report.state.probes.find((entry) => entry.member === `${outside}${member.name}`);
    assert.ok(probe?.ok, JSON.stringify(report.state.probes));
    assert.deepEqual(
      report.census!.acknowledged.map((subject) => subject.id).sort(),
      ['unexplained-watchers', 'unknown-writer:/app/', watcherProcess].sort(),
    );
    // The writer under /app/ has no user: the census again, with auth on, finds it stopped.
    assert.ok(
      report.census!.afterEnable!.findings.some(
        (finding) => finding.kind === 'stopped-writer' && finding.subject === '/app/',
      ),
      JSON.stringify(report.census!.afterEnable),
    );
    assert.match(run.result.stderr, /ACKNOWLEDGED, NOT PROTECTED: unknown-writer:\/app\//);

    // Checked here: its YAML holds its own tenant, and it writes to the DCS now that auth is on.
    const yaml = parse(await readFile(member.symlink!, 'utf8'), { version: '1.1' }) as { etcd3: { username: string } };
    assert.equal(yaml.etcd3.username, `patroni-${member.scope}`);
    const rest = new PatroniRestClient(member.restUrl);
    try {
      assert.equal((await rest.patchConfig({ census_marker: 'x' })).status, 200);
      assert.equal((await rest.patchConfig({ census_marker: null })).status, 200);
    } finally {
      await rest.close();
    }
    const text = await cli('--settings', settingsFile, 'etcd', 'auth', 'status');
    assert.equal(text.code, 0, text.stderr);
  });
});
