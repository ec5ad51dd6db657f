import { join } from 'node:path';
import type { LeafKind } from './certificate-kind.js';

/**
 * Where `pgfleet pki` keeps its files. One folder per kind, so a server and a
 * client certificate may share a name (a node's REST API and its patronictl).
 *
 *   <dir>/ca.crt  <dir>/ca.key
 *   <dir>/server/<name>.crt  <dir>/server/<name>.key   (and client/, peer/)
 */
export interface CertificateFiles {
  certFile: string;
  keyFile: string;
}

/** Modes: the directories hold private keys, so nobody else may list or enter them. */
export const PKI_DIR_MODE = 0o700;
export const PKI_KEY_MODE = 0o600;
export const PKI_CERT_MODE = 0o644;

export function caFiles(dir: string): CertificateFiles {
  return { certFile: join(dir, 'ca.crt'), keyFile: join(dir, 'ca.key') };
}

export function kindDirectory(dir: string, kind: LeafKind): string {
  return join(dir, kind);
}

export function leafFiles(dir: string, kind: LeafKind, name: string): CertificateFiles {
  return { certFile: join(dir, kind, `${name}.crt`), keyFile: join(dir, kind, `${name}.key`) };
}
