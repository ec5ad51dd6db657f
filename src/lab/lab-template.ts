/**
 * The Patroni template a lab writes for its nodes (through the settings'
 * `patroni.template`, as any site would): timings suited to loopback so a lab
 * elects and recovers within seconds, and a small PostgreSQL footprint.
 * Nothing pgfleet manages (watchdog, pg_rewind, addresses, credentials): the
 * lab's settings say those, as a site's would, and a template setting them
 * would only be overridden (the audit flags it).
 */
export const LAB_PATRONI_TEMPLATE = `# Patroni template of a pgfleet lab (patroni.template in the lab settings).
bootstrap:
  dcs:
    ttl: 20
    loop_wait: 2
    retry_timeout: 5
    maximum_lag_on_failover: 1048576
    postgresql:
      parameters:
        max_connections: 50
        max_wal_senders: 10
        max_replication_slots: 10
        wal_level: replica
        wal_log_hints: 'on'
        hot_standby: 'on'
        wal_keep_size: 64MB
  initdb:
    - encoding: UTF8
    - data-checksums
    - auth-local: peer
    - auth-host: scram-sha-256
postgresql:
  parameters:
    shared_buffers: 16MB
    password_encryption: scram-sha-256
    logging_collector: 'off'
    log_min_messages: warning
`;
