import { type AuditRule, findingOf } from '../audit-rule.js';
import { restApiMembers } from '../fleet-view.js';
import type { Finding } from '../finding.js';

/**
 * pgfleet, with the credentials it uses for every command (the member's
 * YAML as patronictl reads it, else the settings' patroni.ctl), could not
 * read GET /patroni of a member that answers otherwise: a handshake refused
 * for want of an accepted client certificate, a server certificate its CA
 * does not trust, https spoken to http. The live counterpart of
 * restapi.verify-required-without-ctl-certs, whatever the cause.
 */
export const restapiPgfleetRefusedRule: AuditRule = {
  id: 'restapi.pgfleet-refused',
  category: 'restapi',
  title: "pgfleet's own client cannot read a member",
  severity: 'high',
  why: 'When pgfleet (and patronictl, which reads the same files) cannot even read a member, status, switchover and the guarded migrations fail on it exactly when an incident needs them.',
  fix: 'give pgfleet what the member expects (patroni.ctl cacert for its server certificate, certfile/keyfile signed by its restapi.cafile), roll it out with `pgfleet restapi secure apply`, then check with `pgfleet restapi status`',
  needs: 'live',
  check(snapshot) {
    const findings: Finding[] = [];
    for (const member of restApiMembers(snapshot)) {
      const live = member.live;
      const pgfleet = live?.pgfleet;
      if (!live || !pgfleet || pgfleet.outcome === 'allowed' || pgfleet.outcome === 'skipped') continue;
      // Down for everyone is a gap of the audit, not a lockout.
      if (pgfleet.outcome === 'unreachable' && live.safe.outcome === 'unreachable') continue;
      const credentials = live.configFile ? `the credentials of ${live.configFile}` : "the settings' patroni.ctl";
      findings.push(
        findingOf(this, {
          object: { kind: 'member', name: member.member },
          evidence: `pgfleet's GET ${live.url}/patroni with ${credentials} failed: ${pgfleet.outcome}${pgfleet.status ? ` (HTTP ${pgfleet.status})` : pgfleet.detail ? ` (${pgfleet.detail})` : ''}, while an anonymous GET got ${live.safe.outcome}`,
        }),
      );
    }
    return findings;
  },
};
