import { type AuditRule, findingOf } from '../audit-rule.js';
import { restApiMembers } from '../fleet-view.js';
import type { Finding } from '../finding.js';
import { locationAt } from '../patroni-document.js';

/**
 * Anyone who reaches the REST API may call its unsafe endpoints (restart,
 * reinitialize, failover, PATCH /config): no basic auth, and no client
 * certificate verification (TLS with verify_client optional/required).
 * The live probe (an anonymous, empty PATCH /config: it passes the access
 * check or not, and writes nothing) wins over what the YAML says.
 */
export const restapiUnsafeEndpointsOpenRule: AuditRule = {
  id: 'restapi.unsafe-endpoints-open',
  category: 'restapi',
  title: 'REST API unsafe endpoints without authentication',
  severity: 'high',
  why: 'Without basic auth or client certificates, anyone who reaches the REST API can restart, reinitialize, fail over or reconfigure the cluster (the unsafe endpoints of the Patroni security guide).',
  fix: 'protect it with `pgfleet restapi secure apply` (TLS, verify_client optional and basic auth, rolled out member by member)',
  needs: 'static-or-live',
  check(snapshot) {
    const findings: Finding[] = [];
    for (const member of restApiMembers(snapshot)) {
      const probe = member.live?.unsafe;
      if (probe && probe.outcome !== 'skipped' && probe.outcome !== 'unreachable') {
        if (probe.outcome !== 'allowed') continue;
        findings.push(
          findingOf(this, {
            object: { kind: 'member', name: member.member },
            evidence: `an anonymous PATCH ${member.live!.url}/config passed the access check (HTTP ${probe.status ?? '2xx'}; the empty patch itself changes nothing)`,
            ...(member.file ? { location: locationAt(member.file, 'restapi') } : {}),
            ...(member.file?.generated === false ? { fix: foreignFix(member.file.path) } : {}),
          }),
        );
        continue;
      }
      const protection = member.protection;
      if (!protection || protection.basicAuth || (protection.tls && protection.verifyClient !== 'none')) continue;
      findings.push(
        findingOf(this, {
          object: { kind: 'member', name: member.member },
          evidence: `${member.file!.path}: restapi has no authentication${protection.tls ? ' and verify_client none' : ' and no TLS'}, so unsafe calls are open to anyone reaching ${member.listen ?? 'it'}`,
          location: locationAt(member.file!, 'restapi'),
          ...(member.file!.generated === false ? { fix: foreignFix(member.file!.path) } : {}),
        }),
      );
    }
    return findings;
  },
};

/** For a YAML pgfleet did not generate (`restapi secure apply` rewrites only its own): the keys to set, and where. */
function foreignFix(path: string): string {
  return `set restapi.authentication.username and restapi.authentication.password in ${path} (with restapi.certfile and restapi.keyfile for TLS, so the password does not travel in clear), then reload that Patroni: a reload applies restapi changes, and patronictl with that file sends the password`;
}
