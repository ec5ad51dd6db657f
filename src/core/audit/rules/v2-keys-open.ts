import { type AuditRule, findingOf } from '../audit-rule.js';
import { censusSubjects } from '../census-view.js';
import type { Finding } from '../finding.js';

/**
 * etcd serves its v2 API (`--enable-v2`) with v2 auth off and keys in it:
 * v3 authentication does not cover them, so they stay open to anyone who
 * reaches etcd, before and after `etcd auth enforce` — a Patroni cluster on
 * the `etcd:` section above all.
 */
export const v2KeysOpenRule: AuditRule = {
  id: 'dcs.v2-keys-open',
  category: 'dcs',
  title: "etcd's v2 keyspace is served without v2 auth",
  severity: 'high',
  why: "etcd's v2 keys have an auth of their own that v3 authentication does not switch on, so a Patroni cluster on the v2 API stays open to anyone who reaches etcd even after the fleet is secured.",
  fix: "move the clusters to Patroni's etcd3 section and drop --enable-v2 once no client needs v2, or enable v2 auth separately",
  needs: 'live',
  check(snapshot) {
    const census = snapshot.live?.census;
    if (!census?.v2.served || census.v2.authEnabled !== false || census.v2.keyCount === 0) return [];
    const clusters = censusSubjects(snapshot, ['v2-cluster']);
    const findings: Finding[] = clusters.map((entry) =>
      findingOf(this, {
        object: { kind: 'cluster', name: String(entry.subject.details['base'] ?? entry.subject.id) },
        evidence: `${entry.subject.summary}; v2 auth is off: anyone who reaches etcd reads and writes it`,
      }),
    );
    if (clusters.length === 0)
      findings.push(
        findingOf(this, {
          severity: 'warning',
          object: { kind: 'etcd', name: snapshot.live!.etcd.endpoints.join(',') },
          evidence: `etcd serves ${census.v2.keyCount} v2 key(s) with v2 auth off (no Patroni cluster among them)`,
        }),
      );
    return findings;
  },
};
