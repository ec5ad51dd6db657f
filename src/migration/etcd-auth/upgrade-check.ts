import { ExitCode, PgfleetError } from '../../core/errors.js';
import { memberId } from '../../core/migration/fleet-member.js';
import type { OperationOutcome } from '../../core/operation-outcome.js';
import { textTable } from '../../core/text-table.js';
import { type EtcdUpgradeCheck, checkEtcdUpgrade } from '../../core/versions/etcd-upgrade-check.js';
import { type FleetConnection, withFleetClients } from '../../fleet/fleet-connection.js';
import { collectFleetFacts } from './fleet-facts.js';

/**
 * `etcd upgrade check --to VERSION`: would upgrading the etcd members to
 * VERSION break any member of this fleet with the credentials it has now?
 * Each member is judged by the compatibility matrix from the Patroni version
 * its own REST API reports. Exit 1 when a member would break.
 */
export async function checkFleetEtcdUpgrade(
  fleet: FleetConnection,
  targetEtcdVersion: string,
): Promise<OperationOutcome<EtcdUpgradeCheck>> {
  if (!/^\d+\.\d+\.\d+$/.test(targetEtcdVersion)) {
    throw new PgfleetError(
      'UPGRADE_TARGET_INVALID',
      `--to ${targetEtcdVersion}: expected an etcd version such as 3.4.41`,
      { hint: 'give the exact etcd release the members would run' },
    );
  }
  const facts = await withFleetClients(fleet, ({ admin, rest }) => collectFleetFacts(fleet, admin, rest));
  const check = checkEtcdUpgrade({
    targetEtcdVersion,
    tokenType: facts.tokenType,
    authEnabled: facts.authEnabled,
    // A member runs with per-cluster credentials once apply recorded it ready (or auth is on: without them it could not work).
    members: facts.members.map((member) => ({
      id: memberId(member),
      patroniVersion: facts.patroniVersions.get(memberId(member)),
      hasCredentials: facts.authEnabled || facts.readiness.has(memberId(member)),
    })),
  });
  return {
    data: check,
    text: () => renderUpgradeCheck(check),
    exitCode: check.wouldBreak ? ExitCode.findings : ExitCode.ok,
  };
}

function renderUpgradeCheck(check: EtcdUpgradeCheck): string {
  const rows = check.members.map((member) => [
    member.id,
    member.patroniVersion ?? '?',
    member.verdict,
    `${member.reasons[0] ?? ''}${member.citations.length ? ` (${member.citations.map((c) => c.ref).join(', ')})` : ''}`,
  ]);
  const source = check.members.every((member) => member.evidence === 'tested-here')
    ? ''
    : '\nverdicts marked from upstream notes were not tested on this stack (only Patroni 3.0.2 and etcd 3.4.23 are installable here)';
  const summary = check.wouldBreak
    ? `upgrading etcd to ${check.targetEtcdVersion} would break ${check.members.filter((m) => m.verdict === 'unsafe').length} member(s)`
    : check.unknownMembers.length > 0
      ? `no member is known to break on etcd ${check.targetEtcdVersion}, but ${check.unknownMembers.length} member(s) are not known to be safe`
      : `upgrading etcd to ${check.targetEtcdVersion} breaks no member`;
  return `${textTable(['MEMBER', 'PATRONI', 'VERDICT', 'REASON'], rows)}\n${summary}${source}`;
}
