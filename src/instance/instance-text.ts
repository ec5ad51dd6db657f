import { renderConfigChanges } from '../core/instance/config-changes.js';
import { textTable } from '../core/text-table.js';
import type { AlterResult } from './instance-alter.js';
import type { CreatedInstance } from './instance-create.js';
import type { DroppedInstance } from './instance-drop.js';
import type { RestartedMember } from './instance-lifecycle.js';
import type { InstanceListEntry, InstanceStatus } from './instance-status.js';

/** Text renderings of `pgfleet instance` results (the JSON output is the objects themselves). */

export function renderCreated(created: CreatedInstance): string {
  const lines = [
    `instance ${created.name} created in ${(created.elapsedMs / 1000).toFixed(1)} s: member ${created.node} of cluster ${created.scope}, ${created.role}${created.timeline === null ? '' : ` (timeline ${created.timeline})`}${created.joined ? ', joined the existing cluster' : ''}`,
    `  config    ${created.configFile}`,
    `  data      ${created.dataDir}`,
    `  log       ${created.log}`,
    `  REST API  ${created.restUrl}`,
    `  service   ${created.service}`,
  ];
  if (created.generated.length > 0) {
    lines.push(
      `  generated passwords of ${created.generated.join(', ')} (0600): ${created.generated.map((role) => created.rolePasswordFiles[role]).join(', ')}`,
    );
    lines.push(`  members of ${created.scope} on other hosts need them: --${created.generated[0]}-password-file ...`);
  }
  lines.push(`  shell: eval "$(pgfleet instance env ${created.name})"`);
  return lines.join('\n');
}

export function renderList(entries: InstanceListEntry[]): string {
  if (entries.length === 0) return 'no instance on this host (pgfleet instance create NAME makes one)';
  const members = entries.filter((entry) => entry.problem === null);
  const problems = entries.filter((entry) => entry.problem !== null);
  const lines: string[] = [];
  if (members.length > 0)
    lines.push(
      textTable(
        ['INSTANCE', 'CLUSTER', 'MEMBER', 'PORT', 'PATRONI', 'ROLE', 'STATE', 'REST URL'],
        members.map((entry) => [
          entry.name,
          entry.scope,
          entry.node,
          entry.port === null ? '-' : String(entry.port),
          `${entry.running ? `running (${entry.adopted ? `adopted, pid ${entry.pid ?? '?'}` : entry.service})` : entry.adopted ? 'stopped (adopted)' : 'stopped'}`,
          entry.role ?? '-',
          entry.state ?? '-',
          entry.restUrl,
        ]),
      ),
    );
  if (members.some((entry) => entry.adopted))
    lines.push('adopted: members pgfleet did not create (their YAML is edited key by key, never rewritten)');
  for (const entry of problems)
    lines.push(
      `cannot be used: ${entry.configFile}${entry.running ? ` (Patroni pid ${entry.pid ?? '?'})` : ''}: ${entry.problem}\n  → ${entry.hint}`,
    );
  return lines.join('\n');
}

export function renderStatus(status: InstanceStatus): string {
  const lines = [`${status.name}: member ${status.node} of cluster ${status.scope} (namespace ${status.namespace})`];
  if (status.adopted)
    lines.push(
      `  adopted          pgfleet did not create it; its YAML ${status.realConfigFile}${status.realConfigFile !== status.configFile ? ` (through ${status.configFile})` : ''} is edited key by key`,
    );
  lines.push(
    `  Patroni          ${status.process.running ? `running, pid ${status.process.pid} (${status.service})` : `stopped (${status.service})`}; REST API ${status.restUrl}`,
  );
  if (status.patroni) {
    const p = status.patroni;
    lines.push(
      `  PostgreSQL       ${p.role}, ${p.state}, port ${status.port ?? '-'}, timeline ${p.timeline ?? '-'}, lag ${status.lag ?? '-'}`,
    );
    lines.push(`  pending restart  ${p.pendingRestart ? 'yes' : 'no'}`);
    lines.push(`  paused           ${p.paused ? 'yes' : 'no'}`);
  } else lines.push(`  REST API         no answer${status.error ? `: ${status.error}` : ''}`);
  if (status.cluster) {
    lines.push('', `cluster ${status.scope} (leader: ${status.cluster.leader ?? 'none'})`);
    lines.push(
      textTable(
        ['MEMBER', 'ROLE', 'STATE', 'HOST', 'PORT', 'TL', 'LAG', 'PENDING RESTART'],
        status.cluster.members.map((m) => [
          m.name,
          m.role,
          m.state,
          m.host ?? '-',
          m.port === null ? '-' : String(m.port),
          m.timeline === null ? '-' : String(m.timeline),
          m.lag === null ? '-' : String(m.lag),
          m.pendingRestart ? 'yes' : '',
        ]),
      ),
    );
  }
  return lines.join('\n');
}

export function renderAlter(result: AlterResult): string {
  const lines: string[] = [];
  const verb = result.dryRun ? 'would change' : 'changed';
  if (result.localChanges.length > 0)
    lines.push(`${result.configFile} ${verb}:`, ...renderConfigChanges(result.localChanges).map((line) => `  ${line}`));
  if (result.dynamicChanges.length > 0)
    lines.push(
      `dynamic configuration (DCS) ${verb}:`,
      ...renderConfigChanges(result.dynamicChanges).map((line) => `  ${line}`),
    );
  if (lines.length === 0) lines.push('nothing changed: every value was already as asked');
  if (!result.dryRun) {
    const applied = [
      result.patched ? 'PATCH /config' : '',
      result.written ? 'YAML rewritten' : '',
      result.reloaded ? 'POST /reload' : '',
    ].filter(Boolean);
    if (applied.length > 0) lines.push(`applied: ${applied.join(', ')}`);
  }
  if (result.patroniRestart.needed)
    lines.push(
      `Patroni restart needed: ${result.patroniRestart.reasons.join('; ')}`,
      `  run: pgfleet instance restart ${result.name} --patroni`,
    );
  if (result.pendingRestart !== null) {
    lines.push(
      result.pendingRestart.length > 0
        ? `pending restart: ${result.pendingRestart.join(', ')}\n  run: pgfleet instance restart ${result.name} --pending`
        : 'pending restart: none',
    );
  }
  return lines.join('\n');
}

export function renderRestarted(name: string, members: RestartedMember[]): string {
  if (members.length === 0) return `${name}: no member to restart`;
  return textTable(
    ['MEMBER', 'ROLE', 'RESTARTED', 'PENDING AFTER', 'DETAIL'],
    members.map((m) => [m.name, m.role, m.restarted ? 'yes' : 'no', m.pendingRestartAfter ? 'yes' : 'no', m.detail]),
  );
}

export function renderDropped(dropped: DroppedInstance): string {
  const lines = [`instance ${dropped.name} dropped (member ${dropped.node} of cluster ${dropped.scope})`];
  lines.push(
    dropped.lastMember
      ? `  it was the last member: ${dropped.clusterKeysRemoved ?? 0} key(s) of cluster ${dropped.scope} removed from etcd (as ${dropped.clusterKeysRemovedAs})`
      : `  cluster ${dropped.scope} goes on with ${dropped.otherMembers.join(', ')}`,
  );
  for (const file of dropped.removedFiles) lines.push(`  removed ${file}`);
  return lines.join('\n');
}
