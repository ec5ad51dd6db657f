import { userInfo } from 'node:os';
import { ExitCode, PgfleetError } from '../core/errors.js';
import type { OperationOutcome } from '../core/operation-outcome.js';
import type { SiteSettings } from '../core/settings/site-settings.js';
import { closestName } from '../core/settings/closest-name.js';
import { clientReadinessRecord, readinessMismatch } from '../core/tenancy/client-readiness.js';
import { clientSetUp } from '../core/migration/census-gates.js';
import { describeGrant } from '../core/tenancy/declared-clients.js';
import { textTable } from '../core/text-table.js';
import {
  type DeclaredClientState,
  readDeclaredClientStates,
  recordClientReadiness,
} from '../fleet/declared-client-state.js';
import { withTenancyAdmin } from './tenancy-target.js';
import { thisHostName } from '../adapters/process/host-name.js';

/** One declared client as `etcd clients list` shows it. */
export interface DeclaredClientListing {
  name: string;
  kind: string;
  user: string;
  role: string;
  grant: string;
  cluster: string | undefined;
  version: string | undefined;
  watchers: number;
  /** Its user exists, holds its role, and the role holds exactly the declared grant. */
  setUp: boolean;
  passwordFile: string;
  passwordHere: boolean;
  ready: boolean;
  readiness: { recordedAt: string; by: string; host: string } | undefined;
  /** Why it is not ready, when it is not. */
  notReady: string | undefined;
  origin: string;
}

/** `pgfleet etcd clients list`: the clients the tenants file declares, their etcd user and grant, and whether each was acknowledged ready. */
export async function listDeclaredClients(settings: SiteSettings): Promise<OperationOutcome<DeclaredClientListing[]>> {
  const listing = await withTenancyAdmin(settings, {}, async (target, admin) =>
    (
      await readDeclaredClientStates(admin, target.directory.clients, (user) => target.directory.passwordFile(user))
    ).map(listingOf),
  );
  return {
    data: listing,
    text: () =>
      listing.length === 0
        ? 'no client declared: the tenants file (tenancy.tenants_file) lists them under "clients:"'
        : textTable(
            ['CLIENT', 'KIND', 'USER', 'GRANT', 'SET UP', 'PASSWORD FILE', 'READY'],
            listing.map((client) => [
              client.name,
              client.kind,
              client.user,
              client.grant,
              client.setUp ? 'yes' : 'no',
              `${client.passwordFile}${client.passwordHere ? '' : ' (missing)'}`,
              client.ready
                ? `yes (${client.readiness!.recordedAt} by ${client.readiness!.by})`
                : `no: ${client.notReady}`,
            ]),
          ),
  };
}

/**
 * `pgfleet etcd clients ready NAME`: the operator's word, recorded in etcd,
 * that the client is configured with its own user and the password of its
 * 0600 file, so that it keeps working once auth is on. Refused while its
 * user, role or grant is not as declared, or its password file is missing
 * here.
 */
export async function markClientReady(settings: SiteSettings, name: string): Promise<OperationOutcome> {
  return withTenancyAdmin(settings, {}, async (target, admin) => {
    const clients = target.directory.clients;
    const client = clients.find((candidate) => candidate.name === name);
    if (!client) {
      const suggestion = closestName(
        name,
        clients.map((candidate) => candidate.name),
      );
      throw new PgfleetError('CLIENT_NOT_DECLARED', `no client named ${name} is declared in the tenants file`, {
        hint: suggestion
          ? `did you mean ${suggestion}?`
          : 'declare it under "clients:" in the tenants file (tenancy.tenants_file); `pgfleet etcd clients list` shows those declared',
        exitCode: ExitCode.usage,
      });
    }
    const [state] = await readDeclaredClientStates(admin, [client], (user) => target.directory.passwordFile(user));
    const listing = listingOf(state!);
    if (!listing.setUp || !listing.passwordHere)
      throw new PgfleetError(
        'CLIENT_NOT_SET_UP',
        `client ${name}: ${!listing.setUp ? `its etcd user ${client.user} and role ${client.role} with ${describeGrant(client.grant)} do not exist as declared yet` : `its password file ${listing.passwordFile} is not on this host`}: nothing was recorded`,
        {
          hint: '`pgfleet etcd tenants apply` (or `pgfleet etcd auth prepare`) creates them and the 0600 password file; configure the client with them, then run this again',
          exitCode: ExitCode.findings,
        },
      );
    const record = clientReadinessRecord(client, { host: thisHostName(), by: userInfo().username, at: new Date() });
    await recordClientReadiness(admin, record);
    return {
      data: { recorded: record },
      text: () =>
        `client ${name} recorded ready: configured as etcd user ${client.user} (${describeGrant(client.grant)}); enforce will prove it once auth is on`,
    };
  });
}

function listingOf(state: DeclaredClientState): DeclaredClientListing {
  const { client } = state;
  const setUp = clientSetUp(state);
  const mismatch = state.readiness ? readinessMismatch(state.readiness, client) : undefined;
  return {
    name: client.name,
    kind: client.kind,
    user: client.user,
    role: client.role,
    grant: describeGrant(client.grant),
    cluster: client.cluster ? `${client.cluster.namespace}${client.cluster.scope}` : undefined,
    version: client.version,
    watchers: client.watchers,
    setUp,
    passwordFile: state.passwordFile,
    passwordHere: state.passwordHere,
    ready: state.readiness !== undefined && mismatch === undefined,
    readiness: state.readiness
      ? { recordedAt: state.readiness.recordedAt, by: state.readiness.by, host: state.readiness.host }
      : undefined,
    notReady: state.readiness
      ? mismatch
      : `not acknowledged (configure it, then \`pgfleet etcd clients ready ${client.name}\`)`,
    origin: client.origin,
  };
}
