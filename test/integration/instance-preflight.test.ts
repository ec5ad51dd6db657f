import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import { EtcdAuthApi } from '../../src/adapters/etcd/auth-api.js';
import { EtcdClient } from '../../src/adapters/etcd/etcd-client.js';
import { prefixRange } from '../../src/core/etcd/key-range.js';
import { Secret } from '../../src/core/secret.js';
import { type TestEtcd, startTestEtcd } from '../support/etcd-fixture.js';
import { type TestMemberPorts, type TestSite, startTestSite } from '../support/instance-site.js';
import { processesMentioning } from '../support/process-scan.js';
import { filesHoldingSecrets, secretsInTexts, startProcessSecretSampler } from '../support/secret-scan.js';
import { CLI_PATH } from '../support/run-cli.js';

const rootPassword = 'instance-preflight-root-pw';
/**
 * The tenant Patroni really runs with: a password YAML would misread if it
 * were written plainly (a mapping `a: `, a comment ` #`, quotes, an alias
 * `*ref`, a boolean `yes`). Its tail is unique, so a leak in an escaped form
 * is found too.
 */
const alphaPasswordTail = 'instance-preflight-alpha-pw';
const alphaPassword = `a: #b'q"*ref yes ${alphaPasswordTail}`;
const betaPassword = 'instance-preflight-beta-pw';
const wrongPassword = 'not-the-alpha-password';

/**
 * The DCS pre-flight of `instance create` and `instance alter` against a real
 * etcd with authentication on and one tenant (user + role) per cluster.
 */
describe('pgfleet instance with etcd auth on and a tenant per cluster: the pre-flight', () => {
  let etcd: TestEtcd;
  let site: TestSite;
  let ports: TestMemberPorts;
  let admin: EtcdClient;
  const files: Record<string, string> = {};

  const create = (user: string, passwordFile: string, extra: string[] = []) =>
    site.pgfleet([
      'instance',
      'create',
      'main',
      '--patroni-cluster',
      'alpha',
      '--patroni-node',
      'alpha-1',
      ...site.memberOptions(ports),
      '--patroni-etcd-username',
      user,
      '--patroni-etcd-password-file',
      passwordFile,
      '--timeout',
      '180',
      ...extra,
    ]);

  /** What a refused create must leave: no Patroni or PostgreSQL process, no data directory, no YAML. */
  const assertNothingCreated = async () => {
    assert.deepEqual(processesMentioning(site.dir), [], 'no Patroni process was started');
    await assert.rejects(stat(join(site.dataDir, 'main')), 'no data directory was created');
    await assert.rejects(stat(join(site.configDir, 'main.yaml')), 'no YAML was written');
  };

  before(async () => {
    etcd = await startTestEtcd();
    admin = new EtcdClient({
      endpoints: etcd.endpoints,
      credentials: { username: 'root', password: new Secret(rootPassword) },
    });
    const auth = new EtcdAuthApi(admin);
    await auth.addUser('root', new Secret(rootPassword));
    await auth.grantRole('root', 'root');
    for (const [scope, password] of [
      ['alpha', alphaPassword],
      ['beta', betaPassword],
    ] as const) {
      await auth.addRole(`patroni-${scope}`);
      await auth.grantPermission(`patroni-${scope}`, { ...prefixRange(`/service/${scope}/`), permType: 'READWRITE' });
      await auth.addUser(`patroni-${scope}`, new Secret(password));
      await auth.grantRole(`patroni-${scope}`, `patroni-${scope}`);
    }
    await auth.enable();
    site = await startTestSite({
      etcdEndpoints: etcd.endpoints,
      etcdAdmin: { username: 'root', password: rootPassword },
    });
    [ports] = (await site.ports(1)) as [TestMemberPorts];
    files.alpha = await site.secretFile('patroni-alpha.password', alphaPassword);
    files.beta = await site.secretFile('patroni-beta.password', betaPassword);
    files.wrong = await site.secretFile('wrong.password', wrongPassword);
  });
  after(async () => {
    await admin?.close();
    await site?.stop();
    await etcd?.stop();
  });

  it('stops at the pre-flight on a wrong password: nothing started, no data directory', async () => {
    const result = await create('patroni-alpha', files.wrong!);
    assert.equal(result.code, 2, result.stderr);
    assert.match(
      result.stderr,
      /pre-flight failed \(etcd auth on\): etcd rejected the credentials of patroni-alpha: authentication failed.*\[PREFLIGHT_FAILED\]/,
    );
    assert.match(result.stderr, /no file was written and Patroni was not started/);
    await assertNothingCreated();
  });

  it('stops at the pre-flight on an unknown user', async () => {
    const result = await create('patroni-nobody', files.alpha!);
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /pre-flight failed.*etcd has no user patroni-nobody/);
    await assertNothingCreated();
  });

  it("stops at the pre-flight when the user's role is on another cluster's prefix", async () => {
    const result = await create('patroni-beta', files.beta!);
    assert.equal(result.code, 2, result.stderr);
    assert.match(
      result.stderr,
      /no role of patroni-beta grants write access to \[\/service\/alpha\/, \/service\/alpha0\)/,
    );
    assert.match(result.stderr, /patroni-beta authenticated but was denied the PUT of a key under \/service\/alpha\//);
    await assertNothingCreated();
  });

  it("--skip-preflight on create warns loudly and goes on; with a wrong password Patroni exits at start-up (etcd refuses it), and the create fails with Patroni's reason and undoes itself", async () => {
    const result = await create('patroni-alpha', files.wrong!, ['--skip-preflight', '--timeout', '60']);
    assert.equal(result.code, 3, result.stderr);
    const warning = result.stderr.search(
      /warning: PRE-FLIGHT SKIPPED \(--skip-preflight\): the etcd credentials of this instance were NOT checked\. If they are wrong, Patroni cannot write to the DCS/,
    );
    assert.ok(warning >= 0, `the loud warning is on stderr:\n${result.stderr}`);
    assert.ok(
      warning < result.stderr.indexOf('starting Patroni'),
      'it warns before it starts Patroni: nothing checked the credentials',
    );
    assert.match(result.stderr, /Patroni of instance main exited during start-up \[PATRONI_EXITED\]/);
    assert.match(
      result.stderr,
      /CRITICAL: Etcd3 authentication failed: .*invalid user ID or password/,
      "Patroni's own reason, from its log",
    );
    assert.match(result.stderr, /pgfleet stopped it and removed what this create made/);
    await assertNothingCreated();
    assert.deepEqual(await admin.getPrefix('/service/alpha/'), [], 'no key of cluster alpha was written');
    assert.deepEqual(
      filesHoldingSecrets([site.logDir], { wrongPassword }),
      [],
      'the kept Patroni log holds no password',
    );
  });

  it("creates the instance with the tenant's right password (YAML-hostile: `a: #b'q\"*ref yes ...`) from $PGFLEET_PATRONI_ETCD_PASSWORD: Patroni authenticates with it and writes its leader key, and the password reaches no process's command line or environment", async () => {
    // The pgfleet process itself holds the variable (the user put it there): every process it starts must not.
    const sampler = startProcessSecretSampler(
      { alphaPassword, alphaPasswordTail },
      { ignore: (cmdline) => cmdline.includes(CLI_PATH) },
    );
    const result = await site.pgfleet(
      [
        'instance',
        'create',
        'main',
        '--patroni-cluster',
        'alpha',
        '--patroni-node',
        'alpha-1',
        ...site.memberOptions(ports),
        '--patroni-etcd-username',
        'patroni-alpha',
        '--timeout',
        '180',
      ],
      { env: { PGFLEET_PATRONI_ETCD_PASSWORD: alphaPassword } },
    );
    const { samples, sightings } = await sampler.stop();
    assert.equal(result.code, 0, result.stderr);
    assert.ok(samples > 10);
    assert.deepEqual(sightings, []);
    assert.deepEqual(
      filesHoldingSecrets([site.logDir], { alphaPassword, alphaPasswordTail }),
      [],
      'nor the Patroni log',
    );
    assert.match(
      result.stderr,
      /pre-flight: patroni-alpha wrote, read and deleted a probe key under \/service\/alpha\//,
    );
    assert.match(result.stdout, /instance main created .*leader/);
    const leader = await admin.get('/service/alpha/leader');
    assert.equal(leader?.value, 'alpha-1');
    const yaml = parse(await readFile(join(site.configDir, 'main.yaml'), 'utf8'), { version: '1.1' }) as {
      etcd3: { username: string; password: unknown };
    };
    assert.equal(yaml.etcd3.username, 'patroni-alpha');
    // Compared without printing: a failed assert.equal would show the password.
    assert.ok(
      yaml.etcd3.password === alphaPassword,
      'the YAML gives Patroni the password exactly, as a string (read as YAML 1.1, like PyYAML)',
    );
  });

  it('alter refuses new etcd credentials that fail the pre-flight, leaving the YAML as it was', async () => {
    const file = join(site.configDir, 'main.yaml');
    const before = await readFile(file, 'utf8');
    const result = await site.pgfleet([
      'instance',
      'alter',
      'main',
      '--patroni-etcd-username',
      'patroni-alpha',
      '--patroni-etcd-password-file',
      files.wrong!,
    ]);
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /authentication failed.*\[PREFLIGHT_FAILED\]/);
    assert.match(result.stderr, /the YAML of main is unchanged/);
    assert.equal(await readFile(file, 'utf8'), before);
  });

  it('--skip-preflight is loud', async () => {
    const result = await site.pgfleet([
      '--output',
      'json',
      'instance',
      'alter',
      'main',
      '--patroni-etcd-username',
      'patroni-alpha',
      '--patroni-etcd-password-file',
      files.wrong!,
      '--skip-preflight',
      '--dry-run',
    ]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(
      result.stderr,
      /warning: PRE-FLIGHT SKIPPED \(--skip-preflight\): the etcd credentials of this instance were NOT checked/,
    );
    // The dry run's changes, as data: the password change among them, redacted; nothing checked, nothing written.
    const alter = JSON.parse(result.stdout) as {
      dryRun: boolean;
      written: boolean;
      preflight: unknown;
      localChanges: Array<{ path: string; before?: unknown; after?: unknown; secret?: boolean }>;
    };
    assert.deepEqual(
      alter.localChanges.find((change) => change.path === 'etcd3.password'),
      { path: 'etcd3.password', before: '[redacted]', after: '[redacted]', secret: true },
    );
    assert.deepEqual(
      { dryRun: alter.dryRun, written: alter.written, preflight: alter.preflight },
      { dryRun: true, written: false, preflight: null },
    );
  });

  it("drop --force of the last member removes the cluster's keys with the tenant's credentials", async () => {
    const result = await site.pgfleet(['--output', 'json', 'instance', 'drop', 'main', '--force']);
    assert.equal(result.code, 0, result.stderr);
    assert.match(JSON.parse(result.stdout).clusterKeysRemovedAs as string, /patroni-alpha/);
    assert.deepEqual(await admin.getPrefix('/service/alpha/'), []);
    assert.deepEqual(processesMentioning(site.dir), []);
  });

  it('never printed a password', () => {
    assert.deepEqual(
      secretsInTexts(
        site.outputs.flatMap((o) => [o.stdout, o.stderr]),
        { rootPassword, alphaPassword, alphaPasswordTail, betaPassword, wrongPassword },
      ),
      [],
    );
  });
});
