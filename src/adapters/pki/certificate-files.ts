import { access, constants, stat } from 'node:fs/promises';
import { PgfleetError } from '../../core/errors.js';
import { type VerifyVerdict, parseVerifyOutput } from '../../core/pki/verify-output.js';
import { type CertificateInfo, X509_INFO_ARGS, parseX509Text } from '../../core/pki/x509-text.js';
import { lastLines, runOpenssl } from './openssl.js';

/**
 * Reading certificate and key files through openssl. Only public material
 * ever comes back: certificate fields and public keys, never a private key.
 */

/** Fails with a clear error when a file is missing or unreadable, before openssl says something vaguer. */
export async function assertReadableFile(path: string, what: 'certificate' | 'key' | 'CA certificate'): Promise<void> {
  const info = await stat(path).catch((error: NodeJS.ErrnoException) => {
    throw new PgfleetError('PKI_FILE_MISSING', `${what} file ${path} does not exist (${error.code ?? 'error'})`, {
      hint:
        what === 'key'
          ? 'give the path of the private key (keyfile)'
          : 'give the path of a PEM certificate; pgfleet pki show lists the ones pgfleet issued',
    });
  });
  if (!info.isFile())
    throw new PgfleetError('PKI_FILE_MISSING', `${what} file ${path} is not a regular file`, {
      hint: 'give the path of a PEM file',
    });
  await access(path, constants.R_OK).catch(() => {
    throw new PgfleetError('PKI_FILE_UNREADABLE', `${what} file ${path} is not readable by this user`, {
      hint: what === 'key' ? 'run as the user that owns the key (or root)' : 'check the file permissions',
    });
  });
}

export async function readCertificateInfo(
  certFile: string,
  what: 'certificate' | 'CA certificate' = 'certificate',
): Promise<CertificateInfo> {
  await assertReadableFile(certFile, what);
  const result = await runOpenssl(['x509', '-in', certFile, ...X509_INFO_ARGS], {
    what: `read ${certFile}`,
    allowFailure: true,
  });
  if (result.exitCode !== 0) {
    throw new PgfleetError(
      'PKI_CERT_UNREADABLE',
      `${certFile} is not a PEM certificate openssl can read (${lastLines(result.stderr)})`,
      {
        hint: 'give a PEM file starting with -----BEGIN CERTIFICATE-----',
      },
    );
  }
  return parseX509Text(result.stdout, certFile);
}

/** The public key a certificate holds, PEM. */
export async function certificatePublicKey(certFile: string): Promise<string> {
  await assertReadableFile(certFile, 'certificate');
  const result = await runOpenssl(['x509', '-in', certFile, '-noout', '-pubkey'], {
    what: `read the public key of ${certFile}`,
    allowFailure: true,
  });
  if (result.exitCode !== 0) {
    throw new PgfleetError(
      'PKI_CERT_UNREADABLE',
      `${certFile} is not a PEM certificate openssl can read (${lastLines(result.stderr)})`,
      {
        hint: 'give a PEM file starting with -----BEGIN CERTIFICATE-----',
      },
    );
  }
  return result.stdout;
}

/**
 * The public half of a private key file, PEM. `-passin pass:` makes an
 * encrypted key fail at once instead of prompting on the terminal.
 */
export async function keyPublicKey(keyFile: string): Promise<string> {
  await assertReadableFile(keyFile, 'key');
  const result = await runOpenssl(['pkey', '-in', keyFile, '-pubout', '-passin', 'pass:'], {
    what: `read the key ${keyFile}`,
    allowFailure: true,
  });
  if (result.exitCode !== 0) {
    throw new PgfleetError('PKI_KEY_UNREADABLE', `${keyFile} is not an unencrypted PEM private key openssl can read`, {
      hint: 'give the key file in PEM form; a passphrase-protected key needs keyfile_password, which these checks cannot verify',
    });
  }
  return result.stdout;
}

/**
 * Whether `caFile` signed `certFile`. Time is not checked here (validity is
 * its own check, so an expired certificate is not also reported as
 * unsigned); the certificate file itself is passed as untrusted so a chain
 * file (leaf + intermediates) verifies too.
 */
export async function verifySignedBy(certFile: string, caFile: string): Promise<VerifyVerdict> {
  await assertReadableFile(certFile, 'certificate');
  await assertReadableFile(caFile, 'CA certificate');
  const result = await runOpenssl(['verify', '-no_check_time', '-CAfile', caFile, '-untrusted', certFile, certFile], {
    what: `verify ${certFile} against ${caFile}`,
    allowFailure: true,
  });
  return parseVerifyOutput(`${result.stdout}\n${result.stderr}`, result.exitCode);
}

/** Permission bits of a file. */
export async function fileMode(path: string): Promise<number> {
  return (await stat(path)).mode & 0o7777;
}
