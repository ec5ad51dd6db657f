import { readdir, readFile, readlink } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import {
  clientConfigPath,
  clientIncludedDirectory,
  describeClientProcess,
} from '../../core/census/client-process/client-process-description.js';
import {
  type EtcdClientProcess,
  type ProcessFacts,
  environmentOfInterest,
  identifyEtcdClient,
} from '../../core/census/client-process/etcd-client-process.js';
import type { ProcessCensus } from '../../core/census/etcd-census.js';
import { isAnotherHostsProcess, networkNamespaceOf } from './process-network-namespace.js';

export interface ProcessScanOptions {
  /** Where the process table is (tests point it elsewhere). */
  procRoot?: string | undefined;
  /** Configuration files larger than this are not read. */
  maxConfigBytes?: number | undefined;
  /** confd templates read per process. */
  maxIncludedFiles?: number | undefined;
}

/**
 * The known etcd clients running on this host (Patroni, patronictl,
 * vip-manager, confd, etcdctl), each described from its command line, its
 * environment and its configuration file. Passwords they carry are read only
 * to say whether credentials are set: the environment is narrowed to the
 * program's own variables at once and dropped after the description.
 */
export async function scanEtcdClientProcesses(options: ProcessScanOptions = {}): Promise<ProcessCensus> {
  const procRoot = options.procRoot ?? '/proc';
  let entries: string[];
  try {
    entries = await readdir(procRoot);
  } catch {
    return { scanned: false, clients: [], unreadable: 0 };
  }
  const clients: EtcdClientProcess[] = [];
  let unreadable = 0;
  let packageVersions: Map<string, string> | undefined;
  const ownNetwork = await networkNamespaceOf(procRoot, 'self');
  for (const entry of entries) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    const dir = join(procRoot, entry);
    const cmdline = await readFile(join(dir, 'cmdline')).catch(() => undefined);
    if (!cmdline || cmdline.length === 0) continue;
    const identified = identifyEtcdClient(
      cmdline
        .toString('utf8')
        .split('\0')
        .filter((arg) => arg.length > 0),
    );
    if (!identified) continue;
    // A Patroni in another network namespace is another host's member (a host of a multi-host lab, a container),
    // found through the DCS; any other client there (vip-manager in a container) still talks to this etcd: counted.
    if (
      identified.program === 'patroni' &&
      isAnotherHostsProcess(ownNetwork, await networkNamespaceOf(procRoot, Number(entry)))
    )
      continue;
    const status = await readFile(join(dir, 'status'), 'utf8').catch(() => undefined);
    // A zombie or a process that ended meanwhile has nothing more to say.
    if (!status || /^State:\s+[ZX]/m.test(status)) continue;
    const environ = await readFile(join(dir, 'environ')).catch(() => undefined);
    if (environ === undefined) unreadable += 1;
    const env = new Map<string, string>();
    for (const variable of (environ ?? Buffer.alloc(0)).toString('utf8').split('\0')) {
      const equals = variable.indexOf('=');
      if (equals > 0 && environmentOfInterest(identified.program, variable.slice(0, equals)))
        env.set(variable.slice(0, equals), variable.slice(equals + 1));
    }
    const cwd = await readlink(join(dir, 'cwd')).catch(() => undefined);
    const pathOf = (path: string): string => (isAbsolute(path) || cwd === undefined ? path : resolve(cwd, path));
    const base = {
      pid: Number(entry),
      uid: Number(/^Uid:\s+\d+\s+(\d+)/m.exec(status)?.[1] ?? -1),
      program: identified.program,
      argv: identified.argv,
      env,
    };
    const configPath = clientConfigPath(base);
    const config =
      configPath === undefined
        ? undefined
        : { path: pathOf(configPath), text: await readBounded(pathOf(configPath), options.maxConfigBytes) };
    const includedDir = clientIncludedDirectory(identified.program, identified.argv, config?.text);
    const included =
      includedDir === undefined
        ? []
        : await readIncluded(pathOf(includedDir), options.maxIncludedFiles ?? 100, options.maxConfigBytes);
    let version: string | undefined;
    if (identified.program === 'vip-manager') {
      const exe = await readlink(join(dir, 'exe')).catch(() => undefined);
      if (exe === '/usr/bin/vip-manager') {
        packageVersions ??= await installedPackageVersions(['vip-manager']);
        version = packageVersions.get('vip-manager');
      }
    }
    const facts: ProcessFacts = { ...base, config, included, version };
    clients.push(describeClientProcess(facts));
  }
  clients.sort((a, b) => a.program.localeCompare(b.program) || a.pid - b.pid);
  return { scanned: true, clients, unreadable };
}

async function readBounded(path: string, maxBytes = 1024 * 1024): Promise<string | undefined> {
  try {
    const content = await readFile(path);
    return content.length > maxBytes ? undefined : content.toString('utf8');
  } catch {
    return undefined;
  }
}

async function readIncluded(
  directory: string,
  maxFiles: number,
  maxBytes: number | undefined,
): Promise<Array<{ path: string; text: string | undefined }>> {
  const names = (await readdir(directory).catch(() => [] as string[]))
    .filter((name) => name.endsWith('.toml'))
    .sort()
    .slice(0, maxFiles);
  return Promise.all(
    names.map(async (name) => ({
      path: join(directory, name),
      text: await readBounded(join(directory, name), maxBytes),
    })),
  );
}

/** Versions of installed Debian packages, from dpkg's status file (no child process). */
async function installedPackageVersions(wanted: readonly string[]): Promise<Map<string, string>> {
  const versions = new Map<string, string>();
  const status = await readFile('/var/lib/dpkg/status', 'utf8').catch(() => '');
  for (const stanza of status.split('\n\n')) {
    const name = /^Package:\s*(\S+)/m.exec(stanza)?.[1];
    if (!name || !wanted.includes(name) || !/^Status:.*\binstalled$/m.test(stanza)) continue;
    const version = /^Version:\s*(\S+)/m.exec(stanza)?.[1];
    if (version) versions.set(name, version);
  }
  return versions;
}
