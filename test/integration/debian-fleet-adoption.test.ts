import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, chown, lstat, readFile, readlink, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { prefixRange } from '../../src/core/etcd/key-range.js';
import { type ReloadProof, reloadDeadlineSeconds } from '../../src/core/instance/reload-proof.js';
import { Secret } from '../../src/core/secret.js';
import { changedLines } from '../../src/core/yaml/line-diff.js';
import { editYamlSurgically } from '../../src/core/yaml/surgical-edit.js';
import { EtcdAuthApi } from '../../src/adapters/etcd/auth-api.js';
import { EtcdClient } from '../../src/adapters/etcd/etcd-client.js';
import { writeForeignFile, type ForeignFileWrite } from '../../src/adapters/fs/foreign-file-write.js';
import {
  type DiscoveredMember,
  discoverLocalMembers,
  type MemberDiscovery,
} from '../../src/adapters/patroni/local-member-discovery.js';
import { reloadAndProve } from '../../src/adapters/patroni/reload-and-prove.js';
import { PatroniRestClient } from '../../src/adapters/patroni/rest-client.js';
import { isRunning } from '../../src/adapters/process/daemon.js';
import { adoptedLocalInstance } from '../../src/node/adopted-local-instance.js';
import { type DebianFleet, type DebianFleetMember, originalFiles, startDebianFleet } from '../support/debian-fleet.js';
import { startTestEtcd, type TestEtcd } from '../support/etcd-fixture.js';
import { writeThroughMember } from '../support/member-dcs-write.js';
import { processesMentioning } from '../support/process-scan.js';

const comments = (text: string): string[] => text.split('\n').filter((line) => /^\s*#/.test(line));
const etcdUser = (scope: string): string => `patroni-${scope}`;

describe(
  "adopting a Patroni fleet built from Debian's own template (2 clusters × 2 members)",
  { timeout: 600_000 },
  () => {
    let etcd: TestEtcd | undefined;
    let fleet: DebianFleet | undefined;
    let discovery: MemberDiscovery;
    let stoppedFile: string;
    let brokenFile: string;
    let snippetFile: string;
    const originals = new Map<string, { text: string; uid: number; gid: number; mode: number }>();
    const writes = new Map<string, ForeignFileWrite & { changedPaths: string[][] }>();
    const passwords = new Map<string, Secret>();

    before(async () => {
      etcd = await startTestEtcd();
      fleet = await startDebianFleet({ etcd });
      const host1 = join(fleet.dir, 'host1', 'etc', 'patroni');
      // A member configured on host1 but never started, a file an admin broke, and Debian's dcs.yml snippet.
      const template = await readFile(fleet.members[0]!.realConfigFile, 'utf8');
      stoppedFile = join(host1, '15-main3.yml');
      await writeFile(stoppedFile, template.replace('scope: "15-main"', 'scope: "15-main3"'));
      brokenFile = join(host1, '15-broken.yml');
      await writeFile(brokenFile, 'scope: "15-broken"\nrestapi: [unclosed\n');
      snippetFile = join(host1, 'dcs.yml');
      await writeFile(snippetFile, '#etcd:\n#  host: 127.0.0.1:2379\n\nzookeeper:\n  hosts: 127.0.0.1:2181\n');
      // One host's admin made a file world-readable: the secret must take that away, and say so.
      const open = fleet.members.find((member) => member.host === 'host1' && member.cluster === 'main2')!;
      await chmod(open.realConfigFile, 0o664);
      for (const [path, original] of await originalFiles(fleet.members)) originals.set(path, original);
      discovery = await discoverLocalMembers({ patterns: fleet.patterns });
    });

    after(async () => {
      const pids = fleet?.members.map((member) => member.handle) ?? [];
      const dir = fleet?.dir;
      const etcdDir = etcd?.dir;
      await fleet?.stop();
      await etcd?.stop();
      assert.deepEqual(pids.filter(isRunning), [], 'no Patroni left running');
      if (dir) assert.deepEqual(processesMentioning(dir), [], 'no PostgreSQL left running');
      if (etcdDir) assert.deepEqual(processesMentioning(etcdDir), [], 'no etcd left running');
    });

    /** The discovered member that is this fleet member's running Patroni. */
    function discovered(member: DebianFleetMember): DiscoveredMember {
      const found = discovery.members.find((candidate) => candidate.pid === member.handle.pid);
      assert.ok(found, `${member.name} (pid ${member.handle.pid}) was discovered`);
      return found;
    }

    it('finds every running member from its process, with the file it really reads (symlink and relative cwd included)', () => {
      for (const member of fleet!.members) {
        const found = discovered(member);
        assert.equal(found.running, true);
        assert.equal(found.configFile, member.startedWith.configArg);
        assert.equal(found.realConfigFile, member.realConfigFile);
        assert.equal(found.problem, undefined);
        assert.equal(found.scope, member.scope);
        assert.equal(found.name, member.name);
        assert.equal(found.namespace, '/postgresql-common/');
        assert.equal(found.dcsSection, 'etcd3');
        assert.deepEqual(found.dcsCredentials, { username: undefined, passwordSet: false });
        assert.deepEqual(found.restapi, {
          listen: `127.0.0.1:${member.apiPort}`,
          connectAddress: `127.0.0.1:${member.apiPort}`,
        });
        assert.equal(found.logFile, member.logFile);
      }
      const viaSymlink = fleet!.members.find((member) => member.symlink)!;
      assert.equal(discovered(viaSymlink).configFile, viaSymlink.symlink);
      assert.notEqual(discovered(viaSymlink).realConfigFile, viaSymlink.symlink);
      const relative = fleet!.members.find((member) => !member.startedWith.configArg.startsWith('/'))!;
      assert.equal(discovered(relative).process?.cwd, relative.startedWith.cwd);
      assert.equal(resolve(relative.startedWith.cwd, discovered(relative).configFile), relative.realConfigFile);
    });

    it("lists each file once: the symlink that leads to a running member's file is named as an alias, not as a member", () => {
      const viaSymlink = fleet!.members.find((member) => member.symlink)!;
      const ours = discovery.members.filter(
        (member) => member.realConfigFile?.startsWith(fleet!.dir) || member.configFile.startsWith(fleet!.dir),
      );
      assert.equal(ours.filter((member) => member.realConfigFile === viaSymlink.realConfigFile).length, 1);
      assert.deepEqual(discovered(viaSymlink).alsoFoundAs, [viaSymlink.realConfigFile]);
    });

    it('names a stopped member and a broken file with its reason, and says why a DCS snippet is not a member', () => {
      const stopped = discovery.members.find((member) => member.configFile === stoppedFile);
      assert.ok(stopped);
      assert.equal(stopped.running, false);
      assert.equal(stopped.scope, '15-main3');
      assert.equal(stopped.problem, undefined);
      const broken = discovery.members.find((member) => member.configFile === brokenFile);
      assert.ok(broken);
      assert.match(broken.problem ?? '', /15-broken\.yml:\d+:\d+: not valid YAML/);
      assert.deepEqual(
        discovery.skipped
          .filter((file) => file.path === snippetFile)
          .map((file) => /not a member configuration/.test(file.reason)),
        [true],
      );
    });

    it('gives an adopted member the LocalInstance shape pgfleet uses for its own instances', async () => {
      const member = fleet!.members.find((candidate) => candidate.symlink)!;
      const instance = await adoptedLocalInstance(discovered(member));
      assert.equal(instance.adopted, true);
      assert.equal(instance.running, true);
      assert.equal(instance.name, '15-main');
      assert.equal(instance.scope, member.scope);
      assert.equal(instance.node, member.name);
      assert.equal(instance.namespace, '/postgresql-common/');
      assert.equal(instance.restUrl, member.restUrl);
      assert.equal(instance.dcsSection, 'etcd3');
      assert.equal(instance.configFile, member.symlink);
      assert.equal(instance.realConfigFile, member.realConfigFile);
    });

    it('adds etcd3.username/password to each file touching only those lines; comments, owner, group and the symlink are kept', async () => {
      for (const member of fleet!.members) {
        const found = discovered(member);
        const original = originals.get(member.realConfigFile)!;
        passwords.set(
          member.scope,
          passwords.get(member.scope) ?? new Secret(`pw-${member.scope}-${Math.random().toString(36).slice(2)}`),
        );
        const edit = editYamlSurgically(original.text, [
          { path: ['etcd3', 'username'], value: etcdUser(member.scope) },
          { path: ['etcd3', 'password'], value: passwords.get(member.scope)! },
        ]);
        // Written through the path Patroni was given (the symlink, or the relative path from its cwd).
        const target = resolve(found.process!.cwd ?? '/', found.configFile);
        const written = await writeForeignFile(target, edit.text, {
          holdsSecret: edit.wroteSecret,
          readers: [{ uid: found.process!.uid, gids: [found.process!.gid, ...found.process!.groups] }],
          validate: (text) => {
            parse(text, { version: '1.1' });
          },
        });
        writes.set(member.realConfigFile, { ...written, changedPaths: edit.changedPaths });
        const now = await readFile(member.realConfigFile, 'utf8');
        const diff = changedLines(original.text, now);
        assert.deepEqual(diff.removed, [], member.name);
        assert.deepEqual(
          diff.added.map((line) => now.split('\n')[line - 1]!.replace(/: .*/, ':')),
          ['  username:', '  password:'],
          member.name,
        );
        assert.equal(diff.finalNewlineChanged, false);
        assert.deepEqual(comments(now), comments(original.text), member.name);
        const info = await stat(member.realConfigFile);
        assert.deepEqual([info.uid, info.gid], [original.uid, original.gid], member.name);
        assert.equal(written.realPath, member.realConfigFile);
        assert.equal(info.mode & 0o7777, original.mode & ~0o007, member.name);
        assert.equal(written.changedMode, original.mode !== (original.mode & ~0o007), member.name);
        if (member.symlink) {
          assert.equal((await lstat(member.symlink)).isSymbolicLink(), true);
          assert.equal(await readlink(member.symlink), `${member.scope}.yml`);
        }
      }
      assert.deepEqual(
        [...writes.values()].filter((write) => write.changedMode).map((write) => [write.modeBefore, write.modeAfter]),
        [[0o664, 0o660]],
      );
    });

    it('proves, after POST /reload, that each running Patroni took the new credentials', async () => {
      const proofs = await Promise.all(fleet!.members.map((member) => prove(member)));
      for (const [index, proof] of proofs.entries()) {
        assert.equal(proof.status, 'proven', `${fleet!.members[index]!.name}: ${JSON.stringify(proof)}`);
        assert.equal(proof.status === 'proven' && proof.how, 'reload-loaded-change');
      }
    });

    it('sees a second reload find the file unchanged: the file Patroni re-reads is the one written', async () => {
      const proofs = await Promise.all(fleet!.members.map((member) => prove(member)));
      assert.deepEqual(
        proofs.map((proof) => proof.status === 'proven' && proof.how),
        fleet!.members.map(() => 'reload-already-had-it'),
      );
    });

    it('refuses the proof for a file the running Patroni does not read, naming both paths', async () => {
      const [first, second] = fleet!.members;
      const proof = await prove(first!, writes.get(second!.realConfigFile)!.realPath);
      assert.equal(proof.status, 'refused');
      assert.match(
        proof.status === 'refused' ? proof.message : '',
        new RegExp(`reads ${first!.realConfigFile}, not ${second!.realConfigFile}`),
      );
    });

    it('refuses the proof when Patroni cannot load the file (it logs the exception and reloads with its old configuration)', async () => {
      const member = fleet!.members[fleet!.members.length - 1]!;
      const before = await stat(member.realConfigFile);
      // Unreadable for the Patroni user (postgres when root; as non-root the file is ours and mode 0 suffices).
      await chown(member.realConfigFile, 0, 0).catch(() => undefined);
      await chmod(member.realConfigFile, 0o000);
      try {
        const proof = await prove(member);
        assert.equal(proof.status === 'refused' && proof.code, 'FILE_NOT_LOADED', JSON.stringify(proof));
      } finally {
        await chown(member.realConfigFile, before.uid, before.gid).catch(() => undefined);
        await chmod(member.realConfigFile, before.mode & 0o7777);
      }
    });

    it('the credentials work: with etcd auth on, every member writes to the DCS with its own', async () => {
      const rootPassword = new Secret(`root-${Math.random().toString(36).slice(2)}`);
      const admin = new EtcdAuthApi(new EtcdClient({ endpoints: etcd!.endpoints }));
      await admin.addRole('root');
      await admin.addUser('root', rootPassword);
      await admin.grantRole('root', 'root');
      for (const scope of new Set(fleet!.members.map((member) => member.scope))) {
        const range = prefixRange(`/postgresql-common/${scope}/`);
        await admin.addRole(etcdUser(scope));
        await admin.grantPermission(etcdUser(scope), {
          permType: 'READWRITE',
          key: range.key,
          rangeEnd: range.rangeEnd,
        });
        await admin.addUser(etcdUser(scope), passwords.get(scope)!);
        await admin.grantRole(etcdUser(scope), etcdUser(scope));
      }
      await admin.enable();
      try {
        for (const member of fleet!.members) {
          // A real change written by the member itself: 200 only when its own credentials work, 409 while refused.
          assert.equal(
            await writeThroughMember(member.restUrl, `adoption-${member.name}`),
            200,
            `${member.name} wrote with its credentials`,
          );
          assert.equal(await writeThroughMember(member.restUrl, null), 200);
        }
      } finally {
        await new EtcdAuthApi(
          new EtcdClient({ endpoints: etcd!.endpoints, credentials: { username: 'root', password: rootPassword } }),
        ).disable();
      }
    });

    async function prove(member: DebianFleetMember, realPath?: string): Promise<ReloadProof> {
      const found = discovered(member);
      const config = (await new PatroniRestClient(member.restUrl).dynamicConfig()) as {
        loop_wait?: unknown;
        retry_timeout?: unknown;
      };
      const write = writes.get(member.realConfigFile)!;
      return reloadAndProve({
        written: { realPath: realPath ?? write.realPath, changedPaths: write.changedPaths },
        before: { pid: member.handle.pid, startTicks: member.handle.startTicks },
        rest: new PatroniRestClient(member.restUrl),
        logFile: found.logFile,
        deadlineSeconds: reloadDeadlineSeconds(config),
      });
    }
  },
);
