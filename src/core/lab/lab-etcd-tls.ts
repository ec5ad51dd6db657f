import { PgfleetError } from '../errors.js';

/**
 * How a lab's etcd serves its clients:
 * - off: plain http only (the default);
 * - https: TLS only, with client certificates required (--client-cert-auth);
 * - dual: http and https side by side, the state of a fleet during
 *   `pgfleet etcd tls migrate`: the nodes start on http, the lab settings
 *   already name the https target.
 * Peers talk TLS whenever clients may (https, dual).
 */
export const LAB_ETCD_TLS_MODES = ['off', 'https', 'dual'] as const;
export type LabEtcdTls = (typeof LAB_ETCD_TLS_MODES)[number];

export function parseLabEtcdTls(value: string | boolean | undefined): LabEtcdTls {
  if (value === undefined || value === false) return 'off';
  if (value === true) return 'https';
  if ((LAB_ETCD_TLS_MODES as readonly string[]).includes(value)) return value as LabEtcdTls;
  throw new PgfleetError(
    'LAB_BAD_INPUT',
    `--etcd-tls must be one of ${LAB_ETCD_TLS_MODES.join(', ')}, got "${value}"`,
    {
      hint: '--etcd-tls alone means https; --etcd-tls dual serves http and https for a migration drill',
    },
  );
}

/** Which client listeners etcd opens in each mode. */
export function labEtcdClientSchemes(mode: LabEtcdTls): Array<'http' | 'https'> {
  switch (mode) {
    case 'off':
      return ['http'];
    case 'https':
      return ['https'];
    case 'dual':
      return ['http', 'https'];
  }
}

/** The scheme the lab's settings (pgfleet, new instances) use to reach etcd. */
export function labSettingsScheme(mode: LabEtcdTls): 'http' | 'https' {
  return mode === 'off' ? 'http' : 'https';
}

/** The scheme the nodes a lab starts with use: in dual mode they start on http, as a fleet before its migration. */
export function labNodeScheme(mode: LabEtcdTls): 'http' | 'https' {
  return mode === 'https' ? 'https' : 'http';
}
