/**
 * Whether `instance drop` may go on. Dropping the last member of a cluster
 * destroys the cluster: it needs --force, and then the cluster's keys go from
 * the DCS too (nothing would ever remove them otherwise). When the DCS
 * cannot be read, pgfleet cannot tell, and treats the member as the last.
 */
export type DropDecision =
  | { allowed: true; lastMember: boolean; removeClusterKeys: boolean; otherMembers: string[] }
  | { allowed: false; code: 'INSTANCE_LAST_MEMBER' | 'INSTANCE_MEMBERS_UNKNOWN'; message: string; hint: string };

export interface DropInput {
  instance: string;
  scope: string;
  node: string;
  /** Member names registered in the DCS (`members/<name>`); undefined when the DCS could not be read. */
  members: readonly string[] | undefined;
  force: boolean;
}

export function decideDrop(input: DropInput): DropDecision {
  if (input.members === undefined) {
    if (!input.force) {
      return {
        allowed: false,
        code: 'INSTANCE_MEMBERS_UNKNOWN',
        message: `cannot read the members of cluster ${input.scope} from etcd: pgfleet cannot tell whether ${input.instance} is its last member`,
        hint: `fix etcd access and try again, or add --force to drop it anyway (its cluster's keys are then removed if etcd can be reached)`,
      };
    }
    return { allowed: true, lastMember: true, removeClusterKeys: true, otherMembers: [] };
  }
  const others = input.members.filter((name) => name !== input.node);
  if (others.length > 0) return { allowed: true, lastMember: false, removeClusterKeys: false, otherMembers: others };
  if (!input.force) {
    return {
      allowed: false,
      code: 'INSTANCE_LAST_MEMBER',
      message: `${input.instance} is the last member of cluster ${input.scope}: dropping it destroys the cluster and its data`,
      hint: `add --force to drop it and remove the cluster's keys from etcd`,
    };
  }
  return { allowed: true, lastMember: true, removeClusterKeys: true, otherMembers: [] };
}
