/** Patroni 3.0.2 calls the primary `master` in GET /patroni and `leader` in GET /cluster; later versions say `primary`. */
export function isPrimaryRole(role: string | undefined): boolean {
  return role === 'master' || role === 'primary' || role === 'leader' || role === 'standby_leader';
}

/** The role as pgfleet prints it. */
export function displayRole(role: string | undefined): string {
  if (role === undefined) return 'unknown';
  return role === 'master' || role === 'primary' ? 'leader' : role;
}
