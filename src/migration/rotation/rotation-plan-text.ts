import type { RotationPlan } from '../../core/migration/rotation-plan.js';
import { textTable } from '../../core/text-table.js';

/** Text of the plan (`--check`, and the first lines of a run). */
export function renderRotationPlan(plan: RotationPlan): string {
  const lines = [`etcd auth ${plan.authEnabled ? 'ON' : 'off'}, ${plan.tokenType} tokens`];
  for (const blocker of plan.blockers) lines.push(`BLOCKED: ${blocker}`);
  for (const cluster of plan.clusters) {
    lines.push(`${cluster.cluster}: user ${cluster.user ?? '-'}, password file ${cluster.passwordFile ?? '-'}`);
    lines.push(
      textTable(
        ['  MEMBER', 'HOST', 'PATRONI', 'MATRIX', 'ACTION'],
        cluster.members.map((member) => [
          `  ${member.member}`,
          member.where === 'here' ? 'here' : 'other',
          member.patroniVersion ?? '?',
          member.verdict,
          member.action === 'write-here'
            ? 'YAML written here, reloaded'
            : member.action === 'host-step'
              ? 'needs `rotate --host-only` on its host'
              : 'its host recorded the new password',
        ]),
      ),
    );
    for (const blocker of cluster.blockers) lines.push(`  BLOCKED: ${blocker}`);
    for (const note of cluster.notes) lines.push(`  note: ${note}`);
  }
  lines.push(plan.blocked ? 'the rotation is blocked' : 'nothing blocks the rotation');
  return lines.join('\n');
}
