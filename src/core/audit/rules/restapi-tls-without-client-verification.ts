import { type AuditRule, findingOf } from '../audit-rule.js';
import { restApiMembers } from '../fleet-view.js';
import type { Finding } from '../finding.js';
import { locationAt } from '../patroni-document.js';

/**
 * The REST API serves TLS but verify_client is none: no client is ever
 * authenticated by certificate. With basic auth the unsafe calls are still
 * protected (low); without, see restapi.unsafe-endpoints-open (warning here).
 */
export const restapiTlsWithoutClientVerificationRule: AuditRule = {
  id: 'restapi.tls-without-client-verification',
  category: 'restapi',
  title: 'REST API TLS without verify_client',
  severity: 'warning',
  why: 'With verify_client none the server never checks client certificates, so the mutual authentication TLS makes possible is not used and only basic auth, if any, guards unsafe calls.',
  fix: 'set patroni.restapi.verify_client: optional (unsafe calls need a client certificate) or required (every call), with ctl certificates for patronictl and pgfleet, and roll it out with `pgfleet restapi secure apply`',
  needs: 'static-or-live',
  check(snapshot) {
    const findings: Finding[] = [];
    for (const member of restApiMembers(snapshot)) {
      const protection = member.protection;
      const live = member.live;
      const fromYaml = protection?.tls === true && protection.verifyClient === 'none';
      // Over https, an anonymous unsafe call refused by anything but a certificate check means no verification.
      const fromProbe =
        live !== undefined &&
        live.url.startsWith('https://') &&
        (live.unsafe.outcome === 'allowed' || live.unsafe.outcome === 'unauthorized-401');
      if (!fromYaml && !fromProbe) continue;
      const basicAuth = protection?.basicAuth ?? live?.unsafe.outcome === 'unauthorized-401';
      findings.push(
        findingOf(this, {
          severity: basicAuth ? 'low' : 'warning',
          object: { kind: 'member', name: member.member },
          evidence: fromYaml
            ? `${member.file!.path}: restapi.certfile is set and verify_client is none${basicAuth ? ' (basic auth guards unsafe calls)' : ''}`
            : `${live!.url} let an anonymous PATCH /config through its access check without asking for a client certificate (${live!.unsafe.outcome})`,
          ...(member.file ? { location: locationAt(member.file, 'restapi.verify_client') } : {}),
          ...(member.file?.generated === false
            ? {
                fix: `set restapi.verify_client: optional (unsafe calls need a client certificate) or required (every call) and restapi.cafile in ${member.file.path}, with ctl.certfile and ctl.keyfile for patronictl, then reload that Patroni`,
              }
            : {}),
        }),
      );
    }
    return findings;
  },
};
