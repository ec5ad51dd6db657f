import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ExitCode, PgfleetError } from '../../core/errors.js';
import { evaluateKeyMatch } from '../../core/pki/certificate-checks.js';
import type { LeafKind } from '../../core/pki/certificate-kind.js';
import { type CertificateRequest, GENPKEY_ARGS } from '../../core/pki/certificate-request.js';
import { type IssuePlan, type ExistingFiles, planCaInit, planLeafIssue } from '../../core/pki/issue-plan.js';
import { EXTENSIONS_SECTION } from '../../core/pki/openssl-config.js';
import { PKI_CERT_MODE, PKI_KEY_MODE, caFiles, kindDirectory, leafFiles } from '../../core/pki/pki-layout.js';
import type { CertificateInfo } from '../../core/pki/x509-text.js';
import { writeFileAtomic } from '../fs/atomic-file.js';
import { certificatePublicKey, keyPublicKey, readCertificateInfo } from './certificate-files.js';
import { runOpenssl } from './openssl.js';
import { ensurePrivateDirectory } from './pki-directory.js';

/**
 * Plans and carries out `pki init` and `pki issue` with the system openssl.
 * Work happens in a 0700 staging folder next to the target; the key is
 * generated to openssl's stdout and written by pgfleet with mode 0600 from
 * its creation. Only when the certificate is signed and checked against its
 * key are both renamed into place, so a failure leaves nothing behind.
 */

export async function planCertificateAuthority(
  dir: string,
  request: CertificateRequest,
  now: Date = new Date(),
): Promise<IssuePlan> {
  return planCaInit({ dir, request, existing: await existingFiles(caFiles(dir)), now });
}

export async function planCertificate(
  dir: string,
  request: CertificateRequest & { kind: LeafKind },
  options: { force?: boolean; now?: Date } = {},
): Promise<IssuePlan> {
  const ca = caFiles(dir);
  const caPresent = await existingFiles(ca);
  const info = caPresent.certFile ? await readCertificateInfo(ca.certFile, 'CA certificate') : undefined;
  return planLeafIssue({
    dir,
    request,
    ca: { files: ca, info, keyExists: caPresent.keyFile },
    existing: await existingFiles(leafFiles(dir, request.kind, request.name)),
    force: options.force ?? false,
    now: options.now ?? new Date(),
  });
}

export interface IssuedCertificate {
  plan: IssuePlan;
  info: CertificateInfo;
}

/** Carries out a plan from planCertificateAuthority or planCertificate. */
export async function issueFromPlan(plan: IssuePlan): Promise<IssuedCertificate> {
  await ensurePrivateDirectory(plan.dir);
  const targetDir = plan.request.kind === 'ca' ? plan.dir : kindDirectory(plan.dir, plan.request.kind);
  await ensurePrivateDirectory(targetDir);
  const staging = await mkdtemp(join(targetDir, '.pgfleet-issue-'));
  try {
    const keyFile = join(staging, 'key.pem');
    const configFile = join(staging, 'openssl.cnf');
    const certFile = join(staging, 'cert.pem');
    const generated = await runOpenssl(GENPKEY_ARGS, {
      what: `generate the key of ${plan.request.kind} "${plan.request.name}"`,
    });
    await writeFileAtomic(keyFile, generated.stdout, { mode: PKI_KEY_MODE, dirMode: 0o700 });
    await writeFileAtomic(configFile, plan.opensslConfig, { mode: 0o600, dirMode: 0o700 });
    const serial = `0x${randomBytes(16).toString('hex')}`;
    const days = String(plan.request.days);
    if (!plan.ca) {
      await runOpenssl(
        [
          'req',
          '-x509',
          '-new',
          '-key',
          keyFile,
          '-config',
          configFile,
          '-sha256',
          '-days',
          days,
          '-set_serial',
          serial,
          '-out',
          certFile,
        ],
        {
          what: `create the CA certificate in ${plan.dir}`,
        },
      );
    } else {
      const csrFile = join(staging, 'request.csr');
      await runOpenssl(['req', '-new', '-key', keyFile, '-config', configFile, '-sha256', '-out', csrFile], {
        what: `create the request of ${plan.request.kind} "${plan.request.name}"`,
      });
      await runOpenssl(
        [
          'x509',
          '-req',
          '-in',
          csrFile,
          '-CA',
          plan.ca.certFile,
          '-CAkey',
          plan.ca.keyFile,
          '-passin',
          'pass:',
          '-sha256',
          '-days',
          days,
          '-set_serial',
          serial,
          '-extfile',
          configFile,
          '-extensions',
          EXTENSIONS_SECTION,
          '-out',
          certFile,
        ],
        { what: `sign ${plan.request.kind} "${plan.request.name}" with the CA ${plan.ca.certFile}` },
      );
    }
    const info = await readCertificateInfo(certFile);
    await assertIssuedAsPlanned(plan, info, certFile, keyFile);
    await chmod(certFile, PKI_CERT_MODE);
    // Key first: a reader that sees the new certificate also finds its key.
    await rename(keyFile, plan.files.keyFile);
    await rename(certFile, plan.files.certFile);
    return { plan, info };
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

/** Convenience for callers that do not show the plan first. */
export async function initCertificateAuthority(dir: string, request: CertificateRequest): Promise<IssuedCertificate> {
  return issueFromPlan(await planCertificateAuthority(dir, request));
}

export async function issueCertificate(
  dir: string,
  request: CertificateRequest & { kind: LeafKind },
  options: { force?: boolean } = {},
): Promise<IssuedCertificate> {
  return issueFromPlan(await planCertificate(dir, request, options));
}

/** What openssl made must be what was planned: same key, every SAN, the usages. */
async function assertIssuedAsPlanned(
  plan: IssuePlan,
  info: CertificateInfo,
  certFile: string,
  keyFile: string,
): Promise<void> {
  const problems: string[] = [];
  const match = evaluateKeyMatch(certFile, keyFile, await certificatePublicKey(certFile), await keyPublicKey(keyFile));
  if (!match.ok) problems.push('the certificate does not hold the generated key');
  for (const san of plan.request.subjectAltNames) {
    if (!info.subjectAltNames.some((entry) => entry.type === san.type && entry.value === san.value)) {
      problems.push(`subjectAltName ${san.type.toUpperCase()}:${san.value} is missing`);
    }
  }
  for (const usage of plan.request.extendedKeyUsages)
    if (!info.extendedKeyUsages.includes(usage)) problems.push(`extendedKeyUsage ${usage} is missing`);
  if ((plan.request.kind === 'ca') !== info.isCa)
    problems.push(plan.request.kind === 'ca' ? 'it is not marked CA:TRUE' : 'it is marked CA:TRUE');
  if (problems.length > 0) {
    throw new PgfleetError(
      'PKI_ISSUE_UNEXPECTED',
      `openssl made a ${plan.request.kind} certificate "${plan.request.name}" unlike the plan: ${problems.join('; ')}`,
      {
        hint: 'nothing was written; report this with `openssl version`',
        exitCode: ExitCode.failed,
      },
    );
  }
}

async function existingFiles(files: { certFile: string; keyFile: string }): Promise<ExistingFiles> {
  const exists = async (path: string) => (await stat(path).catch(() => undefined)) !== undefined;
  return { certFile: await exists(files.certFile), keyFile: await exists(files.keyFile) };
}
