import { ExitCode, PgfleetError, describeError } from '../../core/errors.js';
import { rotationReadinessKey } from '../../core/migration/rotation-run.js';
import { Secret } from '../../core/secret.js';
import { readSecretFile } from '../../adapters/fs/secret-file.js';
import { type LocalInstance, readLocalInstance } from '../../node/local-instances.js';
import { withAdminClient } from '../../fleet/fleet-connection.js';
import { reloadMemberAndProve, reloadProblem, writeMemberCredentials } from './member-credentials.js';
import type { RotationFleet, RotationSelection } from './rotation-fleet.js';
import { selects, tenantUserOf } from './rotation-fleet.js';
import { localInstancesOf, recordReadiness } from './rotation-run.js';
import {
  keepPreviousPassword,
  passwordFingerprint,
  readPreviousPassword,
  restorePreviousPassword,
} from './tenant-password-file.js';

export interface HostStepResult {
  member: string;
  outcome: 'written' | 'already-held' | 'restored' | 'failed';
  detail: string;
}

/**
 * `rotate --host-only` on a host that runs members of a cluster being
 * rotated elsewhere: the tenant's password file here must hold the new
 * password (copied from the coordinator's host); the password the YAMLs hold
 * now is kept in `<file>.previous` (0600) for a rollback; each member gets
 * the new one, reloads (proven from its log) and is recorded ready with the
 * new password's fingerprint, which the coordinator compares before it
 * changes the password in etcd.
 */
export async function rotateThisHost(
  fleet: RotationFleet,
  selection: RotationSelection,
  progress: (message: string) => void = () => undefined,
): Promise<HostStepResult[]> {
  return withAdminClient(fleet, async (admin) => {
    const results: HostStepResult[] = [];
    for (const [cluster, instances] of selectedLocalClusters(fleet, selection)) {
      const { namespace, scope } = instances[0]!;
      const user = tenantUserOf(fleet, namespace, scope);
      const file = fleet.tenants.passwordFile(user);
      const fresh = await readSecretFile(file, `password of etcd user ${user}`);
      if (!(await readPreviousPassword(file, user))) {
        const held = await heldPassword(instances, user, fresh);
        if (held) await keepPreviousPassword(file, held);
      }
      for (const instance of instances) {
        const member = `${cluster}/${instance.node}`;
        try {
          const written = await writeMemberCredentials(instance, { username: user, password: fresh });
          if (written.changed) {
            const problem = reloadProblem(member, instance.configFile, await reloadMemberAndProve(instance, written));
            if (problem) {
              results.push({ member, outcome: 'failed', detail: problem });
              continue;
            }
          }
          await recordReadiness(admin, instance, written, user, passwordFingerprint(user, fresh));
          progress(
            `${member}: holds the new password of ${user}${written.changed ? ', reloaded' : ''}; recorded ready`,
          );
          results.push({
            member,
            outcome: written.changed ? 'written' : 'already-held',
            detail: written.changed ? 'written, reload proven, recorded' : 'its YAML already held it; recorded',
          });
        } catch (error) {
          results.push({ member, outcome: 'failed', detail: describeError(error) });
        }
      }
    }
    return results;
  });
}

/** `rotate --rollback --host-only`: the members of this host get the password kept in `.previous` back. */
export async function rollBackThisHost(
  fleet: RotationFleet,
  progress: (message: string) => void = () => undefined,
): Promise<HostStepResult[]> {
  return withAdminClient(fleet, async (admin) => {
    const results: HostStepResult[] = [];
    for (const [cluster, instances] of selectedLocalClusters(fleet, { scopes: [], all: true })) {
      const { namespace, scope } = instances[0]!;
      const user = tenantUserOf(fleet, namespace, scope);
      const file = fleet.tenants.passwordFile(user);
      const previous = await readPreviousPassword(file, user);
      if (!previous) continue;
      for (const instance of instances) {
        const member = `${cluster}/${instance.node}`;
        try {
          const written = await writeMemberCredentials(instance, { username: user, password: previous });
          const problem = written.changed
            ? reloadProblem(member, instance.configFile, await reloadMemberAndProve(instance, written))
            : undefined;
          await admin.delete(rotationReadinessKey({ namespace, scope, name: instance.node }));
          progress(`${member}: the old password of ${user} is back${problem ? ` (${problem})` : ''}`);
          results.push({
            member,
            outcome: problem ? 'failed' : 'restored',
            detail: problem ?? 'old password back, reload proven',
          });
        } catch (error) {
          results.push({ member, outcome: 'failed', detail: describeError(error) });
        }
      }
      await restorePreviousPassword(file, user);
    }
    return results;
  });
}

function selectedLocalClusters(fleet: RotationFleet, selection: RotationSelection): Map<string, LocalInstance[]> {
  const clusters = new Map<string, LocalInstance[]>();
  for (const instance of fleet.localInstances) {
    const cluster = `${instance.namespace}${instance.scope}`;
    if (!selection.all && !selection.scopes.some((scope) => selects(cluster, scope))) continue;
    clusters.set(cluster, localInstancesOf(fleet.localInstances, cluster));
  }
  if (clusters.size === 0)
    throw new PgfleetError('ROTATION_NO_LOCAL_MEMBER', 'no member of the clusters named runs on this host', {
      hint: 'run --host-only on the hosts that run members of the cluster (pgfleet instance list)',
      exitCode: ExitCode.usage,
    });
  return clusters;
}

/** The password the members' YAMLs hold now, when it is not the new one: kept for a rollback of this host. */
async function heldPassword(instances: LocalInstance[], user: string, fresh: Secret): Promise<Secret | undefined> {
  for (const known of instances) {
    const instance = await readLocalInstance(known.configFile).catch(() => undefined);
    const dcs = (instance?.config[instance.dcsSection] ?? {}) as { username?: unknown; password?: unknown };
    if (dcs.username === user && typeof dcs.password === 'string' && !fresh.equals(new Secret(dcs.password)))
      return new Secret(dcs.password);
  }
  return undefined;
}
