import { hostname } from 'node:os';

/**
 * The name pgfleet gives the host it runs on, in run locks, readiness
 * records and the coordinator of a run: $PGFLEET_HOST_NAME when set, else
 * the kernel's host name. Hosts that share one kernel host name (the
 * namespaces of a multi-host lab, containers started without a UTS
 * namespace) are told apart by the variable. `instance create` still
 * defaults a member's name and connect address to the kernel's host name:
 * an address must resolve, an identity need not.
 */
export function thisHostName(env: NodeJS.ProcessEnv = process.env): string {
  const declared = env.PGFLEET_HOST_NAME?.trim();
  return declared ? declared : hostname();
}
