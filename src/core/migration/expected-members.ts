import { type FleetMember, memberId } from './fleet-member.js';
import type { ReadinessRecord } from './readiness-record.js';

/**
 * A member pgfleet has reason to expect in the DCS, and why. A Patroni cut
 * off from etcd for longer than its ttl loses its member key: the DCS list
 * no longer names it, so a check that walks that list alone (pause, probes)
 * passes without it. What pgfleet wrote or manages itself says it exists.
 */
export interface ExpectedMember {
  /** `/service/alpha/alpha-1`. */
  id: string;
  namespace: string;
  scope: string;
  name: string;
  /** `etcd auth apply` recorded it ready (on `host`), and/or pgfleet manages it on this host. */
  sources: Array<'readiness-record' | 'local-instance'>;
  /** The host that recorded it ready, from its readiness record. */
  host?: string | undefined;
  /** Its instance name, when pgfleet manages it on this host. */
  localInstance?: string | undefined;
}

/**
 * Every member pgfleet expects under the namespaces it covers: those `apply`
 * recorded ready, and this host's own instances. One entry per member id.
 */
export function expectedMembers(input: {
  readiness: ReadonlyMap<string, ReadinessRecord>;
  localInstances: ReadonlyArray<{ name: string; namespace: string; scope: string; node: string }>;
  namespaces: readonly string[];
}): ExpectedMember[] {
  const expected = new Map<string, ExpectedMember>();
  const covered = (namespace: string): boolean => input.namespaces.includes(namespace);
  for (const record of input.readiness.values()) {
    if (!covered(record.namespace)) continue;
    const id = memberId({ namespace: record.namespace, scope: record.scope, name: record.member });
    expected.set(id, {
      id,
      namespace: record.namespace,
      scope: record.scope,
      name: record.member,
      sources: ['readiness-record'],
      host: record.host,
    });
  }
  for (const instance of input.localInstances) {
    if (!covered(instance.namespace)) continue;
    const id = memberId({ namespace: instance.namespace, scope: instance.scope, name: instance.node });
    const known = expected.get(id);
    expected.set(id, {
      ...(known ?? { id, namespace: instance.namespace, scope: instance.scope, name: instance.node, sources: [] }),
      sources: [...(known?.sources ?? []), 'local-instance'],
      localInstance: instance.name,
    });
  }
  return [...expected.values()].sort((a, b) => a.id.localeCompare(b.id));
}

/** The expected members the DCS does not list. */
export function absentFromDcs(members: readonly FleetMember[], expected: readonly ExpectedMember[]): ExpectedMember[] {
  const listed = new Set(members.map(memberId));
  return expected.filter((member) => !listed.has(member.id));
}

/** Why pgfleet expects it, in words. */
export function describeExpectation(member: ExpectedMember): string {
  return member.sources
    .map((source) =>
      source === 'readiness-record'
        ? `\`etcd auth apply\` recorded it ready${member.host ? ` on ${member.host}` : ''}`
        : `pgfleet manages it on this host as instance ${member.localInstance}`,
    )
    .join(', and ');
}
