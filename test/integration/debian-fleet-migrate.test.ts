import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { chmod, lstat, mkdir, mkdtemp, readFile, readlink, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { stringify } from 'yaml';
import type { AuditReport } from '../../src/core/audit/audit-report.js';
import type { AuthPlan } from '../../src/core/migration/auth-plan.js';
import { Secret } from '../../src/core/secret.js';
import { changedLines } from '../../src/core/yaml/line-diff.js';
import { editYamlSurgically } from '../../src/core/yaml/surgical-edit.js';
import { EtcdClient } from '../../src/adapters/etcd/etcd-client.js';
import { writeForeignFile } from '../../src/adapters/fs/foreign-file-write.js';
import { linesSince, markLog } from '../../src/adapters/fs/log-window.js';
import { PatroniRestClient } from '../../src/adapters/patroni/rest-client.js';
import { probeRestApi } from '../../src/adapters/patroni/rest-probe.js';
import { isRunning } from '../../src/adapters/process/daemon.js';
import type { InstanceListEntry } from '../../src/instance/instance-status.js';
import type { EnforceReport } from '../../src/migration/etcd-auth/enforce-report.js';
import { ensureBuiltCli } from '../support/built-cli.js';
import { type DebianFleet, type DebianFleetMember, originalFiles, startDebianFleet } from '../support/debian-fleet.js';
import { debianTopology, startDebianFleetWriters } from '../support/debian-fleet-writers.js';
import { startTestEtcd, type TestEtcd } from '../support/etcd-fixture.js';
import { assertEveryWriteLanded, assertNoRoleChange, startRoleWatch } from '../support/fleet-writers.js';
import { writeThroughMember } from '../support/member-dcs-write.js';
import { processesMentioning } from '../support/process-scan.js';
import { type CliResult, runCli } from '../support/run-cli.js';

const NAMESPACE = '/postgresql-common/';
const comments = (text: string): string[] => text.split('\n').filter((line) => /^\s*#/.test(line));
const RELOAD_LINE = 'Reloading PostgreSQL configuration.';

/**
 * The acceptance of issue 17, as an operator runs it: a fleet pgfleet did
 * not create (Debian's own /etc/patroni/config.yml.in rendered for 2
 * clusters × 2 members, one member reached through a symlink, one started
 * with a relative path from another cwd), site settings pointing pgfleet at
 * its etcd and namespace, and the built CLI. `etcd auth migrate --yes`
 * adopts every member, edits only the credentials lines, proves each reload
 * and secures the fleet under writers; `audit --live` then reports nothing
 * false and reloads nothing; `instance list` shows the members as running.
 */
describe(
  "securing a fleet built with Debian's Patroni template (2 clusters × 2 members), run as an operator would",
  {
    timeout: 900_000,
  },
  () => {
    let etcd: TestEtcd | undefined;
    let fleet: DebianFleet | undefined;
    let dir: string | undefined;
    let settingsFile: string;
    let rootPassword: Secret;
    const originals = new Map<string, { text: string; uid: number; gid: number; mode: number }>();
    const outputs: CliResult[] = [];
    const cli = async (...args: string[]): Promise<CliResult> => {
      const result = await runCli(['--settings', settingsFile, ...args], { env: { PGFLEET_CONFIG_DIR: dir! } });
      outputs.push(result);
      return result;
    };
    const json = async <T>(...args: string[]): Promise<{ code: number; data: T; stderr: string }> => {
      const result = await cli('--output', 'json', ...args);
      return { code: result.code, data: JSON.parse(result.stdout) as T, stderr: result.stderr };
    };
    const ours = (text: string): boolean => text.includes(fleet!.dir) || text.startsWith(NAMESPACE);
    /** The member whose file was made world-readable by its admin (mode 0664): apply must take that away and say so. */
    const openFile = () => fleet!.members.find((member) => member.host === 'host1' && member.cluster === 'main2')!;

    before(async () => {
      ensureBuiltCli();
      etcd = await startTestEtcd();
      fleet = await startDebianFleet({ etcd });
      dir = await mkdtemp(join(tmpdir(), 'pgfleet-debian-site-'));
      await chmod(openFile().realConfigFile, 0o664);
      for (const [path, original] of await originalFiles(fleet.members)) originals.set(path, original);
      rootPassword = new Secret(randomBytes(18).toString('base64url'));
      await writeFile(join(dir, 'etcd-root.password'), `${rootPassword.reveal()}\n`, { mode: 0o600 });
      await mkdir(join(dir, 'pgfleet', 'patroni'), { recursive: true });
      settingsFile = join(dir, 'settings.yaml');
      await writeFile(
        settingsFile,
        stringify({
          prefix: join(dir, 'pgfleet'),
          patroni: {
            etcd: { hosts: etcd.endpoints.map((url) => url.replace(/^https?:\/\//, '')), namespace: NAMESPACE },
            // Where this site keeps its members' files: the simulated hosts' /etc/patroni.
            member_files: fleet.patterns,
          },
          etcd_admin: { username: 'root', password_file: join(dir, 'etcd-root.password') },
          tenancy: { secrets_dir: join(dir, 'pgfleet', 'secrets') },
        }),
      );
    });

    after(async () => {
      const pids = fleet?.members.map((member) => member.handle) ?? [];
      const fleetDir = fleet?.dir;
      const etcdDir = etcd?.dir;
      await fleet?.stop();
      await etcd?.stop();
      if (dir) await rm(dir, { recursive: true, force: true });
      assert.deepEqual(pids.filter(isRunning), [], 'no Patroni left running');
      if (fleetDir) assert.deepEqual(processesMentioning(fleetDir), [], 'no PostgreSQL left running');
      if (etcdDir) assert.deepEqual(processesMentioning(etcdDir), [], 'no etcd left running');
    });

    it('plan names a member file that cannot be read, with its reason, and blocks; without it every member is local and will be edited key by key', async () => {
      const broken = join(fleet!.dir, 'host1', 'etc', 'patroni', '15-broken.yml');
      await writeFile(broken, 'scope: "15-broken"\nrestapi: [unclosed\n');
      const refused = await json<AuthPlan>('etcd', 'auth', 'plan');
      await rm(broken);
      assert.equal(refused.code, 1);
      assert.equal(refused.data.blocked, true);
      const blocker = refused.data.blockers.find((b) => b.subject === broken);
      assert.ok(blocker, JSON.stringify(refused.data.blockers));
      assert.match(blocker.message, /15-broken\.yml:\d+:\d+: not valid YAML/);
      assert.match(blocker.hint, /fix .*15-broken\.yml/);

      const { code, data: plan } = await json<AuthPlan>('etcd', 'auth', 'plan');
      assert.equal(code, 0, JSON.stringify(plan.blockers));
      assert.equal(plan.blocked, false);
      assert.deepEqual(plan.members.map((member) => member.member).sort(), fleet!.members.map(idOf).sort());
      for (const member of plan.members) {
        assert.equal(member.where, 'this host', member.member);
        assert.equal(member.status, 'will-apply', member.member);
        const realFile = fleet!.members.find((candidate) => idOf(candidate) === member.member)!.realConfigFile;
        assert.ok(
          member.actions.some(
            (action) => action.startsWith(`apply: set only etcd3.username/password`) && action.includes(realFile),
          ),
          JSON.stringify(member.actions),
        );
      }
    });

    it('`etcd auth migrate --yes` adopts every member and secures the fleet: 0 failed writes, 0 leader changes', async () => {
      const writers = startDebianFleetWriters(fleet!);
      const roles = startRoleWatch(debianTopology(fleet!), 250);
      let migrate: { code: number; data: EnforceReport; stderr: string };
      try {
        await sleep(2_000);
        migrate = await json<EnforceReport>('etcd', 'auth', 'migrate', '--yes');
        await sleep(2_000);
      } finally {
        assertEveryWriteLanded(await writers.stop(), 20);
        assertNoRoleChange(await roles.stop());
      }
      assert.equal(migrate.code, 0, migrate.stderr);
      assert.equal(migrate.data.outcome, 'enforced');
      assert.deepEqual(
        migrate.data.state.probes.filter((probe) => !probe.ok),
        [],
        'every member wrote to the DCS with its own credentials during enforce',
      );
      // The mode apply tightened is reported without --verbose.
      assert.match(migrate.stderr, new RegExp(`${escape(openFile().realConfigFile)} mode 0664 → 0660`));
    });

    it("changes only the credentials lines of each file: every comment, owner and group kept, no header, the symlink still a symlink, others' access removed", async () => {
      for (const member of fleet!.members) {
        const original = originals.get(member.realConfigFile)!;
        const now = await readFile(member.realConfigFile, 'utf8');
        const diff = changedLines(original.text, now);
        assert.deepEqual(diff.removed, [], member.name);
        assert.deepEqual(
          diff.added.map((line) => now.split('\n')[line - 1]!.replace(/: .*/, ':')),
          ['  username:', '  password:'],
          member.name,
        );
        assert.match(
          now,
          new RegExp(`^etcd3:\\n  hosts: [^\\n]+\\n  username: patroni-${member.scope}\\n  password: `, 'm'),
        );
        assert.equal(diff.finalNewlineChanged, false);
        assert.deepEqual(comments(now), comments(original.text), member.name);
        assert.doesNotMatch(now, /Generated by pgfleet/);
        const info = await stat(member.realConfigFile);
        assert.deepEqual([info.uid, info.gid], [original.uid, original.gid], member.name);
        assert.equal(info.mode & 0o7777, original.mode & ~0o007, member.name);
        if (member.symlink) {
          assert.equal((await lstat(member.symlink)).isSymbolicLink(), true);
          assert.equal(await readlink(member.symlink), `${member.scope}.yml`);
        }
      }
    });

    it('afterwards every member writes to the DCS with its own credentials (a PATCH /config marker through each member)', async () => {
      for (const member of fleet!.members) {
        assert.equal(await writeThroughMember(member.restUrl, `adopted-${member.name}`), 200, member.name);
        assert.equal(await writeThroughMember(member.restUrl, null), 200, member.name);
      }
    });

    it('`audit --live` reports nothing false on those members, and its probe of the unsafe endpoints writes nothing and reloads no member', async () => {
      const admin = adminClient();
      const marks = await Promise.all(fleet!.members.map((member) => markLog(member.logFile)));
      const scopes = [...new Set(fleet!.members.map((member) => member.scope))];
      let revisionsBefore: number[];
      let report: AuditReport;
      try {
        revisionsBefore = await configRevisions(admin, scopes);
        const audit = await json<AuditReport>('audit', '--live', '--min-severity', 'info');
        assert.ok(audit.code === 0 || audit.code === 1, audit.stderr);
        report = audit.data;
        assert.deepEqual(await configRevisions(admin, scopes), revisionsBefore, "no cluster's /config key was written");
      } finally {
        await admin.close();
      }
      // A reload requested by the audit would show at the members' next HA loop (loop_wait 10 s).
      await sleep(13_000);
      for (const [index, member] of fleet!.members.entries()) {
        const window = await linesSince(marks[index]!);
        assert.ok(window && !window.rotated, member.name);
        assert.deepEqual(
          window.lines.filter((line) => line.includes(RELOAD_LINE)),
          [],
          `${member.name} reloaded during the audit`,
        );
      }

      const findings = report.findings.filter(
        (finding) => ours(finding.object.name) || ours(finding.location?.file ?? ''),
      );
      const rules = findings.map((finding) => finding.ruleId);
      assert.ok(
        !rules.includes('operations.pg-rewind-off'),
        "bootstrap.dcs and the DCS's /config both say use_pg_rewind: true",
      );
      for (const finding of findings) {
        assert.doesNotMatch(finding.evidence, /others may/, `${finding.ruleId}: the files are 0660`);
        assert.doesNotMatch(
          finding.fix,
          /regenerate|pgfleet restapi secure apply/,
          `${finding.ruleId}: a fix for a file pgfleet did not generate`,
        );
      }
      const expected = [
        ...fleet!.members.map((member) => `dcs.etcd-plain-http ${member.realConfigFile}`),
        ...fleet!.members.map((member) => `files.mode-not-0600 ${member.realConfigFile}`),
        ...fleet!.members.map((member) => `restapi.safe-endpoints-anonymous ${idOf(member)}`),
        ...fleet!.members.map((member) => `restapi.unsafe-endpoints-open ${idOf(member)}`),
      ].sort();
      assert.deepEqual(
        findings.map((finding) => `${finding.ruleId} ${finding.object.name}`).sort(),
        expected,
        'only what is true of these members: etcd over http (on loopback), group-readable files holding a password, open REST APIs',
      );
      for (const finding of findings.filter((f) => f.ruleId === 'dcs.etcd-plain-http')) {
        assert.equal(finding.severity, 'info', 'loopback only');
        assert.match(finding.fix, /etcd3\.protocol: https and etcd3\.cacert in \//);
      }
      for (const finding of findings.filter((f) => f.ruleId === 'files.mode-not-0600'))
        assert.match(finding.evidence, /mode 0660 \(its group may read and write it\)$/);
      for (const finding of findings.filter((f) => f.ruleId === 'restapi.unsafe-endpoints-open')) {
        assert.match(
          finding.evidence,
          /anonymous PATCH http:\/\/127\.0\.0\.1:\d+\/config passed the access check \(HTTP 400/,
        );
        const file = fleet!.members.find((member) => idOf(member) === finding.object.name)!.realConfigFile;
        assert.ok(
          finding.fix.includes(`restapi.authentication.username and restapi.authentication.password in ${file}`),
          finding.fix,
        );
      }
      assert.deepEqual(
        report.findings.filter((f) => f.ruleId === 'audit.incomplete' && ours(f.evidence)),
        [],
        'every member of the fleet was looked at',
      );
    });

    it('`instance list --output json` lists the adopted members as running, with the Patroni pid and the file it was started with', async () => {
      const { code, data, stderr } = await json<InstanceListEntry[]>('instance', 'list');
      assert.equal(code, 0, stderr);
      const listed = data.filter((entry) => ours(entry.configFile));
      assert.deepEqual(
        listed.map((entry) => `${entry.scope}/${entry.node}`).sort(),
        fleet!.members.map((member) => `${member.scope}/${member.name}`).sort(),
      );
      for (const entry of listed) {
        const member = fleet!.members.find((candidate) => candidate.name === entry.node)!;
        assert.equal(entry.adopted, true, entry.node);
        assert.equal(entry.running, true, entry.node);
        assert.equal(entry.pid, member.handle.pid, entry.node);
        assert.equal(entry.problem, null);
        assert.ok(['leader', 'replica'].includes(entry.role ?? ''), `${entry.node}: ${entry.role}`);
      }
      const viaSymlink = fleet!.members.find((member) => member.symlink)!;
      const status = await json<{ adopted: boolean; realConfigFile: string; process: { running: boolean } }>(
        'instance',
        'status',
        viaSymlink.symlink!,
      );
      assert.equal(status.code, 0, status.stderr);
      assert.deepEqual(
        [status.data.adopted, status.data.realConfigFile, status.data.process.running],
        [true, viaSymlink.realConfigFile, true],
      );
    });

    it('the unsafe probe still tells a protected REST API (401) from an open one (400 past the access check), and writes nothing either way', async () => {
      const [protectedMember, openMember] = [fleet!.members[1]!, fleet!.members[3]!];
      const text = await readFile(protectedMember.realConfigFile, 'utf8');
      const edit = editYamlSurgically(text, [
        { path: ['restapi', 'authentication', 'username'], value: 'patroni' },
        { path: ['restapi', 'authentication', 'password'], value: new Secret(randomBytes(12).toString('hex')) },
      ]);
      await writeForeignFile(protectedMember.realConfigFile, edit.text, { holdsSecret: true });
      const mark = await markLog(protectedMember.logFile);
      assert.equal((await new PatroniRestClient(protectedMember.restUrl).reload()).status, 202);
      let outcome = '';
      for (
        const deadline = Date.now() + 60_000;
        Date.now() < deadline && outcome !== 'unauthorized-401';
        await sleep(1_000)
      )
        outcome = (await anonymousUnsafeProbe(protectedMember)).outcome;
      assert.equal(outcome, 'unauthorized-401');
      // The control of the audit's check: a real reload does show in the log.
      assert.ok((await linesSince(mark!))!.lines.some((line) => line.includes(RELOAD_LINE)));

      const admin = adminClient();
      try {
        const scopes = [protectedMember.scope, openMember.scope];
        const before = await configRevisions(admin, scopes);
        const [refused, passed] = [await anonymousUnsafeProbe(protectedMember), await anonymousUnsafeProbe(openMember)];
        assert.deepEqual([refused.outcome, refused.status], ['unauthorized-401', 401]);
        assert.deepEqual([passed.outcome, passed.status], ['allowed', 400]);
        assert.deepEqual(await configRevisions(admin, scopes), before, 'the empty PATCH /config wrote nothing');
      } finally {
        await admin.close();
      }
    });

    it('no password appears in any output', async () => {
      const everything = outputs.map((output) => output.stdout + output.stderr).join('\n');
      assert.equal(everything.includes(rootPassword.reveal()), false, 'the etcd root password');
      for (const member of fleet!.members) {
        const password = /^  password: (.+)$/m.exec(
          (await readFile(member.realConfigFile, 'utf8')).split('etcd3:')[1] ?? '',
        )?.[1];
        assert.ok(password, member.name);
        assert.equal(
          everything.includes(password.replace(/^"|"$/g, '')),
          false,
          `the tenant password of ${member.scope}`,
        );
      }
    });

    function idOf(member: DebianFleetMember): string {
      return `${NAMESPACE}${member.scope}/${member.name}`;
    }

    function adminClient(): EtcdClient {
      return new EtcdClient({ endpoints: etcd!.endpoints, credentials: { username: 'root', password: rootPassword } });
    }

    async function configRevisions(admin: EtcdClient, scopes: string[]): Promise<number[]> {
      return Promise.all(
        scopes.map(async (scope) => (await admin.get(`${NAMESPACE}${scope}/config`))?.modRevision ?? -1),
      );
    }

    async function anonymousUnsafeProbe(
      member: DebianFleetMember,
    ): Promise<{ outcome: string; status?: number | undefined }> {
      const cells = await probeRestApi(member.restUrl, {}, { clients: ['anonymous'], endpoints: ['unsafe'] });
      return cells[0]!;
    }
  },
);

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
