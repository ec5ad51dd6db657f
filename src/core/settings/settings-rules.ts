import type { SiteSettings } from './site-settings.js';

/** One broken rule that spans several settings fields. */
export interface SettingsRuleViolation {
  /** Stable code, one per rule. */
  code: string;
  /** The field the message is about (its YAML position is reported). */
  path: string[];
  message: string;
  hint: string;
}

export interface SettingsRuleContext {
  /** Whether a path exists; injected so the rules stay free of I/O. */
  fileExists: (path: string) => boolean;
}

/** Patroni's default watchdog device, checked when mode is required and no device is set. */
export const DEFAULT_WATCHDOG_DEVICE = '/dev/watchdog';

/**
 * The rules a schema cannot express field by field. Every violation is
 * returned (in file order of the sections), so one run shows them all.
 */
export function checkSettingsRules(settings: SiteSettings, context: SettingsRuleContext): SettingsRuleViolation[] {
  const patroni = settings.patroni;
  if (!patroni) return [];
  const violations: SettingsRuleViolation[] = [];
  const etcd = patroni.etcd;

  for (const field of ['cacert', 'cert'] as const) {
    if (etcd[field] !== undefined && etcd.protocol !== 'https') {
      violations.push({
        code: 'SETTINGS_ETCD_TLS_NEEDS_HTTPS',
        path: ['patroni', 'etcd', field],
        message: `patroni.etcd.${field} is set but patroni.etcd.protocol is ${etcd.protocol}: certificates are only used over https`,
        hint: 'set patroni.etcd.protocol: https (or remove the certificate)',
      });
    }
  }
  violations.push(...pairRule(['patroni', 'etcd'], 'cert', etcd.cert, 'key', etcd.key));

  const restapi = patroni.restapi;
  violations.push(...pairRule(['patroni', 'restapi'], 'certfile', restapi.certfile, 'keyfile', restapi.keyfile));
  if (restapi.verify_client !== 'none' && restapi.certfile === undefined) {
    violations.push({
      code: 'SETTINGS_VERIFY_CLIENT_NEEDS_CERTFILE',
      path: ['patroni', 'restapi', 'verify_client'],
      message: `patroni.restapi.verify_client is ${restapi.verify_client} but patroni.restapi.certfile is not set: client certificates are only checked over TLS`,
      hint: 'set patroni.restapi.certfile and keyfile (and cafile for the client CA), or verify_client: none',
    });
  }
  if (
    restapi.verify_client === 'required' &&
    (patroni.ctl?.certfile === undefined || patroni.ctl.keyfile === undefined)
  ) {
    violations.push({
      code: 'SETTINGS_VERIFY_CLIENT_REQUIRED_NEEDS_CTL_CERT',
      path: ['patroni', 'restapi', 'verify_client'],
      message:
        'patroni.restapi.verify_client is required but patroni.ctl has no certfile and keyfile: patronictl and pgfleet could not call any REST API endpoint',
      hint: 'set patroni.ctl.certfile and patroni.ctl.keyfile to a client certificate the REST API CA signed, or use verify_client: optional',
    });
  }

  if (patroni.ctl)
    violations.push(...pairRule(['patroni', 'ctl'], 'certfile', patroni.ctl.certfile, 'keyfile', patroni.ctl.keyfile));

  const watchdog = patroni.watchdog;
  if (watchdog.mode === 'required') {
    const device = watchdog.device ?? DEFAULT_WATCHDOG_DEVICE;
    if (!context.fileExists(device)) {
      violations.push({
        code: 'SETTINGS_WATCHDOG_DEVICE_MISSING',
        path: watchdog.device === undefined ? ['patroni', 'watchdog', 'mode'] : ['patroni', 'watchdog', 'device'],
        message: `patroni.watchdog.mode is required but the watchdog device ${device} does not exist: Patroni would refuse to start`,
        hint: 'load a watchdog driver (e.g. modprobe softdog) or set patroni.watchdog.device, or use mode: automatic',
      });
    }
  }
  return violations;
}

/** A certificate without its key (or the reverse) is unusable. */
function pairRule(
  section: string[],
  certField: string,
  cert: string | undefined,
  keyField: string,
  key: string | undefined,
): SettingsRuleViolation[] {
  const where = section.join('.');
  if (cert !== undefined && key === undefined) {
    return [
      {
        code: 'SETTINGS_CERT_WITHOUT_KEY',
        path: [...section, certField],
        message: `${where}.${certField} is set without ${where}.${keyField}: a client or server certificate needs its private key`,
        hint: `set ${where}.${keyField}`,
      },
    ];
  }
  if (key !== undefined && cert === undefined) {
    return [
      {
        code: 'SETTINGS_KEY_WITHOUT_CERT',
        path: [...section, keyField],
        message: `${where}.${keyField} is set without ${where}.${certField}: a private key alone authenticates nothing`,
        hint: `set ${where}.${certField}, or remove ${where}.${keyField}`,
      },
    ];
  }
  return [];
}
