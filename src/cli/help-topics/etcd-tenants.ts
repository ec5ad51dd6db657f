/** `pgfleet help etcd-tenants`. */
export const text = `ETCD TENANTS: one etcd user and role per Patroni cluster, on its prefix only

A tenant is one Patroni cluster (namespace + scope). Its etcd user and role
(patroni-<scope> by default: tenancy.user_format, tenancy.role_format) hold
readwrite on exactly /<namespace>/<scope>/, trailing slash included, so that
alpha never covers alpha2. pgfleet's own admin identity (etcd_admin.username,
root by default) holds the root role; its password comes from
etcd_admin.password_file or $PGFLEET_ETCD_ADMIN_PASSWORD, never an argument.

Which clusters are tenants
  - the clusters of the instances pgfleet manages on this host;
  - every cluster with a member key /<namespace>/<scope>/members/<name> in
    the DCS, under patroni.etcd.namespace and tenancy.namespaces, whoever
    created it (clusters nobody listed are the ones an auth switch breaks);
  - the tenants file (tenancy.tenants_file, or --tenants-file).
  A scope that is empty or holds "/" cannot be isolated: every command
  refuses it and names the DCS key, YAML file or line it came from.

The tenants file
  tenants:
    - scope: gamma              # a cluster whose first node has not started
    - scope: alpha
      namespace: /service/      # default: patroni.etcd.namespace
      user: app-alpha           # default: from tenancy.user_format
      role: app-alpha           # default: from tenancy.role_format
  Each user and each role may serve one cluster only; root is refused.
  Errors name the file, the line and the field.

Clients that are not Patroni (same file)
  clients:
    - name: vip-alpha           # its etcd user and role (user:, role: override)
      kind: vip-manager         # read of /<namespace>/alpha/leader only
      scope: alpha
      version: 2.8.0            # judged: a v2-only vip-manager (Debian's
                                # 1.0.2) cannot read a v3 cluster: refused
    - name: prometheus
      kind: monitoring          # read of a cluster's prefix (or prefix:)
      scope: alpha
    - name: admin1-patronictl
      kind: patronictl          # its own identity, readwrite on the cluster
      scope: alpha
    - name: confd-app
      kind: confd               # read of a prefix
      prefix: /app/config/
  tenants apply (and etcd auth prepare) gives each its user, its role with
  that one grant and nothing more, and a 0600 password file. Configure the
  client with them, then: pgfleet etcd clients ready NAME. enforce refuses
  until every declared client is ready, then proves each once auth is on.

Acknowledged census subjects (same file)
  acknowledged:
    - subject: "unknown-writer:/app/"     # the id \`etcd auth plan\` prints
      reason: "the app cache: it falls back to its database"
  One line per subject: enforce goes on over it, names it in its report,
  and it is refused by etcd once auth is on. A Patroni cluster with live
  members outside the configured namespaces cannot be acknowledged: add
  its namespace to tenancy.namespaces.

Commands
  pgfleet etcd tenants plan       the changes, in the order apply makes them;
                                  exit 1 when some are pending
  pgfleet etcd tenants apply      admin user first, then each tenant; a
                                  second run plans nothing
  pgfleet etcd tenants show       users, roles and decoded ranges
  pgfleet etcd tenants verify     the isolation proof (below)
  Users and roles named like tenants that no cluster uses any more are
  listed as orphans, and deleted only with --prune. Users pgfleet did not
  name are left alone.

Passwords
  One long random password per tenant user, in <secrets_dir>/<user>.password
  (0600; the directory must be 0700: an open one is refused). An existing
  file is reused, never regenerated, and no password is ever printed.
  With etcd auth on, plan tries each file's password: a rotated file shows
  up as "set the password ... from its file". With auth off etcd cannot
  check a password (it answers "not enabled" to any), so apply sets each
  existing user's password from its file; nothing holds a token then.
  With auth on, a user whose file is missing on this host is NOT given a new
  password (its members would lose the DCS) unless --reset-missing-passwords
  is given: copy the files from the host that created them instead.

The isolation proof (verify)
  Static, over every role range (works with auth off): each tenant's user,
  role and grant exist; no tenant user holds root; no range of a tenant
  reaches outside its prefix - a prefix without its trailing slash
  (/service/alpha reaches /service/alpha2/), the whole keyspace, another
  cluster's prefix - and no two tenant prefixes nest.
  Live, with auth on, each tenant with its own password, tenants side by
  side (--concurrency): put, get and delete a key under its prefix must
  work; reading <other prefix>leader and writing under every other tenant's
  prefix must be denied, and so must both outside every prefix. verify
  exits 0 only when both parts pass (--static-only: the static part alone).
`;
