import type { ExtendedKeyUsage } from '../pki/certificate-kind.js';
import type { PatroniSettings } from '../settings/site-settings.js';

/** A set of certificate files the target uses, and how: checked at plan time, before any member changes. */
export interface SecureCertificateUse {
  /** What the files are for, in messages. */
  purpose: string;
  certFile: string;
  keyFile?: string | undefined;
  /** The CA the other side verifies this certificate with. */
  caFile?: string | undefined;
  /** Addresses clients connect to (server certificates). */
  hosts?: string[] | undefined;
  usage: ExtendedKeyUsage;
}

/**
 * The certificate files of a target and what each must satisfy:
 * - the server certificate: matches its key, valid, serverAuth, signed by
 *   the CA clients verify it with (ctl.cacert, else restapi.cafile, as
 *   patronictl and the peers choose it), covering every member's
 *   connect_address host (unless ctl.insecure);
 * - the client certificate (ctl.certfile): matches its key, valid,
 *   clientAuth, and signed by restapi.cafile when the servers check it.
 */
export function secureCertificateUses(
  settings: Pick<PatroniSettings, 'restapi' | 'ctl'>,
  connectHosts: readonly string[],
): SecureCertificateUse[] {
  const { restapi, ctl } = settings;
  const uses: SecureCertificateUse[] = [];
  if (restapi.certfile) {
    uses.push({
      purpose: 'REST API server certificate (patroni.restapi.certfile)',
      certFile: restapi.certfile,
      keyFile: restapi.keyfile,
      caFile: ctl?.cacert ?? restapi.cafile,
      hosts: ctl?.insecure ? [] : [...new Set(connectHosts)],
      usage: 'serverAuth',
    });
  }
  if (ctl?.certfile) {
    uses.push({
      purpose: 'client certificate of patronictl, pgfleet and the peers (patroni.ctl.certfile)',
      certFile: ctl.certfile,
      keyFile: ctl.keyfile,
      caFile: restapi.verify_client !== 'none' ? restapi.cafile : undefined,
      usage: 'clientAuth',
    });
  }
  return uses;
}

/** The host part of a Patroni `host:port` address (IPv6 without brackets). */
export function hostOfAddress(address: string): string {
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(address);
  if (bracketed) return bracketed[1]!;
  const colon = address.lastIndexOf(':');
  return colon > 0 ? address.slice(0, colon) : address;
}
