/**
 * What `patroni --validate-config` (3.0.2) reported, line by line. Its rules
 * are stricter than what Patroni accepts at run time: it rejects loopback
 * connect addresses (a lab on 127.0.0.1 always fails), tries to reach every
 * etcd host, refuses a listen port already in use (so re-validating the
 * file of a running instance always fails), and asks for keys Patroni runs
 * without: `bootstrap.*` (read only when a member creates its cluster, with
 * defaults; a member that joins never reads them, and Debian's template has
 * no bootstrap.pg_hba or bootstrap.initdb) and
 * `postgresql.authentication.rewind` (pg_rewind then connects as the
 * superuser: postgresql/config.py rewind_credentials). Those findings are
 * told apart from real errors instead of skipping validation.
 */
export type ValidationFindingKind =
  'loopback-address' | 'etcd-unreachable' | 'port-in-use' | 'optional-key-missing' | 'other';

export interface ValidationFinding {
  kind: ValidationFindingKind;
  /** The configuration key Patroni names (e.g. `restapi.connect_address`), when the line has one. */
  path: string | undefined;
  /** Patroni's message, with any secret value withheld. */
  message: string;
}

/** Only these make a configuration invalid; the others are known validator over-strictness. */
export function isValidationError(finding: ValidationFinding): boolean {
  return finding.kind === 'other';
}

const CONNECT_ADDRESS_KEYS =
  /^(?:restapi\.connect_address|postgresql\.connect_address|postgresql\.proxy_address|raft\.self_addr)$/;
const LISTEN_KEYS = /^(?:restapi\.listen|postgresql\.listen|raft\.bind_addr)$/;
const LOOPBACK_HOST = /^(?:127(?:\.\d{1,3}){3}|::1|\[::1\]|localhost)$/i;
const UNREACHABLE =
  /is not reachable|Name or service not known|Temporary failure in name resolution|No address associated|nodename nor servname|Errno -[235]\b/;
/** Keys the validator asks for that Patroni 3.0.2 runs without (see ValidationFindingKind). */
const OPTIONAL_KEYS = /^(?:bootstrap(?:\..+)?|postgresql\.authentication\.rewind)$/;
/** The shape of a validator line: `<key path> <value> <complaint>`. */
const LINE = /^(\S+) (.*)$/;

/**
 * Classifies each line of the validator's output. `secrets` are values that
 * must not appear in a message (passwords of the file being validated): they
 * are replaced, and a line about a key that holds a password keeps only the
 * key and the kind of complaint.
 */
export function classifyValidatorOutput(output: string, secrets: readonly string[] = []): ValidationFinding[] {
  const findings: ValidationFinding[] = [];
  // Secrets go first, on the whole output: a multi-line value would otherwise leak through its later lines.
  for (const rawLine of redactSecrets(output, secrets).split(/\r?\n/)) {
    const line = rawLine.trimEnd();
    if (line.trim() === '') continue;
    const match = LINE.exec(line);
    const path = match && /^[A-Za-z_][\w.-]*$/.test(match[1]!) ? match[1]! : undefined;
    const rest = match?.[2] ?? '';
    findings.push({ kind: kindOf(path, rest), path, message: withheld(line, path, rest) });
  }
  return findings;
}

function kindOf(path: string | undefined, rest: string): ValidationFindingKind {
  if (!path) return 'other';
  if (CONNECT_ADDRESS_KEYS.test(path) && rest.includes('must not contain')) {
    const address = rest.split(' ')[0] ?? '';
    const host = address.includes(']')
      ? address.slice(0, address.lastIndexOf(']') + 1)
      : address.slice(0, address.lastIndexOf(':'));
    return LOOPBACK_HOST.test(host) ? 'loopback-address' : 'other';
  }
  if (/^etcd3?\.(?:hosts?|url|proxy)(?:\.|$)/.test(path) && UNREACHABLE.test(rest)) return 'etcd-unreachable';
  if (LISTEN_KEYS.test(path) && /Port \d+ is already in use/.test(rest)) return 'port-in-use';
  if (OPTIONAL_KEYS.test(path) && rest.trim() === 'is not defined.') return 'optional-key-missing';
  return 'other';
}

/** Patroni's fixed complaints: a line about a password key keeps only one of these, never the value. */
const COMPLAINTS = [
  'is not a string',
  'is not defined.',
  'is not a dictionary.',
  'is not a dictionary',
  'is not a list',
  'is an empty list',
  'is an empty string',
  'is not a boolean',
  'is not and integer',
  'is not a number',
];

function withheld(line: string, path: string | undefined, rest: string): string {
  if (path && /password|passwd|secret|token/i.test(path)) {
    const complaint = COMPLAINTS.find((known) => rest.endsWith(known)) ?? 'is not valid';
    return `${path} (value withheld) ${complaint}`;
  }
  return line;
}

/** Below this length a secret is only replaced as a whole token: replacing every "x" would garble the message. */
const SHORT_SECRET = 4;

/** Replaces each secret, as written and as Python's repr() escapes it, by a placeholder. */
export function redactSecrets(text: string, secrets: readonly string[]): string {
  const variants = new Set<string>();
  for (const secret of secrets) {
    if (secret.length === 0) continue;
    variants.add(secret);
    variants.add(
      secret
        .replace(/\\/g, '\\\\')
        .replace(/'/g, "\\'")
        .replace(/\n/g, '\\n')
        .replace(/\r/g, '\\r')
        .replace(/\t/g, '\\t'),
    );
  }
  let result = text;
  for (const variant of [...variants].sort((a, b) => b.length - a.length)) {
    if (variant.length >= SHORT_SECRET) result = result.split(variant).join('[redacted]');
    else
      result = result.replace(
        new RegExp(`(^|[\\s'"(\\[{,:])${escapeRegExp(variant)}(?=$|[\\s'")\\]},:])`, 'gm'),
        '$1[redacted]',
      );
  }
  return result;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
