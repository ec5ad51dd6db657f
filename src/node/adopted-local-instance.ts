import { basename } from 'node:path';
import { PgfleetError } from '../core/errors.js';
import type { DiscoveredMember } from '../adapters/patroni/local-member-discovery.js';
import { type LocalInstance, readLocalInstance } from './local-instances.js';

/** A member pgfleet did not create, in the shape `instance list/status` and the migrations use for pgfleet's own. */
export interface AdoptedLocalInstance extends LocalInstance {
  adopted: true;
  running: boolean;
  pid: number | undefined;
  /** The file Patroni reads (configFile is the path it was given, symlinks kept). */
  realConfigFile: string;
}

/**
 * Reads a discovered member's YAML as readLocalInstance does for pgfleet's
 * own instances, with what discovery knows better: the name from the file
 * (`15-main.yml` → `15-main`), scope/name/namespace as the process's
 * environment sets them, and its log. A member with a problem is refused
 * with that problem.
 */
export async function adoptedLocalInstance(member: DiscoveredMember): Promise<AdoptedLocalInstance> {
  if (member.problem || !member.realConfigFile || !member.scope || !member.name || !member.namespace) {
    throw new PgfleetError(
      'ADOPTED_MEMBER_UNUSABLE',
      `${member.configFile}: ${member.problem ?? 'scope, name or configuration file unknown'}`,
      {
        hint: "fix that member's configuration, or leave it out of the operation",
      },
    );
  }
  const instance = await readLocalInstance(member.realConfigFile);
  return {
    ...instance,
    name: basename(member.configFile).replace(/\.ya?ml$/, ''),
    configFile: member.process?.configPath ?? member.configFile,
    realConfigFile: member.realConfigFile,
    scope: member.scope,
    node: member.name,
    namespace: member.namespace,
    logFile: member.logFile,
    adopted: true,
    running: member.running,
    pid: member.pid,
  };
}

/** Whether a member of this host is one pgfleet did not create (its file is edited key by key, never rewritten). */
export function isAdopted(instance: LocalInstance): instance is AdoptedLocalInstance {
  return (instance as Partial<AdoptedLocalInstance>).adopted === true;
}
