import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import { PgfleetError } from '../core/errors.js';
import type { LabEtcdMember } from '../core/lab/lab-topology.js';
import { ensureDirectory } from '../adapters/fs/atomic-file.js';
import { type ProcessHandle, isRunning, startDaemon } from '../adapters/process/daemon.js';

export interface EtcdClusterSpec {
  members: LabEtcdMember[];
  host: string;
  /** Directory holding one sub-directory per member (data + log). */
  dir: string;
  /** A token unique to this lab, so that two labs never join each other. */
  clusterToken: string;
  /** etcd --auth-token, e.g. "simple" (default) or "jwt,pub-key=...,priv-key=...,sign-method=RS256". */
  authToken?: string | undefined;
  etcdBinary?: string | undefined;
}

export interface StartedEtcdMember {
  name: string;
  process: ProcessHandle;
  clientUrl: string;
  logFile: string;
}

export function etcdMemberArgs(spec: EtcdClusterSpec, member: LabEtcdMember): string[] {
  const peer = (m: LabEtcdMember): string => `http://${spec.host}:${m.peerPort}`;
  const client = `http://${spec.host}:${member.clientPort}`;
  return [
    '--name', member.name,
    '--data-dir', join(spec.dir, member.name, 'data'),
    '--listen-client-urls', client,
    '--advertise-client-urls', client,
    '--listen-peer-urls', peer(member),
    '--initial-advertise-peer-urls', peer(member),
    '--initial-cluster', spec.members.map((m) => `${m.name}=${peer(m)}`).join(','),
    '--initial-cluster-state', 'new',
    '--initial-cluster-token', spec.clusterToken,
    '--auth-token', spec.authToken ?? 'simple',
    // Small, quick elections on loopback; defaults are for real networks.
    '--heartbeat-interval', '100',
    '--election-timeout', '1000',
    '--logger', 'zap',
    '--log-outputs', 'stderr',
  ];
}

/** Starts every member of a new etcd cluster (not waiting for health). */
export async function startEtcdMembers(spec: EtcdClusterSpec, onStarted: (member: StartedEtcdMember) => Promise<void> | void): Promise<StartedEtcdMember[]> {
  const started: StartedEtcdMember[] = [];
  for (const member of spec.members) {
    await ensureDirectory(join(spec.dir, member.name), 0o700);
    const logFile = join(spec.dir, member.name, 'etcd.log');
    const handle = startDaemon({ command: spec.etcdBinary ?? '/usr/bin/etcd', args: etcdMemberArgs(spec, member), logFile });
    const entry = { name: member.name, process: handle, clientUrl: `http://${spec.host}:${member.clientPort}`, logFile };
    started.push(entry);
    await onStarted(entry);
  }
  return started;
}

/** Waits until every member answers /health with "true"; points at the failing member's log on timeout. */
export async function waitForEtcdHealthy(members: StartedEtcdMember[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const pending = new Set(members);
  while (pending.size > 0) {
    for (const member of [...pending]) {
      if (!isRunning(member.process)) {
        throw new PgfleetError('LAB_ETCD_EXITED', `etcd member ${member.name} exited during start-up`, { hint: `see its log: ${member.logFile}`, exitCode: 4 });
      }
      if (await etcdHealthy(member.clientUrl)) pending.delete(member);
    }
    if (pending.size === 0) return;
    if (Date.now() > deadline) {
      const first = [...pending][0]!;
      throw new PgfleetError('LAB_ETCD_TIMEOUT', `etcd member ${first.name} not healthy after ${Math.round(timeoutMs / 1000)} s`, { hint: `see its log: ${first.logFile}`, exitCode: 4 });
    }
    await sleep(200);
  }
}

export async function etcdHealthy(clientUrl: string): Promise<boolean> {
  try {
    const response = await request(`${clientUrl}/health`, { headersTimeout: 1_000, bodyTimeout: 1_000 });
    const body = (await response.body.json()) as { health?: string };
    return response.statusCode === 200 && body.health === 'true';
  } catch {
    return false;
  }
}
