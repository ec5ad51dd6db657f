import type { FleetMember } from '../core/migration/fleet-member.js';
import type { PatroniRestClient, PatroniRestCredentials } from '../adapters/patroni/rest-client.js';
import type { LocalInstance } from '../node/local-instances.js';
import { FleetRestClients } from './fleet-rest.js';

/**
 * The members' REST clients of a guarded run: each call first runs `guard`
 * (the run lock's cheap check: see RunLock.assertHeld), which throws once
 * the run lost its lock. A coordinator stopped past its lease TTL and then
 * continued therefore sends nothing more to the members, not even the
 * compensations of its own steps (a resume of what it paused), which would
 * undo the work of the run that took over.
 */
export class GuardedRestClients extends FleetRestClients {
  readonly #guard: () => void;

  constructor(localInstances: LocalInstance[], credentials: PatroniRestCredentials | undefined, guard: () => void) {
    super(localInstances, credentials);
    this.#guard = guard;
  }

  override for(member: FleetMember, timeoutMs?: number): PatroniRestClient {
    this.#guard();
    return super.for(member, timeoutMs);
  }
}
