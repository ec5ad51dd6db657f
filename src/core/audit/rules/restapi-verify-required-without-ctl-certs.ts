import { type AuditRule, findingOf } from '../audit-rule.js';
import { restApiMembers } from '../fleet-view.js';
import type { Finding } from '../finding.js';
import { ctlOf, locationAt, text } from '../patroni-document.js';

/**
 * verify_client: required makes every call, GET included, present a client
 * certificate: patronictl (the YAML's ctl section) and pgfleet (the
 * settings' patroni.ctl) without certfile/keyfile are locked out.
 */
export const restapiVerifyRequiredWithoutCtlCertsRule: AuditRule = {
  id: 'restapi.verify-required-without-ctl-certs',
  category: 'restapi',
  title: 'verify_client required without ctl certificates',
  severity: 'high',
  why: 'With verify_client required every call needs a client certificate, so patronictl and pgfleet without ctl certfile/keyfile cannot even read the cluster state, let alone switch over during an incident.',
  fix: 'issue a client certificate (`pgfleet pki issue client pgfleet`) and set it as patroni.ctl certfile/keyfile in the settings, then `pgfleet restapi secure apply`',
  needs: 'static',
  check(snapshot) {
    const findings: Finding[] = [];
    const settingsCtl = snapshot.settings.patroni?.ctl;
    const pgfleetHasCert = Boolean(settingsCtl?.certfile && settingsCtl.keyfile);
    for (const member of restApiMembers(snapshot)) {
      if (!member.file?.document || !member.protection?.tls || member.protection.verifyClient !== 'required') continue;
      const ctl = ctlOf(member.file.document);
      const patronictlHasCert = Boolean(text(ctl.certfile) && text(ctl.keyfile));
      if (patronictlHasCert && pgfleetHasCert) continue;
      const lockedOut = [
        ...(patronictlHasCert ? [] : [`patronictl (no ctl certfile/keyfile in ${member.file.path})`]),
        ...(pgfleetHasCert ? [] : ['pgfleet (no patroni.ctl certfile/keyfile in the settings)']),
      ];
      findings.push(
        findingOf(this, {
          object: { kind: 'member', name: member.member },
          evidence: `restapi.verify_client is required and ${lockedOut.join(' and ')} would be refused at the TLS handshake`,
          location: locationAt(member.file, patronictlHasCert ? 'restapi.verify_client' : 'ctl'),
        }),
      );
    }
    return findings;
  },
};
