/**
 * etcd basic auth (username/password) and client certificates together in
 * one Patroni DCS section. Patroni authenticates with the password when one
 * is set, so the certificate then only opens the TLS connection: the seed
 * (pglift) says both methods should not be used together. A warning, not an
 * error: with etcd's --client-cert-auth a certificate is needed to connect at
 * all, and role-based access then comes from the password's user.
 */
export interface EtcdAuthMethodsWarning {
  code: 'ETCD_BASIC_AUTH_WITH_CLIENT_CERT';
  message: string;
  hint: string;
}

/** What the check reads: a Patroni `etcd`/`etcd3` section, as generated or read back from a YAML. */
export interface EtcdDcsSectionView {
  username?: unknown;
  password?: unknown;
  cert?: unknown;
  key?: unknown;
}

/**
 * Flags a DCS section that sets both basic-auth credentials and a client
 * certificate. `where` names the object in the message (a file, an instance).
 */
export function checkEtcdAuthMethods(
  section: EtcdDcsSectionView | undefined,
  where: string,
): EtcdAuthMethodsWarning | undefined {
  if (!section) return undefined;
  const basicAuth = isSet(section.username);
  const clientCertificate = isSet(section.cert);
  if (!basicAuth || !clientCertificate) return undefined;
  return {
    code: 'ETCD_BASIC_AUTH_WITH_CLIENT_CERT',
    message: `${where} sets both an etcd username/password (${String(section.username)}) and a client certificate (${String(section.cert)}): Patroni authenticates with the password, basic auth taking precedence over the certificate`,
    hint: 'use one method: drop cert/key for role-based access with per-cluster users (keep cacert and https), or drop username/password to rely on certificates (global access, no roles); with etcd --client-cert-auth the certificate stays needed to connect and must have no CN (the etcd 3.4 gateway refuses a CN certificate once auth is on: pgfleet pki issue client NAME --no-common-name), and the password decides the permissions',
  };
}

function isSet(value: unknown): boolean {
  return value !== undefined && value !== null && String(value).length > 0;
}
