import { textTable } from '../core/text-table.js';
import type { LabStatus } from './lab-status.js';

/** Plain-text tables of a lab's status (no colors: the caller may paint). */
export function renderLabStatus(status: LabStatus): string {
  const lines: string[] = [];
  const multiHost = status.hosts !== undefined;
  const hostColumn = (host: string | undefined): string[] => (multiHost ? [host ?? '-'] : []);
  lines.push(`lab ${status.id} in ${status.dir} (${status.phase})`);
  if (status.hosts) {
    lines.push('');
    lines.push(
      textTable(
        ['HOST', 'ROLE', 'ADDRESS', 'NAMESPACE', 'CUT FROM'],
        status.hosts.map((h) => [h.name, h.role, h.address, h.namespace, h.cutFrom.join(', ') || '-']),
      ),
    );
  }
  lines.push('');
  lines.push(
    textTable(
      ['ETCD MEMBER', ...(multiHost ? ['HOST'] : []), 'ENDPOINT', 'HEALTH', 'LEADER', 'VERSION'],
      status.etcd.map((m) => [
        m.name,
        ...hostColumn(m.host),
        m.endpoint,
        m.healthy ? 'healthy' : m.running ? 'unhealthy' : 'stopped',
        m.leader ? '*' : '',
        m.version ?? '-',
      ]),
    ),
  );
  for (const cluster of status.clusters) {
    lines.push('');
    lines.push(`cluster ${cluster.scope} (leader: ${cluster.leader ?? 'none'})`);
    lines.push(
      textTable(
        ['MEMBER', ...(multiHost ? ['HOST'] : []), 'ROLE', 'STATE', 'TL', 'LAG', 'PG PORT', 'REST URL'],
        cluster.nodes.map((n) => [
          n.name,
          ...hostColumn(n.host),
          n.role ?? (n.running ? '?' : 'stopped'),
          n.state ?? (n.error ? 'unreachable' : '-'),
          n.timeline === undefined ? '-' : String(n.timeline),
          n.lag === undefined ? '-' : String(n.lag),
          String(n.pgPort),
          n.restUrl,
        ]),
      ),
    );
  }
  return lines.join('\n');
}
