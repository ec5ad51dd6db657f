import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { stringify } from 'yaml';
import { findFreePortRange } from '../../src/adapters/process/port-probe.js';
import { LAB_PATRONI_TEMPLATE } from '../../src/lab/lab-template.js';
import { ensureBuiltCli } from './built-cli.js';
import { registerTeardown } from './process-cleanup.js';
import { processesMentioning } from './process-scan.js';
import { type CliResult, runCli } from './run-cli.js';

/** Ports of one instance of a test site. */
export interface TestMemberPorts {
  pg: number;
  rest: number;
}

export interface TestSite {
  dir: string;
  settingsFile: string;
  /** The site's resolved directories (prefix = dir/site). */
  prefix: string;
  configDir: string;
  logDir: string;
  dataDir: string;
  runDir: string;
  /** Files (0600) holding the cluster role passwords and the REST API password, and their values (to hunt for leaks). */
  passwordFiles: { superuser: string; replication: string; rewind: string; restapi: string };
  passwords: Record<'superuser' | 'replication' | 'rewind' | 'restapi', string>;
  /** Runs the built pgfleet with this site's settings; every output is kept for the leak checks. */
  pgfleet(args: string[], options?: { env?: NodeJS.ProcessEnv }): Promise<CliResult>;
  outputs: CliResult[];
  ports(count: number): Promise<TestMemberPorts[]>;
  /** Options that put a member on loopback with its own ports. */
  memberOptions(ports: TestMemberPorts): string[];
  /** `instance create NAME` of a member of `cluster` on loopback, with the site's role passwords and REST API basic auth. */
  createArgs(
    name: string,
    member: { cluster: string; node: string; ports: TestMemberPorts },
    extra?: string[],
  ): string[];
  /** Writes a 0600 file in the site directory and returns its path. */
  secretFile(name: string, value: string): Promise<string>;
  stop(): Promise<void>;
}

export interface TestSiteOptions {
  etcdEndpoints: string[];
  configurationMode?: { auth: 'local' | 'dynamic'; parameters: 'local' | 'dynamic' };
  etcdAdmin?: { username: string; password: string };
  /** Role and REST API passwords to use instead of generated ones (each must be unique enough to be hunted for in leak checks). */
  passwords?: Partial<Record<'superuser' | 'replication' | 'rewind' | 'restapi', string>>;
}

/**
 * A site of its own for `pgfleet instance` tests: a settings file pointing at
 * the given etcd, every directory under one temporary directory the postgres
 * user can reach, the lab's quick Patroni template, and role passwords in
 * 0600 files. stop() (and SIGINT/SIGTERM/exit) kills every process whose
 * command line mentions the directory — Patroni and PostgreSQL of its
 * instances — and removes it.
 */
export async function startTestSite(options: TestSiteOptions): Promise<TestSite> {
  ensureBuiltCli();
  const dir = await mkdtemp(join(tmpdir(), 'pgfleet-instance-'));
  // mkdtemp makes a 0700 directory: Patroni runs as postgres and must get through it.
  await chmod(dir, 0o755);
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await killProcessesUnder(dir);
    await rm(dir, { recursive: true, force: true });
  };
  const unregister = registerTeardown(stop);

  const prefix = join(dir, 'site');
  const secretFile = async (name: string, value: string): Promise<string> => {
    const path = join(dir, name);
    await writeFile(path, `${value}\n`, { mode: 0o600 });
    return path;
  };
  const passwords = {
    superuser: `su-${randomBytes(9).toString('hex')}`,
    replication: `repl-${randomBytes(9).toString('hex')}`,
    rewind: `rw-${randomBytes(9).toString('hex')}`,
    restapi: `rest-${randomBytes(9).toString('hex')}`,
    ...options.passwords,
  };
  const passwordFiles = {
    superuser: await secretFile('superuser.password', passwords.superuser),
    replication: await secretFile('replication.password', passwords.replication),
    rewind: await secretFile('rewind.password', passwords.rewind),
    restapi: await secretFile('restapi.password', passwords.restapi),
  };
  const template = join(dir, 'patroni-template.yaml');
  await writeFile(template, LAB_PATRONI_TEMPLATE);
  const settingsFile = join(dir, 'settings.yaml');
  const settings = {
    prefix,
    postgresql: { bin_dir: '/usr/lib/postgresql/15/bin', rundir: join(prefix, 'run') },
    patroni: {
      etcd: { hosts: options.etcdEndpoints.map((url) => url.replace(/^https?:\/\//, '')), namespace: '/service/' },
      template,
      // Every create and alter is validated by the real `patroni --validate-config`, as on a real site: its
      // findings about loopback connect addresses, ports in use and unreachable etcd hosts (all a test on
      // 127.0.0.1 has) are told apart by pgfleet and do not fail; any other finding does.
      enforce_config_validation: true,
      ...(options.configurationMode ? { configuration_mode: options.configurationMode } : {}),
    },
    ...(options.etcdAdmin
      ? {
          etcd_admin: {
            username: options.etcdAdmin.username,
            password_file: await secretFile('etcd-admin.password', options.etcdAdmin.password),
          },
        }
      : {}),
  };
  await writeFile(settingsFile, stringify(settings));

  const outputs: CliResult[] = [];
  const memberOptions = (ports: TestMemberPorts): string[] => [
    '--port',
    String(ports.pg),
    '--patroni-postgresql-listen',
    '127.0.0.1',
    '--patroni-postgresql-connect-host',
    '127.0.0.1',
    '--patroni-restapi-listen',
    `127.0.0.1:${ports.rest}`,
    '--patroni-restapi-connect-address',
    `127.0.0.1:${ports.rest}`,
  ];
  return {
    dir,
    settingsFile,
    prefix,
    configDir: join(prefix, 'patroni'),
    logDir: join(prefix, 'log'),
    dataDir: join(prefix, 'pgsql'),
    runDir: join(prefix, 'run'),
    passwordFiles,
    passwords,
    outputs,
    async pgfleet(args, runOptions = {}) {
      const result = await runCli(['--settings', settingsFile, ...args], runOptions.env ? { env: runOptions.env } : {});
      outputs.push(result);
      return result;
    },
    async ports(count) {
      const base = await findFreePortRange(count * 2);
      return Array.from({ length: count }, (_, index) => ({ pg: base + index * 2, rest: base + index * 2 + 1 }));
    },
    memberOptions,
    createArgs(name, member, extra = []) {
      return [
        'instance',
        'create',
        name,
        '--patroni-cluster',
        member.cluster,
        '--patroni-node',
        member.node,
        ...memberOptions(member.ports),
        '--superuser-password-file',
        passwordFiles.superuser,
        '--replication-password-file',
        passwordFiles.replication,
        '--rewind-password-file',
        passwordFiles.rewind,
        '--patroni-restapi-authentication-username',
        'patroni',
        '--patroni-restapi-authentication-password-file',
        passwordFiles.restapi,
        '--timeout',
        '180',
        ...extra,
      ];
    },
    secretFile,
    async stop() {
      await stop();
      unregister();
    },
  };
}

/** Patroni first (it stops PostgreSQL), then any postmaster or child left, by their command lines naming the directory. */
async function killProcessesUnder(dir: string): Promise<void> {
  const signal = (pids: number[], name: NodeJS.Signals): void => {
    for (const pid of pids) {
      try {
        process.kill(pid, name);
      } catch {
        // gone already
      }
    }
  };
  const patronis = processesMentioning(dir)
    .filter((p) => /patroni/.test(p.cmdline))
    .map((p) => p.pid);
  signal(patronis, 'SIGTERM');
  for (let waited = 0; waited < 30_000 && processesMentioning(dir).some((p) => patronis.includes(p.pid)); waited += 200)
    await sleep(200);
  signal(
    processesMentioning(dir).map((p) => p.pid),
    'SIGQUIT',
  );
  for (let waited = 0; waited < 10_000 && processesMentioning(dir).length > 0; waited += 200) await sleep(200);
  signal(
    processesMentioning(dir).map((p) => p.pid),
    'SIGKILL',
  );
}
