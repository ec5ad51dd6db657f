import { readFile, realpath, rename, rm, stat } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { ExitCode, PgfleetError, describeError } from '../core/errors.js';
import { leafRequest } from '../core/pki/certificate-request.js';
import type { LeafKind } from '../core/pki/certificate-kind.js';
import { caFiles } from '../core/pki/pki-layout.js';
import { restAccessFromPatroniConfig } from '../core/restapi/rest-client-access.js';
import type { SiteSettings } from '../core/settings/site-settings.js';
import { EtcdClient } from '../adapters/etcd/etcd-client.js';
import { writeFileAtomic } from '../adapters/fs/atomic-file.js';
import { servedCertificateFingerprint } from '../adapters/patroni/served-certificate.js';
import { findPatroniProcess } from '../adapters/patroni/patroni-process-lookup.js';
import { checkTlsLoadAs } from '../adapters/patroni/tls-load-check.js';
import { readCertificateInfo, verifySignedBy } from '../adapters/pki/certificate-files.js';
import { issueFromPlan, planCertificate } from '../adapters/pki/certificate-issuer.js';
import { type LocalInstance, asFleetMember, readLocalInstance } from '../node/local-instances.js';
import { valueAt } from '../node/member-yaml-values.js';
import { pauseClusters, resumeClusters } from '../fleet/cluster-pause.js';
import { type FleetConnection, fleetConnectionFromSettings, withFleetClients } from '../fleet/fleet-connection.js';
import { restClientWithAccess } from '../fleet/member-rest-client.js';
import { restartAndVerify } from '../fleet/member-restart.js';

/** A certificate pgfleet's settings point Patroni at, which `pki renew` can renew. */
export type RenewedUse = 'restapi-server' | 'restapi-client' | 'etcd-client';

export const RENEWED_USES: readonly RenewedUse[] = ['restapi-server', 'restapi-client', 'etcd-client'];

interface UseDefinition {
  kind: LeafKind;
  /** Where the settings name the files. */
  files: (settings: SiteSettings) => { certFile: string | undefined; keyFile: string | undefined };
  /** Where a member's YAML names the certificate: it uses these files when it names the same file. */
  yamlPath: (instance: LocalInstance) => readonly string[];
  describe: string;
}

const USES: Record<RenewedUse, UseDefinition> = {
  'restapi-server': {
    kind: 'server',
    files: (settings) => ({
      certFile: settings.patroni?.restapi.certfile,
      keyFile: settings.patroni?.restapi.keyfile,
    }),
    yamlPath: () => ['restapi', 'certfile'],
    describe: 'REST API server certificate (patroni.restapi.certfile)',
  },
  'restapi-client': {
    kind: 'client',
    files: (settings) => ({ certFile: settings.patroni?.ctl?.certfile, keyFile: settings.patroni?.ctl?.keyfile }),
    yamlPath: () => ['ctl', 'certfile'],
    describe: 'REST API client certificate of patronictl, pgfleet and the members (patroni.ctl.certfile)',
  },
  'etcd-client': {
    kind: 'client',
    files: (settings) => ({ certFile: settings.patroni?.etcd.cert, keyFile: settings.patroni?.etcd.key }),
    yamlPath: (instance) => [instance.dcsSection, 'cert'],
    describe: 'etcd client certificate (patroni.etcd.cert)',
  },
};

export interface RenewalRequest {
  settings: SiteSettings;
  /** The PKI directory holding the CA that issued the certificates in use. */
  pkiDir: string;
  /** Which certificates (default: every one the settings name). */
  uses?: readonly RenewedUse[] | undefined;
  days?: number | undefined;
  check?: boolean | undefined;
  onProgress?: ((message: string) => void) | undefined;
}

export interface PlannedRenewal {
  use: RenewedUse;
  certFile: string;
  keyFile: string;
  subject: string;
  notAfter: string;
  /** The members of this host whose YAML names this certificate. */
  members: string[];
  blockers: string[];
}

export interface RenewedCertificate extends PlannedRenewal {
  newNotAfter: string;
  newFingerprint: string;
  /** What each member proved with the new certificate (handshake, reload or restart). */
  probes: Array<{ member: string; ok: boolean; detail: string }>;
}

export interface RenewalReport {
  outcome: 'planned' | 'renewed';
  certificates: Array<PlannedRenewal | RenewedCertificate>;
  blocked: boolean;
}

/**
 * `pki renew`: for each certificate the settings point Patroni at (REST API
 * server, REST API client, etcd client), a new key and certificate from the
 * same CA, same subject and SANs; the file in use swapped atomically (the
 * old one kept beside it until the certificate is proven); then the members
 * take it: the REST API server re-applies TLS on reload when the
 * certificate's serial changed (Patroni 3.0.2), proven by the handshake
 * presenting the new certificate; the REST API client certificate is proven
 * by a handshake with it against every member; the etcd client certificate
 * needs a Patroni restart, done with each cluster paused, proven by the
 * member writing to the DCS again. At the first failure the old files come
 * back and the members take them again.
 */
export async function renewCertificates(request: RenewalRequest): Promise<RenewalReport> {
  const progress = request.onProgress ?? (() => undefined);
  const fleet = await fleetConnectionFromSettings(request.settings);
  const planned: PlannedRenewal[] = [];
  for (const use of request.uses ?? RENEWED_USES) {
    const { certFile, keyFile } = USES[use].files(request.settings);
    if (!certFile || !keyFile) {
      if (request.uses?.includes(use))
        planned.push({
          use,
          certFile: certFile ?? '-',
          keyFile: keyFile ?? '-',
          subject: '-',
          notAfter: '-',
          members: [],
          blockers: [`the settings name no ${USES[use].describe} (and its key)`],
        });
      continue;
    }
    planned.push(await planUse(use, certFile, keyFile, request.pkiDir, fleet.localInstances));
  }
  const blocked = planned.some((entry) => entry.blockers.length > 0) || planned.length === 0;
  if (request.check) return { outcome: 'planned', certificates: planned, blocked };
  if (planned.length === 0)
    throw new PgfleetError('PKI_RENEW_NOTHING', 'the settings name no certificate pgfleet can renew', {
      hint: 'patroni.restapi.certfile/keyfile, patroni.ctl.certfile/keyfile or patroni.etcd.cert/key',
    });
  if (blocked)
    throw new PgfleetError(
      'PKI_RENEW_BLOCKED',
      `renewal is blocked:\n${planned.flatMap((entry) => entry.blockers.map((b) => `  - ${entry.use}: ${b}`)).join('\n')}`,
      { hint: 'fix each point above; nothing was changed', exitCode: ExitCode.findings },
    );

  const renewed: RenewedCertificate[] = [];
  for (const entry of planned) {
    progress(`${entry.use}: a new certificate for ${entry.subject} (in use until ${entry.notAfter})`);
    renewed.push(await renewUse(entry, request, fleet, progress));
  }
  return { outcome: 'renewed', certificates: renewed, blocked: false };
}

async function planUse(
  use: RenewedUse,
  certFile: string,
  keyFile: string,
  pkiDir: string,
  instances: LocalInstance[],
): Promise<PlannedRenewal> {
  const blockers: string[] = [];
  let subject = '-';
  let notAfter = '-';
  try {
    const info = await readCertificateInfo(certFile);
    subject = info.subject;
    notAfter = info.notAfter.toISOString();
    const signed = await verifySignedBy(certFile, caFiles(pkiDir).certFile);
    if (!signed.ok) blockers.push(`${certFile} was not issued by the CA of ${pkiDir}: renew it where it was issued`);
  } catch (error) {
    blockers.push(describeError(error));
  }
  if ((await stat(`${certFile}.previous`).catch(() => undefined)) !== undefined)
    blockers.push(`${certFile}.previous exists: an earlier renewal did not finish (put it back or remove it)`);
  const members = await membersUsing(use, certFile, instances);
  return { use, certFile, keyFile, subject, notAfter, members: members.map((m) => memberName(m)), blockers };
}

async function membersUsing(use: RenewedUse, certFile: string, instances: LocalInstance[]): Promise<LocalInstance[]> {
  const wanted = await realpath(certFile).catch(() => certFile);
  const using: LocalInstance[] = [];
  for (const instance of instances) {
    const path = valueAt(instance.config, USES[use].yamlPath(instance));
    if (typeof path === 'string' && (await realpath(path).catch(() => path)) === wanted) using.push(instance);
  }
  return using;
}

async function renewUse(
  entry: PlannedRenewal,
  request: RenewalRequest,
  fleet: FleetConnection,
  progress: (message: string) => void,
): Promise<RenewedCertificate> {
  const definition = USES[entry.use];
  const current = await readCertificateInfo(entry.certFile);
  const issued = await issueFromPlan(
    await planCertificate(
      request.pkiDir,
      {
        ...leafRequest({
          kind: definition.kind,
          name: entry.use,
          sans: current.subjectAltNames.filter((san) => san.type !== 'other').map((san) => san.value),
          commonName: current.commonName,
          withoutCommonName: current.commonName === undefined,
          days: request.days,
        }),
        kind: definition.kind,
      },
      { force: true },
    ),
  );
  // Staged beside the files in use, with their owner and mode: what Patroni will read, checked as Patroni before the swap.
  const stagedKey = await stageBeside(issued.plan.files.keyFile, entry.keyFile);
  const stagedCert = await stageBeside(issued.plan.files.certFile, entry.certFile);
  const members = await membersUsing(entry.use, entry.certFile, fleet.localInstances);
  try {
    // Patroni 3.0.2 closes its REST socket before it loads new TLS files: every member must load them first, as itself.
    for (const instance of members) {
      const running = await findPatroniProcess(instance.configFile);
      const loaded = await checkTlsLoadAs(request.settings.patroni!.execpath, running, {
        side: entry.use === 'restapi-server' ? 'server' : 'client',
        certfile: stagedCert,
        keyfile: stagedKey,
      });
      if (!loaded.ok)
        throw new PgfleetError(
          'PKI_RENEW_CANNOT_LOAD',
          `the Patroni of ${memberName(instance)} cannot load the new ${entry.use} certificate: ${loaded.error}; nothing was swapped`,
          { exitCode: ExitCode.failed },
        );
    }
  } catch (error) {
    await rm(stagedKey, { force: true });
    await rm(stagedCert, { force: true });
    throw error;
  }

  progress(`${entry.use}: swapping ${entry.keyFile} and ${entry.certFile} (the old ones kept as .previous)`);
  await keepPrevious(entry.certFile);
  await keepPrevious(entry.keyFile);
  await rename(stagedKey, entry.keyFile);
  await rename(stagedCert, entry.certFile);
  const fingerprint = issued.info.fingerprintSha256 ?? '';
  try {
    const probes = await takeIt(entry.use, members, fleet, fingerprint, progress);
    const failed = probes.filter((probe) => !probe.ok);
    if (failed.length > 0)
      throw new PgfleetError('PKI_RENEW_NOT_TAKEN', failed.map((p) => `${p.member}: ${p.detail}`).join('; '));
    await rm(`${entry.certFile}.previous`, { force: true });
    await rm(`${entry.keyFile}.previous`, { force: true });
    return { ...entry, newNotAfter: issued.info.notAfter.toISOString(), newFingerprint: fingerprint, probes };
  } catch (error) {
    const cause = describeError(error);
    progress(`${entry.use}: ${cause}; putting the old certificate back`);
    await restorePrevious(entry.keyFile);
    await restorePrevious(entry.certFile);
    const old = current.fingerprintSha256 ?? '';
    const after = await takeIt(entry.use, members, fleet, old, progress).catch((again: unknown) => [
      { member: '*', ok: false, detail: describeError(again) },
    ]);
    const left = after.filter((probe) => !probe.ok).map((probe) => `${probe.member}: ${probe.detail}`);
    throw new PgfleetError(
      'PKI_RENEW_ROLLED_BACK',
      `renewal of the ${entry.use} certificate rolled back: ${cause}${left.length > 0 ? `; after restoring the old one: ${left.join('; ')}` : ''}`,
      {
        exitCode: left.length > 0 ? ExitCode.failed : ExitCode.rolledBack,
        hint:
          left.length > 0
            ? 'check the members named (pgfleet restapi status)'
            : 'the old certificate is back in use; fix the cause and renew again',
      },
    );
  }
}

/** The members take the files now in place, and prove it with the certificate whose fingerprint is given. */
async function takeIt(
  use: RenewedUse,
  members: LocalInstance[],
  fleet: FleetConnection,
  fingerprint: string,
  progress: (message: string) => void,
): Promise<Array<{ member: string; ok: boolean; detail: string }>> {
  if (use === 'etcd-client') return restartForEtcd(members, fleet, progress);
  return Promise.all(
    members.map(async (known) => {
      const member = memberName(known);
      const instance = await readLocalInstance(known.configFile);
      const access = restAccessFromPatroniConfig(instance.config);
      const client = restClientWithAccess(access);
      try {
        // A reload makes Patroni look at its certificate's serial number: a new one rebuilds the REST API's TLS.
        const answer = await client.reload();
        if (answer.status !== 202 && answer.status !== 200)
          return { member, ok: false, detail: `POST /reload answered HTTP ${answer.status}` };
      } finally {
        await client.close();
      }
      if (use === 'restapi-server') return untilServed(member, access, fingerprint);
      return clientAccepted(member, access);
    }),
  );
}

/** The handshake presents the certificate with `fingerprint` (the reload applies at the member's next HA loop). */
async function untilServed(
  member: string,
  access: ReturnType<typeof restAccessFromPatroniConfig>,
  fingerprint: string,
  timeoutMs = 40_000,
): Promise<{ member: string; ok: boolean; detail: string }> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no handshake yet';
  for (;;) {
    try {
      const served = await servedCertificateFingerprint(access.baseUrl, access);
      if (sameFingerprint(served, fingerprint))
        return { member, ok: true, detail: 'the TLS handshake presents the new certificate' };
      last = 'the TLS handshake still presents the old certificate';
    } catch (error) {
      last = describeError(error);
    }
    if (Date.now() > deadline) return { member, ok: false, detail: last };
    await sleep(500);
  }
}

/** GET /patroni with the client certificate now in the files (a member asking for one checks it in the handshake). */
async function clientAccepted(
  member: string,
  access: ReturnType<typeof restAccessFromPatroniConfig>,
): Promise<{ member: string; ok: boolean; detail: string }> {
  const client = restClientWithAccess(access);
  try {
    const status = (await client.send('GET', '/patroni')).status;
    return status === 200 || status === 503
      ? { member, ok: true, detail: 'a handshake with the new client certificate is accepted' }
      : { member, ok: false, detail: `GET /patroni with the new client certificate answered HTTP ${status}` };
  } catch (error) {
    return { member, ok: false, detail: describeError(error) };
  } finally {
    await client.close();
  }
}

/** etcd client files are read when Patroni starts: each member restarts, its cluster paused, and must write to the DCS again. */
async function restartForEtcd(
  members: LocalInstance[],
  fleet: FleetConnection,
  progress: (message: string) => void,
): Promise<Array<{ member: string; ok: boolean; detail: string }>> {
  if (!fleet.patroniDaemon)
    return members.map((instance) => ({
      member: memberName(instance),
      ok: false,
      detail: 'pgfleet cannot restart its Patroni here',
    }));
  const daemon = fleet.patroniDaemon;
  return withFleetClients(fleet, async ({ rest }) => {
    const fleetMembers = members.map(asFleetMember);
    const paused = await pauseClusters(fleetMembers, rest, { onNudge: progress });
    const results: Array<{ member: string; ok: boolean; detail: string }> = [];
    try {
      for (const instance of members) {
        progress(`${memberName(instance)}: restarting its Patroni (cluster paused, PostgreSQL keeps running)`);
        const verified = await restartAndVerify(instance, daemon, rest, 60_000);
        results.push({
          member: memberName(instance),
          ok: verified.ok,
          detail: verified.ok
            ? `back in ${verified.backAfterMs} ms, writing to the DCS with the new certificate`
            : verified.reason,
        });
        if (!verified.ok) break;
      }
    } finally {
      await resumeClusters(paused.pausedByUs, fleetMembers, rest, { onNudge: progress });
    }
    if (results.every((result) => result.ok)) results.push(await etcdHandshake(fleet));
    return results;
  });
}

async function etcdHandshake(fleet: FleetConnection): Promise<{ member: string; ok: boolean; detail: string }> {
  const client = new EtcdClient({ endpoints: fleet.endpoints, tls: fleet.tls });
  try {
    await client.status();
    return { member: 'etcd', ok: true, detail: 'a TLS handshake with the new client certificate is accepted' };
  } catch (error) {
    return { member: 'etcd', ok: false, detail: describeError(error) };
  } finally {
    await client.close();
  }
}

async function keepPrevious(file: string): Promise<void> {
  const info = await stat(file);
  await writeFileAtomic(`${file}.previous`, await readFile(file), {
    mode: info.mode & 0o777,
    owner: { uid: info.uid, gid: info.gid },
  });
}

/** A copy of `source` beside `target` (`<target>.new`), with the owner and mode of `target`. */
async function stageBeside(source: string, target: string): Promise<string> {
  const info = await stat(target);
  const staged = `${target}.new`;
  await writeFileAtomic(staged, await readFile(source), {
    mode: info.mode & 0o777,
    owner: { uid: info.uid, gid: info.gid },
  });
  return staged;
}

/** The new file's content into the file in use, atomically, with the mode and owner it has. */
async function swapIn(source: string, target: string): Promise<void> {
  const info = await stat(target);
  await writeFileAtomic(target, await readFile(source), {
    mode: info.mode & 0o777,
    owner: { uid: info.uid, gid: info.gid },
  });
}

async function restorePrevious(file: string): Promise<void> {
  await swapIn(`${file}.previous`, file);
  await rm(`${file}.previous`, { force: true });
}

function sameFingerprint(a: string, b: string): boolean {
  const normal = (value: string) => value.replace(/[^0-9a-f]/gi, '').toLowerCase();
  return normal(a) === normal(b) && normal(a).length > 0;
}

function memberName(instance: Pick<LocalInstance, 'namespace' | 'scope' | 'node'>): string {
  return `${instance.namespace}${instance.scope}/${instance.node}`;
}
