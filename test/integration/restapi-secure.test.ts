import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseDocument } from 'yaml';
import { initCertificateAuthority, issueCertificate } from '../../src/adapters/pki/certificate-issuer.js';
import type { PatroniRestClient } from '../../src/adapters/patroni/rest-client.js';
import { probeRestApi } from '../../src/adapters/patroni/rest-probe.js';
import { caRequest, leafRequest } from '../../src/core/pki/certificate-request.js';
import { expectedMatrix } from '../../src/core/restapi/probe-matrix.js';
import { labEnv } from '../../src/lab/lab-env.js';
import { clusterReadiness } from '../../src/lab/fleet-readiness.js';
import { labNodeConfigFile, labNodeRestClient } from '../../src/lab/lab-rest-client.js';
import { type LabRestApiTls, prepareLabRestApiTls } from '../../src/lab/lab-restapi-tls.js';
import { ensureBuiltCli } from '../support/built-cli.js';
import { assertEveryWriteLanded, leadersAndTimelines, startFleetWriters } from '../support/fleet-writers.js';
import { type TestLab, startTestLab } from '../support/lab-fixture.js';
import { type CliResult, runCli } from '../support/run-cli.js';

const run = promisify(execFile);

interface ProbeOutput {
  scope: string;
  node: string;
  report: {
    url: string;
    observed: Array<{ client: string; endpoint: string; outcome: string; detail?: string }>;
    mismatches: unknown[];
    expected: Array<{ client: string; endpoint: string; outcome: string }>;
  };
}

/**
 * The acceptance of issue 7 on the real stack: an open 2 × 2 lab is secured
 * live with `pgfleet restapi secure apply` (TLS, verify_client optional,
 * basic auth) while a writer runs on each primary; members, patronictl and
 * pgfleet still talk to each other; then verify_client required. Bad input
 * is refused at plan time with nothing changed.
 */
describe('pgfleet restapi secure on a live 2 × 2 lab', () => {
  let lab: TestLab;
  let env: Record<string, string>;
  let tls: LabRestApiTls;
  let scratch: string;
  const outputs: CliResult[] = [];
  const cli = async (...args: string[]): Promise<CliResult> => {
    const result = await runCli(args, { env });
    outputs.push(result);
    return result;
  };
  const nodes = () => lab.state.topology.clusters.flatMap((cluster) => cluster.nodes);
  const yamlHashes = async () =>
    Promise.all(
      nodes().map(async (node) =>
        createHash('sha256')
          .update(await readFile(labNodeConfigFile(lab.dir, lab.state.topology, node.name)))
          .digest('hex'),
      ),
    );

  /** The lab settings with patroni.restapi / patroni.ctl changed by `edit`, in a file of their own. */
  const settingsVariant = async (
    name: string,
    edit: (document: ReturnType<typeof parseDocument>) => void,
  ): Promise<string> => {
    const document = parseDocument(await readFile(tls.settingsFile, 'utf8'));
    edit(document);
    const file = join(scratch, `${name}.yaml`);
    await writeFile(file, document.toString());
    return file;
  };

  before(async () => {
    ensureBuiltCli();
    lab = await startTestLab({ clusters: 2, nodes: 2, etcdMembers: 1 });
    env = await labEnv(lab.dir);
    scratch = await mkdtemp(join(tmpdir(), 'pgfleet-restapi-'));
    // The operator's preparation: a CA, certificates, password files, and the target in the settings. No node changes.
    tls = await prepareLabRestApiTls(lab.dir, { verifyClient: 'optional', basicAuth: true });
  });
  after(async () => {
    await lab?.down();
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  describe('bad input is caught at plan time, with a clear error, and changes nothing', () => {
    let otherCa: string;
    before(async () => {
      otherCa = join(scratch, 'other-pki');
      await initCertificateAuthority(otherCa, caRequest({ commonName: 'another CA' }));
      await issueCertificate(otherCa, {
        ...leafRequest({ kind: 'server', name: 'restapi', sans: ['127.0.0.1'] }),
        kind: 'server',
      });
    });

    const refused = async (
      settingsFile: string,
      code: string,
      mentions: string,
      command: 'plan' | 'apply' = 'plan',
    ) => {
      const before = await yamlHashes();
      const result = await cli('--settings', settingsFile, 'restapi', 'secure', command);
      assert.equal(result.code, 2, `${code}: ${result.stderr}`);
      assert.match(result.stderr, new RegExp(`\\[${code}\\]`));
      assert.ok(result.stderr.includes(mentions), `the error names ${mentions}: ${result.stderr}`);
      assert.match(result.stderr, /^hint: /m);
      assert.deepEqual(await yamlHashes(), before, 'no member YAML changed');
    };

    it('a certificate that does not match its key', async () => {
      const file = await settingsVariant('key-mismatch', (document) =>
        document.setIn(['patroni', 'restapi', 'keyfile'], tls.files.clientKey),
      );
      await refused(file, 'PKI_KEY_MISMATCH', tls.files.serverCert);
      // apply runs the same checks first.
      await refused(file, 'PKI_KEY_MISMATCH', tls.files.clientKey, 'apply');
    });

    it('an expired certificate', async () => {
      const csr = join(scratch, 'expired.csr');
      const expired = join(scratch, 'expired.crt');
      const ext = join(scratch, 'expired.ext');
      await writeFile(ext, 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
      await run('openssl', ['req', '-new', '-key', tls.files.serverKey, '-subj', '/CN=expired', '-out', csr]);
      // openssl 3.0 takes a negative -days: a certificate that expired yesterday, signed by the lab CA.
      await run('openssl', [
        'x509',
        '-req',
        '-in',
        csr,
        '-CA',
        join(tls.pkiDir, 'ca.crt'),
        '-CAkey',
        join(tls.pkiDir, 'ca.key'),
        '-set_serial',
        '0x77',
        '-days',
        '-1',
        '-extfile',
        ext,
        '-out',
        expired,
      ]);
      const file = await settingsVariant('expired', (document) =>
        document.setIn(['patroni', 'restapi', 'certfile'], expired),
      );
      await refused(file, 'PKI_CERT_EXPIRED', expired);
    });

    it('a CA that did not sign the server certificate', async () => {
      const file = await settingsVariant('foreign-ca', (document) => {
        document.setIn(['patroni', 'restapi', 'certfile'], join(otherCa, 'server', 'restapi.crt'));
        document.setIn(['patroni', 'restapi', 'keyfile'], join(otherCa, 'server', 'restapi.key'));
      });
      await refused(file, 'PKI_CERT_NOT_SIGNED_BY_CA', tls.files.ca);
    });

    it('verify_client set without a certfile', async () => {
      const file = await settingsVariant('verify-without-cert', (document) => {
        document.deleteIn(['patroni', 'restapi', 'certfile']);
        document.deleteIn(['patroni', 'restapi', 'keyfile']);
      });
      await refused(file, 'SETTINGS_VERIFY_CLIENT_NEEDS_CERTFILE', 'verify_client');
    });

    it(
      'files the Patroni user cannot load (a failed TLS load on reload would leave it without a REST API)',
      { skip: process.getuid?.() !== 0 && 'Patroni runs as another user only when pgfleet runs as root' },
      async () => {
        // The PKI folder is root's (0700): pgfleet, as root, reads the files and they pass every certificate check; Patroni, as postgres, cannot.
        const file = await settingsVariant('unreadable-by-patroni', (document) => {
          document.setIn(['patroni', 'restapi', 'certfile'], join(tls.pkiDir, 'server', 'restapi.crt'));
          document.setIn(['patroni', 'restapi', 'keyfile'], join(tls.pkiDir, 'server', 'restapi.key'));
        });
        await refused(file, 'REST_SECURE_PATRONI_CANNOT_LOAD_TLS', 'Permission denied');
      },
    );

    it('a password file others can read', async () => {
      const loose = join(scratch, 'loose-{scope}.password');
      for (const cluster of lab.state.topology.clusters)
        await writeFile(loose.replace('{scope}', cluster.scope), 'loose-password-value\n', { mode: 0o644 });
      const result = await cli('restapi', 'secure', 'plan', '--password-file', loose);
      assert.equal(result.code, 2, result.stderr);
      assert.match(result.stderr, /\[SECRET_FILE_PERMISSIONS\]/);
    });
  });

  it('allows basic auth without TLS, with a warning at plan time', async () => {
    const file = await settingsVariant('basic-auth-only', (document) => {
      document.setIn(
        ['patroni', 'restapi'],
        document.createNode({ authentication: { password_file: tls.passwordFile } }),
      );
      document.deleteIn(['patroni', 'ctl']);
    });
    const before = await yamlHashes();
    const plan = await cli('--output', 'json', '--settings', file, 'restapi', 'secure', 'plan');
    assert.equal(plan.code, 1, `steps pending: ${plan.stderr}`);
    assert.match(plan.stderr, /warning: basic auth without TLS.*\[REST_SECURE_BASIC_AUTH_WITHOUT_TLS\]/);
    const parsed = JSON.parse(plan.stdout) as { steps: Array<{ phase: string; changes: string[] }> };
    assert.equal(parsed.steps.length, 4);
    assert.ok(
      parsed.steps.every((step) => step.phase === 'basic-auth' && step.changes.join() === 'restapi.authentication'),
    );
    assert.deepEqual(await yamlHashes(), before, 'plan changes nothing');
  });

  it('plans clients first: ctl everywhere, then TLS, then verify_client, then basic auth, replicas before leaders', async () => {
    const plan = await cli('--output', 'json', 'restapi', 'secure', 'plan');
    assert.equal(plan.code, 1, plan.stderr);
    const steps = (JSON.parse(plan.stdout) as { steps: Array<{ phase: string; member: string; role: string }> }).steps;
    assert.deepEqual(
      [...new Set(steps.map((step) => step.phase))],
      ['client', 'server-tls', 'verify-client', 'basic-auth'],
    );
    assert.equal(steps.length, 16);
    for (let index = 0; index < steps.length; index += 4) {
      const phase = steps.slice(index, index + 4);
      for (const scope of ['alpha', 'beta'])
        assert.deepEqual(
          phase.filter((step) => step.member.startsWith(`${scope}/`)).map((step) => step.role),
          ['replica', 'leader'],
        );
    }
  });

  it('applies TLS + verify_client optional + basic auth to the open fleet under writes: 0 failed writes, 0 leader changes', async (t) => {
    const before = await leadersAndTimelines(lab.state.topology);
    const writers = startFleetWriters(
      lab.dir,
      lab.state.topology,
      new Map([...before].map(([scope, { leader }]) => [scope, leader])),
    );
    const started = Date.now();
    const apply = await cli('--output', 'json', 'restapi', 'secure', 'apply');
    const elapsedMs = Date.now() - started;
    const tallies = await writers.stop();
    t.diagnostic(
      `apply: ${(elapsedMs / 1000).toFixed(1)} s; writes ${tallies.map((tally) => `${tally.scope} ${tally.ok} ok / ${tally.failed} failed`).join(', ')}`,
    );
    assert.equal(apply.code, 0, apply.stderr);
    const report = JSON.parse(apply.stdout) as {
      outcome: string;
      applied: Array<{ phase: string; peersChecked: string[] }>;
    };
    assert.equal(report.outcome, 'applied');
    assert.equal(report.applied.length, 16);
    assert.ok(
      report.applied.every((step) => step.peersChecked.length === 1),
      'each step checked the peer in both directions',
    );
    assertEveryWriteLanded(tallies, 50);
    assert.deepEqual(await leadersAndTimelines(lab.state.topology, lab.dir), before, 'same leaders, same timelines');
    const again = await cli('restapi', 'secure', 'plan');
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /nothing to do/);
  });

  it('every member answers the probe matrix of the seed for https + verify_client optional + basic auth', async () => {
    const probe = await cli('--output', 'json', 'restapi', 'probe');
    assert.equal(probe.code, 0, probe.stderr);
    const members = JSON.parse(probe.stdout) as ProbeOutput[];
    assert.equal(members.length, 4);
    const expected = expectedMatrix({ tls: true, verifyClient: 'optional', basicAuth: true }).map(
      (cell) => `${cell.client} ${cell.endpoint} ${cell.outcome}`,
    );
    for (const member of members) {
      assert.match(member.report.url, /^https:\/\//);
      assert.deepEqual(member.report.mismatches, [], `${member.node}: ${JSON.stringify(member.report.observed)}`);
      assert.deepEqual(
        member.report.observed.map((cell) => `${cell.client} ${cell.endpoint} ${cell.outcome}`),
        expected,
      );
    }
  });

  it('members and tools still talk to each other: a switchover through patronictl, then one through pgfleet', async () => {
    const before = await leadersAndTimelines(lab.state.topology, lab.dir);
    const alpha = lab.state.topology.clusters.find((cluster) => cluster.scope === 'alpha')!;
    const leader = before.get('alpha')!.leader;
    const replica = alpha.nodes.find((node) => node.name !== leader)!.name;
    // patronictl configured by pgfleet for the replica: its YAML (ctl certificates, restapi.authentication).
    const patronictlEnv = await labEnv(lab.dir, replica);
    const { stdout } = await run(
      'patronictl',
      ['switchover', 'alpha', '--leader', leader, '--candidate', replica, '--force'],
      { env: { ...process.env, ...patronictlEnv } },
    );
    assert.match(stdout, new RegExp(`Successfully switched over to "${replica}"`));
    // Settled: the new leader runs and the old one streams from it again (only then is it a good candidate).
    await waitFor(async () => {
      const clients: PatroniRestClient[] = [];
      try {
        const readiness = await clusterReadiness(alpha, async (node) => {
          const { client } = await labNodeRestClient(lab.dir, lab.state.topology, node, 3_000);
          clients.push(client);
          return client;
        });
        return readiness.ready && readiness.leader === replica;
      } finally {
        await Promise.all(clients.map((client) => client.close()));
      }
    }, 'patronictl switchover settled');

    const viaPgfleet = await cli('--output', 'json', 'cluster', 'switchover', 'alpha', '--candidate', leader);
    assert.equal(viaPgfleet.code, 0, viaPgfleet.stderr);
    const result = JSON.parse(viaPgfleet.stdout) as { from: string; to: string };
    assert.deepEqual({ from: result.from, to: result.to }, { from: replica, to: leader });
    const after = await leadersAndTimelines(lab.state.topology, lab.dir);
    assert.equal(after.get('alpha')?.leader, leader);
    assert.equal(after.get('beta')?.leader, before.get('beta')?.leader, 'beta untouched');
  });

  it('with verify_client required: the seed matrix, an anonymous GET fails the TLS handshake, and pgfleet status still works', async () => {
    await prepareLabRestApiTls(lab.dir, { verifyClient: 'required', basicAuth: true });
    const apply = await cli('--output', 'json', 'restapi', 'secure', 'apply');
    assert.equal(apply.code, 0, apply.stderr);
    assert.deepEqual(
      (JSON.parse(apply.stdout) as { applied: Array<{ phase: string }> }).applied.map((step) => step.phase),
      ['verify-client', 'verify-client', 'verify-client', 'verify-client'],
    );

    const probe = await cli('--output', 'json', 'restapi', 'probe');
    assert.equal(probe.code, 0, probe.stderr);
    const expected = expectedMatrix({ tls: true, verifyClient: 'required', basicAuth: true }).map(
      (cell) => `${cell.client} ${cell.endpoint} ${cell.outcome}`,
    );
    for (const member of JSON.parse(probe.stdout) as ProbeOutput[]) {
      assert.deepEqual(member.report.mismatches, [], member.node);
      assert.deepEqual(
        member.report.observed.map((cell) => `${cell.client} ${cell.endpoint} ${cell.outcome}`),
        expected,
      );
    }

    for (const node of nodes()) {
      const [anonymous] = await probeRestApi(
        `https://127.0.0.1:${node.restPort}`,
        {},
        { clients: ['anonymous'], endpoints: ['safe'] },
      );
      assert.equal(anonymous?.outcome, 'tls-handshake-refused', `${node.name}: ${anonymous?.detail}`);
    }
    const curl = await run('curl', [
      '-sk',
      '--max-time',
      '5',
      `https://127.0.0.1:${nodes()[0]!.restPort}/patroni`,
    ]).then(
      () => 0,
      (error: { code: number }) => error.code,
    );
    assert.notEqual(curl, 0, 'curl without a client certificate gets no answer');

    const status = await cli('--output', 'json', 'lab', 'status', '--dir', lab.dir);
    assert.equal(status.code, 0, status.stderr);
    const clusters = (
      JSON.parse(status.stdout) as {
        clusters: Array<{ leader?: string; nodes: Array<{ role?: string; state?: string; restUrl: string }> }>;
      }
    ).clusters;
    for (const cluster of clusters) {
      assert.ok(cluster.leader, 'lab status sees each leader');
      for (const node of cluster.nodes) {
        assert.equal(node.state, 'running');
        assert.match(node.restUrl, /^https:/);
      }
    }
    const restapiStatus = await cli('--output', 'json', 'restapi', 'status');
    assert.equal(restapiStatus.code, 0, restapiStatus.stderr);
    assert.ok((JSON.parse(restapiStatus.stdout) as Array<{ reachable: boolean }>).every((member) => member.reachable));
  });

  it('leaves every member YAML 0600 and owned as before, and shows no password in any output', async () => {
    for (const node of nodes()) {
      const info = await stat(labNodeConfigFile(lab.dir, lab.state.topology, node.name));
      assert.equal(info.mode & 0o777, 0o600);
      if (process.getuid?.() === 0) assert.notEqual(info.uid, 0, 'owned by the Patroni user, not root');
    }
    const everything = outputs.map((output) => output.stdout + output.stderr).join('\n');
    for (const cluster of lab.state.topology.clusters) {
      const file = tls.passwordFile!.replace('{scope}', cluster.scope);
      assert.equal((await stat(file)).mode & 0o777, 0o600);
      const password = (await readFile(file, 'utf8')).trim();
      assert.ok(password.length >= 32);
      assert.equal(
        everything.includes(password),
        false,
        `the REST API password of ${cluster.scope} leaked into the output`,
      );
      assert.equal(everything.includes(Buffer.from(`patroni:${password}`).toString('base64')), false);
    }
  });
});

async function waitFor(condition: () => Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await condition().catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  assert.fail(`timed out waiting: ${what}`);
}
