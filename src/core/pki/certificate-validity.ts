/**
 * Expiry math. Days are whole days rounded down, so "0 days left" still
 * means valid for some hours, and a certificate that expired an hour ago has
 * "-1 days left".
 */
export type ValidityState = 'valid' | 'expired' | 'not-yet-valid';

export interface CertificateValidity {
  state: ValidityState;
  notBefore: Date;
  notAfter: Date;
  /** Whole days until notAfter (negative once expired). */
  daysLeft: number;
  /** Valid, but fewer than `soonDays` days left. */
  expiresSoon: boolean;
}

export const DAY_MS = 86_400_000;
/** Below this, `pki show` and the checks warn: about the time a monthly renewal job needs. */
export const EXPIRES_SOON_DAYS = 30;

export function certificateValidity(
  dates: { notBefore: Date; notAfter: Date },
  now: Date,
  soonDays = EXPIRES_SOON_DAYS,
): CertificateValidity {
  const daysLeft = Math.floor((dates.notAfter.getTime() - now.getTime()) / DAY_MS);
  // openssl treats notAfter as the last valid second, inclusive.
  const state: ValidityState =
    now.getTime() < dates.notBefore.getTime()
      ? 'not-yet-valid'
      : now.getTime() > dates.notAfter.getTime()
        ? 'expired'
        : 'valid';
  return {
    state,
    notBefore: dates.notBefore,
    notAfter: dates.notAfter,
    daysLeft,
    expiresSoon: state === 'valid' && daysLeft < soonDays,
  };
}

/** The end of a certificate issued now for `days` days, as `openssl -days` computes it. */
export function notAfterFor(now: Date, days: number): Date {
  return new Date(now.getTime() + days * DAY_MS);
}

/** "expires in 12 days", "expired 3 days ago", "valid from 2027-01-01": for messages and `pki show`. */
export function describeValidity(validity: CertificateValidity, now: Date): string {
  if (validity.state === 'not-yet-valid') {
    const until = Math.ceil((validity.notBefore.getTime() - now.getTime()) / DAY_MS);
    return `not valid before ${validity.notBefore.toISOString()} (${plural(until, 'day')} from now)`;
  }
  if (validity.state === 'expired') {
    const ago = Math.floor((now.getTime() - validity.notAfter.getTime()) / DAY_MS);
    return `expired on ${isoDay(validity.notAfter)} (${ago === 0 ? 'less than a day' : plural(ago, 'day')} ago)`;
  }
  return validity.daysLeft === 0
    ? `expires within a day (${validity.notAfter.toISOString()})`
    : `expires on ${isoDay(validity.notAfter)} (in ${plural(validity.daysLeft, 'day')})`;
}

function plural(count: number, unit: string): string {
  return `${count} ${unit}${count === 1 ? '' : 's'}`;
}

export function isoDay(date: Date): string {
  return date.toISOString().slice(0, 10);
}
