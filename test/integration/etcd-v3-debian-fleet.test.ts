import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import { changedLines } from '../../src/core/yaml/line-diff.js';
import { Secret } from '../../src/core/secret.js';
import { EtcdClient } from '../../src/adapters/etcd/etcd-client.js';
import { V2Keys } from '../../src/adapters/etcd/v2-keys.js';
import { PatroniRestClient } from '../../src/adapters/patroni/rest-client.js';
import { runningPatroniOf } from '../../src/node/adopted-patroni-restart.js';
import { migrateToEtcdV3 } from '../../src/migration/etcd-v3/v3-move-run.js';
import { type V3MoveFleet, findHostMembers } from '../../src/migration/etcd-v3/v3-move-fleet.js';
import { type DebianFleet, startDebianFleet } from '../support/debian-fleet.js';
import { startTestEtcd, type TestEtcd } from '../support/etcd-fixture.js';
import { processesMentioning } from '../support/process-scan.js';

/**
 * The adoption issue's fleet, built from Debian's own template with the v2
 * section its dcs.yml shows as the etcd example (`etcd:`), started by the
 * test (not by pgfleet): 2 clusters × 2 members on 2 simulated hosts, one
 * member started through a symlink, one with a relative path from another
 * cwd. pgfleet adopts the members it finds running and moves them.
 */
describe(
  "etcd v3 migrate on a fleet built from Debian's template on the etcd: section (adopted members)",
  { timeout: 600_000 },
  () => {
    let etcd: TestEtcd | undefined;
    let fleet: DebianFleet | undefined;
    const originals = new Map<string, string>();

    before(async () => {
      etcd = await startTestEtcd({ extraArgs: ['--enable-v2'] });
      fleet = await startDebianFleet({ etcd, dcsSection: 'etcd' });
      for (const member of fleet.members)
        originals.set(member.realConfigFile, await readFile(member.realConfigFile, 'utf8'));
    });
    after(async () => {
      const dir = fleet?.dir;
      const etcdDir = etcd?.dir;
      await fleet?.stop();
      await etcd?.stop();
      if (dir) assert.deepEqual(processesMentioning(dir), [], 'no Patroni or PostgreSQL left running');
      if (etcdDir) assert.deepEqual(processesMentioning(etcdDir), [], 'no etcd left running');
    });

    /** The move's view of this host: only this fleet's members (other test files run their own Patroni beside it). */
    const moveFleet = async (): Promise<V3MoveFleet> => {
      const hostMembers = (await findHostMembers([], '/nonexistent')).filter((member) =>
        member.realConfigFile.startsWith(`${fleet!.dir}/`),
      );
      return {
        endpoints: etcd!.endpoints,
        namespaces: ['/postgresql-common/'],
        // etcd auth is off: the admin identity is never used.
        admin: { username: 'root', password: new Secret('unused-with-auth-off') },
        tenants: { userFor: () => undefined, credentialsFor: async () => undefined },
        localInstances: [],
        restCredentials: {},
        hostMembers,
        declaredClients: [],
      };
    };

    it('adopts every member it finds running on the etcd: section, with no problem named', async () => {
      const found = await moveFleet();
      assert.equal(found.hostMembers.length, 4);
      for (const member of found.hostMembers) {
        assert.equal(member.adopted, true);
        assert.equal(member.problem, undefined, `${member.instance.configFile}: ${member.problem}`);
        assert.ok(member.instance.config.etcd && !member.instance.config.etcd3);
      }
    });

    it('moves both clusters: their Patroni restarted with its own command line while paused, same leader, PostgreSQL kept, only the section key renamed', async () => {
      const before = new Map(
        await Promise.all(
          fleet!.members.map(async (member) => {
            const rest = new PatroniRestClient(member.restUrl);
            try {
              return [member.name, await rest.nodeStatus()] as const;
            } finally {
              await rest.close();
            }
          }),
        ),
      );
      const steps: string[] = [];
      const report = await migrateToEtcdV3(await moveFleet(), {
        confirm: async () => true,
        progress: (message) => steps.push(message),
      });
      assert.equal(report.outcome, 'moved', steps.join('\n'));
      assert.deepEqual(
        report.clusters.map((cluster) => [cluster.cluster, cluster.outcome]),
        [
          ['/postgresql-common/15-main', 'moved'],
          ['/postgresql-common/15-main2', 'moved'],
        ],
      );
      for (const member of fleet!.members) {
        const text = await readFile(member.realConfigFile, 'utf8');
        const diff = changedLines(originals.get(member.realConfigFile)!, text);
        assert.deepEqual(diff.added, diff.removed, `${member.name}: one line replaced`);
        assert.equal(diff.added.length, 1, `${member.name}: one line replaced`);
        assert.ok((parse(text) as Record<string, unknown>).etcd3);
        const rest = new PatroniRestClient(member.restUrl);
        try {
          const now = await rest.nodeStatus();
          const was = before.get(member.name)!;
          assert.equal(now.role, was.role, `${member.name}: same role`);
          assert.equal(now.timeline, was.timeline, `${member.name}: same timeline`);
          assert.equal(now.postmaster_start_time, was.postmaster_start_time, `${member.name}: PostgreSQL kept running`);
          assert.equal(now.pause ?? false, false, `${member.name}: resumed`);
        } finally {
          await rest.close();
        }
        const running = await runningPatroniOf(member.realConfigFile);
        assert.ok(running && running.pid !== member.handle.pid, `${member.name}: its Patroni was restarted`);
        assert.equal(
          running.configArg,
          member.startedWith.configArg,
          `${member.name}: with the same configuration argument`,
        );
        assert.equal(running.cwd, member.startedWith.cwd, `${member.name}: from the same directory`);
      }
      const v2 = new V2Keys({ endpoints: etcd!.endpoints });
      const v3 = new EtcdClient({ endpoints: etcd!.endpoints });
      try {
        assert.deepEqual(await v2.readTree('/postgresql-common'), [], 'no v2 key left');
        const keys = (await v3.getPrefix('/postgresql-common/', { keysOnly: true })).map((entry) => entry.key);
        for (const scope of ['15-main', '15-main2'])
          assert.ok(keys.includes(`/postgresql-common/${scope}/leader`), `${scope}: leader key in v3`);
      } finally {
        await v2.close();
        await v3.close();
      }
    });
  },
);
