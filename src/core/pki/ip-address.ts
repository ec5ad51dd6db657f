/**
 * IP address literals, as they appear in a subjectAltName and in a host a
 * client connects to. Certificates compare addresses by value, so "::1",
 * "0:0:0:0:0:0:0:1" (openssl's spelling) and "[::1]" must all compare equal:
 * both forms are reduced to one canonical text.
 */

export type IpVersion = 4 | 6;

export interface IpAddress {
  version: IpVersion;
  /** Canonical text: dotted quad, or RFC 5952 IPv6 ("::1", "fe80::1:2", lower case, longest zero run compressed). */
  canonical: string;
}

/** Parses an IPv4 or IPv6 literal (brackets allowed around IPv6); undefined when it is not one. */
export function parseIpAddress(text: string): IpAddress | undefined {
  const trimmed = text.trim();
  const unbracketed = trimmed.startsWith('[') && trimmed.endsWith(']') ? trimmed.slice(1, -1) : trimmed;
  const v4 = parseIpv4(unbracketed);
  if (v4) return { version: 4, canonical: v4.join('.') };
  const v6 = parseIpv6(unbracketed);
  if (v6) return { version: 6, canonical: formatIpv6(v6) };
  return undefined;
}

export function sameIpAddress(a: IpAddress, b: IpAddress): boolean {
  return a.version === b.version && a.canonical === b.canonical;
}

/** RFC 5952: the longest run of two or more zero groups (the first on a tie) becomes "::". */
function formatIpv6(groups: number[]): string {
  let bestStart = -1;
  let bestLength = 1;
  for (let start = 0; start < groups.length;) {
    if (groups[start] !== 0) {
      start += 1;
      continue;
    }
    let end = start;
    while (end < groups.length && groups[end] === 0) end += 1;
    if (end - start > bestLength) {
      bestStart = start;
      bestLength = end - start;
    }
    start = end;
  }
  const hex = groups.map((group) => group.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}

function parseIpv4(text: string): number[] | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  const octets: number[] = [];
  for (const part of parts) {
    // No leading zeros: "010" is octal to some parsers and decimal to others.
    if (!/^(0|[1-9]\d{0,2})$/.test(part)) return undefined;
    const value = Number(part);
    if (value > 255) return undefined;
    octets.push(value);
  }
  return octets;
}

function parseIpv6(text: string): number[] | undefined {
  // Zone ids (fe80::1%eth0) never appear in a certificate.
  if (text.length === 0 || text.includes('%')) return undefined;
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const head = halves[0] ? halves[0].split(':') : [];
  const tail = halves.length === 2 && halves[1] ? halves[1].split(':') : [];
  const groups: number[] = [];
  const parseGroups = (parts: string[], allowTrailingIpv4: boolean): number[] | undefined => {
    const result: number[] = [];
    for (let index = 0; index < parts.length; index += 1) {
      const part = parts[index]!;
      if (allowTrailingIpv4 && index === parts.length - 1 && part.includes('.')) {
        const v4 = parseIpv4(part);
        if (!v4) return undefined;
        result.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
        continue;
      }
      if (!/^[0-9a-fA-F]{1,4}$/.test(part)) return undefined;
      result.push(parseInt(part, 16));
    }
    return result;
  };
  const headGroups = parseGroups(head, halves.length === 1);
  const tailGroups = parseGroups(tail, true);
  if (!headGroups || !tailGroups) return undefined;
  if (halves.length === 1) {
    if (headGroups.length !== 8) return undefined;
    return headGroups;
  }
  const missing = 8 - headGroups.length - tailGroups.length;
  if (missing < 1) return undefined;
  groups.push(...headGroups, ...new Array<number>(missing).fill(0), ...tailGroups);
  return groups;
}
