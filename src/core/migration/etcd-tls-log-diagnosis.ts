/**
 * Why a Patroni restarted on https does not come back, read from its log.
 * Patroni 3.0.2 loops on "waiting on etcd" before its REST API starts, after
 * one "Failed to get list of machines" line per host naming the cause.
 */
export type EtcdTlsLogCause =
  | 'ca-file-unusable'
  | 'server-not-trusted'
  | 'client-certificate-unusable'
  | 'client-certificate-refused'
  | 'idna-missing'
  | 'connection-refused'
  | 'waiting-on-etcd'
  | 'unknown';

const PATTERNS: Array<[EtcdTlsLogCause, RegExp]> = [
  ['idna-missing', /No module named 'idna'/],
  ['ca-file-unusable', /unable to load trusted certificates|load_verify_locations|cafile/i],
  [
    'server-not-trusted',
    /CERTIFICATE_VERIFY_FAILED|certificate verify failed|self[- ]signed certificate|unable to get local issuer certificate/i,
  ],
  [
    'client-certificate-unusable',
    /PEM lib|use_certificate|use_privatekey|key values mismatch|no such file.*\.(crt|key|pem)/i,
  ],
  [
    'client-certificate-refused',
    /bad certificate|certificate required|ALERT_BAD_CERTIFICATE|unknown ca|ALERT_UNKNOWN_CA/i,
  ],
  ['connection-refused', /Connection refused|NewConnectionError/i],
  ['waiting-on-etcd', /waiting on etcd/i],
];

/** The most specific cause in the lines (a specific cause anywhere beats "waiting on etcd"). */
export function diagnoseEtcdTlsLog(lines: string[]): EtcdTlsLogCause {
  for (const [cause, pattern] of PATTERNS) {
    for (let index = lines.length - 1; index >= 0; index -= 1) if (pattern.test(lines[index]!)) return cause;
  }
  return 'unknown';
}

export function describeEtcdTlsLogCause(cause: EtcdTlsLogCause, member: string): string | undefined {
  switch (cause) {
    case 'idna-missing':
      return `Patroni of ${member} lacks the Python idna module its https etcd client needs (apt-get install python3-idna)`;
    case 'ca-file-unusable':
      return `Patroni of ${member} cannot load its etcd CA file (cacert): missing, unreadable by the Patroni user, or not PEM`;
    case 'server-not-trusted':
      return `Patroni of ${member} does not trust etcd's server certificate: cacert is not the CA that signed it`;
    case 'client-certificate-unusable':
      return `Patroni of ${member} cannot load its etcd client certificate or key (cert/key)`;
    case 'client-certificate-refused':
      return `etcd refused the client certificate of ${member} (not signed by etcd's --trusted-ca-file, or none sent)`;
    case 'connection-refused':
      return `nothing answers on the etcd https endpoints ${member} was given (hosts)`;
    case 'waiting-on-etcd':
      return `Patroni of ${member} keeps waiting on etcd over https`;
    default:
      return undefined;
  }
}
