import { type AuditRule, findingOf } from '../audit-rule.js';
import { restApiMembers } from '../fleet-view.js';
import type { Finding } from '../finding.js';

/**
 * GET endpoints answer anyone: informational, since load balancers' health
 * checks need them; only TLS with verify_client required closes them
 * (seed 004: "no way to protect the safe endpoints without enabling TLS").
 */
export const restapiSafeEndpointsAnonymousRule: AuditRule = {
  id: 'restapi.safe-endpoints-anonymous',
  category: 'restapi',
  title: 'REST API safe endpoints reachable anonymously',
  severity: 'info',
  why: 'Anyone who reaches the REST API can read the cluster topology, roles and replication state; health checks rely on this, and only verify_client required closes it.',
  fix: 'nothing to do for health checks; to close reads too, set patroni.restapi.verify_client: required with client certificates for every caller (`pgfleet restapi secure apply`)',
  needs: 'static-or-live',
  check(snapshot) {
    const findings: Finding[] = [];
    for (const member of restApiMembers(snapshot)) {
      const safe = member.live?.safe;
      if (safe && safe.outcome !== 'skipped' && safe.outcome !== 'unreachable') {
        if (safe.outcome !== 'allowed') continue;
        findings.push(
          findingOf(this, {
            object: { kind: 'member', name: member.member },
            evidence: `an anonymous GET ${member.live!.url}/patroni answered ${safe.status ?? 200}`,
            ...(member.file?.generated === false ? { fix: foreignFix(member.file.path) } : {}),
          }),
        );
        continue;
      }
      const protection = member.protection;
      if (!protection || (protection.tls && protection.verifyClient === 'required')) continue;
      findings.push(
        findingOf(this, {
          object: { kind: 'member', name: member.member },
          evidence: `${member.file!.path}: ${protection.tls ? 'verify_client is not required' : 'no TLS'}, so GET endpoints answer any client`,
          ...(member.file!.generated === false ? { fix: foreignFix(member.file!.path) } : {}),
        }),
      );
    }
    return findings;
  },
};

/** For a YAML pgfleet did not generate: the keys to set, and where. */
function foreignFix(path: string): string {
  return `nothing to do for health checks; to close reads too, set restapi.certfile, restapi.keyfile, restapi.cafile and restapi.verify_client: required in ${path}, give every caller a client certificate (ctl.certfile and ctl.keyfile for patronictl), then reload that Patroni`;
}
