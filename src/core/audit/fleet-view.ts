import { type KeyRange, prefixRange } from '../etcd/key-range.js';
import { type RestApiProtection } from '../restapi/probe-matrix.js';
import { restApiProtectionOf } from '../restapi/restapi-protection.js';
import type { FleetSnapshot, PatroniYamlFile, RestApiFacts } from './fleet-snapshot.js';
import {
  clusterOfDocument,
  clusterRef,
  dcsOf,
  etcdUsernameOf,
  memberOfDocument,
  restapiOf,
  text,
} from './patroni-document.js';

/**
 * Views of the snapshot several rules share: the fleet's clusters, its REST
 * API members (YAML and live probe side by side), the Patroni versions seen
 * and which etcd user each member uses.
 */

/** A Patroni cluster known from a YAML or the DCS, with the key range its tenant must own. */
export interface KnownCluster {
  /** `/service/alpha` */
  id: string;
  namespace: string;
  scope: string;
  /** `/service/alpha/`: the prefix its tenant must own, trailing slash included. */
  prefix: string;
  /** `[/service/alpha/, /service/alpha0)` */
  range: KeyRange;
}

export function knownClusters(snapshot: FleetSnapshot): KnownCluster[] {
  const clusters = new Map<string, KnownCluster>();
  const add = (namespace: string, scope: string) => {
    const ref = clusterRef(namespace, scope);
    if (!clusters.has(ref.id))
      clusters.set(ref.id, {
        id: ref.id,
        namespace: ref.namespace,
        scope,
        prefix: `${ref.id}/`,
        range: prefixRange(`${ref.id}/`),
      });
  };
  for (const file of snapshot.patroniFiles) {
    const ref = file.document && clusterOfDocument(file.document);
    if (ref) add(ref.namespace, ref.scope);
  }
  for (const cluster of snapshot.live?.etcd.clusters ?? []) add(cluster.namespace, cluster.scope);
  return [...clusters.values()].sort((a, b) => a.id.localeCompare(b.id));
}

/** One member's REST API as its YAML describes it and as the live probe found it. */
export interface RestApiMember {
  /** `/service/alpha/alpha-1`, or the file or URL when the member has no id. */
  member: string;
  file?: PatroniYamlFile | undefined;
  /** From the YAML's restapi section. */
  protection?: RestApiProtection | undefined;
  /** restapi.listen (or connect_address) from the YAML. */
  listen?: string | undefined;
  live?: RestApiFacts | undefined;
}

export function restApiMembers(snapshot: FleetSnapshot): RestApiMember[] {
  const members = new Map<string, RestApiMember>();
  for (const file of snapshot.patroniFiles) {
    if (!file.document) continue;
    const id = memberOfDocument(file.document) ?? file.path;
    const restapi = restapiOf(file.document);
    members.set(id, {
      member: id,
      file,
      protection: restApiProtectionOf(restapi),
      listen: text(restapi.listen) ?? text(restapi.connect_address),
    });
  }
  for (const live of snapshot.live?.restApis ?? []) {
    const existing = members.get(live.member);
    members.set(live.member, existing ? { ...existing, live } : { member: live.member, live });
  }
  return [...members.values()].sort((a, b) => a.member.localeCompare(b.member));
}

/** Every Patroni version the audit saw, with where: members' DCS keys, probes, the installed program. */
export function patroniVersionsSeen(snapshot: FleetSnapshot): Array<{ where: string; version: string }> {
  const seen: Array<{ where: string; version: string }> = [];
  for (const cluster of snapshot.live?.etcd.clusters ?? []) {
    for (const member of cluster.members)
      if (member.patroniVersion)
        seen.push({
          where: `${clusterRef(cluster.namespace, cluster.scope).id}/${member.name}`,
          version: member.patroniVersion,
        });
  }
  for (const api of snapshot.live?.restApis ?? []) {
    if (api.patroniVersion && !seen.some((entry) => entry.where === api.member))
      seen.push({ where: api.member, version: api.patroniVersion });
  }
  if (snapshot.installedPatroniVersion)
    seen.push({ where: 'patroni installed on this host', version: snapshot.installedPatroniVersion });
  return seen;
}

/** Which etcd user a member uses: from its YAML (this host) and from readiness records (any host). */
export interface MemberEtcdUser {
  member: string;
  /** `/service/alpha` */
  cluster: string;
  username: string;
  /** The YAML, or "readiness record in etcd". */
  source: string;
  file?: PatroniYamlFile | undefined;
}

export function memberEtcdUsers(snapshot: FleetSnapshot): MemberEtcdUser[] {
  const users = new Map<string, MemberEtcdUser>();
  for (const file of snapshot.patroniFiles) {
    const document = file.document;
    const dcs = document && dcsOf(document);
    const cluster = document && clusterOfDocument(document);
    const username = dcs && etcdUsernameOf(dcs.values);
    if (!cluster || !username) continue;
    const member = memberOfDocument(document) ?? file.path;
    users.set(member, { member, cluster: cluster.id, username, source: file.path, file });
  }
  for (const record of snapshot.live?.etcd.memberCredentials ?? []) {
    if (users.has(record.member)) continue;
    const cluster = record.member.slice(0, record.member.lastIndexOf('/'));
    users.set(record.member, {
      member: record.member,
      cluster,
      username: record.username,
      source: 'readiness record in etcd',
    });
  }
  return [...users.values()].sort((a, b) => a.member.localeCompare(b.member));
}
