import { PgfleetError } from '../errors.js';
import { compareVersions } from '../versions/version-compare.js';

/** What the installed Patroni accepts, derived from its version. */
export interface PatroniFeatures {
  version: string;
  /** ctl.authentication exists from Patroni 3.1. */
  ctlAuthentication: boolean;
  /** Patroni re-authenticates to etcd after JWT tokens go stale from 3.2 on. */
  survivesJwtAuthStoreChanges: boolean;
}

export function parsePatroniVersion(output: string): string {
  const match = /(\d+\.\d+\.\d+)/.exec(output);
  if (!match) {
    throw new PgfleetError(
      'PATRONI_VERSION_UNKNOWN',
      `cannot read a version from "patroni --version" output: ${output.trim().slice(0, 80)}`,
      {
        hint: 'check patroni.execpath in the settings',
      },
    );
  }
  return match[1]!;
}

export function patroniFeatures(version: string): PatroniFeatures {
  return {
    version,
    ctlAuthentication: compareVersions(version, '3.1.0') >= 0,
    survivesJwtAuthStoreChanges: compareVersions(version, '3.2.0') >= 0,
  };
}
