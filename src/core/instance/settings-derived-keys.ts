import {
  ctlTlsValues,
  etcdConnectionValues,
  restapiTlsValues,
  watchdogValues,
} from '../patroni-config/build-config.js';
import type { ConfigTree } from '../patroni-config/deep-merge.js';
import type { PatroniSettings } from '../settings/site-settings.js';

const ETCD_KEYS = ['hosts', 'protocol', 'cacert', 'cert', 'key'];
const RESTAPI_TLS_KEYS = ['cafile', 'certfile', 'keyfile', 'verify_client'];
const CTL_TLS_KEYS = ['insecure', 'cacert', 'certfile', 'keyfile'];
const WATCHDOG_KEYS = ['mode', 'device', 'safety_margin'];

/**
 * The keys of an instance's YAML that come from the site settings alone
 * (etcd hosts, protocol and TLS; REST API and ctl TLS; watchdog;
 * use_pg_rewind), with the value the current settings give them: what
 * `instance alter --apply-settings` writes after the settings changed.
 * Undefined values are keys to delete. Credentials, addresses, namespace and
 * scope are the instance's own and are not in the list.
 */
export function settingsDerivedValues(
  settings: PatroniSettings,
  config: ConfigTree,
): Array<{ path: string[]; value: unknown }> {
  const dcs = config.etcd3 !== undefined || config.etcd === undefined ? 'etcd3' : 'etcd';
  const etcd = etcdConnectionValues(settings);
  const restapi = restapiTlsValues(settings);
  const ctl = ctlTlsValues(settings);
  const watchdog = watchdogValues(settings);
  return [
    ...ETCD_KEYS.map((key) => ({ path: [dcs, key], value: etcd[key] })),
    ...RESTAPI_TLS_KEYS.map((key) => ({ path: ['restapi', key], value: restapi[key] })),
    ...CTL_TLS_KEYS.map((key) => ({ path: ['ctl', key], value: ctl[key] })),
    ...WATCHDOG_KEYS.map((key) => ({ path: ['watchdog', key], value: watchdog[key] })),
    { path: ['postgresql', 'use_pg_rewind'], value: settings.postgresql.use_pg_rewind },
  ];
}
