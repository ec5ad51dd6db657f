import { PgfleetError } from '../errors.js';
import type { PatroniConfig } from '../patroni-config/build-config.js';

/**
 * Which etcd API a lab's Patroni nodes use:
 * - v3: the `etcd3:` section (the default);
 * - v2: etcd started with --enable-v2 and every node on the `etcd:` section,
 *   the state of a long-lived fleet before `pgfleet etcd v3 migrate`.
 */
export const LAB_ETCD_APIS = ['v3', 'v2'] as const;
export type LabEtcdApi = (typeof LAB_ETCD_APIS)[number];

export function parseLabEtcdApi(value: string | undefined): LabEtcdApi {
  if (value === undefined) return 'v3';
  if ((LAB_ETCD_APIS as readonly string[]).includes(value)) return value as LabEtcdApi;
  throw new PgfleetError('LAB_BAD_INPUT', `--etcd-api must be one of ${LAB_ETCD_APIS.join(', ')}, got "${value}"`, {
    hint: '--etcd-api v2 starts the nodes on the etcd: (v2) section, to drill `pgfleet etcd v3 migrate`',
  });
}

/** A node's generated configuration with its DCS section under the key the API needs (`etcd:` for v2), in place. */
export function withLabDcsSection(config: PatroniConfig, api: LabEtcdApi): PatroniConfig {
  if (api === 'v3' || config.etcd3 === undefined) return config;
  return Object.fromEntries(
    Object.entries(config).map(([key, value]) => [key === 'etcd3' ? 'etcd' : key, value]),
  ) as PatroniConfig;
}
