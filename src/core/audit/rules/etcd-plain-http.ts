import { type AuditRule, findingOf } from '../audit-rule.js';
import type { Finding } from '../finding.js';
import { dcsOf, etcdAddressesOf, etcdPasswordSet, etcdProtocolOf, locationAt } from '../patroni-document.js';
import { isLoopbackAddress } from '../network-address.js';
import type { Severity } from '../severity.js';

/**
 * Patroni (or the settings new instances are generated from) reaches etcd
 * over plain http. Graded by exposure: loopback only (info: the traffic never
 * leaves the host, and whoever can read loopback there can read the 0600 YAML
 * too), across the network (warning), across the network with an etcd
 * password (high).
 */
export const etcdPlainHttpRule: AuditRule = {
  id: 'dcs.etcd-plain-http',
  category: 'dcs',
  title: 'etcd reached over plain http',
  severity: 'high',
  why: 'Over http the DCS traffic, and the etcd password with it, can be read and altered by anyone on the path; the Patroni security guide recommends TLS for all DCS communication.',
  fix: 'serve etcd over https and set patroni.etcd.protocol: https with cacert (`pgfleet pki issue server ...`, then `pgfleet etcd tls migrate` for a live fleet)',
  needs: 'static',
  check(snapshot) {
    const findings: Finding[] = [];
    const etcd = snapshot.settings.patroni?.etcd;
    if (etcd && etcd.protocol === 'http') {
      findings.push(
        findingOf(this, {
          severity: grade(etcd.hosts, false),
          object: { kind: 'settings', name: snapshot.settingsSource ?? 'default settings' },
          evidence: `patroni.etcd.protocol is http for ${etcd.hosts.join(', ')}: every instance pgfleet generates reaches etcd without TLS`,
          ...(snapshot.settingsSource
            ? { location: { file: snapshot.settingsSource, key: 'patroni.etcd.protocol' } }
            : {}),
        }),
      );
    }
    for (const file of snapshot.patroniFiles) {
      const dcs = file.document && dcsOf(file.document);
      if (!dcs || etcdProtocolOf(dcs.values) !== 'http') continue;
      const hosts = etcdAddressesOf(dcs.values);
      const password = etcdPasswordSet(dcs.values);
      findings.push(
        findingOf(this, {
          severity: grade(hosts.length > 0 ? hosts : ['127.0.0.1:2379'], password),
          object: { kind: 'file', name: file.path },
          evidence: `${dcs.name} reaches ${hosts.join(', ') || 'the default 127.0.0.1:2379'} over http${password ? `, with the etcd password set in ${file.path}` : ''}`,
          location: locationAt(file, `${dcs.name}.protocol`),
          ...(file.generated === false
            ? {
                fix: `serve etcd over https, then set ${dcs.name}.protocol: https and ${dcs.name}.cacert in ${file.path} and restart that Patroni (a reload does not reconnect to etcd)`,
              }
            : {}),
        }),
      );
    }
    return findings;
  },
};

function grade(hosts: readonly string[], passwordSent: boolean): Severity {
  if (hosts.every(isLoopbackAddress)) return 'info';
  return passwordSent ? 'high' : 'warning';
}
