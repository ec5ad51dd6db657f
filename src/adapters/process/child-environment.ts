/** Variables a child program may need to run and to find TLS trust stores; nothing else of pgfleet's environment goes down. */
const KEPT =
  /^(?:PATH|HOME|USER|LOGNAME|LANG|LANGUAGE|LC_[A-Z]+|TZ|TMPDIR|SSL_CERT_FILE|SSL_CERT_DIR|REQUESTS_CA_BUNDLE|XDG_RUNTIME_DIR|DBUS_SESSION_BUS_ADDRESS)$/;

/**
 * The environment for a program pgfleet runs (patroni --validate-config,
 * systemctl...): an allow-list, so that a password given to pgfleet in its
 * own environment ($PGFLEET_PATRONI_ETCD_PASSWORD, $PGFLEET_ETCD_ADMIN_PASSWORD)
 * is never in a child's environment, where `ps e` would show it, and that
 * PATRONI_* variables do not override the file a Patroni child reads.
 */
export function childEnvironment(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([name, value]) => value !== undefined && KEPT.test(name)));
}
