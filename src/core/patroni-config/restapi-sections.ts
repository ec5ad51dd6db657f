import type { CtlSettings, PatroniSettings } from '../settings/site-settings.js';
import type { ConfigTree } from './deep-merge.js';
import type { InstanceSpec, RoleCredentials } from './instance-spec.js';

/**
 * The `restapi` and `ctl` sections of a member's Patroni YAML, from the site
 * settings and the instance's own REST API values. Used when a configuration
 * is generated and when `restapi secure` rewrites a live member's sections.
 */
export function restapiSection(
  settings: Pick<PatroniSettings, 'restapi'>,
  restapi: InstanceSpec['restapi'],
): ConfigTree {
  const tls = settings.restapi;
  return {
    listen: restapi.listen,
    connect_address: restapi.connectAddress,
    ...(tls.cafile ? { cafile: tls.cafile } : {}),
    ...(tls.certfile ? { certfile: tls.certfile } : {}),
    ...(tls.keyfile ? { keyfile: tls.keyfile } : {}),
    // Over plain http Patroni ignores verify_client: it is written only with TLS.
    ...(tls.certfile !== undefined ? { verify_client: tls.verify_client } : {}),
    ...(restapi.authentication
      ? { authentication: { username: restapi.authentication.username, password: restapi.authentication.password } }
      : {}),
  };
}

/** `ctl.authentication` only when the settings ask for it (restapi_credentials, Patroni >= 3.1). */
export function ctlSection(ctl: CtlSettings, authentication: RoleCredentials | undefined): ConfigTree {
  const credentials = ctl.restapi_credentials ? authentication : undefined;
  return {
    ...(ctl.insecure ? { insecure: true } : {}),
    ...(ctl.cacert ? { cacert: ctl.cacert } : {}),
    ...(ctl.certfile ? { certfile: ctl.certfile } : {}),
    ...(ctl.keyfile ? { keyfile: ctl.keyfile } : {}),
    ...(credentials ? { authentication: { username: credentials.username, password: credentials.password } } : {}),
  };
}
