/** A Patroni member as the DCS shows it (`/<namespace>/<scope>/members/<name>`). */
export interface FleetMember {
  namespace: string;
  scope: string;
  name: string;
  /** REST API URL from the member key (api_url). */
  apiUrl: string | undefined;
  role: string | undefined;
  /** True when pgfleet manages this member's YAML on this host. */
  managedHere: boolean;
}

export function memberId(member: Pick<FleetMember, 'namespace' | 'scope' | 'name'>): string {
  return `${member.namespace}${member.scope}/${member.name}`;
}
