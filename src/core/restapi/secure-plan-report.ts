import type { RestApiProtection } from './probe-matrix.js';
import { describeProtection } from './restapi-protection.js';
import { SECURE_PHASE_DESCRIPTIONS, type SecurePlan, type SecureStep } from './secure-plan.js';

/** The plan as secret-free data for `--output json`: sections are not included, only which keys change. */
export function securePlanData(plan: SecurePlan): Record<string, unknown> {
  return {
    members: plan.members.map((member) => ({
      ...member,
      current: describeProtection(member.current),
      target: describeProtection(member.target),
    })),
    steps: plan.steps.map((step) => ({
      number: step.number,
      phase: step.phase,
      member: `${step.scope}/${step.node}`,
      role: step.role,
      configFile: step.configFile,
      changes: step.changes,
      before: describeProtection(step.before),
      after: describeProtection(step.after),
    })),
    deferred: plan.deferred,
    warnings: plan.warnings,
  };
}

/** The plan for a terminal: each member from → to, then the numbered steps by phase. */
export function renderSecurePlan(plan: SecurePlan): string {
  const lines: string[] = ['members (this host):'];
  for (const member of plan.members) {
    lines.push(
      `  ${member.scope}/${member.node} (${member.role}): ${describeProtection(member.current)}${sameProtection(member.current, member.target) ? ' (no change to the server side)' : ` → ${describeProtection(member.target)}`}`,
    );
  }
  const deferred =
    plan.deferred > 0
      ? [
          `${plan.deferred} step${plan.deferred === 1 ? '' : 's'} of later phases left for a run without --through (or with a later phase)`,
        ]
      : [];
  if (plan.steps.length === 0) {
    lines.push(
      '',
      plan.deferred > 0
        ? 'nothing to do up to this phase'
        : 'nothing to do: every member already has the protection the settings ask for',
      ...deferred,
    );
    return lines.join('\n');
  }
  lines.push(
    '',
    `${plan.steps.length} step${plan.steps.length === 1 ? '' : 's'}, each a YAML rewrite + POST /reload, verified before the next:`,
  );
  let phase: SecureStep['phase'] | undefined;
  for (const step of plan.steps) {
    if (step.phase !== phase) {
      phase = step.phase;
      lines.push(`  ${phase}: ${SECURE_PHASE_DESCRIPTIONS[phase]}`);
    }
    lines.push(
      `    ${String(step.number).padStart(2)}. ${step.scope}/${step.node} (${step.role}): ${step.changes.join(', ')}`,
    );
  }
  lines.push(...deferred);
  return lines.join('\n');
}

function sameProtection(a: RestApiProtection, b: RestApiProtection): boolean {
  return a.tls === b.tls && a.verifyClient === b.verifyClient && a.basicAuth === b.basicAuth;
}
