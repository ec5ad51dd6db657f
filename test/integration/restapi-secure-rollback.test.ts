import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { initCertificateAuthority } from '../../src/adapters/pki/certificate-issuer.js';
import { loadSiteSettings } from '../../src/adapters/settings/site-settings-file.js';
import { PgfleetError } from '../../src/core/errors.js';
import { caRequest } from '../../src/core/pki/certificate-request.js';
import { expectedMatrix } from '../../src/core/restapi/probe-matrix.js';
import type { SecureStep } from '../../src/core/restapi/secure-plan.js';
import { readLocalInstance } from '../../src/node/local-instances.js';
import { labNodeConfigFile } from '../../src/lab/lab-rest-client.js';
import { type LabRestApiTls, prepareLabRestApiTls } from '../../src/lab/lab-restapi-tls.js';
import { patroniRestClientFor } from '../../src/fleet/member-rest-client.js';
import { localMembers, probeMembers } from '../../src/restapi/restapi-status.js';
import { applyRestApiSecuring } from '../../src/restapi/secure-apply.js';
import { prepareRestApiSecuring } from '../../src/restapi/secure-inputs.js';
import { leadersAndTimelines } from '../support/fleet-writers.js';
import { type TestLab, startTestLab } from '../support/lab-fixture.js';

/**
 * A step that fails on the real stack: between the plan (every check passed)
 * and the reload, the CA file the clients trust is replaced by another CA's.
 * The member comes up on https with a certificate nobody can verify; apply
 * must notice, give the member its previous YAML back, reload it (its REST
 * API no longer answers the old or the new way: by SIGHUP), check it works
 * as before, and stop with the fleet working. Then the operator fixes the
 * file and apply finishes from where it stopped: TLS with verify_client
 * none, whose probe matrix is the seed's.
 */
describe('restapi secure apply stops at a failed step and restores that member (1 × 2 lab)', () => {
  let lab: TestLab;
  let tls: LabRestApiTls;
  let scratch: string;
  const prepare = async () => {
    const loaded = loadSiteSettings(tls.settingsFile);
    return prepareRestApiSecuring({ settings: loaded.settings, settingsSource: loaded.source });
  };

  before(async () => {
    lab = await startTestLab({ clusters: 1, nodes: 2, etcdMembers: 1 });
    scratch = await mkdtemp(join(tmpdir(), 'pgfleet-restapi-rollback-'));
    tls = await prepareLabRestApiTls(lab.dir, { verifyClient: 'none', basicAuth: false });
    await initCertificateAuthority(join(scratch, 'other'), caRequest({ commonName: 'not the lab CA' }));
    await copyFile(tls.files.ca, join(scratch, 'lab-ca.crt'));
  });
  after(async () => {
    await lab?.down();
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  it('restores the member whose step failed, keeps the steps before, and leaves the fleet working', async () => {
    const leaders = await leadersAndTimelines(lab.state.topology);
    const prepared = await prepare();
    assert.deepEqual(
      prepared.plan.steps.map((step) => step.phase),
      ['client', 'client', 'server-tls', 'server-tls'],
    );
    let failedStep: SecureStep | undefined;
    const progress: string[] = [];
    const error = await applyRestApiSecuring(prepared, {
      stepTimeoutMs: 15_000,
      onProgress: (message) => progress.push(message),
      afterWrite: async (step) => {
        if (step.phase !== 'server-tls' || failedStep) return;
        failedStep = step;
        // The member has its new YAML; clients will now trust another CA than the one that signed its certificate.
        await copyFile(join(scratch, 'other', 'ca.crt'), tls.files.ca);
      },
    }).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    assert.ok(error instanceof PgfleetError, String(error));
    assert.equal(error.code, 'REST_SECURE_STEP_FAILED', `${error.message}\n${progress.join('\n')}`);
    assert.equal(error.exitCode, 3);
    assert.deepEqual(error.details?.applied, [1, 2], 'the client steps before stay applied');
    assert.equal(error.details?.step, 3);
    assert.match(error.message, /server-untrusted|UNABLE_TO_VERIFY|did not answer with the new credentials/);
    assert.ok(
      progress.some((line) => /restored \(reloaded through SIGHUP\)/.test(line)),
      progress.join('\n'),
    );

    // The member: its previous YAML (client step applied, no server TLS), answering over http as before.
    const configFile = labNodeConfigFile(lab.dir, lab.state.topology, failedStep!.node);
    const restored = parse(await readFile(configFile, 'utf8')) as {
      restapi: Record<string, unknown>;
      ctl: Record<string, unknown>;
    };
    assert.equal(restored.restapi.certfile, undefined);
    assert.equal(restored.ctl.cacert, tls.files.ca);
    const instance = await readLocalInstance(configFile);
    assert.match(instance.restUrl, /^http:/);
    const client = patroniRestClientFor(instance);
    try {
      const status = await client.nodeStatus();
      assert.equal(status.state, 'running');
    } finally {
      await client.close();
    }
    assert.deepEqual(await leadersAndTimelines(lab.state.topology, lab.dir), leaders, 'no leader change');
  });

  it('after the fix, apply goes on from where it stopped and the fleet answers the seed matrix for verify_client none', async () => {
    await copyFile(join(scratch, 'lab-ca.crt'), tls.files.ca);
    const prepared = await prepare();
    assert.deepEqual(
      prepared.plan.steps.map((step) => step.phase),
      ['server-tls', 'server-tls'],
      'the client steps are not planned again',
    );
    const report = await applyRestApiSecuring(prepared);
    assert.equal(report.applied.length, 2);

    const members = await localMembers(loadSiteSettings(tls.settingsFile).settings);
    // No basic auth here: the clients that send a password have none to send and are skipped.
    const probed = ['anonymous', 'ca-only', 'client-cert'] as const;
    const expected = expectedMatrix({ tls: true, verifyClient: 'none', basicAuth: false }, probed).map(
      (cell) => `${cell.client} ${cell.endpoint} ${cell.outcome}`,
    );
    for (const probe of await probeMembers(members)) {
      assert.match(probe.report.url, /^https:/);
      assert.deepEqual(probe.report.mismatches, [], probe.node);
      const observed = probe.report.observed.filter((cell) => cell.outcome !== 'skipped');
      assert.deepEqual(
        observed.map((cell) => `${cell.client} ${cell.endpoint} ${cell.outcome}`),
        expected,
      );
      assert.deepEqual(
        [...new Set(probe.report.observed.filter((cell) => cell.outcome === 'skipped').map((cell) => cell.client))],
        ['basic-auth', 'client-cert-and-basic-auth'],
      );
    }
  });

  it('never leaves a temporary file next to the member YAMLs', async () => {
    const dir = join(labNodeConfigFile(lab.dir, lab.state.topology, 'x'), '..');
    assert.deepEqual(
      (await readdir(dir)).filter((name) => name.startsWith('.')),
      [],
    );
  });
});
