import { resolve } from 'node:path';
import { describeError } from '../core/errors.js';
import type { CertificateFacts, PatroniYamlFile } from '../core/audit/fleet-snapshot.js';
import { ctlOf, dcsOf, restapiOf, text } from '../core/audit/patroni-document.js';
import type { SiteSettings } from '../core/settings/site-settings.js';
import { readCertificateInfo } from '../adapters/pki/certificate-files.js';

/**
 * Every certificate the settings and the Patroni YAMLs name (REST API server
 * and CA, ctl client and CA, etcd client and CA), each read once for its
 * expiry. A file that cannot be read is recorded with its problem: other
 * rules and the TLS probes report missing files.
 */
export async function collectCertificateFacts(
  settings: SiteSettings,
  files: readonly PatroniYamlFile[],
  now: Date = new Date(),
): Promise<CertificateFacts[]> {
  const references = new Map<string, string>();
  const add = (path: unknown, referencedBy: string) => {
    const value = text(path);
    if (value && !references.has(resolve(value))) references.set(resolve(value), referencedBy);
  };
  const patroni = settings.patroni;
  add(patroni?.restapi.certfile, 'settings patroni.restapi.certfile');
  add(patroni?.restapi.cafile, 'settings patroni.restapi.cafile');
  add(patroni?.ctl?.certfile, 'settings patroni.ctl.certfile');
  add(patroni?.ctl?.cacert, 'settings patroni.ctl.cacert');
  add(patroni?.etcd.cert, 'settings patroni.etcd.cert');
  add(patroni?.etcd.cacert, 'settings patroni.etcd.cacert');
  for (const file of files) {
    const document = file.document;
    if (!document) continue;
    const restapi = restapiOf(document);
    const ctl = ctlOf(document);
    const dcs = dcsOf(document);
    add(restapi.certfile, `${file.path} restapi.certfile`);
    add(restapi.cafile, `${file.path} restapi.cafile`);
    add(ctl.certfile, `${file.path} ctl.certfile`);
    add(ctl.cacert, `${file.path} ctl.cacert`);
    if (dcs) {
      add(dcs.values.cert, `${file.path} ${dcs.name}.cert`);
      add(dcs.values.cacert, `${file.path} ${dcs.name}.cacert`);
    }
  }
  const checkedAt = now.toISOString();
  return Promise.all(
    [...references].map(async ([path, referencedBy]): Promise<CertificateFacts> => {
      try {
        const info = await readCertificateInfo(path);
        return { path, referencedBy, notAfter: info.notAfter.toISOString(), subject: info.subject, checkedAt };
      } catch (error) {
        return { path, referencedBy, checkedAt, problem: describeError(error) };
      }
    }),
  );
}
