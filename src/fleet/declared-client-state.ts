import { access } from 'node:fs/promises';
import { formatRange } from '../core/etcd/key-range.js';
import type { DeclaredClientFacts } from '../core/migration/census-gates.js';
import {
  CLIENT_READINESS_PREFIX,
  type ClientReadinessRecord,
  clientReadinessKey,
} from '../core/tenancy/client-readiness.js';
import { type DeclaredClient, grantRange } from '../core/tenancy/declared-clients.js';
import { EtcdAuthApi } from '../adapters/etcd/auth-api.js';
import type { EtcdClient } from '../adapters/etcd/etcd-client.js';

/** A declared client as etcd and this host hold it now. */
export type DeclaredClientState = DeclaredClientFacts;

/** Every declared client's user, role, password file and readiness record. Needs admin rights once auth is on. */
export async function readDeclaredClientStates(
  admin: EtcdClient,
  clients: readonly DeclaredClient[],
  passwordFile: (user: string) => string,
): Promise<DeclaredClientState[]> {
  if (clients.length === 0) return [];
  const auth = new EtcdAuthApi(admin);
  const readiness = await readClientReadiness(admin);
  return Promise.all(
    clients.map(async (client): Promise<DeclaredClientState> => {
      const [user, role] = await Promise.all([auth.getUser(client.user), auth.getRole(client.role)]);
      const wanted = grantRange(client.grant);
      const exact = (permission: { key: Buffer; rangeEnd: Buffer }): boolean =>
        permission.key.equals(wanted.key) && permission.rangeEnd.equals(wanted.rangeEnd);
      const file = passwordFile(client.user);
      return {
        client,
        userExists: user !== undefined,
        userHasRole: user?.roles.includes(client.role) === true,
        otherRoles: (user?.roles ?? []).filter((name) => name !== client.role),
        roleExists: role !== undefined,
        roleGrantExact:
          role?.permissions.some((permission) => exact(permission) && permission.permType === client.grant.permType) ===
          true,
        otherGrants: (role?.permissions ?? [])
          .filter((permission) => !(exact(permission) && permission.permType === client.grant.permType))
          .map((permission) => `${permission.permType.toLowerCase()} ${formatRange(permission)}`),
        passwordHere: await access(file).then(
          () => true,
          () => false,
        ),
        passwordFile: file,
        readiness: readiness.get(client.name),
      };
    }),
  );
}

/** The readiness acknowledgements `pgfleet etcd clients ready` recorded, by client name. */
export async function readClientReadiness(admin: EtcdClient): Promise<Map<string, ClientReadinessRecord>> {
  const records = new Map<string, ClientReadinessRecord>();
  for (const entry of await admin.getPrefix(CLIENT_READINESS_PREFIX)) {
    const record = JSON.parse(entry.value) as ClientReadinessRecord;
    records.set(record.name, record);
  }
  return records;
}

export async function recordClientReadiness(admin: EtcdClient, record: ClientReadinessRecord): Promise<void> {
  await admin.put(clientReadinessKey(record.name), JSON.stringify(record));
}
