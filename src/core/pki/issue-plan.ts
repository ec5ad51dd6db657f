import { PgfleetError } from '../errors.js';
import type { LeafKind } from './certificate-kind.js';
import { type CertificateRequest, subjectText } from './certificate-request.js';
import {
  type CertificateValidity,
  certificateValidity,
  describeValidity,
  isoDay,
  notAfterFor,
} from './certificate-validity.js';
import { formatSubjectAltName } from './subject-alt-name.js';
import { opensslConfigText } from './openssl-config.js';
import { type CertificateFiles, caFiles, leafFiles } from './pki-layout.js';
import type { CertificateInfo } from './x509-text.js';

/**
 * Everything `pki init` / `pki issue` will do, decided before anything is
 * written: the files, the subject, the SANs, the config openssl gets. The
 * adapter only carries it out, so `--dry-run` shows exactly this.
 */
export interface IssuePlan {
  request: CertificateRequest;
  dir: string;
  files: CertificateFiles;
  /** The CA that signs it; undefined for the CA itself (self-signed). */
  ca: CertificateFiles | undefined;
  /** Existing files this replaces (--force). */
  replaces: string[];
  notAfter: Date;
  opensslConfig: string;
}

export interface ExistingFiles {
  certFile: boolean;
  keyFile: boolean;
}

export function planCaInit(input: {
  dir: string;
  request: CertificateRequest;
  existing: ExistingFiles;
  now: Date;
}): IssuePlan {
  const files = caFiles(input.dir);
  const present = presentFiles(files, input.existing);
  if (present.length > 0) {
    // Never --force: a new CA key orphans every certificate the old one signed.
    throw new PgfleetError('PKI_CA_EXISTS', `a CA already exists in ${input.dir} (${present.join(', ')})`, {
      hint: 'issue certificates from it (pgfleet pki issue ...), or choose another --dir for a new CA; remove the old one by hand only if nothing uses it',
    });
  }
  return {
    request: input.request,
    dir: input.dir,
    files,
    ca: undefined,
    replaces: [],
    notAfter: notAfterFor(input.now, input.request.days),
    opensslConfig: opensslConfigText(input.request),
  };
}

export interface CaState {
  files: CertificateFiles;
  /** undefined: ca.crt does not exist. */
  info: CertificateInfo | undefined;
  keyExists: boolean;
}

export function planLeafIssue(input: {
  dir: string;
  request: CertificateRequest & { kind: LeafKind };
  ca: CaState;
  existing: ExistingFiles;
  force: boolean;
  now: Date;
}): IssuePlan {
  const { request, ca, now } = input;
  if (!ca.info || !ca.keyExists) {
    throw new PgfleetError(
      'PKI_CA_MISSING',
      `no CA in ${input.dir} (${!ca.info ? ca.files.certFile : ca.files.keyFile} is missing)`,
      {
        hint: `create one first: pgfleet pki init --dir ${input.dir}`,
      },
    );
  }
  if (!ca.info.isCa) {
    throw new PgfleetError(
      'PKI_CA_INVALID',
      `${ca.files.certFile} is not a CA certificate (no basicConstraints CA:TRUE)`,
      {
        hint: 'point --dir at a directory made by pgfleet pki init',
      },
    );
  }
  const caValidity: CertificateValidity = certificateValidity(ca.info, now);
  if (caValidity.state !== 'valid') {
    throw new PgfleetError(
      'PKI_CA_NOT_VALID',
      `the CA ${ca.files.certFile} ${describeValidity(caValidity, now)}: nothing it signs would be trusted`,
      {
        hint: 'create a new CA in another --dir and issue every certificate again from it',
      },
    );
  }
  const notAfter = notAfterFor(now, request.days);
  if (notAfter.getTime() > ca.info.notAfter.getTime()) {
    throw new PgfleetError(
      'PKI_OUTLIVES_CA',
      `a ${request.kind} certificate "${request.name}" valid for ${request.days} days would outlive its CA, which expires on ${isoDay(ca.info.notAfter)}`,
      {
        hint: `use --days ${Math.max(1, caValidity.daysLeft)} or less`,
      },
    );
  }
  const files = leafFiles(input.dir, request.kind, request.name);
  const present = presentFiles(files, input.existing);
  if (present.length > 0 && !input.force) {
    throw new PgfleetError(
      'PKI_CERT_EXISTS',
      `a ${request.kind} certificate "${request.name}" already exists (${present.join(', ')})`,
      {
        hint: `pass --force to replace it with a new key and certificate (services using it need a reload), or choose another name`,
      },
    );
  }
  return {
    request,
    dir: input.dir,
    files,
    ca: ca.files,
    replaces: present,
    notAfter,
    opensslConfig: opensslConfigText(request),
  };
}

/** Secret-free summary of a plan, for `--dry-run` and the result of `pki issue`. */
export function describeIssuePlan(plan: IssuePlan): Record<string, unknown> {
  return {
    kind: plan.request.kind,
    name: plan.request.name,
    subject: subjectText(plan.request),
    subjectAltNames: plan.request.subjectAltNames.map(formatSubjectAltName),
    extendedKeyUsages: plan.request.extendedKeyUsages,
    days: plan.request.days,
    notAfter: plan.notAfter.toISOString(),
    certFile: plan.files.certFile,
    keyFile: plan.files.keyFile,
    signedBy: plan.ca?.certFile ?? 'self-signed',
    replaces: plan.replaces,
  };
}

function presentFiles(files: CertificateFiles, existing: ExistingFiles): string[] {
  return [...(existing.keyFile ? [files.keyFile] : []), ...(existing.certFile ? [files.certFile] : [])];
}
