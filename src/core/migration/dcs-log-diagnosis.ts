/**
 * Why a member could not write to the DCS, read from its Patroni log (the
 * PATCH /config probe only says "refused"). Messages of Patroni 3.0.2's etcd3
 * client.
 */
export type DcsLogCause = 'authentication-failed' | 'no-credentials' | 'permission-denied' | 'unknown';

const PATTERNS: Array<[DcsLogCause, RegExp]> = [
  ['authentication-failed', /authentication failed/i],
  ['no-credentials', /Username or password not set|user name is empty/i],
  ['permission-denied', /permission denied/i],
];

/** The most recent cause found in the log lines (last match wins). */
export function diagnoseDcsLog(lines: string[]): DcsLogCause {
  for (let index = lines.length - 1; index >= 0; index -= 1) {
    for (const [cause, pattern] of PATTERNS) if (pattern.test(lines[index]!)) return cause;
  }
  return 'unknown';
}

/**
 * Causes that a log line names beyond doubt. "user name is empty" is not one:
 * a member WITH credentials logs it too, once, when auth is switched on
 * under it, before it authenticates again by itself.
 */
const DEFINITE_REFUSALS: Array<[Exclude<DcsLogCause, 'unknown'>, RegExp]> = [
  ['authentication-failed', /authentication failed/i],
  ['no-credentials', /Username or password not set/i],
  ['permission-denied', /permission denied/i],
];

/** A cause of refusal that the lines name beyond doubt (first found), or undefined. */
export function definiteDcsRefusal(lines: string[]): Exclude<DcsLogCause, 'unknown'> | undefined {
  for (const line of lines) {
    for (const [cause, pattern] of DEFINITE_REFUSALS) if (pattern.test(line)) return cause;
  }
  return undefined;
}

/**
 * What Patroni 3.0.2's etcd3 client logs when etcd answers too slowly (a
 * herd of authentications after auth enable, a starved machine): its
 * request timed out or its retries ran out. Says nothing about credentials.
 */
const ETCD_SLOW = /Exceeded retry deadline|Read timed out|timed out|RetryFailedError|deadline exceeded/i;

export function etcdSlowInLog(lines: string[]): boolean {
  return lines.some((line) => ETCD_SLOW.test(line));
}

export function describeDcsLogCause(cause: DcsLogCause, member: string): string | undefined {
  switch (cause) {
    case 'authentication-failed':
      return `etcd authentication failed for ${member}: its etcd password is wrong`;
    case 'no-credentials':
      return `${member} has no etcd credentials in its Patroni configuration`;
    case 'permission-denied':
      return `${member}'s etcd role does not grant its cluster prefix`;
    default:
      return undefined;
  }
}
