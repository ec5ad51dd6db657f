import type { ClusterRef } from './tenant.js';

/**
 * The clusters that have members in the DCS, from the keys under the
 * scanned namespaces: every `<namespace><scope>/members/<name>`, whoever
 * created the cluster (the outage came from clusters nobody had listed).
 * A key is read against the longest scanned namespace it falls under. An
 * empty scope or one holding "/" is returned as found, for the caller to
 * refuse with the key as its origin, rather than skipped in silence.
 */
export function clustersFromMemberKeys(namespaces: readonly string[], keys: Iterable<string>): ClusterRef[] {
  const longestFirst = [...new Set(namespaces)].sort((a, b) => b.length - a.length);
  const clusters = new Map<string, ClusterRef>();
  for (const key of keys) {
    const namespace = longestFirst.find((candidate) => key.startsWith(candidate));
    if (namespace === undefined) continue;
    const match = /^(.*)\/members\/[^/]+$/s.exec(key.slice(namespace.length));
    if (!match) continue;
    const scope = match[1]!;
    const id = `${namespace}\u0000${scope}`;
    const known = clusters.get(id);
    if (!known || key < known.origin) clusters.set(id, { namespace, scope, origin: key });
  }
  return [...clusters.values()].sort((a, b) => (a.namespace + a.scope < b.namespace + b.scope ? -1 : 1));
}
