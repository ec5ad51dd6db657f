/**
 * Environment variables that may hold an instance's password instead of a
 * 0600 file (a password is never a command-line argument).
 */
export const ETCD_PASSWORD_ENV = 'PGFLEET_PATRONI_ETCD_PASSWORD';
export const RESTAPI_PASSWORD_ENV = 'PGFLEET_PATRONI_RESTAPI_PASSWORD';
