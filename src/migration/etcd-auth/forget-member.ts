import { ExitCode, PgfleetError } from '../../core/errors.js';
import { memberId } from '../../core/migration/fleet-member.js';
import { type ReadinessRecord, readinessKey } from '../../core/migration/readiness-record.js';
import type { EtcdClient } from '../../adapters/etcd/etcd-client.js';
import { discoverPatroniMembers } from '../../adapters/etcd/patroni-members.js';
import type { FleetConnection } from '../../fleet/fleet-connection.js';
import { readReadinessRecords } from '../../fleet/readiness-records.js';

/**
 * Drops the readiness record of a member that left its cluster for good,
 * so that enforce's gates stop expecting it in the DCS. Refused while the
 * DCS lists the member: its record is what makes its absence noticed.
 */
export async function forgetMember(
  fleet: Pick<FleetConnection, 'namespaces'>,
  admin: EtcdClient,
  id: string,
): Promise<{ member: string; forgotten: ReadinessRecord }> {
  const record = (await readReadinessRecords(admin)).get(id);
  if (!record)
    throw new PgfleetError('MEMBER_NOT_RECORDED', `no readiness record names ${id}: nothing to forget`, {
      hint: 'give the member id as `pgfleet etcd auth status` prints it (/<namespace>/<scope>/<member>)',
      exitCode: ExitCode.usage,
    });
  const listed = await discoverPatroniMembers(admin, fleet.namespaces);
  if (listed.some((member) => memberId(member) === id))
    throw new PgfleetError(
      'MEMBER_STILL_LISTED',
      `${id} is listed in the DCS (its Patroni holds its member key): its readiness record was kept`,
      {
        hint: 'forget only a member that left its cluster for good: stop it first (`pgfleet instance drop NAME` on its host)',
        exitCode: ExitCode.usage,
      },
    );
  await admin.delete(readinessKey({ namespace: record.namespace, scope: record.scope, name: record.member }));
  return { member: id, forgotten: record };
}
