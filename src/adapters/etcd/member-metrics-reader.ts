import { type MemberClientMetrics, parseMemberClientMetrics } from '../../core/census/member-metrics.js';
import type { EtcdClient } from './etcd-client.js';
import { EtcdError } from './etcd-error.js';

/** One member's client counters, from its `/metrics` (served on its client URL, no auth needed). */
export async function readMemberClientMetrics(client: EtcdClient, clientUrl: string): Promise<MemberClientMetrics> {
  const answer = await client.httpGet(`${clientUrl.replace(/\/+$/, '')}/metrics`);
  if (answer.statusCode !== 200)
    throw new EtcdError('other', `${clientUrl}/metrics answered HTTP ${answer.statusCode}`);
  return parseMemberClientMetrics(answer.text);
}
