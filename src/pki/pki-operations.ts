import { resolve } from 'node:path';
import { ExitCode } from '../core/errors.js';
import type { OperationOutcome, OperationProgress } from '../core/operation-outcome.js';
import type { LeafKind } from '../core/pki/certificate-kind.js';
import { caRequest, leafRequest } from '../core/pki/certificate-request.js';
import { type IssuePlan, describeIssuePlan } from '../core/pki/issue-plan.js';
import { renderCertificateChecks, renderPkiInventory } from '../core/pki/pki-report.js';
import { checkCertificateFiles } from '../adapters/pki/certificate-checks.js';
import { issueFromPlan, planCertificate, planCertificateAuthority } from '../adapters/pki/certificate-issuer.js';
import { type PkiDirectory, resolvePkiDirectory } from '../adapters/pki/pki-directory.js';
import { readPkiInventory } from '../adapters/pki/pki-inventory.js';

/**
 * `pki init|issue|show|check` as the CLI (and any caller) runs them; each
 * returns its outcome.
 */

/**
 * Where the PKI is. The settings file named by --settings, not loaded
 * settings: it is read only when neither --dir nor $PGFLEET_PKI_DIR says.
 */
export interface PkiLocation {
  /** --dir */
  dir?: string | undefined;
  /** --settings */
  settingsFile?: string | undefined;
  progress: OperationProgress;
}

/** init: the CA, planned, then created (or only shown, with dryRun). */
export async function initPkiAuthority(
  options: PkiLocation & { commonName: string; days?: number | undefined; dryRun: boolean },
): Promise<OperationOutcome> {
  const location = pkiDirectory(options);
  const plan = await planCertificateAuthority(
    location.dir,
    caRequest({ commonName: options.commonName, days: options.days }),
  );
  return carryOut(plan, options.dryRun, location);
}

/** issue: a server, client or peer certificate signed by the CA (or only shown, with dryRun). */
export async function issuePkiCertificate(
  options: PkiLocation & {
    kind: LeafKind;
    name: string;
    san?: readonly string[] | undefined;
    /** false: --no-common-name (client certificates only). */
    commonName?: string | false | undefined;
    days?: number | undefined;
    force: boolean;
    dryRun: boolean;
  },
): Promise<OperationOutcome> {
  const { kind } = options;
  const request = leafRequest({
    kind,
    name: options.name,
    sans: options.san ?? [],
    commonName: options.commonName || undefined,
    withoutCommonName: options.commonName === false,
    days: options.days,
  });
  const location = pkiDirectory(options);
  const plan = await planCertificate(location.dir, { ...request, kind }, { force: options.force });
  return carryOut(plan, options.dryRun, location);
}

/** show: the CA and every certificate; what expires, has expired or has a key others can read is also a warning. */
export async function showPkiInventory(options: PkiLocation): Promise<OperationOutcome> {
  const location = pkiDirectory(options);
  const inventory = await readPkiInventory(location.dir);
  const entries = [...(inventory.ca ? [inventory.ca] : []), ...inventory.certificates];
  for (const entry of entries) {
    if (entry.state === 'expired' || entry.state === 'not-yet-valid')
      options.progress.warn(`${entry.certFile} is ${entry.state}`);
    else if (entry.expiresSoon) options.progress.warn(`${entry.certFile} expires in ${entry.daysLeft} days`);
    if (entry.key === 'readable-by-others')
      options.progress.warn(`${entry.keyFile} is readable by other users: chmod 600 it`);
  }
  return { data: { ...inventory, dirSource: location.source }, text: () => renderPkiInventory(inventory) };
}

/** check: files brought from elsewhere, before they are used; exit 1 when a check fails. */
export async function checkPkiFiles(options: {
  cert: string;
  key?: string | undefined;
  ca?: string | undefined;
  host?: readonly string[] | undefined;
  usage?: 'server' | 'client' | undefined;
}): Promise<OperationOutcome> {
  const checks = await checkCertificateFiles({
    certFile: resolve(options.cert),
    keyFile: options.key === undefined ? undefined : resolve(options.key),
    caFile: options.ca === undefined ? undefined : resolve(options.ca),
    hosts: options.host ?? [],
    usage: options.usage === undefined ? undefined : options.usage === 'server' ? 'serverAuth' : 'clientAuth',
  });
  const failed = checks.filter((check) => !check.ok);
  return {
    data: { ok: failed.length === 0, checks },
    text: () => renderCertificateChecks(checks),
    exitCode: failed.length === 0 ? ExitCode.ok : ExitCode.findings,
  };
}

function pkiDirectory(options: PkiLocation): PkiDirectory {
  const location = resolvePkiDirectory({ explicit: options.dir, settingsFile: options.settingsFile });
  options.progress.detail(`PKI directory ${location.dir} (from ${location.source})`);
  return location;
}

/** A dry run shows the plan and the openssl configuration; otherwise the certificate is made and described. */
async function carryOut(plan: IssuePlan, dryRun: boolean, location: PkiDirectory): Promise<OperationOutcome> {
  const summary = { ...describeIssuePlan(plan), dir: location.dir, dirSource: location.source };
  if (dryRun) {
    return {
      data: { dryRun: true, plan: summary, opensslConfig: plan.opensslConfig },
      text: () =>
        [
          `would create a ${plan.request.kind} certificate (dry run, nothing written):`,
          ...lines(summary),
          '# openssl config',
          plan.opensslConfig.trimEnd(),
        ].join('\n'),
    };
  }
  const issued = await issueFromPlan(plan);
  const result = {
    ...summary,
    notAfter: issued.info.notAfter.toISOString(),
    fingerprintSha256: issued.info.fingerprintSha256 ?? null,
  };
  return {
    data: result,
    text: () =>
      [
        `created ${plan.request.kind === 'ca' ? 'the CA' : `${plan.request.kind} certificate "${plan.request.name}"`} in ${location.dir} (from ${location.source}):`,
        ...lines(result),
      ].join('\n'),
  };
}

function lines(values: Record<string, unknown>): string[] {
  return Object.entries(values)
    .filter(([key, value]) => key !== 'dir' && key !== 'dirSource' && !(Array.isArray(value) && value.length === 0))
    .map(([key, value]) => `  ${key}: ${Array.isArray(value) ? value.join(', ') : String(value)}`);
}
