import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, request } from 'undici';
import { PgfleetError } from '../core/errors.js';
import type { LabEtcdMember } from '../core/lab/lab-topology.js';
import type { CertificateFiles } from '../core/pki/pki-layout.js';
import { ensureDirectory } from '../adapters/fs/atomic-file.js';
import { type EtcdTlsFiles, tlsConnectOptions } from '../adapters/etcd/gateway-transport.js';
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
  /** etcd --bcrypt-cost (default etcd's, 10): what each Authenticate costs etcd (bench/auth-herd.ts). */
  bcryptCost?: number | undefined;
  etcdBinary?: string | undefined;
  /** Client listeners: http on clientPort, https on clientTlsPort (default: http only). */
  clientSchemes?: Array<'http' | 'https'> | undefined;
  /** Certificates, needed when a listener is https: peers then talk TLS too. */
  tls?: EtcdMemberTls | undefined;
  /** Serve the v2 API too (--enable-v2), for nodes on Patroni's `etcd:` section. */
  enableV2?: boolean | undefined;
  /** A member's own directory, when not `dir/<name>` (a multi-host lab keeps it under the member's host). */
  memberDir?: ((member: LabEtcdMember) => string) | undefined;
  /** The network namespace a member runs in (a multi-host lab's host). */
  netnsOf?: ((member: LabEtcdMember) => string | undefined) | undefined;
}

export interface EtcdMemberTls {
  /** CA that signed every member and client certificate (--trusted-ca-file, --peer-trusted-ca-file). */
  caFile: string;
  /** The member's certificate for its client and peer listeners (serverAuth and clientAuth). */
  memberCertificate: (memberName: string) => CertificateFiles;
  /** What the lab's own health checks present to a TLS etcd. */
  client: EtcdTlsFiles;
}

export interface StartedEtcdMember {
  name: string;
  process: ProcessHandle;
  /** The URL health checks use: the https one when the member has both. */
  clientUrl: string;
  logFile: string;
  tls?: EtcdTlsFiles | undefined;
}

export function etcdMemberArgs(spec: EtcdClusterSpec, member: LabEtcdMember): string[] {
  const tls = spec.tls;
  const schemes = spec.clientSchemes ?? ['http'];
  if (schemes.includes('https') && !tls) throw new Error('an https etcd listener needs certificates (spec.tls)');
  const peerScheme = tls ? 'https' : 'http';
  const peer = (m: LabEtcdMember): string => `${peerScheme}://${m.address ?? spec.host}:${m.peerPort}`;
  const clients = etcdClientUrls(spec, member).join(',');
  const certificate = tls?.memberCertificate(member.name);
  return [
    '--name',
    member.name,
    '--data-dir',
    join(etcdMemberDir(spec, member), 'data'),
    '--listen-client-urls',
    clients,
    '--advertise-client-urls',
    clients,
    '--listen-peer-urls',
    peer(member),
    '--initial-advertise-peer-urls',
    peer(member),
    '--initial-cluster',
    spec.members.map((m) => `${m.name}=${peer(m)}`).join(','),
    '--initial-cluster-state',
    'new',
    '--initial-cluster-token',
    spec.clusterToken,
    '--auth-token',
    spec.authToken ?? 'simple',
    ...(spec.enableV2 ? ['--enable-v2'] : []),
    ...(spec.bcryptCost === undefined ? [] : ['--bcrypt-cost', String(spec.bcryptCost)]),
    ...(tls && certificate
      ? [
          '--cert-file',
          certificate.certFile,
          '--key-file',
          certificate.keyFile,
          '--client-cert-auth',
          '--trusted-ca-file',
          tls.caFile,
          '--peer-cert-file',
          certificate.certFile,
          '--peer-key-file',
          certificate.keyFile,
          '--peer-client-cert-auth',
          '--peer-trusted-ca-file',
          tls.caFile,
        ]
      : []),
    // Small, quick elections on loopback; defaults are for real networks.
    '--heartbeat-interval',
    '100',
    '--election-timeout',
    '1000',
    '--logger',
    'zap',
    '--log-outputs',
    'stderr',
  ];
}

/** A member's client URLs, https last: http on clientPort, https on clientTlsPort. */
export function etcdClientUrls(spec: Pick<EtcdClusterSpec, 'host' | 'clientSchemes'>, member: LabEtcdMember): string[] {
  return (spec.clientSchemes ?? ['http']).map(
    (scheme) =>
      `${scheme}://${member.address ?? spec.host}:${scheme === 'https' ? member.clientTlsPort : member.clientPort}`,
  );
}

/** Where a member keeps its data and log. */
export function etcdMemberDir(spec: Pick<EtcdClusterSpec, 'dir' | 'memberDir'>, member: LabEtcdMember): string {
  return spec.memberDir?.(member) ?? join(spec.dir, member.name);
}

/** Starts every member of a new etcd cluster (not waiting for health). */
export async function startEtcdMembers(
  spec: EtcdClusterSpec,
  onStarted: (member: StartedEtcdMember) => Promise<void> | void,
): Promise<StartedEtcdMember[]> {
  const started: StartedEtcdMember[] = [];
  for (const member of spec.members) {
    await ensureDirectory(etcdMemberDir(spec, member), 0o700);
    const entry = startEtcdMember(spec, member);
    started.push(entry);
    await onStarted(entry);
  }
  return started;
}

/** Starts one member with the spec's listeners; its data directory decides whether it joins anew or restarts. */
export function startEtcdMember(spec: EtcdClusterSpec, member: LabEtcdMember): StartedEtcdMember {
  const logFile = join(etcdMemberDir(spec, member), 'etcd.log');
  const handle = startDaemon({
    command: spec.etcdBinary ?? '/usr/bin/etcd',
    args: etcdMemberArgs(spec, member),
    logFile,
    netns: spec.netnsOf?.(member),
  });
  return {
    name: member.name,
    process: handle,
    clientUrl: etcdClientUrls(spec, member).at(-1)!,
    logFile,
    tls: spec.tls?.client,
  };
}

/** Waits until every member answers /health with "true"; points at the failing member's log on timeout. */
export async function waitForEtcdHealthy(members: StartedEtcdMember[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const pending = new Set(members);
  while (pending.size > 0) {
    for (const member of [...pending]) {
      if (!isRunning(member.process)) {
        throw new PgfleetError('LAB_ETCD_EXITED', `etcd member ${member.name} exited during start-up`, {
          hint: `see its log: ${member.logFile}`,
          exitCode: 4,
        });
      }
      if (await etcdHealthy(member.clientUrl, member.tls)) pending.delete(member);
    }
    if (pending.size === 0) return;
    if (Date.now() > deadline) {
      const first = [...pending][0]!;
      throw new PgfleetError(
        'LAB_ETCD_TIMEOUT',
        `etcd member ${first.name} not healthy after ${Math.round(timeoutMs / 1000)} s`,
        { hint: `see its log: ${first.logFile}`, exitCode: 4 },
      );
    }
    await sleep(200);
  }
}

/** GET /health answers {"health":"true"}: the member is up and the cluster has a leader. */
export async function etcdHealthy(clientUrl: string, tls?: EtcdTlsFiles): Promise<boolean> {
  const dispatcher = clientUrl.startsWith('https:') ? tlsAgent(tls) : undefined;
  try {
    const response = await request(`${clientUrl}/health`, {
      headersTimeout: 1_000,
      bodyTimeout: 1_000,
      ...(dispatcher ? { dispatcher } : {}),
    });
    const body = (await response.body.json()) as { health?: string };
    return response.statusCode === 200 && body.health === 'true';
  } catch {
    return false;
  } finally {
    await dispatcher?.close();
  }
}

function tlsAgent(tls: EtcdTlsFiles | undefined): Agent {
  return new Agent({ connect: { timeout: 1_000, ...tlsConnectOptions(tls) } });
}
