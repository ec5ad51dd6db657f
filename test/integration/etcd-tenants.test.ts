import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { EtcdAuthApi } from '../../src/adapters/etcd/auth-api.js';
import { EtcdClient } from '../../src/adapters/etcd/etcd-client.js';
import { EtcdError } from '../../src/adapters/etcd/etcd-error.js';
import { prefixRange } from '../../src/core/etcd/key-range.js';
import { Secret } from '../../src/core/secret.js';
import { tenancyTargetFromSettings } from '../../src/tenancy/tenancy-target.js';
import { planTenancyFromEtcd } from '../../src/tenancy/tenancy-state.js';
import { applyTenancyPlan } from '../../src/tenancy/tenancy-apply.js';
import { ensureBuiltCli } from '../support/built-cli.js';
import { type TestEtcd, startTestEtcd } from '../support/etcd-fixture.js';
import { type CliResult, runCli } from '../support/run-cli.js';

interface PlanJson {
  authEnabled: boolean;
  pending: boolean;
  tenants: Array<{ cluster: string; user: string; role: string; range: string; sources: string[] }>;
  actions: Array<{
    kind: string;
    user?: string;
    role?: string;
    range?: string;
    reason?: string;
    tenant?: string;
    description: string;
  }>;
  orphans: { users: string[]; roles: string[] };
}

interface VerifyJson {
  authEnabled: boolean;
  isolated: boolean;
  findings: Array<{ kind: string; tenant: string; range?: string; reaches: string[] }>;
  live: Array<{
    tenant: string;
    user: string;
    ok: boolean;
    deniedIn: string[];
    outsideDenied: boolean;
    breaches: unknown[];
  }> | null;
  liveSkipped: string | null;
}

/**
 * The issue's acceptance on a real etcd 3.4: the clusters alpha, alpha2 and
 * beta are "discovered" from member keys written into a bare etcd (what a
 * running Patroni writes; Patroni itself adds nothing to these checks).
 * pgfleet runs as an operator runs it: the built CLI, a settings file.
 */
describe('pgfleet etcd tenants on a real etcd (clusters alpha, alpha2, beta in the DCS)', () => {
  let etcd: TestEtcd;
  let dir: string;
  let secretsDir: string;
  let settingsFile: string;
  let anonymous: EtcdClient;
  const adminPassword = new Secret(randomBytes(24).toString('base64url'));
  const outputs: CliResult[] = [];

  const cli = async (...args: string[]): Promise<CliResult> => {
    const result = await runCli(['--settings', settingsFile, ...args], { env: { PGFLEET_ETCD_ADMIN_PASSWORD: '' } });
    outputs.push(result);
    return result;
  };
  const json = async <T>(...args: string[]): Promise<{ code: number; data: T; stderr: string }> => {
    const result = await cli('--output', 'json', ...args);
    return { code: result.code, data: JSON.parse(result.stdout) as T, stderr: result.stderr };
  };
  /** The admin identity, as the test's own etcd client (auth API through the gateway, no etcdctl). */
  const withAdmin = async <T>(work: (auth: EtcdAuthApi, client: EtcdClient) => Promise<T>): Promise<T> => {
    const client = new EtcdClient({
      endpoints: etcd.endpoints,
      credentials: { username: 'root', password: adminPassword },
    });
    try {
      return await work(new EtcdAuthApi(client), client);
    } finally {
      await client.close();
    }
  };
  const userNames = async (): Promise<string[]> => withAdmin(async (auth) => (await auth.listUsers()).sort());
  const tenantPassword = async (user: string): Promise<Secret> =>
    new Secret((await readFile(join(secretsDir, `${user}.password`), 'utf8')).trim());

  before(async () => {
    ensureBuiltCli();
    etcd = await startTestEtcd({ members: 1 });
    dir = await mkdtemp(join(tmpdir(), 'pgfleet-tenants-'));
    secretsDir = join(dir, 'secrets');
    await writeFile(join(dir, 'admin.password'), `${adminPassword.reveal()}\n`, { mode: 0o600 });
    settingsFile = join(dir, 'settings.yaml');
    await writeFile(
      settingsFile,
      [
        `prefix: ${join(dir, 'state')}`,
        'patroni:',
        '  etcd:',
        `    hosts: [${etcd.endpoints.map((url) => `'${url.replace('http://', '')}'`).join(', ')}]`,
        'etcd_admin:',
        `  password_file: ${join(dir, 'admin.password')}`,
        'tenancy:',
        `  secrets_dir: ${secretsDir}`,
        '',
      ].join('\n'),
    );
    anonymous = new EtcdClient({ endpoints: etcd.endpoints });
    for (const scope of ['alpha', 'alpha2', 'beta']) {
      await anonymous.put(
        `/service/${scope}/members/${scope}-1`,
        JSON.stringify({ role: 'primary', api_url: `http://127.0.0.1:1/patroni` }),
      );
      await anonymous.put(`/service/${scope}/leader`, `${scope}-1`);
    }
  });
  after(async () => {
    await anonymous?.close();
    await etcd?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('plan on the open etcd shows the 3 clusters found in the DCS and the root user, and exits 1', async () => {
    const { code, data } = await json<PlanJson>('etcd', 'tenants', 'plan');
    assert.equal(code, 1, 'changes are pending');
    assert.equal(data.authEnabled, false);
    assert.deepEqual(
      data.tenants.map((t) => [t.cluster, t.user, t.role, t.range, t.sources.join()]),
      [
        ['/service/alpha', 'patroni-alpha', 'patroni-alpha', '[/service/alpha/, /service/alpha0)', 'dcs'],
        ['/service/alpha2', 'patroni-alpha2', 'patroni-alpha2', '[/service/alpha2/, /service/alpha20)', 'dcs'],
        ['/service/beta', 'patroni-beta', 'patroni-beta', '[/service/beta/, /service/beta0)', 'dcs'],
      ],
    );
    assert.deepEqual(
      data.actions.slice(0, 2).map((a) => [a.kind, a.user, a.role]),
      [
        ['create-user', 'root', undefined],
        ['grant-role', 'root', 'root'],
      ],
    );
    for (const scope of ['alpha', 'alpha2', 'beta']) {
      const mine = data.actions
        .filter((a) => a.tenant === `/service/${scope}`)
        .map((a) => `${a.kind} ${a.range ?? a.user ?? a.role}`);
      assert.deepEqual(mine, [
        `create-role patroni-${scope}`,
        `grant-permission [/service/${scope}/, /service/${scope}0)`,
        `create-user patroni-${scope}`,
        `grant-role patroni-${scope}`,
      ]);
    }
    const text = await cli('etcd', 'tenants', 'plan');
    assert.equal(text.code, 1);
    assert.match(text.stdout, /3 tenant\(s\)/);
    assert.match(text.stdout, /\+ create user root/);
    assert.match(text.stdout, /\+ grant readwrite \[\/service\/alpha\/, \/service\/alpha0\) to role patroni-alpha/);
    assert.deepEqual(await withAdmin((auth) => auth.listUsers()), [], 'plan changes nothing');
  });

  it('apply creates root and the 3 tenants, passwords in 0600 files; a second plan is empty and exits 0', async () => {
    const apply = await cli('etcd', 'tenants', 'apply');
    assert.equal(apply.code, 0, apply.stderr);
    assert.match(apply.stdout, /applied 14 change\(s\)/);
    assert.deepEqual(await userNames(), ['patroni-alpha', 'patroni-alpha2', 'patroni-beta', 'root']);
    await withAdmin(async (auth) => {
      assert.deepEqual((await auth.getUser('root'))?.roles, ['root']);
      const role = await auth.getRole('patroni-alpha');
      assert.equal(role?.permissions.length, 1);
      assert.equal(role?.permissions[0]?.permType, 'READWRITE');
      assert.ok(role?.permissions[0]?.key.equals(Buffer.from('/service/alpha/')));
      assert.ok(role?.permissions[0]?.rangeEnd.equals(Buffer.from('/service/alpha0')));
    });
    assert.equal((await stat(secretsDir)).mode & 0o777, 0o700);
    for (const file of await readdir(secretsDir)) {
      assert.equal((await stat(join(secretsDir, file))).mode & 0o777, 0o600, file);
      assert.ok(
        (await readFile(join(secretsDir, file), 'utf8')).trim().length >= 32,
        `${file} holds a long random password`,
      );
    }
    const again = await json<PlanJson>('etcd', 'tenants', 'plan');
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual(again.data.actions, []);
    assert.equal(again.data.pending, false);
  });

  it('apply a second time changes nothing and reuses the password files', async () => {
    const before = await tenantPassword('patroni-alpha');
    const { code, data } = await json<{ applied: unknown[] }>('etcd', 'tenants', 'apply');
    assert.equal(code, 0);
    assert.deepEqual(data.applied, []);
    assert.ok((await tenantPassword('patroni-alpha')).equals(before));
  });

  it('show lists users, roles and decoded ranges as a table', async () => {
    const show = await cli('etcd', 'tenants', 'show');
    assert.equal(show.code, 0, show.stderr);
    assert.match(show.stdout, /USER\s+ROLE\s+PERMISSION\s+RANGE/);
    assert.match(
      show.stdout,
      /patroni-alpha2\s+patroni-alpha2\s+readwrite\s+\[\/service\/alpha2\/, \/service\/alpha20\)/,
    );
    assert.match(show.stdout, /root\s+root\s+all/);
  });

  it('a role hand-granted /service/alpha (no slash): verify --static-only flags it, plan reports it too wide, apply fixes it', async () => {
    await withAdmin((auth) =>
      auth.grantPermission('patroni-alpha', { ...prefixRange('/service/alpha'), permType: 'READWRITE' }),
    );
    const flagged = await json<VerifyJson>('etcd', 'tenants', 'verify', '--static-only');
    assert.equal(flagged.code, 1);
    assert.equal(flagged.data.isolated, false);
    assert.deepEqual(
      flagged.data.findings.map((f) => [f.kind, f.tenant, f.range, f.reaches]),
      [['no-trailing-slash', '/service/alpha', '[/service/alpha, /service/alphb)', ['/service/alpha2']]],
    );

    const plan = await json<PlanJson>('etcd', 'tenants', 'plan');
    assert.equal(plan.code, 1);
    assert.deepEqual(
      plan.data.actions.map((a) => [a.kind, a.role, a.range, a.reason]),
      [['revoke-permission', 'patroni-alpha', '[/service/alpha, /service/alphb)', 'too-wide']],
    );

    const apply = await cli('etcd', 'tenants', 'apply');
    assert.equal(apply.code, 0, apply.stderr);
    assert.match(
      apply.stdout,
      /revoke readwrite \[\/service\/alpha, \/service\/alphb\) from role patroni-alpha: too wide/,
    );
    assert.equal((await cli('etcd', 'tenants', 'plan')).code, 0);
    const clean = await json<VerifyJson>('etcd', 'tenants', 'verify', '--static-only');
    assert.equal(clean.code, 0);
    assert.deepEqual(clean.data.findings, []);
  });

  it('verify with auth off passes the static part and says the live proof needs auth on (exit 1)', async () => {
    const { code, data } = await json<VerifyJson>('etcd', 'tenants', 'verify');
    assert.equal(code, 1);
    assert.deepEqual(data.findings, []);
    assert.equal(data.live, null);
    assert.match(data.liveSkipped ?? '', /auth is off/);
  });

  it('orphans (named like tenants, no cluster) are listed, and deleted only with --prune', async () => {
    await withAdmin(async (auth) => {
      await auth.addRole('patroni-gone');
      await auth.addUser('patroni-gone', new Secret(randomBytes(16).toString('hex')));
      await auth.grantRole('patroni-gone', 'patroni-gone');
      await auth.addUser('someone-else', new Secret(randomBytes(16).toString('hex')));
    });
    const plan = await json<PlanJson>('etcd', 'tenants', 'plan');
    assert.equal(plan.code, 0, 'orphans alone are not pending changes');
    assert.deepEqual(plan.data.orphans, { users: ['patroni-gone'], roles: ['patroni-gone'] });
    const pruning = await json<PlanJson>('etcd', 'tenants', 'plan', '--prune');
    assert.equal(pruning.code, 1);
    assert.deepEqual(
      pruning.data.actions.map((a) => [a.kind, a.user ?? a.role]),
      [
        ['delete-user', 'patroni-gone'],
        ['delete-role', 'patroni-gone'],
      ],
    );
    assert.equal((await cli('etcd', 'tenants', 'apply')).code, 0);
    assert.ok((await userNames()).includes('patroni-gone'), 'apply without --prune keeps orphans');
    assert.equal((await cli('etcd', 'tenants', 'apply', '--prune')).code, 0);
    assert.deepEqual(
      await userNames(),
      ['patroni-alpha', 'patroni-alpha2', 'patroni-beta', 'root', 'someone-else'],
      'users pgfleet did not name are left alone',
    );
    assert.deepEqual((await withAdmin((auth) => auth.listRoles())).sort(), [
      'patroni-alpha',
      'patroni-alpha2',
      'patroni-beta',
    ]);
  });

  it('a tenants file adds a cluster not in the DCS with its own user name; a managed instance adds its cluster', async () => {
    const tenantsFile = join(dir, 'tenants.yaml');
    await writeFile(tenantsFile, 'tenants:\n  - scope: gamma\n    user: app-gamma\n');
    const configDir = join(dir, 'state', 'patroni');
    await mkdir(configDir, { recursive: true });
    await writeFile(
      join(configDir, 'main.yaml'),
      'scope: delta\nnamespace: /service/\nname: delta-1\nrestapi:\n  connect_address: 127.0.0.1:1\netcd3:\n  hosts: 127.0.0.1:1\n',
      { mode: 0o600 },
    );
    const plan = await json<PlanJson>('etcd', 'tenants', 'plan', '--tenants-file', tenantsFile);
    assert.equal(plan.code, 1);
    const added = plan.data.tenants
      .filter((t) => ['/service/gamma', '/service/delta'].includes(t.cluster))
      .map((t) => [t.cluster, t.user, t.role, t.sources.join()]);
    assert.deepEqual(added, [
      ['/service/delta', 'patroni-delta', 'patroni-delta', 'managed'],
      ['/service/gamma', 'app-gamma', 'patroni-gamma', 'tenants-file'],
    ]);
    assert.equal((await cli('etcd', 'tenants', 'apply', '--tenants-file', tenantsFile)).code, 0);
    assert.ok((await userNames()).includes('app-gamma'));
    await rm(join(configDir, 'main.yaml'));
    // Without the file and the instance they are orphans (app-gamma is not named by the format: left alone).
    const pruned = await json<PlanJson>('etcd', 'tenants', 'plan', '--prune');
    assert.deepEqual(
      pruned.data.actions.map((a) => [a.kind, a.user ?? a.role]),
      [
        ['delete-user', 'patroni-delta'],
        ['delete-role', 'patroni-delta'],
        ['delete-role', 'patroni-gamma'],
      ],
    );
    assert.equal((await cli('etcd', 'tenants', 'apply', '--prune')).code, 0);
    await withAdmin((auth) => auth.deleteUser('app-gamma'));
  });

  it('after auth enable (by hand), verify proves the isolation: alpha cannot read /service/alpha2/leader', async () => {
    await withAdmin((auth) => auth.enable());
    const { code, data, stderr } = await json<VerifyJson>('etcd', 'tenants', 'verify');
    assert.equal(code, 0, stderr);
    assert.equal(data.authEnabled, true);
    assert.equal(data.isolated, true);
    assert.deepEqual(data.findings, []);
    const alpha = data.live?.find((result) => result.tenant === '/service/alpha');
    assert.ok(alpha?.ok);
    assert.deepEqual(alpha.deniedIn, ['/service/alpha2', '/service/beta']);
    assert.equal(alpha.outsideDenied, true);
    assert.deepEqual(alpha.breaches, []);
    assert.equal(data.live?.length, 3);
    assert.ok(data.live?.every((result) => result.ok));

    // The same fact, checked here with alpha's own credentials.
    const asAlpha = new EtcdClient({
      endpoints: etcd.endpoints,
      credentials: { username: 'patroni-alpha', password: await tenantPassword('patroni-alpha') },
    });
    try {
      await assert.rejects(
        asAlpha.get('/service/alpha2/leader'),
        (error: unknown) => error instanceof EtcdError && error.kind === 'permission-denied',
      );
      assert.equal((await asAlpha.get('/service/alpha/leader'))?.value, 'alpha-1');
    } finally {
      await asAlpha.close();
    }
    assert.equal(
      (await withAdmin((_auth, client) => client.get('/service/alpha2/leader')))?.value,
      'alpha2-1',
      'verify left the other tenants keys alone',
    );
    const text = await cli('etcd', 'tenants', 'verify');
    assert.match(
      text.stdout,
      /ok\s+\/service\/alpha \(patroni-alpha\): reads and writes \/service\/alpha\/; denied in \/service\/alpha2, \/service\/beta and outside every prefix/,
    );
  });

  it('with auth on, a password file changed by hand (rotation) is found by plan and set by apply', async () => {
    await writeFile(join(secretsDir, 'patroni-beta.password'), `${randomBytes(32).toString('base64url')}\n`, {
      mode: 0o600,
    });
    const plan = await json<PlanJson>('etcd', 'tenants', 'plan');
    assert.equal(plan.code, 1);
    assert.deepEqual(
      plan.data.actions.map((a) => [a.kind, a.user, a.reason]),
      [['set-password', 'patroni-beta', 'rejected']],
    );
    assert.equal((await cli('etcd', 'tenants', 'apply')).code, 0);
    assert.equal((await cli('etcd', 'tenants', 'plan')).code, 0);
    assert.equal((await cli('etcd', 'tenants', 'verify')).code, 0);
  });

  it('with auth on, apply refuses to reset the password of a user whose file is missing here, changing nothing', async () => {
    const file = join(secretsDir, 'patroni-beta.password');
    const kept = await readFile(file, 'utf8');
    await rm(file);
    try {
      const apply = await cli('etcd', 'tenants', 'apply');
      assert.equal(apply.code, 2);
      assert.match(
        apply.stderr,
        /patroni-beta have no password file.*nothing was changed \[TENANCY_PASSWORD_RESET_REFUSED\]/,
      );
      assert.match(apply.stderr, /--reset-missing-passwords/);
    } finally {
      await writeFile(file, kept, { mode: 0o600 });
    }
    assert.equal((await cli('etcd', 'tenants', 'verify')).code, 0, 'beta still works with its old password');
  });

  it('admin password wrong: a clear message, and nothing changed', async () => {
    await withAdmin((_auth, client) => client.put('/service/omega/members/omega-1', '{}'));
    try {
      const wrongSettings = join(dir, 'wrong-admin.yaml');
      await writeFile(join(dir, 'wrong.password'), 'not-the-admin-password\n', { mode: 0o600 });
      await writeFile(
        wrongSettings,
        (await readFile(settingsFile, 'utf8')).replace(join(dir, 'admin.password'), join(dir, 'wrong.password')),
      );
      const users = await userNames();
      const apply = await runCli(['--settings', wrongSettings, 'etcd', 'tenants', 'apply'], {
        env: { PGFLEET_ETCD_ADMIN_PASSWORD: '' },
      });
      outputs.push(apply);
      assert.equal(apply.code, 2);
      assert.match(
        apply.stderr,
        /etcd refused the admin credentials of user root \(http:\/\/127\.0\.0\.1:\d+\): wrong password or unknown user; nothing was changed \[ETCD_ADMIN_REJECTED\]/,
      );
      assert.match(apply.stderr, /hint: check the admin password in etcd_admin\.password_file \(.*wrong\.password\)/);
      assert.deepEqual(await userNames(), users);
      assert.equal((await readdir(secretsDir)).includes('patroni-omega.password'), false);
    } finally {
      await withAdmin((_auth, client) => client.delete('/service/omega/members/omega-1'));
    }
  });

  it('etcd unreachable: the message names every endpoint tried', async () => {
    const unreachable = join(dir, 'unreachable.yaml');
    await writeFile(
      unreachable,
      (await readFile(settingsFile, 'utf8')).replace(/hosts: \[.*\]/, "hosts: ['127.0.0.1:1', '127.0.0.1:2']"),
    );
    const plan = await runCli(['--settings', unreachable, 'etcd', 'tenants', 'plan'], {
      env: { PGFLEET_ETCD_ADMIN_PASSWORD: '' },
    });
    outputs.push(plan);
    assert.equal(plan.code, 2);
    assert.match(
      plan.stderr,
      /etcd unreachable: http:\/\/127\.0\.0\.1:1: ECONNREFUSED; http:\/\/127\.0\.0\.1:2: ECONNREFUSED/,
    );
    assert.match(plan.stderr, /hint: check that etcd runs/);
  });

  describe('bad input is refused with file, line and field, and changes nothing', () => {
    const expectUnchanged = async (run: () => Promise<CliResult>): Promise<CliResult> => {
      const users = await userNames();
      const files = (await readdir(secretsDir)).sort();
      const result = await run();
      assert.equal(result.code, 2, result.stderr);
      assert.deepEqual(await userNames(), users);
      assert.deepEqual((await readdir(secretsDir)).sort(), files);
      return result;
    };

    it('a tenants file naming a user twice', async () => {
      const file = join(dir, 'twice.yaml');
      await writeFile(file, 'tenants:\n  - scope: gamma\n    user: shared\n  - scope: epsilon\n    user: shared\n');
      const result = await expectUnchanged(() => cli('etcd', 'tenants', 'apply', '--tenants-file', file));
      assert.match(
        result.stderr,
        new RegExp(
          `${file}:5:11: tenants\\[1\\]\\.user: user "shared" is already named by tenants\\[0\\] \\(line 2\\)`,
        ),
      );
      assert.match(result.stderr, /\[TENANTS_FILE_INVALID\]/);
    });

    it('a tenants file with a scope containing "/" or empty', async () => {
      const file = join(dir, 'scopes.yaml');
      await writeFile(file, 'tenants:\n  - scope: team/alpha\n  - scope: ""\n');
      const result = await expectUnchanged(() => cli('etcd', 'tenants', 'plan', '--tenants-file', file));
      assert.match(result.stderr, new RegExp(`${file}:2:12: tenants\\[0\\]\\.scope: scope "team/alpha" contains "/"`));
      assert.match(result.stderr, new RegExp(`1 more problem\\(s\\): ${file}:3:12: tenants\\[1\\]\\.scope`));
    });

    it('a cluster in the DCS with an empty scope, or a scope holding "/", named by its key', async () => {
      await withAdmin((_auth, client) => client.put('/service//members/x', '{}'));
      try {
        const result = await expectUnchanged(() => cli('etcd', 'tenants', 'apply'));
        assert.match(
          result.stderr,
          /error: \/service\/\/members\/x: empty cluster scope: its prefix would be the whole namespace \[TENANT_BAD_SCOPE\]/,
        );
      } finally {
        await withAdmin((_auth, client) => client.delete('/service//members/x'));
      }
      await withAdmin((_auth, client) => client.put('/service/team/alpha/members/x', '{}'));
      try {
        const result = await expectUnchanged(() => cli('etcd', 'tenants', 'plan'));
        assert.match(result.stderr, /error: \/service\/team\/alpha\/members\/x: scope "team\/alpha" contains "\/"/);
        assert.match(result.stderr, /hint: .*add it to tenancy\.namespaces/);
      } finally {
        await withAdmin((_auth, client) => client.delete('/service/team/alpha/members/x'));
      }
    });

    it('a world-readable secrets directory: refused, with how to fix it', async () => {
      await chmod(secretsDir, 0o755);
      try {
        for (const command of ['plan', 'apply', 'verify']) {
          const result = await expectUnchanged(() => cli('etcd', 'tenants', command));
          assert.match(
            result.stderr,
            new RegExp(
              `secrets directory ${secretsDir} has mode 0755: group or others can reach the tenants' password files in it; nothing was changed \\[SECRETS_DIR_OPEN\\]`,
            ),
          );
          assert.match(result.stderr, new RegExp(`hint: chmod 700 ${secretsDir}`));
        }
      } finally {
        await chmod(secretsDir, 0o700);
      }
    });
  });

  it('no password appears in any output, in etcd log, or in any process argv (sampled while apply creates a tenant)', async () => {
    await withAdmin((_auth, client) => client.put('/service/zeta/members/zeta-1', '{}'));
    const argvs = new Set<string>();
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        for (const entry of readdirSync('/proc')) {
          if (!/^\d+$/.test(entry)) continue;
          try {
            argvs.add(readFileSync(`/proc/${entry}/cmdline`, 'utf8'));
          } catch {
            // gone
          }
        }
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    })();
    const apply = await cli('--verbose', 'etcd', 'tenants', 'apply');
    sampling = false;
    await sampler;
    assert.equal(apply.code, 0, apply.stderr);
    assert.match(apply.stdout, /create user patroni-zeta/);

    const passwords = [
      adminPassword.reveal(),
      ...(await Promise.all(
        (await readdir(secretsDir)).map(async (file) => (await readFile(join(secretsDir, file), 'utf8')).trim()),
      )),
    ];
    assert.ok(passwords.length >= 5);
    const printed = outputs.map((output) => output.stdout + output.stderr).join('\n');
    const etcdLog = (await Promise.all(etcd.members.map((member) => readFile(member.logFile, 'utf8')))).join('\n');
    assert.ok(argvs.size > 10, 'the sampler saw the processes');
    for (const password of passwords) {
      assert.equal(printed.includes(password), false, 'a password was printed');
      assert.equal(etcdLog.includes(password), false, "a password is in etcd's log");
      assert.equal(
        [...argvs].some((argv) => argv.includes(password)),
        false,
        'a password was in a process argv',
      );
    }
  });

  it('apply carries out a stale plan whose changes someone already made (as after a request retried on another endpoint)', async () => {
    const { loadSiteSettings } = await import('../../src/adapters/settings/site-settings-file.js');
    const target = await tenancyTargetFromSettings(loadSiteSettings(settingsFile, {}).settings, {}, {});
    await withAdmin(async (auth, client) => {
      await client.put('/service/eta/members/eta-1', '{}');
      await auth.grantPermission('patroni-alpha', { ...prefixRange('/service/alpha'), permType: 'READWRITE' });
      const plan = await planTenancyFromEtcd(target, client);
      assert.deepEqual(plan.actions.map((a) => a.kind).sort(), [
        'create-role',
        'create-user',
        'grant-permission',
        'grant-role',
        'revoke-permission',
      ]);
      // Someone is quicker: every change but the grants is already made.
      await auth.addRole('patroni-eta');
      await auth.addUser('patroni-eta', new Secret(randomBytes(16).toString('hex')));
      await auth.revokePermission('patroni-alpha', prefixRange('/service/alpha'));
      const report = await applyTenancyPlan(plan, target, client);
      assert.equal(report.done.length, plan.actions.length);
      assert.deepEqual(
        (await planTenancyFromEtcd(target, client)).actions,
        [],
        'converged, the password of patroni-eta included',
      );
      await client.delete('/service/eta/members/eta-1');
    });
    assert.equal(
      (await cli('etcd', 'tenants', 'verify')).code,
      0,
      'patroni-eta, an orphan now, is no tenant: verify proves the others',
    );
  });
});
