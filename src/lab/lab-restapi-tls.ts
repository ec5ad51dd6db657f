import { copyFile, chmod, chown, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import type { VerifyClient } from '../core/restapi/probe-matrix.js';
import { caRequest, leafRequest } from '../core/pki/certificate-request.js';
import { caFiles, leafFiles } from '../core/pki/pki-layout.js';
import { ensureDirectory, writeFileAtomic } from '../adapters/fs/atomic-file.js';
import { generatePassword, writeSecretFile } from '../adapters/fs/secret-file.js';
import { initCertificateAuthority, issueCertificate } from '../adapters/pki/certificate-issuer.js';
import { serviceUser } from '../adapters/process/os-user.js';
import { parseSiteSettings } from '../adapters/settings/site-settings-file.js';
import { labSecretsDir } from './lab-secrets.js';
import { loadLabState } from './lab-state.js';

export interface LabRestApiTlsOptions {
  verifyClient: VerifyClient;
  /** Basic auth with one generated password per cluster. */
  basicAuth: boolean;
}

export interface LabRestApiTls {
  settingsFile: string;
  pkiDir: string;
  /** Where the Patroni nodes read their files (owned by the Patroni user). */
  tlsDir: string;
  files: { ca: string; serverCert: string; serverKey: string; clientCert: string; clientKey: string };
  /** Password file pattern ({scope}), when basic auth is on. */
  passwordFile: string | undefined;
}

const SERVER_NAME = 'restapi';
const CLIENT_NAME = 'patroni';

/**
 * Prepares REST API protection for a lab, as an operator would for a fleet:
 * a CA in <lab>/pki (pgfleet pki), one server certificate for 127.0.0.1 and
 * localhost (every node of a lab is on this host) and one client
 * certificate, copied into <lab>/restapi-tls owned by the Patroni user, one
 * basic-auth password file per cluster, and the lab settings' patroni.restapi
 * and patroni.ctl pointing at them. It changes no node: `pgfleet restapi
 * secure apply` rolls the settings out. Running it again reuses the CA and
 * certificates and only changes the settings.
 */
export async function prepareLabRestApiTls(dir: string, options: LabRestApiTlsOptions): Promise<LabRestApiTls> {
  const state = await loadLabState(dir);
  const pkiDir = join(state.dir, 'pki');
  if (!(await exists(caFiles(pkiDir).certFile)))
    await initCertificateAuthority(pkiDir, caRequest({ commonName: 'pgfleet lab CA' }));
  const server = leafFiles(pkiDir, 'server', SERVER_NAME);
  const client = leafFiles(pkiDir, 'client', CLIENT_NAME);
  if (!(await exists(server.certFile)))
    await issueCertificate(pkiDir, {
      ...leafRequest({ kind: 'server', name: SERVER_NAME, sans: [state.topology.host, 'localhost'] }),
      kind: 'server',
    });
  if (!(await exists(client.certFile)))
    await issueCertificate(pkiDir, { ...leafRequest({ kind: 'client', name: CLIENT_NAME }), kind: 'client' });

  const runAs = serviceUser();
  const owner = runAs ? { uid: runAs.uid, gid: runAs.gid } : undefined;
  const tlsDir = join(state.dir, 'restapi-tls');
  await ensureDirectory(tlsDir, 0o700, owner);
  const files = {
    ca: join(tlsDir, 'ca.crt'),
    serverCert: join(tlsDir, `${SERVER_NAME}.crt`),
    serverKey: join(tlsDir, `${SERVER_NAME}.key`),
    clientCert: join(tlsDir, `${CLIENT_NAME}.crt`),
    clientKey: join(tlsDir, `${CLIENT_NAME}.key`),
  };
  for (const [from, to, mode] of [
    [caFiles(pkiDir).certFile, files.ca, 0o644],
    [server.certFile, files.serverCert, 0o644],
    [server.keyFile, files.serverKey, 0o600],
    [client.certFile, files.clientCert, 0o644],
    [client.keyFile, files.clientKey, 0o600],
  ] as const) {
    await copyFile(from, to);
    await chmod(to, mode);
    if (owner) await chown(to, owner.uid, owner.gid);
  }

  let passwordFile: string | undefined;
  if (options.basicAuth) {
    passwordFile = join(labSecretsDir(state.dir), 'restapi', '{scope}.password');
    for (const cluster of state.topology.clusters) {
      const file = passwordFile.replaceAll('{scope}', cluster.scope);
      if (!(await exists(file))) await writeSecretFile(file, generatePassword());
    }
  }

  await declareInSettings(state.settingsFile, {
    restapi: {
      cafile: files.ca,
      certfile: files.serverCert,
      keyfile: files.serverKey,
      verify_client: options.verifyClient,
      ...(passwordFile ? { authentication: { username: 'patroni', password_file: passwordFile } } : {}),
    },
    ctl: { cacert: files.ca, certfile: files.clientCert, keyfile: files.clientKey },
  });
  return { settingsFile: state.settingsFile, pkiDir, tlsDir, files, passwordFile };
}

/** Sets patroni.restapi and patroni.ctl in the lab settings, keeping the rest (and its comments); checked before it replaces the file. */
async function declareInSettings(
  settingsFile: string,
  sections: { restapi: Record<string, unknown>; ctl: Record<string, unknown> },
): Promise<void> {
  const document = parseDocument(await readFile(settingsFile, 'utf8'));
  document.setIn(['patroni', 'restapi'], document.createNode(sections.restapi));
  document.setIn(['patroni', 'ctl'], document.createNode(sections.ctl));
  const text = document.toString();
  parseSiteSettings(text, settingsFile);
  await writeFileAtomic(settingsFile, text, { mode: 0o644 });
}

async function exists(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined)) !== undefined;
}
