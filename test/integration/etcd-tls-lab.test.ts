import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import { EtcdClient } from '../../src/adapters/etcd/etcd-client.js';
import { PatroniRestClient } from '../../src/adapters/patroni/rest-client.js';
import { isPortFree } from '../../src/adapters/process/port-probe.js';
import { instanceLayout } from '../../src/core/instance/instance-layout.js';
import { labEtcdEndpoints } from '../../src/core/lab/lab-topology.js';
import { checkEtcdAuthMethods } from '../../src/core/patroni-config/etcd-auth-methods.js';
import { resolveSitePaths } from '../../src/core/settings/site-paths.js';
import { listLocalInstances } from '../../src/node/local-instances.js';
import { labEnv } from '../../src/lab/lab-env.js';
import { etcdRootPasswordFile } from '../../src/lab/lab-secrets.js';
import { labStateSettings } from '../../src/lab/lab-settings.js';
import { labStatus } from '../../src/lab/lab-status.js';
import type { RoleWatchReport } from '../../src/lab/role-watch.js';
import type { EtcdAuthStatus } from '../../src/migration/etcd-auth/auth-status.js';
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
import { type CliResult, runCli } from '../support/run-cli.js';

describe('lab up --etcd-tls: etcd on https only with client certificates, 2 clusters × 2 nodes', () => {
  let lab: TestLab;
  /** The lab's settings for pgfleet, as `pgfleet lab env` exports them: the CLI reads etcd (https, CA, client certificate) and the admin password file from there. */
  let env: Record<string, string>;
  const outputs: CliResult[] = [];
  const cli = async (...args: string[]): Promise<CliResult> => {
    const result = await runCli(args, { env });
    outputs.push(result);
    return result;
  };

  const settings = () => labStateSettings(lab.state);
  const tls = () => {
    const etcd = settings().patroni!.etcd;
    return { cacert: etcd.cacert, cert: etcd.cert, key: etcd.key };
  };
  const localInstances = async () => {
    const paths = resolveSitePaths(settings(), { isRoot: process.getuid?.() === 0, home: '/', env: {} });
    return listLocalInstances(paths.patroniConfigDir, paths.patroniLogDir);
  };
  const authEnabledOverTls = async () => {
    const anonymous = new EtcdClient({ endpoints: labEtcdEndpoints(lab.state.topology, 'https'), tls: tls() });
    try {
      return await anonymous.isAuthEnabled();
    } finally {
      await anonymous.close();
    }
  };
  /** The tenant passwords `etcd auth prepare` wrote (0600 files under the lab's secrets). */
  const tenantPasswords = async () => {
    const dir = settings().tenancy.secrets_dir!;
    return Promise.all((await readdir(dir)).map(async (file) => (await readFile(join(dir, file), 'utf8')).trim()));
  };
  const pick = (status: EtcdAuthStatus) => ({ authEnabled: status.authEnabled, tokenType: status.tokenType });
  /** PATCH /config, retried while it is a compare-and-set conflict (the member's watch cache lagging behind another member's write). */
  const patchUntilNoConflict = async (rest: PatroniRestClient, patch: Record<string, unknown>): Promise<number> => {
    for (let attempt = 1; ; attempt += 1) {
      const { status } = await rest.patchConfig(patch);
      if (status !== 409 || attempt === 5) return status;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  };

  before(async () => {
    ensureBuiltCli();
    lab = await startTestLab({ clusters: 2, nodes: 2, etcdMembers: 1, etcdTls: true });
    env = await labEnv(lab.dir);
  });
  after(async () => {
    await lab?.down();
  });

  it("writes protocol https, cacert, cert and key from the lab settings into every node's YAML, and the fleet runs on it", async () => {
    const etcd = settings().patroni!.etcd;
    assert.equal(etcd.protocol, 'https');
    const paths = resolveSitePaths(settings(), { isRoot: process.getuid?.() === 0, home: '/', env: {} });
    for (const node of lab.state.topology.clusters.flatMap((cluster) => cluster.nodes)) {
      const etcd3 = (
        parse(await readFile(instanceLayout(paths, node.name).configFile, 'utf8')) as { etcd3: Record<string, unknown> }
      ).etcd3;
      assert.deepEqual(
        etcd3,
        { hosts: etcd.hosts, protocol: 'https', cacert: etcd.cacert, cert: etcd.cert, key: etcd.key },
        node.name,
      );
    }
    for (const cluster of lab.readiness)
      assert.ok(cluster.ready, `${cluster.scope} elected a leader and streams over an https-only etcd`);
    const status = await labStatus(lab.dir);
    assert.deepEqual(
      status.etcd.map((member) => [member.endpoint.split(':')[0], member.healthy]),
      [['https', true]],
    );
  });

  it('etcd refuses plain http and a client without a certificate; pgfleet with the lab client certificate gets in', async () => {
    assert.equal(await isPortFree(lab.state.topology.etcd[0]!.clientPort), true, 'no plain http listener');
    const endpoints = labEtcdEndpoints(lab.state.topology, 'https');
    const withoutCertificate = new EtcdClient({ endpoints, tls: { cacert: tls().cacert }, timeoutMs: 3_000 });
    const withCertificate = new EtcdClient({ endpoints, tls: tls(), timeoutMs: 3_000 });
    try {
      await assert.rejects(withoutCertificate.get('/service/alpha/leader'), /unreachable/);
      assert.ok(await withCertificate.get('/service/alpha/leader'), 'the alpha leader key, read over https');
    } finally {
      await withoutCertificate.close();
      await withCertificate.close();
    }
  });

  it('etcd auth migrate --yes, run as an operator would, secures the TLS etcd under writers: token type read over TLS, auth on, every member writes with its tenant', async (t) => {
    const before = await leadersAndTimelines(lab.state.topology);
    assert.equal(before.size, 2);
    // Auth is off: the settings declare no token type, so pgfleet reads it from etcd's /debug/vars, which this etcd serves only with the client certificate.
    const open = await cli('--output', 'json', 'etcd', 'auth', 'status');
    assert.equal(open.code, 0, open.stderr);
    assert.deepEqual(pick(JSON.parse(open.stdout) as EtcdAuthStatus), { authEnabled: false, tokenType: 'simple' });
    const watch = startRoleWatch(lab.state.topology);
    const writers = startFleetWriters(
      lab.dir,
      lab.state.topology,
      new Map([...before].map(([scope, value]) => [scope, value.leader])),
    );
    let tallies: WriterTally[];
    let roles: RoleWatchReport;
    let migrate: CliResult;
    const started = Date.now();
    try {
      migrate = await cli('etcd', 'auth', 'migrate', '--yes');
    } finally {
      tallies = await writers.stop();
      roles = await watch.stop();
    }
    t.diagnostic(`etcd auth migrate took ${Date.now() - started} ms`);
    assert.equal(migrate.code, 0, `${migrate.stdout}\n${migrate.stderr}`);
    assert.match(migrate.stdout, /enforced: etcd auth is on; 4 members and 2 tenants probed/);
    assert.doesNotMatch(`${migrate.stdout}${migrate.stderr}`, /token type .*could not be determined/);
    assert.equal(await authEnabledOverTls(), true);
    assertEveryWriteLanded(tallies);
    assertNoRoleChange(roles);
    assert.deepEqual(await leadersAndTimelines(lab.state.topology), before, 'same leaders, same timelines');

    // Checked here, not taken from the tool's report: each YAML holds its own cluster's tenant beside the client certificate, and each member writes to the DCS with it.
    const instances = await localInstances();
    assert.equal(instances.length, 4);
    for (const instance of instances) {
      assert.equal(instance.etcdUsername, `patroni-${instance.scope}`, instance.name);
      const warning = checkEtcdAuthMethods(instance.config.etcd3 as Record<string, unknown>, instance.configFile);
      assert.equal(
        warning?.code,
        'ETCD_BASIC_AUTH_WITH_CLIENT_CERT',
        `${instance.name}: basic auth beside a client certificate is flagged`,
      );
      for (const password of await tenantPasswords())
        assert.ok(!warning!.message.includes(password), 'no password in the warning');
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
  });

  it('etcd auth status over TLS: auth on, simple tokens, every member ready and probed; no password in any output', async () => {
    const result = await cli('--output', 'json', 'etcd', 'auth', 'status');
    assert.equal(result.code, 0, result.stderr);
    const status = JSON.parse(result.stdout) as EtcdAuthStatus;
    assert.deepEqual(pick(status), { authEnabled: true, tokenType: 'simple' });
    assert.equal(status.standing.stage, 'enforced');
    assert.equal(status.members.length, 4);
    for (const member of status.members) {
      assert.equal(member.ready, true, member.member);
      assert.equal(member.lastProbe?.ok, true, member.member);
    }
    const text = await cli('etcd', 'auth', 'status');
    assert.match(text.stdout, /auth ON, simple tokens/);

    const secrets = [(await readFile(etcdRootPasswordFile(lab.dir), 'utf8')).trim(), ...(await tenantPasswords())];
    assert.equal(secrets.length, 3);
    const everything = outputs.map((output) => output.stdout + output.stderr).join('\n');
    for (const secret of secrets)
      assert.ok(secret.length >= 32 && !everything.includes(secret), 'no password in the CLI output');
  });
});
