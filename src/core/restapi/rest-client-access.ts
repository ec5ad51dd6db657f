import { Secret } from '../secret.js';
import type { CtlSettings } from '../settings/site-settings.js';

/**
 * How a client reaches one member's Patroni REST API: the URL (https when
 * the member serves TLS) and the files and password it presents.
 */
export interface RestClientAccess {
  baseUrl: string;
  /** CA that verifies the server certificate; absent: the system store. */
  cafile?: string | undefined;
  /** Client certificate and key presented in the TLS handshake. */
  certfile?: string | undefined;
  keyfile?: string | undefined;
  /** Do not verify the server certificate (ctl.insecure). */
  insecure: boolean;
  /** Basic auth for the unsafe endpoints. */
  username?: string | undefined;
  password?: Secret | undefined;
}

type Section = Record<string, unknown>;

/**
 * What patronictl run with this member's YAML (PATRONICTL_CONFIG_FILE) uses,
 * read as Patroni 3.0.2's PatroniRequest reads it, so that pgfleet's client
 * and patronictl succeed or fail together:
 * - each TLS file from `ctl` first, else from `restapi` (certfile, keyfile;
 *   the CA from ctl.cacert, else restapi.cafile);
 * - basic auth from ctl.authentication (Patroni >= 3.1), else
 *   restapi.authentication;
 * - https when the member's REST API has a certfile.
 * `fallbackCtl` (the site settings' patroni.ctl) fills ctl keys the YAML
 * lacks, for a member written before the settings had them.
 */
export function restAccessFromPatroniConfig(config: Section, fallbackCtl?: CtlSettings | undefined): RestClientAccess {
  const restapi = section(config.restapi);
  const ctl = { ...ctlFromSettings(fallbackCtl), ...section(config.ctl) };
  const connectAddress = text(restapi.connect_address) ?? text(restapi.listen) ?? '';
  const tls = text(restapi.certfile) !== undefined;
  const auth = credentialsOf(ctl.authentication) ?? credentialsOf(restapi.authentication);
  const certfile = text(ctl.certfile) ?? text(restapi.certfile);
  return {
    baseUrl: `${tls ? 'https' : 'http'}://${connectAddress}`,
    cafile: text(ctl.cacert) ?? text(restapi.cafile),
    certfile,
    // Patroni takes the key the same way, independently of where the certificate came from.
    keyfile: certfile === undefined ? undefined : (text(ctl.keyfile) ?? text(restapi.keyfile)),
    insecure: ctl.insecure === true,
    ...(auth ?? {}),
  };
}

/**
 * pgfleet's access to a member it does not manage on this host: the URL the
 * member published in the DCS (api_url) and the site settings' patroni.ctl,
 * with the cluster's basic-auth password when the caller has it.
 */
export function restAccessFromSettings(
  apiUrl: string,
  ctl: CtlSettings | undefined,
  authentication?: { username: string; password: Secret } | undefined,
): RestClientAccess {
  return {
    baseUrl: apiUrl.replace(/\/patroni\/?$/, '').replace(/\/+$/, ''),
    cafile: ctl?.cacert,
    certfile: ctl?.certfile,
    keyfile: ctl?.keyfile,
    insecure: ctl?.insecure === true,
    ...(authentication ? { username: authentication.username, password: authentication.password } : {}),
  };
}

function ctlFromSettings(ctl: CtlSettings | undefined): Section {
  if (!ctl) return {};
  return Object.fromEntries(
    Object.entries({
      cacert: ctl.cacert,
      certfile: ctl.certfile,
      keyfile: ctl.keyfile,
      insecure: ctl.insecure || undefined,
    }).filter(([, value]) => value !== undefined),
  );
}

function credentialsOf(value: unknown): { username: string; password: Secret } | undefined {
  const auth = section(value);
  const username = text(auth.username);
  const password =
    auth.password instanceof Secret
      ? auth.password
      : typeof auth.password === 'string' || typeof auth.password === 'number'
        ? new Secret(String(auth.password))
        : undefined;
  return username !== undefined && password !== undefined ? { username, password } : undefined;
}

function section(value: unknown): Section {
  return value && typeof value === 'object' && !Array.isArray(value) && !(value instanceof Secret)
    ? (value as Section)
    : {};
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}
