/**
 * What a certificate is for. The kind decides its extensions:
 * - server: the Patroni REST API (and etcd client URLs): serverAuth, SANs;
 * - client: patronictl, pgfleet, and etcd clients: clientAuth, no SANs;
 * - peer: etcd peer TLS, where every member is server and client: both, SANs.
 */
export const LEAF_KINDS = ['server', 'client', 'peer'] as const;
export type LeafKind = (typeof LEAF_KINDS)[number];
export type CertificateKind = 'ca' | LeafKind;

export type ExtendedKeyUsage = 'serverAuth' | 'clientAuth';

export function extendedKeyUsagesOf(kind: LeafKind): ExtendedKeyUsage[] {
  switch (kind) {
    case 'server':
      return ['serverAuth'];
    case 'client':
      return ['clientAuth'];
    case 'peer':
      return ['serverAuth', 'clientAuth'];
  }
}

/** Whether certificates of this kind are presented by a TLS server, so need SANs clients can check. */
export function needsSubjectAltNames(kind: LeafKind): boolean {
  return kind !== 'client';
}

export function isLeafKind(value: string): value is LeafKind {
  return (LEAF_KINDS as readonly string[]).includes(value);
}

/** openssl's display names of the extended key usages pgfleet issues. */
export const OPENSSL_EKU_NAMES: Record<ExtendedKeyUsage, string> = {
  serverAuth: 'TLS Web Server Authentication',
  clientAuth: 'TLS Web Client Authentication',
};
