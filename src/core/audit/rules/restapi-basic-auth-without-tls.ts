import { type AuditRule, findingOf } from '../audit-rule.js';
import { restApiMembers } from '../fleet-view.js';
import type { Finding } from '../finding.js';
import { isLoopbackAddress } from '../network-address.js';
import { locationAt } from '../patroni-document.js';

/**
 * restapi.authentication without TLS: the password travels in clear with
 * every unsafe call (seed 001: basic auth should go with TLS). Over
 * loopback only, low; across the network, high.
 */
export const restapiBasicAuthWithoutTlsRule: AuditRule = {
  id: 'restapi.basic-auth-without-tls',
  category: 'restapi',
  title: 'REST API basic auth without TLS',
  severity: 'high',
  why: 'Over plain http the basic-auth password travels in clear with every unsafe call, so anyone on the path can capture it and then call those endpoints.',
  fix: 'add TLS to the REST API (`pgfleet pki issue server <node> --san <address>`, then `pgfleet restapi secure apply`)',
  needs: 'static-or-live',
  check(snapshot) {
    const findings: Finding[] = [];
    for (const member of restApiMembers(snapshot)) {
      const fromYaml = member.protection?.basicAuth === true && !member.protection.tls;
      const live = member.live;
      const fromProbe =
        live !== undefined && live.url.startsWith('http://') && live.unsafe.outcome === 'unauthorized-401';
      if (!fromYaml && !fromProbe) continue;
      const address = member.listen ?? live?.url ?? '';
      findings.push(
        findingOf(this, {
          severity: address && isLoopbackAddress(address) ? 'low' : 'high',
          object: { kind: 'member', name: member.member },
          evidence: fromYaml
            ? `${member.file!.path}: restapi.authentication is set and restapi has no certfile (listening on ${member.listen ?? 'the default address'})`
            : `${live!.url} asks for basic auth (401 on PATCH /config) over plain http`,
          ...(member.file ? { location: locationAt(member.file, 'restapi.authentication') } : {}),
          ...(member.file?.generated === false
            ? {
                fix: `set restapi.certfile and restapi.keyfile in ${member.file.path}, then reload that Patroni (it switches to https on reload)`,
              }
            : {}),
        }),
      );
    }
    return findings;
  },
};
