import type { Citation, VersionRange } from './compatibility-row.js';
import { compareVersions } from './version-compare.js';

/**
 * What other clients of the etcd (besides Patroni) can speak, and how they
 * behave when etcd refuses them: a v2-only client on a v3 fleet, or one that
 * drops its VIP on a read error, turns an auth switch into an outage.
 */

export type DcsClientName = 'vip-manager';

export interface DcsClientFact {
  client: DcsClientName;
  versions: VersionRange;
  /** The etcd APIs these versions use. */
  etcdApis: readonly ('v2' | 'v3')[];
  /** Whether a failed etcd read makes the client give up what it holds (vip-manager: the VIP). */
  dropsVipOnReadError: boolean;
  /** v3 watches it keeps open on etcd (vip-manager from 2.3.0: one, on its trigger key); the census counts them. */
  watchers: number;
  note: string;
  citations: readonly Citation[];
}

const VIP_MANAGER_250: Citation = {
  kind: 'issue',
  ref: 'vip-manager#250',
  url: 'https://github.com/cybertec-postgresql/vip-manager/issues/250',
};
const VIP_MANAGER_103: Citation = {
  kind: 'issue',
  ref: 'vip-manager#103',
  url: 'https://github.com/cybertec-postgresql/vip-manager/issues/103',
};
const VIP_MANAGER_199: Citation = {
  kind: 'issue',
  ref: 'vip-manager#199 (released in 2.3.0)',
  url: 'https://github.com/cybertec-postgresql/vip-manager/pull/199',
};
const READ_ERROR_NOTE =
  'every version sends "not leader" when its etcd read fails (checker/etcd_leader_checker.go), and the IP manager then removes the VIP: an etcd that refuses it (auth on, no or wrong credentials) takes the VIP down';

export const DCS_CLIENT_FACTS: readonly DcsClientFact[] = [
  {
    client: 'vip-manager',
    versions: { from: '0', to: '2.0.0' },
    etcdApis: ['v2'],
    dropsVipOnReadError: true,
    watchers: 0,
    note: `vip-manager 1.x reads the leader key through etcd's v2 KeysAPI only; Debian bookworm ships 1.0.2 (apt: 1.0.2-6+b2). It does not see keys Patroni writes through etcd3, and etcd 3.4 serves v2 only with --enable-v2. ${READ_ERROR_NOTE}`,
    citations: [
      VIP_MANAGER_250,
      VIP_MANAGER_103,
      {
        kind: 'local-test',
        ref: 'pgfleet facts note (shared/notes/patroni-etcd-facts.md): Added 2026-12-07 (vip-manager)',
      },
    ],
  },
  {
    client: 'vip-manager',
    versions: { from: '2.0.0', to: '2.3.0' },
    etcdApis: ['v3'],
    dropsVipOnReadError: true,
    watchers: 0,
    note: `vip-manager 2.0.0 to 2.2.x poll the trigger key with etcd's v3 client. ${READ_ERROR_NOTE}`,
    citations: [VIP_MANAGER_250, VIP_MANAGER_103],
  },
  {
    client: 'vip-manager',
    // 5.0.0 is the newest release read; later ones are unknown until read.
    versions: { from: '2.3.0', to: '5.0.1' },
    etcdApis: ['v3'],
    dropsVipOnReadError: true,
    watchers: 1,
    note: `vip-manager 2.3.0 and later use etcd's v3 client only, and keep one watch on the trigger key (checker/etcd_leader_checker.go). ${READ_ERROR_NOTE}`,
    citations: [VIP_MANAGER_250, VIP_MANAGER_103, VIP_MANAGER_199],
  },
];

export interface ClientApiSupport {
  client: string;
  version: string;
  /** `unknown` when no fact covers this client version. */
  etcdV2: boolean | 'unknown';
  etcdV3: boolean | 'unknown';
  dropsVipOnReadError: boolean | 'unknown';
  watchers: number | 'unknown';
  note: string;
  citations: readonly Citation[];
}

/** Which etcd APIs a client version speaks, from DCS_CLIENT_FACTS; `unknown` fields when no fact covers it. */
export function clientApiSupport(
  client: string,
  version: string,
  facts: readonly DcsClientFact[] = DCS_CLIENT_FACTS,
): ClientApiSupport {
  const fact = /^\d+(\.\d+)*$/.test(version)
    ? facts.find(
        (candidate) =>
          candidate.client === client &&
          compareVersions(version, candidate.versions.from) >= 0 &&
          (candidate.versions.to === undefined || compareVersions(version, candidate.versions.to) < 0),
      )
    : undefined;
  if (!fact) {
    return {
      client,
      version,
      etcdV2: 'unknown',
      etcdV3: 'unknown',
      dropsVipOnReadError: 'unknown',
      watchers: 'unknown',
      note: `no fact is known about ${client} ${version}`,
      citations: [],
    };
  }
  return {
    client,
    version,
    etcdV2: fact.etcdApis.includes('v2'),
    etcdV3: fact.etcdApis.includes('v3'),
    dropsVipOnReadError: fact.dropsVipOnReadError,
    watchers: fact.watchers,
    note: fact.note,
    citations: fact.citations,
  };
}
