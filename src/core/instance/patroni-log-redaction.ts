/**
 * Patroni 3.0.2 logs the etcd auth token it holds when etcd refuses it
 * ("Invalid auth token: <token>"). A simple token is a bearer credential for
 * as long as etcd keeps it (5 minutes by default), so pgfleet never shows it:
 * log lines it prints or quotes go through here.
 */
const TOKEN_IN_LOG = /(Invalid auth token:\s*)(\S+)/gi;

export function redactPatroniLogLine(line: string): string {
  return line.replace(TOKEN_IN_LOG, (_, lead: string, token: string) =>
    token === 'None' ? `${lead}${token}` : `${lead}[redacted]`,
  );
}

/**
 * Complete lines of a growing log, redacted; a line cut by a read is kept
 * back until its end arrives, so a token is never printed in two halves.
 */
export class RedactedLogLines {
  #partial = '';

  push(chunk: string): string {
    const text = this.#partial + chunk;
    const end = text.lastIndexOf('\n');
    if (end < 0) {
      this.#partial = text;
      return '';
    }
    this.#partial = text.slice(end + 1);
    return text
      .slice(0, end + 1)
      .split('\n')
      .map(redactPatroniLogLine)
      .join('\n');
  }

  /** What is left when the log stops growing (Ctrl-C). */
  flush(): string {
    const rest = this.#partial;
    this.#partial = '';
    return redactPatroniLogLine(rest);
  }
}
