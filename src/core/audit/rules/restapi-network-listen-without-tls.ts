import { type AuditRule, findingOf } from '../audit-rule.js';
import { restApiMembers } from '../fleet-view.js';
import type { Finding } from '../finding.js';
import { hostOf, isLoopbackHost } from '../network-address.js';
import { locationAt } from '../patroni-document.js';

/** The REST API listens beyond loopback (or on every interface) over plain http. */
export const restapiNetworkListenWithoutTlsRule: AuditRule = {
  id: 'restapi.network-listen-without-tls',
  category: 'restapi',
  title: 'REST API on a network address without TLS',
  severity: 'warning',
  why: 'Over plain http on a network address, anyone on the path can read the cluster state and alter or replay the calls members and tools make, basic-auth passwords included.',
  fix: 'serve the REST API over TLS (`pgfleet pki issue server <node> --san <address>`, then `pgfleet restapi secure apply`), or listen on 127.0.0.1 only',
  needs: 'static-or-live',
  check(snapshot) {
    const findings: Finding[] = [];
    for (const member of restApiMembers(snapshot)) {
      if (member.protection && member.file) {
        if (member.protection.tls) continue;
        const host = member.listen !== undefined ? hostOf(member.listen) : '';
        if (isLoopbackHost(host)) continue;
        findings.push(
          findingOf(this, {
            object: { kind: 'member', name: member.member },
            evidence: `${member.file.path}: restapi.listen ${member.listen ?? '(unset)'} ${host === '' || host === '0.0.0.0' || host === '*' || host === '::' ? 'binds every interface' : 'is not loopback'}, and restapi has no certfile`,
            location: locationAt(member.file, 'restapi.listen'),
            ...(member.file.generated === false
              ? {
                  fix: `set restapi.certfile and restapi.keyfile in ${member.file.path} and reload that Patroni, or set restapi.listen to a 127.0.0.1 address`,
                }
              : {}),
          }),
        );
      } else if (member.live && member.live.url.startsWith('http://') && !isLoopbackHost(hostOf(member.live.url))) {
        findings.push(
          findingOf(this, {
            object: { kind: 'member', name: member.member },
            evidence: `the DCS advertises ${member.live.url}: plain http on a network address`,
          }),
        );
      }
    }
    return findings;
  },
};
