import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile, stat } from 'node:fs/promises';
import { promisify } from 'node:util';
import type { PatroniRestClient } from '../../src/adapters/patroni/rest-client.js';
import { servedCertificateFingerprint } from '../../src/adapters/patroni/served-certificate.js';
import { restAccessFromPatroniConfig } from '../../src/core/restapi/rest-client-access.js';
import { readLocalInstance } from '../../src/node/local-instances.js';
import { restClientWithAccess } from '../../src/fleet/member-rest-client.js';
import { labEnv } from '../../src/lab/lab-env.js';
import { clusterReadiness } from '../../src/lab/fleet-readiness.js';
import { labNodeConfigFile, labNodeRestClient } from '../../src/lab/lab-rest-client.js';
import { type LabRestApiTls, prepareLabRestApiTls } from '../../src/lab/lab-restapi-tls.js';
import type { RestPasswordRotationReport } from '../../src/restapi/password-rotation.js';
import type { RenewalReport } from '../../src/pki/index.js';
import { ensureBuiltCli } from '../support/built-cli.js';
import {
  type WriterTally,
  assertEveryWriteLanded,
  leadersAndTimelines,
  startFleetWriters,
  startRoleWatch,
} from '../support/fleet-writers.js';
import { type TestLab, startTestLab } from '../support/lab-fixture.js';
import { type CliResult, runCli } from '../support/run-cli.js';
import { secretsInTexts } from '../support/secret-scan.js';

const run = promisify(execFile);

/** HAProxy marks a server down after `fall` failed checks in a row (its default: 3). */
const FALL = 3;

/**
 * The acceptance of the REST API password rotation and the certificate
 * renewal (issue 21) on a live 2 × 2 lab whose REST API is secured by
 * pgfleet (TLS, client certificates, basic auth): an HAProxy-like health
 * check (GET /primary on every member, every 200 ms, with the client
 * certificate) keeps routing throughout; switchovers through patronictl and
 * pgfleet work afterwards; a certificate close to expiry is reported by the
 * audit.
 */
describe('pgfleet restapi rotate-password and pki renew on a live 2 × 2 lab with a secured REST API', () => {
  let lab: TestLab;
  let env: Record<string, string>;
  let tls: LabRestApiTls;
  const outputs: CliResult[] = [];
  const cli = async (...args: string[]): Promise<CliResult> => {
    const result = await runCli(args, { env });
    outputs.push(result);
    return result;
  };
  const nodes = () => lab.state.topology.clusters.flatMap((cluster) => cluster.nodes);
  const configFile = (node: string) => labNodeConfigFile(lab.dir, lab.state.topology, node);

  /**
   * GET /primary on every member every 200 ms, each member through a client
   * made once from its YAML at the start (CA, client certificate), as a
   * load balancer configured once would. Per cluster: the longest run of
   * rounds in which no member answered 200 (HAProxy would mark the primary
   * down after FALL of them).
   */
  const startPrimaryCheck = async () => {
    const clients = await Promise.all(
      nodes().map(async (node) => {
        const cluster = lab.state.topology.clusters.find((c) => c.nodes.includes(node))!.scope;
        const instance = await readLocalInstance(configFile(node.name));
        const access = restAccessFromPatroniConfig(instance.config);
        return {
          cluster,
          client: restClientWithAccess({ ...access, username: undefined, password: undefined }, 2_000),
        };
      }),
    );
    const longestGap = new Map<string, number>();
    const gap = new Map<string, number>();
    let rounds = 0;
    let running = true;
    const loop = (async () => {
      while (running) {
        const started = Date.now();
        const answers = await Promise.all(
          clients.map(async ({ cluster, client }) => ({
            cluster,
            ok: await client.send('GET', '/primary').then(
              (answer) => answer.status === 200,
              () => false,
            ),
          })),
        );
        rounds += 1;
        for (const cluster of new Set(answers.map((answer) => answer.cluster))) {
          const routed = answers.some((answer) => answer.cluster === cluster && answer.ok);
          gap.set(cluster, routed ? 0 : (gap.get(cluster) ?? 0) + 1);
          longestGap.set(cluster, Math.max(longestGap.get(cluster) ?? 0, gap.get(cluster)!));
        }
        await new Promise((resolve) => setTimeout(resolve, Math.max(0, 200 - (Date.now() - started))));
      }
    })();
    return {
      async stop() {
        running = false;
        await loop;
        await Promise.all(clients.map(({ client }) => client.close()));
        return { rounds, longestGap };
      },
    };
  };
  const assertKeptRouting = (check: { rounds: number; longestGap: Map<string, number> }) => {
    assert.ok(check.rounds > 10, `the health check ran (${check.rounds} rounds)`);
    for (const [cluster, longest] of check.longestGap)
      assert.ok(
        longest < FALL,
        `${cluster}: ${longest} checks in a row found no primary (HAProxy marks it down at ${FALL})`,
      );
  };
  /** Waits until a cluster has its leader running and every replica streaming again. */
  const settled = async (scope: string, leader: string) => {
    const cluster = lab.state.topology.clusters.find((c) => c.scope === scope)!;
    for (const deadline = Date.now() + 90_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 1_000))) {
      const clients: PatroniRestClient[] = [];
      try {
        const readiness = await clusterReadiness(cluster, async (node) => {
          const { client } = await labNodeRestClient(lab.dir, lab.state.topology, node, 3_000);
          clients.push(client);
          return client;
        });
        if (readiness.ready && readiness.leader === leader) return;
      } finally {
        await Promise.all(clients.map((client) => client.close()));
      }
    }
    assert.fail(`${scope} did not settle with ${leader} as leader`);
  };

  before(async () => {
    ensureBuiltCli();
    lab = await startTestLab({ clusters: 2, nodes: 2, etcdMembers: 1 });
    env = await labEnv(lab.dir);
    tls = await prepareLabRestApiTls(lab.dir, { verifyClient: 'optional', basicAuth: true });
    const secure = await cli('restapi', 'secure', 'apply');
    assert.equal(secure.code, 0, secure.stderr);
  });
  after(async () => {
    await lab?.down();
  });

  it('rotate-password: every member lets the new password in and refuses the old one, the file holds it (0600), GET /primary keeps routing', async () => {
    const passwordFile = (scope: string) => tls.passwordFile!.replaceAll('{scope}', scope);
    const old = new Map(
      await Promise.all(
        ['alpha', 'beta'].map(async (scope) => [scope, (await readFile(passwordFile(scope), 'utf8')).trim()] as const),
      ),
    );
    const leaders = await leadersAndTimelines(lab.state.topology, lab.dir);
    const writers = startFleetWriters(
      lab.dir,
      lab.state.topology,
      new Map([...leaders].map(([s, v]) => [s, v.leader])),
    );
    const roles = startRoleWatch(lab.state.topology, 1_000, lab.dir);
    const check = await startPrimaryCheck();
    let rotation: CliResult;
    let tallies: WriterTally[];
    try {
      rotation = await cli('--output', 'json', 'restapi', 'rotate-password');
    } finally {
      assertKeptRouting(await check.stop());
      tallies = await writers.stop();
      const watched = await roles.stop();
      assert.deepEqual(watched.demotions, [], 'no demotion');
    }
    assert.equal(rotation.code, 0, rotation.stderr);
    assertEveryWriteLanded(tallies);
    const report = JSON.parse(rotation.stdout) as RestPasswordRotationReport;
    assert.equal(report.outcome, 'rotated');
    assert.deepEqual(
      report.clusters.flatMap((cluster) => cluster.members.map((m) => [m.member, m.newPassword, m.oldPassword])),
      [
        ['alpha/alpha-1', 'accepted', 'refused'],
        ['alpha/alpha-2', 'accepted', 'refused'],
        ['beta/beta-1', 'accepted', 'refused'],
        ['beta/beta-2', 'accepted', 'refused'],
      ],
    );
    for (const scope of ['alpha', 'beta']) {
      const fresh = (await readFile(passwordFile(scope), 'utf8')).trim();
      assert.notEqual(fresh, old.get(scope));
      assert.equal((await stat(passwordFile(scope))).mode & 0o777, 0o600);
      await assert.rejects(stat(`${passwordFile(scope)}.previous`));
      for (const node of lab.state.topology.clusters.find((c) => c.scope === scope)!.nodes) {
        const yaml = await readFile(configFile(node.name), 'utf8');
        assert.ok(yaml.includes(fresh) && !yaml.includes(old.get(scope)!), `${node.name} holds the new password only`);
      }
    }
    const passwords = Object.fromEntries([...old].map(([scope, value]) => [`old ${scope}`, value]));
    assert.deepEqual(
      secretsInTexts(
        outputs.map((o) => o.stdout + o.stderr),
        passwords,
      ),
      [],
    );
  });

  it('after the rotation, a switchover through patronictl and one through pgfleet both succeed', async () => {
    const before = await leadersAndTimelines(lab.state.topology, lab.dir);
    const alpha = lab.state.topology.clusters.find((cluster) => cluster.scope === 'alpha')!;
    const leader = before.get('alpha')!.leader;
    const replica = alpha.nodes.find((node) => node.name !== leader)!.name;
    // patronictl with the replica's YAML (its ctl certificates and the new restapi.authentication).
    const { stdout } = await run(
      'patronictl',
      ['switchover', 'alpha', '--leader', leader, '--candidate', replica, '--force'],
      {
        env: { ...process.env, ...(await labEnv(lab.dir, replica)) },
      },
    );
    assert.match(stdout, new RegExp(`Successfully switched over to "${replica}"`));
    await settled('alpha', replica);
    const viaPgfleet = await cli('--output', 'json', 'cluster', 'switchover', 'alpha', '--candidate', leader);
    assert.equal(viaPgfleet.code, 0, viaPgfleet.stderr);
    const result = JSON.parse(viaPgfleet.stdout) as { from: string; to: string };
    assert.deepEqual({ from: result.from, to: result.to }, { from: replica, to: leader });
    await settled('alpha', leader);
  });

  it('pki renew with verify_client required: new server and client certificates served and accepted, GET /primary with the client certificate keeps routing', async () => {
    await prepareLabRestApiTls(lab.dir, { verifyClient: 'required', basicAuth: true });
    const required = await cli('restapi', 'secure', 'apply');
    assert.equal(required.code, 0, required.stderr);
    const instance = await readLocalInstance(configFile('alpha-1'));
    const access = restAccessFromPatroniConfig(instance.config);
    const servedBefore = await servedCertificateFingerprint(access.baseUrl, access);

    const check = await startPrimaryCheck();
    let renewal: CliResult;
    try {
      renewal = await cli('--output', 'json', 'pki', 'renew', '--only', 'restapi-server', 'restapi-client');
    } finally {
      assertKeptRouting(await check.stop());
    }
    assert.equal(renewal.code, 0, renewal.stderr);
    const report = JSON.parse(renewal.stdout) as RenewalReport;
    assert.equal(report.outcome, 'renewed');
    assert.deepEqual(
      report.certificates.map((c) => c.use),
      ['restapi-server', 'restapi-client'],
    );
    for (const certificate of report.certificates) {
      assert.ok('probes' in certificate);
      assert.equal(certificate.probes.length, 4, JSON.stringify(certificate.probes));
      assert.ok(
        certificate.probes.every((probe) => probe.ok),
        JSON.stringify(certificate.probes),
      );
    }
    const servedAfter = await servedCertificateFingerprint(access.baseUrl, access);
    assert.notEqual(servedAfter, servedBefore, 'the member serves the new certificate');
    await assert.rejects(stat(`${tls.files.serverCert}.previous`));
    // Both sides are in use: pgfleet reaches every member with the new client certificate.
    const status = await cli('--output', 'json', 'restapi', 'status');
    assert.equal(status.code, 0, status.stderr);
  });

  it('a certificate in use two days from expiry gives an audit warning naming it', async () => {
    const renewal = await cli('pki', 'renew', '--only', 'restapi-server', '--days', '2');
    assert.equal(renewal.code, 0, renewal.stderr);
    const audit = await cli('--output', 'json', 'audit');
    const report = JSON.parse(audit.stdout) as {
      findings: Array<{ ruleId: string; severity: string; object: { name: string }; evidence: string }>;
    };
    const expiry = report.findings.filter((finding) => finding.ruleId === 'files.certificate-expiry');
    assert.deepEqual(
      expiry.map((finding) => [finding.severity, finding.object.name]),
      [['warning', tls.files.serverCert]],
    );
    assert.match(expiry[0]!.evidence, /in 1 day|in 2 days/);
  });
});
