import { PgfleetError } from '../core/errors.js';
import {
  type RestClientAccess,
  restAccessFromPatroniConfig,
  restAccessFromSettings,
} from '../core/restapi/rest-client-access.js';
import type { Secret } from '../core/secret.js';
import type { CtlSettings } from '../core/settings/site-settings.js';
import { PatroniRestClient } from '../adapters/patroni/rest-client.js';

/** A member as pgfleet knows it: its YAML when managed on this host, else the api_url it published in the DCS. */
export interface RestMemberSource {
  /** The member's Patroni YAML, parsed. */
  config?: Record<string, unknown> | undefined;
  /** api_url from the DCS (`…/patroni`), for members managed elsewhere. */
  apiUrl?: string | undefined;
}

export interface RestClientOptions {
  /** The site settings' patroni.ctl: fills what a YAML lacks, and is all pgfleet has for a remote member. */
  ctl?: CtlSettings | undefined;
  /** Basic auth for a remote member (its cluster's password), when the caller has it. */
  authentication?: { username: string; password: Secret } | undefined;
  timeoutMs?: number | undefined;
}

/**
 * The access pgfleet uses for a member: from its YAML exactly as patronictl
 * with that YAML would (CA, client certificate, basic auth, https when the
 * member serves TLS), else from the site settings.
 */
export function restAccessFor(member: RestMemberSource, options: RestClientOptions = {}): RestClientAccess {
  if (member.config) return restAccessFromPatroniConfig(member.config, options.ctl);
  if (member.apiUrl) return restAccessFromSettings(member.apiUrl, options.ctl, options.authentication);
  throw new PgfleetError(
    'REST_MEMBER_UNKNOWN',
    'a member with neither a Patroni YAML on this host nor an api_url in the DCS cannot be reached',
    {
      hint: 'check that the member is running (it publishes api_url in the DCS)',
    },
  );
}

/** Every PatroniRestClient pgfleet opens on a member is built here. */
export function patroniRestClientFor(member: RestMemberSource, options: RestClientOptions = {}): PatroniRestClient {
  return restClientWithAccess(restAccessFor(member, options), options.timeoutMs);
}

export function restClientWithAccess(access: RestClientAccess, timeoutMs = 5_000): PatroniRestClient {
  return new PatroniRestClient(access.baseUrl, access, timeoutMs);
}
