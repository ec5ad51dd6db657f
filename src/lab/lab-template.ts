/**
 * The Patroni template a lab writes for its nodes (through the settings'
 * `patroni.template`, as any site would): timings suited to loopback so a lab
 * elects and recovers within seconds, and a small PostgreSQL footprint.
 * Nothing pgfleet manages (watchdog, pg_rewind, addresses, credentials): the
 * lab's settings say those, as a site's would, and a template setting them
 * would only be overridden (the audit flags it).
 *
 * Lean on purpose, for labs of up to 100 clusters on one small machine: few
 * background workers, one autovacuum worker, small buffers (work_mem is left
 * to the DCS: it costs nothing idle, and the dynamic-mode tests change it).
 * This template is the lab's only: configurations pgfleet generates for a
 * real fleet never get these settings.
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
        max_wal_senders: 5
        max_replication_slots: 5
        max_worker_processes: 2
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
    shared_buffers: 8MB
    maintenance_work_mem: 8MB
    autovacuum_max_workers: 1
    max_parallel_workers: 0
    max_parallel_workers_per_gather: 0
    jit: 'off'
    password_encryption: scram-sha-256
    logging_collector: 'off'
    log_min_messages: warning
`;
