import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parse, stringify } from 'yaml';
import { EtcdClient } from '../../src/adapters/etcd/etcd-client.js';
import { withSqlConnection } from '../../src/adapters/postgres/sql-connection.js';
import { Secret } from '../../src/core/secret.js';
import { type TestEtcd, startTestEtcd } from '../support/etcd-fixture.js';
import { type TestMemberPorts, type TestSite, startTestSite } from '../support/instance-site.js';
import { processesMentioning } from '../support/process-scan.js';
import { CLI_PATH } from '../support/run-cli.js';
import { filesHoldingSecrets, secretsInTexts, startProcessSecretSampler } from '../support/secret-scan.js';

/**
 * Passwords that YAML misreads when written plainly, each with a unique core
 * so that a leak in an escaped form is found too. Patroni really runs with
 * them: the superuser connects over TCP, the replicas clone and stream with
 * the replication password (through Patroni's pgpass, which escapes `:` and
 * `\`), the rewind role is created with its password, and every unsafe REST
 * call of pgfleet and patronictl authenticates with the REST API password.
 */
const core = randomBytes(6).toString('hex');
const hostilePasswords = {
  // A block sequence, a mapping, a comment, both quotes, a backslash, an alias.
  superuser: `- su${core}: #x 'q" \\ *ref`,
  // An alias, a boolean mapping, a comment, both quotes, and what pgpass must escape (`\:`).
  replication: `*repl${core} yes: no #c "d' \\:x`,
  // Digits only, leading zero: an octal integer to YAML 1.1 (PyYAML) if written plainly.
  rewind: `0${Array.from({ length: 17 }, () => randomInt(8)).join('')}`,
  // A boolean before a colon, a comment, quotes: and a `:` inside HTTP basic auth.
  restapi: `yes:rest${core} #no 'q"`,
};

/**
 * `pgfleet instance` on the real stack, in local configuration mode: a
 * cluster built from create calls, operated, altered, and dropped member by
 * member, with every password watched for in `ps`, environments and logs.
 */
describe('pgfleet instance: a 3-member cluster from create calls, operated and dropped (open etcd, local mode)', () => {
  let etcd: TestEtcd;
  let site: TestSite;
  let ports: TestMemberPorts[];
  let sampler: ReturnType<typeof startProcessSecretSampler>;
  let dcs: EtcdClient;

  const create = (name: string, index: number, extra: string[] = []) =>
    site.pgfleet(site.createArgs(name, { cluster: 'alpha', node: `alpha-${index + 1}`, ports: ports[index]! }, extra));
  const json = <T>(text: string): T => JSON.parse(text) as T;
  const sql = <T>(index: number, query: string) =>
    withSqlConnection(
      { host: '127.0.0.1', port: ports[index]!.pg, user: 'postgres', password: new Secret(site.passwords.superuser) },
      async (client) => (await client.query(query)).rows as T[],
    );
  const alphaKeys = async () => (await dcs.getPrefix('/service/alpha/', { keysOnly: true })).map((kv) => kv.key);
  /** Every password, and the core they share (a password leaked in an escaped form still shows it). */
  const leakHunted = (): Record<string, string> => ({ ...site.passwords, core });

  before(async () => {
    etcd = await startTestEtcd();
    site = await startTestSite({ etcdEndpoints: etcd.endpoints, passwords: hostilePasswords });
    ports = await site.ports(3);
    dcs = new EtcdClient({ endpoints: etcd.endpoints });
    sampler = startProcessSecretSampler(leakHunted());
  });
  after(async () => {
    await sampler?.stop();
    await dcs?.close();
    await site?.stop();
    await etcd?.stop();
  });

  it('refuses --service systemd on a host where systemd does not run, before creating anything', async (t) => {
    if (existsSync('/run/systemd/system')) {
      t.skip('systemd runs on this host: the unit would really be installed');
      return;
    }
    const result = await create('main1', 0, ['--service', 'systemd']);
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /--service systemd: systemd does not run on this host.*\[SYSTEMD_UNAVAILABLE\]/);
    await assert.rejects(stat(join(site.configDir, 'main1.yaml')));
    await assert.rejects(stat(join(site.dataDir, 'main1')));
  });

  it('refuses a create whose PostgreSQL port is taken, before creating anything, and names the port', async () => {
    let blocker: Server | undefined;
    try {
      blocker = createServer();
      await new Promise<void>((resolve) => blocker!.listen(ports[0]!.pg, '127.0.0.1', resolve));
      const result = await create('main1', 0);
      assert.equal(result.code, 2, result.stderr);
      assert.match(
        result.stderr,
        new RegExp(`port ${ports[0]!.pg} for PostgreSQL is already in use.*INSTANCE_PORT_IN_USE`),
      );
    } finally {
      await new Promise<void>((resolve) => (blocker ? blocker.close(() => resolve()) : resolve()));
    }
    await assert.rejects(stat(join(site.configDir, 'main1.yaml')));
    await assert.rejects(stat(join(site.dataDir, 'main1')));
    assert.deepEqual(processesMentioning(site.dir), []);
  });

  it('undoes a create whose Patroni fails to start, showing the cause from the log; the same create works once the cause is fixed', async () => {
    const failed = await create('main1', 0, ['--parameter', 'shared_preload_libraries=pg_stat_statement']);
    assert.equal(failed.code, 3, failed.stderr);
    assert.match(failed.stderr, /Patroni of instance main1 exited during start-up \[PATRONI_EXITED\]/);
    assert.match(
      failed.stderr,
      /FATAL: +could not access file "pg_stat_statement"/,
      'the FATAL line of PostgreSQL is shown',
    );
    assert.match(failed.stderr, /run the same create again/);
    await assert.rejects(stat(join(site.configDir, 'main1.yaml')), 'no YAML left');
    await assert.rejects(stat(join(site.dataDir, 'main1')), 'no data directory left');
    assert.deepEqual(processesMentioning(site.dir), [], 'no Patroni or PostgreSQL left running');
    assert.deepEqual(await alphaKeys(), [], 'no key of the failed bootstrap left in etcd');

    const created = await create('main1', 0);
    assert.equal(created.code, 0, created.stderr);
    assert.match(created.stdout, /instance main1 created .*: member alpha-1 of cluster alpha, leader/);
  });

  /** Starts `instance create` of main<index+1> and sends `signal` to pgfleet once Patroni is on its way. */
  const interruptedCreate = async (index: number, signal: NodeJS.Signals) => {
    const name = `main${index + 1}`;
    const child = spawn(
      process.execPath,
      [
        CLI_PATH,
        '--settings',
        site.settingsFile,
        ...site.createArgs(name, { cluster: 'alpha', node: `alpha-${index + 1}`, ports: ports[index]! }),
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
    for (
      let waited = 0;
      waited < 120_000 && !/Patroni: (creating replica|starting|running)/.test(stderr);
      waited += 100
    )
      await sleep(100);
    child.kill(signal);
    const [code] = await exited;
    site.outputs.push({ code: code ?? -1, stdout, stderr });
    assert.match(stderr, /starting Patroni/, 'pgfleet was stopped after Patroni started');
    return { code, stderr };
  };

  it('clears what a create killed mid-way left (its Patroni still running), and the same create then works', async () => {
    await interruptedCreate(1, 'SIGKILL');
    assert.ok(processesMentioning(join(site.configDir, 'main2.yaml')).length > 0, 'its Patroni outlived it');

    const again = await create('main2', 1);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stderr, /clearing what an interrupted create of main2 left/);
    assert.match(again.stdout, /member alpha-2 of cluster alpha, replica/);
  });

  it('Ctrl-C during a create stops waiting and undoes it', async () => {
    const { code, stderr } = await interruptedCreate(2, 'SIGINT');
    assert.equal(code, 130, stderr);
    assert.match(stderr, /interrupted while waiting for Patroni of instance main3 \[INTERRUPTED\]/);
    await assert.rejects(stat(join(site.configDir, 'main3.yaml')));
    await assert.rejects(stat(join(site.dataDir, 'main3')));
    assert.deepEqual(processesMentioning(join(site.dataDir, 'main3')), []);
  });

  it('a third create joins the cluster as a replica; instance status shows the leader and both replicas streaming, on timeline 1, caught up, not paused', async () => {
    for (const index of [2]) {
      const joined = await create(`main${index + 1}`, index);
      assert.equal(joined.code, 0, joined.stderr);
      assert.match(
        joined.stdout,
        new RegExp(`member alpha-${index + 1} of cluster alpha, replica .*joined the existing cluster`),
      );
    }
    type Member = { name: string; role: string; state: string; timeline: number | null; lag: number | string | null };
    type Status = {
      patroni: { role: string; timeline: number | null; paused: boolean; pendingRestart: boolean };
      lag: number | string | null;
      cluster: { leader: string; members: Member[] };
    };
    const streamingReplicas = async () =>
      (
        await sql<{ application_name: string }>(
          0,
          "SELECT application_name FROM pg_stat_replication WHERE state = 'streaming' ORDER BY 1",
        )
      ).map((row) => row.application_name);
    const replicasOf = (status: Status) => status.cluster.members.filter((m) => m.role === 'replica');
    let status: Status | undefined;
    let streaming: string[] = [];
    // A replica's Patroni says running as soon as PostgreSQL accepts connections; its WAL receiver may connect a
    // moment later, and the lag Patroni reports (from each member's last position, every loop) follows.
    for (let attempt = 0; attempt < 60; attempt += 1) {
      const result = await site.pgfleet(['--output', 'json', 'instance', 'status', 'main1']);
      assert.equal(result.code, 0, result.stderr);
      status = json<Status>(result.stdout);
      streaming = await streamingReplicas();
      if (
        status.cluster.members.every((m) => m.state === 'running') &&
        streaming.length === 2 &&
        replicasOf(status).every((m) => m.lag === 0)
      )
        break;
      await sleep(1_000);
    }
    assert.equal(status!.patroni.role, 'leader');
    assert.equal(status!.cluster.leader, 'alpha-1');
    assert.deepEqual(
      status!.cluster.members.map((m) => `${m.name}:${m.role}:${m.state}`),
      ['alpha-1:leader:running', 'alpha-2:replica:running', 'alpha-3:replica:running'],
    );
    assert.deepEqual(streaming, ['alpha-2', 'alpha-3']);

    // Timeline: a new cluster is on timeline 1, as PostgreSQL itself says, and every member follows it.
    const [control] = await sql<{ timeline_id: number }>(0, 'SELECT timeline_id FROM pg_control_checkpoint()');
    assert.equal(control!.timeline_id, 1);
    assert.equal(status!.patroni.timeline, 1);
    assert.deepEqual(
      status!.cluster.members.map((m) => m.timeline),
      [1, 1, 1],
    );
    // Lag: in bytes for each replica (the leader has none); an idle cluster's replicas have caught up.
    assert.equal(status!.lag, null, 'the leader has no lag');
    assert.deepEqual(
      status!.cluster.members.map((m) => m.lag),
      [null, 0, 0],
    );
    assert.equal(status!.patroni.paused, false);
    assert.equal(status!.patroni.pendingRestart, false);

    // The same, as a replica sees itself in the text output.
    const replica = await site.pgfleet(['instance', 'status', 'main2']);
    assert.equal(replica.code, 0, replica.stderr);
    assert.match(
      replica.stdout,
      new RegExp(`^ {2}PostgreSQL +replica, running, port ${ports[1]!.pg}, timeline 1, lag 0$`, 'm'),
    );
    assert.match(replica.stdout, /^ {2}pending restart +no$/m);
    assert.match(replica.stdout, /^ {2}paused +no$/m);
  });

  it("the cluster's roles have their exact passwords: the superuser and the rewind role log in with them (SCRAM, over TCP) on every member", async () => {
    const login = (index: number, user: string, password: string) =>
      withSqlConnection(
        { host: '127.0.0.1', port: ports[index]!.pg, user, password: new Secret(password) },
        async (client) => (await client.query<{ current_user: string }>('SELECT current_user')).rows[0]!.current_user,
      );
    for (const index of [0, 1, 2]) {
      assert.equal(await login(index, 'postgres', site.passwords.superuser), 'postgres');
      assert.equal(await login(index, 'rewind_user', site.passwords.rewind), 'rewind_user');
    }
    // What a plain YAML would have handed Patroni for the rewind password (an octal integer) is not it.
    await assert.rejects(
      login(0, 'rewind_user', String(Number.parseInt(site.passwords.rewind, 8))),
      /password authentication failed/,
    );
  });

  it('lists the instances; instance env points patronictl at one, which pauses the cluster (instance status shows it) and resumes it', async () => {
    const list = await site.pgfleet(['--output', 'json', 'instance', 'list']);
    assert.equal(list.code, 0, list.stderr);
    assert.deepEqual(
      json<Array<{ name: string; running: boolean; role: string }>>(list.stdout).map(
        (e) => `${e.name}:${e.running}:${e.role}`,
      ),
      ['main1:true:leader', 'main2:true:replica', 'main3:true:replica'],
    );

    const env = await site.pgfleet(['instance', 'env', 'main2']);
    assert.equal(env.code, 0, env.stderr);
    assert.match(
      env.stdout,
      new RegExp(`^export PATRONICTL_CONFIG_FILE='${join(site.configDir, 'main2.yaml')}'$`, 'm'),
    );
    assert.match(env.stdout, new RegExp(`^export PGPORT='${ports[1]!.pg}'$`, 'm'));
    const configFile = /PATRONICTL_CONFIG_FILE='([^']+)'/.exec(env.stdout)![1]!;
    const patronictl = (...args: string[]) =>
      execFileSync('patronictl', args, {
        env: { ...process.env, PATRONICTL_CONFIG_FILE: configFile },
        encoding: 'utf8',
      });
    const members = patronictl('list', '--format', 'json');
    assert.deepEqual((JSON.parse(members) as Array<{ Member: string }>).map((m) => m.Member).sort(), [
      'alpha-1',
      'alpha-2',
      'alpha-3',
    ]);

    // patronictl pauses the cluster with the REST API credentials of the YAML: PATCH /config needs them, and
    // only an accepted PATCH makes it wait ("request sent"; a refused one prints "Failed" and exits 0).
    // Each member reports the pause from its next loop on.
    const pausedAs = async (name: string, expected: boolean): Promise<boolean> => {
      for (let attempt = 0; ; attempt += 1) {
        const paused = json<{ patroni: { paused: boolean } }>(
          (await site.pgfleet(['--output', 'json', 'instance', 'status', name])).stdout,
        ).patroni.paused;
        if (paused === expected || attempt === 20) return paused;
        await sleep(500);
      }
    };
    assert.match(patronictl('pause', '--wait'), /'pause' request sent/);
    assert.equal(await pausedAs('main3', true), true);
    assert.match((await site.pgfleet(['instance', 'status', 'main3'])).stdout, /^ {2}paused +yes$/m);
    assert.match(patronictl('resume', '--wait'), /'resume' request sent/);
    assert.equal(await pausedAs('main3', false), false);
  });

  it('local mode: alter writes work_mem and a pg_hba entry into the YAML (still 0600, same owner) and they take effect after the reload', async () => {
    const file = join(site.configDir, 'main1.yaml');
    const before = await stat(file);
    const result = await site.pgfleet([
      'instance',
      'alter',
      'main1',
      '--parameter',
      'work_mem=24MB',
      '--hba-add',
      'host all pgfleet_test 10.99.0.0/24 scram-sha-256',
    ]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /\+ postgresql\.parameters\.work_mem: 24MB/);
    assert.match(result.stdout, /\+ host all pgfleet_test 10\.99\.0\.0\/24 scram-sha-256/);
    assert.match(result.stdout, /applied: YAML rewritten, POST \/reload/);
    const after = await stat(file);
    assert.equal(after.mode & 0o777, 0o600);
    assert.equal(after.uid, before.uid);
    const yaml = await readFile(file, 'utf8');
    assert.match(yaml, /work_mem: "?24MB"?/);
    assert.match(yaml, /host all pgfleet_test 10\.99\.0\.0\/24 scram-sha-256/);
    let workMem = '';
    let rules = 0;
    for (let attempt = 0; attempt < 30 && (workMem !== '24MB' || rules !== 1); attempt += 1) {
      workMem = (await sql<{ work_mem: string }>(0, 'SHOW work_mem'))[0]!.work_mem;
      rules =
        (await sql<{ count: string }>(0, "SELECT count(*) FROM pg_hba_file_rules WHERE '10.99.0.0' = address"))[0]!
          .count === '1'
          ? 1
          : 0;
      if (workMem !== '24MB' || rules !== 1) await sleep(500);
    }
    assert.equal(workMem, '24MB');
    assert.equal(rules, 1, 'the pg_hba entry is loaded');
    assert.notEqual(
      (await sql<{ work_mem: string }>(1, 'SHOW work_mem'))[0]!.work_mem,
      '24MB',
      'local mode changes this member only',
    );
  });

  it('instance reload makes Patroni re-read a YAML edited by hand (work_mem 24MB → 20MB), through the REST API with its credentials', async () => {
    const file = join(site.configDir, 'main1.yaml');
    const yaml = await readFile(file, 'utf8');
    assert.match(yaml, /^( +work_mem: )"?24MB"?$/m);
    await writeFile(file, yaml.replace(/^( +work_mem: )"?24MB"?$/m, '$120MB'));
    const reloaded = await site.pgfleet(['--output', 'json', 'instance', 'reload', 'main1']);
    assert.equal(reloaded.code, 0, reloaded.stderr);
    // Patroni accepted it: 202 "reload scheduled" (the reload itself happens at its next cycle, checked below).
    assert.deepEqual(json<{ name: string; status: number; answer: string }>(reloaded.stdout), {
      name: 'main1',
      status: 202,
      answer: 'reload scheduled',
    });
    let workMem = '';
    for (let attempt = 0; attempt < 30 && workMem !== '20MB'; attempt += 1) {
      if (attempt > 0) await sleep(500);
      workMem = (await sql<{ work_mem: string }>(0, 'SHOW work_mem'))[0]!.work_mem;
    }
    assert.equal(workMem, '20MB');
  });

  it('instance restart restarts PostgreSQL of the leader through Patroni (POST /restart): a new postmaster, still the leader, the replicas stream again', async () => {
    const startTime = async () =>
      (await sql<{ started: string }>(0, 'SELECT pg_postmaster_start_time()::text AS started'))[0]!.started;
    const before = await startTime();
    const restarted = await site.pgfleet(['--output', 'json', 'instance', 'restart', 'main1', '--timeout', '120']);
    assert.equal(restarted.code, 0, restarted.stderr);
    const result = json<{
      name: string;
      members: Array<{ name: string; role: string; restarted: boolean; pendingRestartAfter: boolean }>;
    }>(restarted.stdout);
    assert.deepEqual(
      result.members.map((m) => `${m.name}:${m.role}:${m.restarted}:${m.pendingRestartAfter}`),
      ['alpha-1:leader:true:false'],
      'only this member, and Patroni kept it the leader',
    );
    assert.notEqual(await startTime(), before, 'PostgreSQL was restarted');
    assert.equal((await dcs.get('/service/alpha/leader'))?.value, 'alpha-1');
    let streaming: string[] = [];
    for (let attempt = 0; attempt < 60 && streaming.length < 2; attempt += 1) {
      if (attempt > 0) await sleep(1_000);
      streaming = (
        await sql<{ application_name: string }>(
          0,
          "SELECT application_name FROM pg_stat_replication WHERE state = 'streaming' ORDER BY 1",
        )
      ).map((row) => row.application_name);
    }
    assert.deepEqual(streaming, ['alpha-2', 'alpha-3']);
  });

  it('says when a Patroni restart is needed (etcd hosts changed in the settings) and why; restart --patroni applies it', async () => {
    const original = await readFile(site.settingsFile, 'utf8');
    const settings = parse(original) as { patroni: { etcd: { hosts: string[] } } };
    settings.patroni.etcd.hosts.push('127.0.0.1:9');
    await writeFile(site.settingsFile, stringify(settings));
    try {
      const altered = await site.pgfleet(['instance', 'alter', 'main2', '--apply-settings']);
      assert.equal(altered.code, 0, altered.stderr);
      // One fact a line (the text is kept: only it carries the command to run): etcd3.hosts gains 127.0.0.1:9 (a line of its block), the restart needed with that reason among any others, and the command.
      assert.match(altered.stdout, /^ {2}~ etcd3\.hosts:\n(?: {6}.*\n)* {6}\+ 127\.0\.0\.1:9$/m);
      assert.match(
        altered.stdout,
        /^Patroni restart needed: (?:.*; )?etcd3\.hosts changed: Patroni 3\.0\.2 reads the etcd hosts, protocol and certificates only when it starts(?:;|$)/m,
      );
      assert.match(altered.stdout, /^ {2}run: pgfleet instance restart main2 --patroni$/m);
      assert.match(await readFile(join(site.configDir, 'main2.yaml'), 'utf8'), /127\.0\.0\.1:9/);
      const restarted = await site.pgfleet(['instance', 'restart', 'main2', '--patroni', '--timeout', '120']);
      assert.equal(restarted.code, 0, restarted.stderr);
      assert.match(restarted.stdout, /main2: Patroni restarted, replica, running/);
    } finally {
      await writeFile(site.settingsFile, original);
    }
  });

  it('stop and start a replica; logs shows its Patroni log', async () => {
    const stopped = await site.pgfleet(['instance', 'stop', 'main3']);
    assert.equal(stopped.code, 0, stopped.stderr);
    const status = json<{ process: { running: boolean } }>(
      (await site.pgfleet(['--output', 'json', 'instance', 'status', 'main3'])).stdout,
    );
    assert.equal(status.process.running, false);
    const started = await site.pgfleet(['instance', 'start', 'main3', '--timeout', '120']);
    assert.equal(started.code, 0, started.stderr);
    assert.match(started.stdout, /main3: started, replica/);
    const logs = await site.pgfleet(['--output', 'json', 'instance', 'logs', 'main3', '--lines', '20']);
    assert.equal(logs.code, 0, logs.stderr);
    const tail = json<{ source: string; lines: string[] }>(logs.stdout);
    assert.equal(tail.source, join(site.logDir, 'main3.log'));
    assert.ok(tail.lines.length > 0 && tail.lines.length <= 20);
    assert.ok(tail.lines.some((line) => /INFO: /.test(line)));
  });

  it('no password appeared in the command line or environment of any process, in any log, or in any pgfleet output', async () => {
    const { samples, sightings } = await sampler.stop();
    assert.ok(samples > 50, `the process table was sampled (${samples} times)`);
    assert.deepEqual(sightings, []);
    const logs = [
      site.logDir,
      ...(await readdir(site.dataDir)).flatMap((name) => [
        join(site.dataDir, name, 'data', 'log'),
        join(site.dataDir, name, 'pgfleet-instance.json'),
      ]),
    ];
    assert.deepEqual(filesHoldingSecrets(logs, leakHunted()), []);
    assert.deepEqual(
      secretsInTexts(
        site.outputs.flatMap((o) => [o.stdout, o.stderr]),
        leakHunted(),
      ),
      [],
    );
  });

  it('drops a replica: its files and member key go, the cluster goes on', async () => {
    const dropped = await site.pgfleet(['--output', 'json', 'instance', 'drop', 'main3']);
    assert.equal(dropped.code, 0, dropped.stderr);
    const result = json<{ lastMember: boolean; otherMembers: string[]; clusterKeysRemoved: number | null }>(
      dropped.stdout,
    );
    assert.equal(result.lastMember, false);
    assert.deepEqual(result.otherMembers.sort(), ['alpha-1', 'alpha-2']);
    assert.equal(result.clusterKeysRemoved, null);
    await assert.rejects(stat(join(site.configDir, 'main3.yaml')));
    await assert.rejects(stat(join(site.dataDir, 'main3')));
    assert.ok(!(await alphaKeys()).includes('/service/alpha/members/alpha-3'));
    assert.ok((await alphaKeys()).includes('/service/alpha/leader'));
  });

  it('refuses to drop the last member without --force; with --force it drops it and removes the cluster keys from etcd', async () => {
    const second = await site.pgfleet(['instance', 'drop', 'main2']);
    assert.equal(second.code, 0, second.stderr);
    const refused = await site.pgfleet(['instance', 'drop', 'main1']);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /main1 is the last member of cluster alpha.*\[INSTANCE_LAST_MEMBER\]/);
    assert.match(refused.stderr, /--force/);
    await stat(join(site.configDir, 'main1.yaml'));
    assert.ok((await alphaKeys()).length > 0);

    const forced = await site.pgfleet(['--output', 'json', 'instance', 'drop', 'main1', '--force']);
    assert.equal(forced.code, 0, forced.stderr);
    assert.equal(json<{ lastMember: boolean }>(forced.stdout).lastMember, true);
    assert.deepEqual(await alphaKeys(), [], 'every key of the cluster is gone from etcd');
    assert.deepEqual(await readdir(site.configDir), []);
    assert.deepEqual(processesMentioning(site.dir), [], 'no process of the site left');
  });
});
