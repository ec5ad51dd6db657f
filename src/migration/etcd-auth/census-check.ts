import { describeError } from '../../core/errors.js';
import { type AfterEnableReport, compareAfterEnable } from '../../core/census/census-after-enable.js';
import { type CensusGateReport, judgeCensus } from '../../core/migration/census-gates.js';
import { PGFLEET_PREFIX } from '../../core/migration/readiness-record.js';
import type { EtcdClient } from '../../adapters/etcd/etcd-client.js';
import { currentRevision } from '../../adapters/etcd/keyspace-scan.js';
import { readDeclaredClientStates } from '../../fleet/declared-client-state.js';
import { type FleetCensus, type FleetCensusScope, takeFleetCensus } from '../../fleet/fleet-census.js';
import type { FleetConnection } from '../../fleet/fleet-connection.js';
import type { FleetFacts } from './fleet-facts.js';
import type { EnforceCensusView } from './enforce-report.js';

/** The census of the fleet's etcd as the plan and the gates judge it. */
export interface JudgedCensus {
  scope: FleetCensusScope;
  taken: FleetCensus;
  report: CensusGateReport;
}

/**
 * Takes the census (read-only, as admin, once) and judges it: what the
 * fleet's members, tenants, declared clients and pgfleet do not account for,
 * each declared client's user, grant, password file and readiness, and the
 * operator's acknowledgements from the tenants file.
 */
export async function judgeFleetCensus(
  connection: FleetConnection,
  admin: EtcdClient,
  facts: Pick<FleetFacts, 'members' | 'tenantUsers'>,
): Promise<JudgedCensus> {
  const directory = connection.tenants;
  const scope: FleetCensusScope = {
    namespaces: connection.namespaces,
    patroniMembers: facts.members,
    tenantPrefixes: [...facts.tenantUsers.keys()].map((cluster) => `${cluster}/`),
    declaredClients: directory.clients ?? [],
  };
  const taken = await takeFleetCensus(admin, scope);
  const clients = await readDeclaredClientStates(admin, scope.declaredClients, (user) =>
    directory.passwordFile ? directory.passwordFile(user) : `${user}.password`,
  );
  const report = judgeCensus({
    account: taken.account,
    census: taken.census,
    acknowledged: directory.acknowledged ?? [],
    clients,
  });
  return { scope, taken, report };
}

/** The census at enforce's gates, and what enforce does with it once auth is on. */
export interface CensusAtGates extends JudgedCensus {
  /** Right before auth enable: notes the revision from which writes are made with credentials. */
  enabling(): Promise<void>;
  /** Once enforced: the census again, with auth on, set against this one. Never throws: a failure is reported. */
  afterEnforce(): Promise<AfterEnableReport>;
}

/**
 * The census for enforce's gates. Acknowledged subjects and warnings are
 * told through `progress` as the gates run, loudly: enforce goes on over
 * them, and they are not protected.
 */
export async function censusAtGates(
  connection: FleetConnection,
  admin: EtcdClient,
  facts: Pick<FleetFacts, 'members' | 'tenantUsers'>,
  progress: (message: string) => void,
): Promise<CensusAtGates> {
  const judged = await judgeFleetCensus(connection, admin, facts);
  for (const subject of judged.report.acknowledged)
    progress(
      `ACKNOWLEDGED, NOT PROTECTED: ${subject.id}: ${subject.summary} (reason: "${subject.reason}", ${subject.origin})`,
    );
  for (const warning of judged.report.warnings) progress(`warning: ${warning}`);
  let enabledRevision: number | undefined;
  return {
    ...judged,
    async enabling() {
      enabledRevision = await currentRevision(admin).catch(() => undefined);
    },
    async afterEnforce() {
      const since = enabledRevision ?? judged.taken.census.endRevision;
      try {
        const after = await takeFleetCensus(admin, judged.scope, { writtenSince: since });
        return compareAfterEnable(judged.taken.census, after.census, {
          enabledRevision: since,
          pgfleetPrefix: PGFLEET_PREFIX,
          incomplete: after.account.incomplete,
        });
      } catch (error) {
        return {
          enabledRevision: since,
          takenAt: new Date().toISOString(),
          durationMs: 0,
          findings: [],
          incomplete: [`the census after enable failed: ${describeError(error)}`],
        };
      }
    },
  };
}

/** What an enforce report keeps of the census at the gates. */
export function censusView(judged: JudgedCensus): EnforceCensusView {
  return {
    acknowledged: judged.report.acknowledged,
    warnings: judged.report.warnings,
    incomplete: judged.report.incomplete,
  };
}
