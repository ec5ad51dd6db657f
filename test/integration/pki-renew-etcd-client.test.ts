import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { stat } from 'node:fs/promises';
import { readCertificateInfo } from '../../src/adapters/pki/certificate-files.js';
import { labEnv } from '../../src/lab/lab-env.js';
import { labEtcdTlsPaths } from '../../src/lab/lab-etcd-pki.js';
import type { RenewalReport } from '../../src/pki/index.js';
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
import { runCli } from '../support/run-cli.js';

/**
 * `pgfleet pki renew --only etcd-client` on a lab whose etcd requires client
 * certificates (https only): the members need a Patroni restart to read the
 * new certificate, done with the cluster paused while a writer runs.
 */
describe('pgfleet pki renew of the etcd client certificate on a lab with etcd over https only', () => {
  let lab: TestLab;
  let env: Record<string, string>;

  before(async () => {
    ensureBuiltCli();
    lab = await startTestLab({ clusters: 1, nodes: 2, etcdMembers: 1, etcdTls: true });
    env = await labEnv(lab.dir);
  });
  after(async () => {
    await lab?.down();
  });

  it('renews it: every member restarted while paused writes to the DCS with it, etcd accepts it, 0 failed writes, 0 leader changes', async () => {
    const certFile = labEtcdTlsPaths(lab.dir).client.cert;
    const before = await readCertificateInfo(certFile);
    const leaders = await leadersAndTimelines(lab.state.topology, lab.dir);
    const roles = startRoleWatch(lab.state.topology, 1_000, lab.dir);
    const writers = startFleetWriters(
      lab.dir,
      lab.state.topology,
      new Map([...leaders].map(([s, v]) => [s, v.leader])),
    );
    let tallies: WriterTally[];
    let result;
    try {
      result = await runCli(['--output', 'json', 'pki', 'renew', '--only', 'etcd-client'], { env });
    } finally {
      tallies = await writers.stop();
    }
    assertNoRoleChange(await roles.stop());
    assert.equal(result.code, 0, result.stderr);
    assertEveryWriteLanded(tallies);
    const report = JSON.parse(result.stdout) as RenewalReport;
    const [renewed] = report.certificates;
    assert.ok(renewed && 'probes' in renewed);
    assert.deepEqual(
      renewed.probes.map((probe) => [probe.member, probe.ok]),
      [
        ['/service/alpha/alpha-1', true],
        ['/service/alpha/alpha-2', true],
        ['etcd', true],
      ],
      JSON.stringify(renewed.probes),
    );
    const after = await readCertificateInfo(certFile);
    assert.notEqual(after.fingerprintSha256, before.fingerprintSha256);
    assert.equal(after.subject, before.subject, 'same subject (no CN: the etcd gateway refuses one once auth is on)');
    await assert.rejects(stat(`${certFile}.previous`));
  });
});
