/**
 * Hosts as they appear in Patroni and etcd settings (`127.0.0.1:2379`,
 * `[::1]:8008`, `https://10.0.0.1:2379`), and whether they stay on the host.
 */
export function hostOf(address: string): string {
  let rest = address.trim().replace(/^[a-z][a-z0-9+.-]*:\/\//i, '');
  rest = rest.replace(/^[^@/]*@/, '').replace(/\/.*$/, '');
  if (rest.startsWith('[')) return rest.slice(1, rest.indexOf(']') > 0 ? rest.indexOf(']') : undefined);
  const colons = rest.split(':').length - 1;
  // A bare IPv6 address has several colons and no port to strip.
  if (colons > 1) return rest;
  return colons === 1 ? rest.slice(0, rest.indexOf(':')) : rest;
}

/** Loopback: 127.0.0.0/8, ::1, localhost. The wildcard addresses (0.0.0.0, ::, empty) listen on every interface. */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase();
  return (
    h === 'localhost' ||
    h.endsWith('.localhost') ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h) ||
    h === '::1' ||
    h === '0:0:0:0:0:0:0:1' ||
    h === '::ffff:127.0.0.1'
  );
}

export function isLoopbackAddress(address: string): boolean {
  return isLoopbackHost(hostOf(address));
}
