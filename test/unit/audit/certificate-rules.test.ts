import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { certificateExpiryRule } from '../../../src/core/audit/rules/certificate-expiry.js';
import type { CertificateFacts } from '../../../src/core/audit/fleet-snapshot.js';
import { check, settings, snapshot } from './snapshot-builder.js';

const CHECKED_AT = '2026-12-07T12:00:00.000Z';
const certificate = (
  path: string,
  notAfter: string | undefined,
  fields: Partial<CertificateFacts> = {},
): CertificateFacts => ({
  path,
  referencedBy: 'settings patroni.restapi.certfile',
  notAfter,
  subject: 'CN=restapi',
  checkedAt: CHECKED_AT,
  ...fields,
});
const inDays = (days: number) => new Date(Date.parse(CHECKED_AT) + days * 86_400_000).toISOString();

describe('files.certificate-expiry', () => {
  it('fires as a warning on a certificate two days from expiry, naming the file, where it is used and the days left', () => {
    const [finding, ...rest] = check(
      certificateExpiryRule,
      snapshot({ certificates: [certificate('/etc/pgfleet/restapi.crt', inDays(2.5))] }),
    );
    assert.deepEqual(rest, []);
    assert.equal(finding?.severity, 'warning');
    assert.equal(finding?.object.name, '/etc/pgfleet/restapi.crt');
    assert.match(
      finding!.evidence,
      /settings patroni\.restapi\.certfile, CN=restapi\) expires on .* in 2 days \(pki\.expiry_warning_days is 30\)/,
    );
  });

  it('reports an expired certificate as critical', () => {
    const [finding] = check(
      certificateExpiryRule,
      snapshot({ certificates: [certificate('/etc/pgfleet/ctl.crt', inDays(-1))] }),
    );
    assert.equal(finding?.severity, 'critical');
    assert.match(finding!.evidence, /expired on/);
  });

  it('reports with the threshold the settings give (pki.expiry_warning_days)', () => {
    const findings = check(
      certificateExpiryRule,
      snapshot({
        settings: settings({ patroni: {}, pki: { expiry_warning_days: 90 } }),
        certificates: [certificate('/etc/pgfleet/restapi.crt', inDays(60))],
      }),
    );
    assert.equal(findings.length, 1);
    assert.match(findings[0]!.evidence, /in 60 days \(pki\.expiry_warning_days is 90\)/);
  });

  it('stays quiet on certificates valid beyond the threshold, on unreadable ones, and when none were collected', () => {
    assert.deepEqual(
      check(
        certificateExpiryRule,
        snapshot({
          certificates: [
            certificate('/etc/pgfleet/restapi.crt', inDays(31)),
            certificate('/etc/pgfleet/missing.crt', undefined, { problem: 'does not exist' }),
          ],
        }),
      ),
      [],
    );
    assert.deepEqual(check(certificateExpiryRule, snapshot()), []);
  });
});
