import { redactPatroniLogLine } from './patroni-log-redaction.js';

/** Lines that say what went wrong, from PostgreSQL (FATAL, PANIC, ERROR) or Patroni (ERROR, CRITICAL, the exception that ended it). */
const CAUSE = /\b(?:FATAL|PANIC|ERROR|CRITICAL):|^\S*(?:Exception|Error): /;

/**
 * The part of a log worth showing when a start failed: the lines naming a
 * cause (a FATAL of PostgreSQL may be far above Patroni's traceback), then
 * the last lines, without repeating a line; etcd tokens redacted.
 */
export function startFailureExcerpt(log: string, options: { causes?: number; tail?: number } = {}): string[] {
  const lines = log
    .split('\n')
    .filter((line) => line.trim().length > 0)
    .map(redactPatroniLogLine);
  const tail = lines.slice(-(options.tail ?? 8));
  const recent = lines.slice(-300, lines.length - tail.length);
  const causes = [...new Set(recent.filter((line) => CAUSE.test(line.trim())))].slice(-(options.causes ?? 6));
  return causes.length > 0 ? [...causes, '...', ...tail] : tail;
}
