import type { AfterEnableReport } from '../census/census-after-enable.js';
import type { AcknowledgedSubject } from './census-gates.js';

export interface EnforceProofInput {
  members: Array<{ member: string; ok: boolean }>;
  tenants: Array<{ user: string; ok: boolean; notProbed?: boolean | undefined; detail: string }>;
  clients: Array<{ user: string; ok: boolean; notProbed?: boolean | undefined; detail: string }>;
  /** Census subjects the operator acknowledged: enforced over, not protected. */
  acknowledged: readonly AcknowledgedSubject[];
  /** The census again, with auth on; undefined when it was not taken. */
  afterEnable: AfterEnableReport | undefined;
  /** What the census at the gates could not measure. */
  incomplete: readonly string[];
  /** Gates that failed and were skipped (drill). */
  gatesSkipped: number;
}

/**
 * The first line of an enforced run: how many members, tenants and
 * declared clients were probed, and "all proven" only when every one of
 * them was proven with its own credentials and nothing else stands in the
 * way (an acknowledged subject, a writer or lease lost once auth went on, a
 * partial census, skipped gates); otherwise it says what was not proven.
 */
export function enforcedLine(input: EnforceProofInput): string {
  const head = `enforced: etcd auth is on; ${input.members.length} members and ${input.tenants.length} tenants probed, and ${input.clients.length} declared client${input.clients.length === 1 ? '' : 's'}`;
  const gaps = notProven(input);
  return gaps.length === 0
    ? `${head}: all proven with their own credentials`
    : `${head}; NOT everything is proven: ${gaps.join('; ')}`;
}

export function notProven(input: EnforceProofInput): string[] {
  const gaps: string[] = [];
  const failedMembers = input.members.filter((member) => !member.ok);
  if (failedMembers.length > 0) gaps.push(`member(s) ${failedMembers.map((member) => member.member).join(', ')}`);
  for (const [what, results] of [
    ['tenant', input.tenants],
    ['declared client', input.clients],
  ] as const)
    for (const result of results.filter((entry) => !entry.ok || entry.notProbed))
      gaps.push(`${what} ${result.user} (${result.detail})`);
  for (const subject of input.acknowledged) gaps.push(`acknowledged, unprotected: ${subject.id}`);
  for (const finding of input.afterEnable?.findings ?? []) gaps.push(`after enable: ${finding.message}`);
  if (!input.afterEnable) gaps.push('the census was not taken again after enable');
  for (const part of [...input.incomplete, ...(input.afterEnable?.incomplete ?? [])])
    gaps.push(`census incomplete: ${part}`);
  if (input.gatesSkipped > 0) gaps.push(`${input.gatesSkipped} gate(s) skipped (--skip-gates)`);
  return gaps;
}
