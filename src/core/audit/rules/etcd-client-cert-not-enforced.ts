import { type AuditRule, findingOf } from '../audit-rule.js';
import type { FleetSnapshot } from '../fleet-snapshot.js';
import type { Finding } from '../finding.js';
import { dcsOf, etcdClientCertSet, locationAt } from '../patroni-document.js';

/**
 * Client certificates are configured for etcd, but nothing shows etcd
 * requires them (--client-cert-auth with --trusted-ca-file, seed 001):
 * without it etcd accepts any TLS client and the certificates protect nothing.
 */
export const etcdClientCertNotEnforcedRule: AuditRule = {
  id: 'dcs.etcd-client-cert-not-enforced',
  category: 'dcs',
  title: 'etcd client certificates without evidence of --client-cert-auth',
  severity: 'warning',
  why: 'A client certificate only authenticates when etcd runs with --client-cert-auth and --trusted-ca-file; otherwise etcd accepts any client and the certificate protects nothing.',
  fix: 'run etcd with --client-cert-auth --trusted-ca-file <ca> (ETCD_CLIENT_CERT_AUTH=true, ETCD_TRUSTED_CA_FILE in /etc/default/etcd), then check with `pgfleet audit --live`',
  needs: 'static-or-live',
  check(snapshot) {
    const users: Array<{ name: string; location?: Finding['location'] }> = [];
    if (snapshot.settings.patroni?.etcd.cert)
      users.push({
        name: snapshot.settingsSource ?? 'settings',
        ...(snapshot.settingsSource ? { location: { file: snapshot.settingsSource, key: 'patroni.etcd.cert' } } : {}),
      });
    for (const file of snapshot.patroniFiles) {
      const dcs = file.document && dcsOf(file.document);
      if (dcs && etcdClientCertSet(dcs.values))
        users.push({ name: file.path, location: locationAt(file, `${dcs.name}.cert`) });
    }
    if (users.length === 0) return [];
    const verdict = clientCertVerdict(snapshot);
    if (verdict.enforced) return [];
    return users.map((user) =>
      findingOf(this, {
        severity: verdict.counterEvidence ? 'warning' : 'low',
        object: { kind: user.location?.key?.startsWith('patroni.') ? 'settings' : 'file', name: user.name },
        evidence: `a client certificate is configured for etcd, and ${verdict.evidence}`,
        ...(user.location ? { location: user.location } : {}),
      }),
    );
  },
};

interface ClientCertVerdict {
  enforced: boolean;
  /** True when something shows etcd accepts clients without a certificate; false when nothing could tell. */
  counterEvidence: boolean;
  evidence: string;
}

function clientCertVerdict(snapshot: FleetSnapshot): ClientCertVerdict {
  const etcd = snapshot.live?.etcd;
  if (etcd?.clientCertProbe?.outcome === 'refused') return { enforced: true, counterEvidence: false, evidence: '' };
  if (etcd?.serverArgs && hasClientCertAuth(etcd.serverArgs))
    return { enforced: true, counterEvidence: false, evidence: '' };
  const local = snapshot.processes.filter((process) => process.program === 'etcd');
  if (
    local.length > 0 &&
    local.every(
      (process) =>
        hasClientCertAuth(process.args) || process.etcdEnvironment?.ETCD_CLIENT_CERT_AUTH?.toLowerCase() === 'true',
    )
  ) {
    return { enforced: true, counterEvidence: false, evidence: '' };
  }
  if (etcd?.clientCertProbe?.outcome === 'accepted') {
    return {
      enforced: false,
      counterEvidence: true,
      evidence: `${etcd.clientCertProbe.endpoint} accepted a TLS client that presented no certificate`,
    };
  }
  const without = local.find(
    (process) => !hasClientCertAuth(process.args) && process.etcdEnvironment?.ETCD_CLIENT_CERT_AUTH === undefined,
  );
  if (without)
    return {
      enforced: false,
      counterEvidence: true,
      evidence: `the etcd process ${without.pid} on this host runs without --client-cert-auth (neither on its command line nor as ETCD_CLIENT_CERT_AUTH)`,
    };
  return {
    enforced: false,
    counterEvidence: false,
    evidence: `nothing shows etcd requires one (${snapshot.live ? 'etcd does not expose its flags and no etcd runs on this host' : 'run with --live to probe etcd'})`,
  };
}

function hasClientCertAuth(args: readonly string[]): boolean {
  return args.some((arg) => arg === '--client-cert-auth' || arg === '--client-cert-auth=true');
}
