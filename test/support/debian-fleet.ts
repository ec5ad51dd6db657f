import { randomBytes } from 'node:crypto';
import {
  appendFile,
  chmod,
  chown,
  lchown,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rm,
  stat,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { labPortWindow, findFreePortRange, takenPorts } from '../../src/adapters/process/port-probe.js';
import { type ProcessHandle, isRunning, startDaemon, stopProcess } from '../../src/adapters/process/daemon.js';
import { type OsUser, serviceUser } from '../../src/adapters/process/os-user.js';
import { listPatroniProcesses } from '../../src/adapters/process/patroni-processes.js';
import { stopOrphanedPostmaster, tailFile } from '../../src/node/patroni-process.js';
import { adjustForLab, readDebianTemplate, renderDebianTemplate } from './debian-patroni-template.js';
import type { TestEtcd } from './etcd-fixture.js';
import { registerTeardown } from './process-cleanup.js';

/** How a member's Patroni was started: the configuration argument exactly as on its command line, and its cwd. */
export interface StartedWith {
  configArg: string;
  cwd: string;
}

export interface DebianFleetMember {
  /** The simulated host whose /etc/patroni holds the file. */
  host: string;
  cluster: string;
  /** `15-<cluster>`, as pg_createconfig_patroni names it. */
  scope: string;
  /** Debian's @HOSTNAME@: the member name. */
  name: string;
  /** `<host>/etc/patroni/15-<cluster>.yml`, written from Debian's template. */
  realConfigFile: string;
  /** A `15-<cluster>.yaml -> 15-<cluster>.yml` symlink, when this member was started through one. */
  symlink: string | undefined;
  startedWith: StartedWith;
  pgPort: number;
  /** pgPort + 2576, as Debian derives it. */
  apiPort: number;
  restUrl: string;
  dataDir: string;
  /** Patroni's stderr (its log: Debian's file has no log.dir). */
  logFile: string;
  /** The cluster's PostgreSQL superuser (postgres) password: what writers log in with. */
  superuserPassword: string;
  handle: ProcessHandle;
}

export interface DebianFleet {
  dir: string;
  members: DebianFleetMember[];
  /** Configured locations covering every host's /etc/patroni. */
  patterns: string[];
  /** Stops every Patroni (and any PostgreSQL left), removes the directory. Safe to call twice. */
  stop(): Promise<void>;
}

/** A member's file as it was before a test touched it: text, owner, group, mode. */
export interface OriginalFile {
  text: string;
  uid: number;
  gid: number;
  mode: number;
}

/** Each member's file as it is now, by real path: what a test compares the edited files with. */
export async function originalFiles(members: readonly DebianFleetMember[]): Promise<Map<string, OriginalFile>> {
  const originals = new Map<string, OriginalFile>();
  for (const member of members) {
    const info = await stat(member.realConfigFile);
    originals.set(member.realConfigFile, {
      text: await readFile(member.realConfigFile, 'utf8'),
      uid: info.uid,
      gid: info.gid,
      mode: info.mode & 0o7777,
    });
  }
  return originals;
}

export interface DebianFleetOptions {
  etcd: TestEtcd;
  clusters?: string[];
  hosts?: string[];
  /** The member started through a `.yaml` symlink, and the one started with a relative path from another cwd. */
  viaSymlink?: { host: string; cluster: string };
  viaRelativePath?: { host: string; cluster: string };
  /** Patroni's DCS section: `etcd3` (Debian's dcs.yml example is the v2 `etcd`); default etcd3. */
  dcsSection?: 'etcd3' | 'etcd';
  timeoutMs?: number;
}

/**
 * A Patroni fleet built the way Debian's tooling builds one: each member's
 * file is /etc/patroni/config.yml.in rendered with pg_createconfig_patroni's
 * tokens (scope `15-<cluster>`, namespace `/postgresql-common/`, REST API port
 * = PostgreSQL port + 2576, file mode 0660 owned by postgres) and an etcd3
 * dcs.yml, then adjusted for a loopback lab (adjustForLab: bootstrap by
 * initdb, paths in a temporary directory, a superuser password). Each host
 * is a directory standing for one machine. Patroni is started by the test
 * (as postgres when root, in its own process group), one member through a
 * symlink and one with a relative path from another cwd. Torn down even when
 * the test fails or is interrupted.
 */
export async function startDebianFleet(options: DebianFleetOptions): Promise<DebianFleet> {
  const clusters = options.clusters ?? ['main', 'main2'];
  const hosts = options.hosts ?? ['host1', 'host2'];
  const viaSymlink = options.viaSymlink ?? { host: hosts[0]!, cluster: clusters[0]! };
  const viaRelativePath = options.viaRelativePath ?? {
    host: hosts[hosts.length - 1]!,
    cluster: clusters[clusters.length - 1]!,
  };
  const runAs = serviceUser();
  const dir = await mkdtemp(join(tmpdir(), 'pgfleet-debian-'));
  const members: DebianFleetMember[] = [];
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await Promise.all(members.map((member) => stopProcess(member.handle, { signal: 'SIGTERM', graceMs: 30_000 })));
    // A member restarted by pgfleet (an adopted Patroni started again with its own command line) has another pid.
    const restarted = (await listPatroniProcesses()).filter((process) => process.realConfigPath?.startsWith(`${dir}/`));
    await Promise.all(
      restarted.map((process) =>
        stopProcess({ pid: process.pid, startTicks: process.startTicks }, { signal: 'SIGTERM', graceMs: 30_000 }),
      ),
    );
    await Promise.all(members.map((member) => stopOrphanedPostmaster(member.dataDir)));
    await rm(dir, { recursive: true, force: true });
  };
  const unregister = registerTeardown(stop);
  try {
    const ports = await freeDebianPorts(clusters.length * hosts.length);
    const dcsConfig = `${options.dcsSection ?? 'etcd3'}:\n  hosts: ${options.etcd.endpoints.map((url) => url.replace(/^https?:\/\//, '')).join(',')}`;
    const template = readDebianTemplate();
    const superuserPasswords = new Map(clusters.map((cluster) => [cluster, randomBytes(12).toString('hex')]));
    let index = 0;
    for (const cluster of clusters) {
      for (const host of hosts) {
        const pgPort = ports[index]!;
        index += 1;
        const hostDir = join(dir, host);
        const scope = `15-${cluster}`;
        const paths = {
          patroniDir: join(hostDir, 'etc', 'patroni'),
          datadirBase: join(hostDir, 'lib', 'postgresql'),
          socketDir: join(hostDir, 'run'),
          logDir: join(hostDir, 'log'),
        };
        for (const path of Object.values(paths)) await mkdir(path, { recursive: true });
        const rendered = renderDebianTemplate(template, {
          version: '15',
          cluster,
          hostname: `${host}-${cluster}`,
          hostip: '127.0.0.1',
          network: '127.0.0.1/32',
          port: pgPort,
          apiPort: pgPort + 2576,
          datadirBase: paths.datadirBase,
          dcsConfig,
        });
        const text = adjustForLab(rendered, {
          // initdb writes postgresql.conf into the data directory; Debian's /etc/postgresql/15/<cluster> holds it only after pg_createcluster.
          configDir: join(paths.datadirBase, '15', cluster),
          pgpass: join(paths.datadirBase, `${scope}.pgpass`),
          socketDir: paths.socketDir,
          logDir: paths.logDir,
          superuserPassword: superuserPasswords.get(cluster)!,
        });
        const realConfigFile = join(paths.patroniDir, `${scope}.yml`);
        await writeFile(realConfigFile, text);
        let symlinkPath: string | undefined;
        let startedWith: StartedWith = { configArg: realConfigFile, cwd: '/' };
        if (viaSymlink.host === host && viaSymlink.cluster === cluster) {
          symlinkPath = join(paths.patroniDir, `${scope}.yaml`);
          await symlink(`${scope}.yml`, symlinkPath);
          startedWith = { configArg: symlinkPath, cwd: '/' };
        }
        if (viaRelativePath.host === host && viaRelativePath.cluster === cluster) {
          startedWith = { configArg: join('patroni', `${scope}.yml`), cwd: join(hostDir, 'etc') };
        }
        members.push({
          host,
          cluster,
          scope,
          name: `${host}-${cluster}`,
          realConfigFile,
          symlink: symlinkPath,
          startedWith,
          pgPort,
          apiPort: pgPort + 2576,
          restUrl: `http://127.0.0.1:${pgPort + 2576}`,
          dataDir: join(paths.datadirBase, '15', cluster),
          logFile: join(paths.logDir, `patroni-${scope}.log`),
          superuserPassword: superuserPasswords.get(cluster)!,
          handle: { pid: 0, startTicks: 0 },
        });
      }
    }
    // pg_createconfig_patroni: chown postgres:postgres, chmod 660; the service user owns the whole tree.
    if (runAs) await chownTree(dir, runAs);
    await chmod(dir, 0o755);
    for (const member of members) await chmod(member.realConfigFile, 0o660);
    for (const member of members) member.handle = await startMemberPatroni(member, runAs);
    await waitForFleet(members, options.timeoutMs ?? 180_000);
  } catch (error) {
    await stop();
    unregister();
    throw error;
  }
  return {
    dir,
    members,
    patterns: [join(dir, '*', 'etc', 'patroni', '*.{yml,yaml}')],
    async stop() {
      await stop();
      unregister();
    },
  };
}

async function startMemberPatroni(member: DebianFleetMember, runAs: OsUser | undefined): Promise<ProcessHandle> {
  await appendFile(member.logFile, '', { mode: 0o640 });
  if (runAs) await chown(member.logFile, runAs.uid, runAs.gid);
  return startDaemon({
    command: '/usr/bin/patroni',
    args: [member.startedWith.configArg],
    cwd: member.startedWith.cwd,
    logFile: member.logFile,
    runAs,
    env: {
      PATH: '/usr/local/bin:/usr/bin:/bin',
      LANG: 'C.UTF-8',
      LC_ALL: 'C.UTF-8',
      HOME: runAs?.home ?? process.env.HOME ?? '/',
      PYTHONUNBUFFERED: '1',
    },
  });
}

/** Free PostgreSQL ports whose REST API ports (port + 2576, Debian's rule) are free too, below the ephemeral range. */
async function freeDebianPorts(count: number): Promise<number[]> {
  const window = labPortWindow();
  for (let attempt = 0; attempt < 30; attempt += 1) {
    const base = await findFreePortRange(count, { max: window.max - 2576 });
    const ports = Array.from({ length: count }, (_, index) => base + index);
    if ((await takenPorts(ports.map((port) => port + 2576))).length === 0) return ports;
  }
  throw new Error('no free PostgreSQL and REST API port pairs (port + 2576) on 127.0.0.1');
}

/** Every member's REST API answers with PostgreSQL running, and each cluster has its leader. */
async function waitForFleet(members: readonly DebianFleetMember[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    const dead = members.find((member) => !isRunning(member.handle));
    if (dead)
      throw new Error(`Patroni of ${dead.name} exited; the end of its log:\n${await tailFile(dead.logFile, 120)}`);
    const states = await Promise.all(
      members.map(async (member) => {
        try {
          const response = await fetch(`${member.restUrl}/patroni`, { signal: AbortSignal.timeout(2_000) });
          const body = (await response.json()) as { state?: string; role?: string };
          return { member, state: body.state, role: body.role };
        } catch {
          return { member, state: undefined, role: undefined };
        }
      }),
    );
    const leaders = new Set(
      states.filter((state) => state.role === 'master' || state.role === 'primary').map((state) => state.member.scope),
    );
    if (
      states.every((state) => state.state === 'running') &&
      leaders.size === new Set(members.map((member) => member.scope)).size
    )
      return;
    last = states.map((state) => `${state.member.name}=${state.state ?? 'down'}/${state.role ?? '-'}`).join(' ');
    await sleep(1_000);
  }
  throw new Error(`the Debian fleet did not come up in ${timeoutMs} ms: ${last}`);
}

async function chownTree(path: string, user: OsUser): Promise<void> {
  await chown(path, user.uid, user.gid);
  for (const entry of await readdir(path, { withFileTypes: true })) {
    const child = join(path, entry.name);
    if (entry.isDirectory()) await chownTree(child, user);
    else if (entry.isSymbolicLink()) await lchown(child, user.uid, user.gid);
    else await chown(child, user.uid, user.gid);
  }
}
