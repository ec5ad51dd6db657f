import { PgfleetError } from '../../core/errors.js';

/** gRPC codes etcd answers with through its JSON gateway (seen on 3.4.23). */
export const GrpcCode = {
  invalidArgument: 3,
  notFound: 5,
  permissionDenied: 7,
  failedPrecondition: 9,
  unavailable: 14,
  unauthenticated: 16,
} as const;

/** What an etcd error means for a client, by its message (codes are shared by several errors). */
export type EtcdErrorKind =
  | 'auth-not-enabled'
  | 'user-name-empty'
  | 'authentication-failed'
  | 'invalid-token'
  | 'auth-revision-old'
  | 'permission-denied'
  | 'user-not-found'
  | 'role-not-found'
  | 'user-exists'
  | 'role-exists'
  | 'root-user-missing'
  | 'root-role-not-granted'
  | 'gateway-common-name'
  | 'unreachable'
  | 'other';

export function classifyEtcdMessage(message: string): EtcdErrorKind {
  const m = message.toLowerCase();
  if (m.includes('authentication is not enabled')) return 'auth-not-enabled';
  if (m.includes('user name is empty')) return 'user-name-empty';
  if (m.includes('authentication failed')) return 'authentication-failed';
  if (m.includes('invalid auth token')) return 'invalid-token';
  if (m.includes('revision of auth store is old')) return 'auth-revision-old';
  if (m.includes('permission denied')) return 'permission-denied';
  if (m.includes('user name not found')) return 'user-not-found';
  if (m.includes('role name not found')) return 'role-not-found';
  if (m.includes('user name already exists')) return 'user-exists';
  if (m.includes('role name already exists')) return 'role-exists';
  if (m.includes('root user does not exist')) return 'root-user-missing';
  if (m.includes('root user does not have root role')) return 'root-role-not-granted';
  if (m.includes('commonname of client sending a request against gateway')) return 'gateway-common-name';
  return 'other';
}

const HINTS: Partial<Record<EtcdErrorKind, string>> = {
  'user-name-empty': 'etcd authentication is on and no credentials were given: configure a user and password',
  'authentication-failed': 'check the user name and the password file; `pgfleet etcd tenants show` lists the users',
  'permission-denied': "the user's role does not grant this key: `pgfleet etcd tenants plan` shows the missing grant",
  'user-not-found': 'create the user with `pgfleet etcd tenants apply`',
  'role-not-found': 'create the role with `pgfleet etcd tenants apply`',
  'root-user-missing':
    'etcd needs a root user holding the root role before auth can be enabled: `pgfleet etcd tenants apply` creates it',
  'root-role-not-granted': 'grant the root role to the root user: `pgfleet etcd tenants apply`',
  'gateway-common-name':
    "etcd auth is on and this client certificate has a CN: etcd 3.4's JSON gateway (used by Patroni 3.0.2 and pgfleet) then refuses every request, even with a token; issue the client certificate without a CN (pgfleet pki: withoutCommonName), or drop client certificates and keep https with cacert and etcd users",
  unreachable: 'check that etcd runs and that the endpoints in the settings are right',
};

export class EtcdError extends PgfleetError {
  readonly kind: EtcdErrorKind;
  readonly grpcCode: number | undefined;
  readonly endpoint: string | undefined;

  constructor(
    kind: EtcdErrorKind,
    message: string,
    options: { grpcCode?: number; endpoint?: string; cause?: unknown; hint?: string } = {},
  ) {
    const hint = options.hint ?? HINTS[kind];
    super(`ETCD_${kind.toUpperCase().replaceAll('-', '_')}`, message, {
      ...(hint ? { hint } : {}),
      ...(options.cause === undefined ? {} : { cause: options.cause }),
    });
    this.name = 'EtcdError';
    this.kind = kind;
    this.grpcCode = options.grpcCode;
    this.endpoint = options.endpoint;
  }
}
