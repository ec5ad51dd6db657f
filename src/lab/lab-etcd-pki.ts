import { copyFile, chmod, chown } from 'node:fs/promises';
import { join } from 'node:path';
import type { LabTopology } from '../core/lab/lab-topology.js';
import { caRequest, leafRequest } from '../core/pki/certificate-request.js';
import { caFiles, leafFiles, type CertificateFiles } from '../core/pki/pki-layout.js';
import { ensureDirectory, type FileOwner } from '../adapters/fs/atomic-file.js';
import { initCertificateAuthority, issueCertificate } from '../adapters/pki/certificate-issuer.js';

/** The client identity the lab's nodes and pgfleet present to etcd (--client-cert-auth). */
export const LAB_ETCD_CLIENT_NAME = 'etcd-client';

/** Where a lab keeps its etcd certificates. */
export interface LabEtcdTlsPaths {
  /** The lab's CA and every certificate it issued (`pgfleet pki` layout, 0700, root's). */
  pkiDir: string;
  ca: CertificateFiles;
  /**
   * The files Patroni (running as postgres) and pgfleet read, installed
   * outside the 0700 PKI folder and owned by the Patroni user: these are
   * patroni.etcd.cacert/cert/key in the lab settings.
   */
  client: { cacert: string; cert: string; key: string };
}

export function labEtcdTlsPaths(labDir: string): LabEtcdTlsPaths {
  const pkiDir = join(labDir, 'pki');
  const installed = join(labDir, 'etcd-tls');
  return {
    pkiDir,
    ca: caFiles(pkiDir),
    client: {
      cacert: join(installed, 'ca.crt'),
      cert: join(installed, `${LAB_ETCD_CLIENT_NAME}.crt`),
      key: join(installed, `${LAB_ETCD_CLIENT_NAME}.key`),
    },
  };
}

/**
 * One certificate per etcd member, used for both its client and its peer
 * listener. It is a `peer` certificate (serverAuth and clientAuth): with
 * --client-cert-auth, etcd 3.4's JSON gateway dials its own gRPC server with
 * the member's server certificate, which is refused without clientAuth
 * (every /v3 call then fails with "connection reset", while /health still
 * answers true).
 */
export function labEtcdMemberCertificate(labDir: string, memberName: string): CertificateFiles {
  return leafFiles(labEtcdTlsPaths(labDir).pkiDir, 'peer', memberName);
}

/**
 * Issues the lab's etcd certificates with `pgfleet pki`: a CA, one peer
 * certificate per member (SANs 127.0.0.1 and localhost) and one client
 * certificate, then installs the client files for the Patroni user.
 */
export async function issueLabEtcdCertificates(
  labDir: string,
  topology: LabTopology,
  owner: FileOwner | undefined,
): Promise<LabEtcdTlsPaths> {
  const paths = labEtcdTlsPaths(labDir);
  await initCertificateAuthority(paths.pkiDir, caRequest({ commonName: 'pgfleet lab CA' }));
  await Promise.all([
    ...topology.etcd.map((member) =>
      issueCertificate(paths.pkiDir, {
        ...leafRequest({ kind: 'peer', name: member.name, sans: [topology.host, 'localhost'] }),
        kind: 'peer',
      }),
    ),
    // No CN: etcd 3.4's gateway refuses client certificates with a CN once auth is on (see leafRequest).
    issueCertificate(paths.pkiDir, {
      ...leafRequest({ kind: 'client', name: LAB_ETCD_CLIENT_NAME, withoutCommonName: true }),
      kind: 'client',
    }),
  ]);
  const client = leafFiles(paths.pkiDir, 'client', LAB_ETCD_CLIENT_NAME);
  await ensureDirectory(join(labDir, 'etcd-tls'), 0o750, owner);
  await install(paths.ca.certFile, paths.client.cacert, 0o644, owner);
  await install(client.certFile, paths.client.cert, 0o644, owner);
  await install(client.keyFile, paths.client.key, 0o600, owner);
  return paths;
}

async function install(from: string, to: string, mode: number, owner: FileOwner | undefined): Promise<void> {
  await copyFile(from, to);
  await chmod(to, mode);
  if (owner) await chown(to, owner.uid, owner.gid);
}
