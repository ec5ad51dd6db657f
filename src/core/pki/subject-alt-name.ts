import { PgfleetError } from '../errors.js';
import { parseIpAddress, sameIpAddress } from './ip-address.js';

/**
 * One subjectAltName entry. TLS clients (Python's ssl for Patroni and
 * patronictl, Go for etcd, Node for pgfleet) check the address they connect
 * to against these entries: an IP against IP entries only, a name against
 * DNS entries only. The subject CN is not used when SANs exist.
 */
export type SubjectAltName = { type: 'ip'; value: string } | { type: 'dns'; value: string };

/** What other SAN kinds openssl may print (email, URI...): kept for display, never matched. */
export interface OtherSubjectAltName {
  type: 'other';
  value: string;
}

const DNS_LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

/**
 * Reads a `--san` value: an IP address, a DNS name (a leading "*." wildcard
 * allowed), or either with an explicit "IP:" / "DNS:" prefix.
 */
export function parseSubjectAltName(input: string): SubjectAltName {
  const text = input.trim();
  const prefixed = /^(ip|dns)\s*:\s*(.*)$/i.exec(text);
  const wanted = prefixed ? (prefixed[1]!.toLowerCase() as 'ip' | 'dns') : undefined;
  const value = prefixed ? prefixed[2]! : text;
  const ip = parseIpAddress(value);
  if (wanted !== 'dns' && ip) return { type: 'ip', value: ip.canonical };
  if (wanted === 'ip') {
    throw new PgfleetError('PKI_SAN_INVALID', `subjectAltName "${input}" is not an IP address`, {
      hint: 'give an IPv4 (10.0.0.5) or IPv6 (::1) address, or a DNS name without the IP: prefix',
    });
  }
  const name = normalizeDnsName(value);
  if (!isValidDnsName(name, true)) {
    throw new PgfleetError(
      'PKI_SAN_INVALID',
      `subjectAltName "${input}" is neither an IP address nor a valid DNS name`,
      {
        hint: 'use letters, digits and hyphens in dot-separated labels (a leading "*." is allowed), e.g. --san db1.example.com --san 10.0.0.5',
      },
    );
  }
  return { type: 'dns', value: name };
}

/** Reads many `--san` values, dropping duplicates (same address or same name) and keeping order. */
export function parseSubjectAltNames(inputs: readonly string[]): SubjectAltName[] {
  const result: SubjectAltName[] = [];
  for (const input of inputs) {
    const san = parseSubjectAltName(input);
    if (!result.some((existing) => existing.type === san.type && existing.value === san.value)) result.push(san);
  }
  return result;
}

/** The entry as openssl and `pki show` print it: "IP:127.0.0.1", "DNS:localhost". */
export function formatSubjectAltName(san: SubjectAltName | OtherSubjectAltName): string {
  if (san.type === 'ip') return `IP:${san.value}`;
  if (san.type === 'dns') return `DNS:${san.value}`;
  return san.value;
}

/**
 * Parses the value of openssl's "X509v3 Subject Alternative Name" block:
 * "IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1, DNS:localhost".
 */
export function parseOpensslSubjectAltNames(text: string): Array<SubjectAltName | OtherSubjectAltName> {
  const entries: Array<SubjectAltName | OtherSubjectAltName> = [];
  for (const raw of text.split(',')) {
    const entry = raw.trim();
    if (entry.length === 0) continue;
    const ip = /^IP Address:(.+)$/.exec(entry);
    if (ip) {
      const parsed = parseIpAddress(ip[1]!);
      entries.push(parsed ? { type: 'ip', value: parsed.canonical } : { type: 'other', value: entry });
      continue;
    }
    const dns = /^DNS:(.+)$/.exec(entry);
    if (dns) {
      entries.push({ type: 'dns', value: normalizeDnsName(dns[1]!) });
      continue;
    }
    entries.push({ type: 'other', value: entry });
  }
  return entries;
}

export type HostKind = 'ip' | 'dns';

/** Why a host is or is not covered, for messages. */
export interface HostCoverage {
  host: string;
  kind: HostKind;
  covered: boolean;
  /** The entry that matched. */
  matchedBy?: string;
}

/**
 * Whether a certificate with these SANs is accepted by a client connecting to
 * `host` (an IP literal, possibly bracketed, or a DNS name). Wildcards cover
 * exactly one leftmost label, as RFC 6125 and OpenSSL's default flags do.
 */
export function hostCoverage(host: string, sans: ReadonlyArray<SubjectAltName | OtherSubjectAltName>): HostCoverage {
  const ip = parseIpAddress(host);
  if (ip) {
    const match = sans.find((san) => {
      if (san.type !== 'ip') return false;
      const candidate = parseIpAddress(san.value);
      return candidate !== undefined && sameIpAddress(candidate, ip);
    });
    return {
      host,
      kind: 'ip',
      covered: match !== undefined,
      ...(match ? { matchedBy: formatSubjectAltName(match) } : {}),
    };
  }
  const name = normalizeDnsName(host);
  const match = sans.find((san) => san.type === 'dns' && dnsNameMatches(san.value, name));
  return {
    host,
    kind: 'dns',
    covered: match !== undefined,
    ...(match ? { matchedBy: formatSubjectAltName(match) } : {}),
  };
}

function dnsNameMatches(pattern: string, name: string): boolean {
  if (!pattern.startsWith('*.')) return pattern === name;
  const suffix = pattern.slice(1); // ".example.com"
  if (!name.endsWith(suffix)) return false;
  const first = name.slice(0, -suffix.length);
  return first.length > 0 && !first.includes('.');
}

function normalizeDnsName(name: string): string {
  const lower = name.trim().toLowerCase();
  return lower.endsWith('.') ? lower.slice(0, -1) : lower;
}

function isValidDnsName(name: string, allowWildcard: boolean): boolean {
  if (name.length === 0 || name.length > 253) return false;
  const labels = name.split('.');
  // An all-numeric last label is a mistyped IP address ("10.0.0.300"), never a host name.
  if (/^\d+$/.test(labels[labels.length - 1]!)) return false;
  return labels.every(
    (label, index) => (allowWildcard && index === 0 && label === '*' && labels.length > 1) || DNS_LABEL.test(label),
  );
}
