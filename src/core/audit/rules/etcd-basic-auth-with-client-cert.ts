import { type AuditRule, findingOf } from '../audit-rule.js';
import {
  dcsOf,
  etcdClientCertSet,
  etcdPasswordSet,
  etcdUsernameOf,
  locationAt,
  memberLabel,
} from '../patroni-document.js';

/** A Patroni YAML gives etcd both a username/password and a client certificate (seed 001: do not use them together). */
export const etcdBasicAuthWithClientCertRule: AuditRule = {
  id: 'dcs.basic-auth-with-client-cert',
  category: 'dcs',
  title: 'etcd basic auth and client certificate configured together',
  severity: 'low',
  why: 'Basic authentication takes precedence over the client certificate, so the identity the certificate was meant to give is never used, and the two methods should not be combined.',
  fix: "keep the cluster's own etcd user (`pgfleet etcd auth migrate` sets it) and remove cert/key from the etcd section, or keep the certificate and drop username/password",
  needs: 'static',
  check(snapshot) {
    return snapshot.patroniFiles.flatMap((file) => {
      const dcs = file.document && dcsOf(file.document);
      if (!dcs || !etcdClientCertSet(dcs.values) || !etcdPasswordSet(dcs.values)) return [];
      return [
        findingOf(this, {
          object: { kind: 'member', name: memberLabel(file) },
          evidence: `${file.path} sets ${dcs.name}.username (${etcdUsernameOf(dcs.values) ?? 'unnamed'}) with a password and ${dcs.name}.cert`,
          location: locationAt(file, `${dcs.name}.cert`),
        }),
      ];
    });
  },
};
