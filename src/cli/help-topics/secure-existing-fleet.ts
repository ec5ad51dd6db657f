/** `pgfleet help secure-existing-fleet`. */
export const text = `SECURE AN EXISTING FLEET: from an open etcd to an authenticated one, without an outage

Why a guarded procedure
  Switching etcd authentication on changes the state of every Patroni node at
  once. A node that holds no working credentials at that moment can no longer
  write to the DCS, and it keeps looking healthy: its watch stream, opened
  before auth was enabled, stays open, so GET /cluster answers 200 and
  dcs_last_seen keeps advancing. It breaks for real at the next watch
  reconnect, etcd restart or failover. So pgfleet goes in three phases,
  prepare -> apply -> enforce, enables auth only when every member is ready,
  proves each member can write with its own credentials, and rolls back by
  itself when one cannot.

Before you start
  pgfleet doctor                 programs and versions on this host, settings file in use
  pgfleet settings show          etcd hosts, namespaces, admin user, secrets directory
  pgfleet etcd auth status       auth on or off, token type, etcd version, each
                                 member's Patroni version and readiness, the
                                 migration's stage (an interrupted run too)
  pgfleet etcd auth plan         every member found in the DCS: what prepare,
                                 apply and enforce will do, what blocks (exit 1)
  - etcd must use simple tokens (the default). With --auth-token jwt every
    user or role change makes tokens stale, and Patroni < 3.2 does not
    re-authenticate: its primaries demote. enforce refuses that combination.
  - With Patroni 3.0.x, etcd must be 3.4.0 to 3.4.41: 3.4.42+, 3.5.x with the
    2026 lease/member-list fixes and 3.6.9+ check permissions on calls
    Patroni 3.0.2 makes without a token. enforce refuses those versions.
  - Every member's REST API must answer: members are paused and probed
    through it (with the REST API credentials from the settings where set).
  - The admin identity: etcd_admin.username (root by default) and its
    password in etcd_admin.password_file (0600) or $PGFLEET_ETCD_ADMIN_PASSWORD.

1. prepare - once, from any host with admin access
     pgfleet etcd auth prepare
   Creates root (holding the root role) and, for every cluster found in the
   DCS (every /<namespace>/<scope>/members/*: clusters pgfleet did not create
   count too), one etcd user and one role with readwrite on exactly
   /<namespace>/<scope>/. The trailing slash matters: without it the grant
   for alpha also covers alpha2. Passwords are generated once into 0600 files
   in the secrets directory (tenancy.secrets_dir), reused later, never
   printed. Nothing changes for Patroni yet: auth is still off.
   (pgfleet etcd tenants plan / apply show and make the same changes, with a
   plan first and a tenants file for clusters not in the DCS yet.)

2. apply - on every host that runs members
     pgfleet etcd auth apply
   Local members are pgfleet's instances and every Patroni running on the
   host with this site's etcd and namespace (plus stopped ones found at
   patroni.member_files, Debian's /etc/patroni/*.yml by default); a file
   that cannot be read is named, never skipped. Writes each member's tenant
   credentials into its Patroni YAML: a file pgfleet generated is rewritten
   atomically, mode 0600; any other file gets only etcd3.username/password
   changed, through its symlinks, comments, owner and group kept, others'
   access removed (said when the mode changes). Then POST /reload (it
   re-reads the etcd username and password), and the proof, from the
   process and its log, that the running Patroni re-read that very file
   and completed the reload. With auth off Patroni logs "Etcd
   authentication is not enabled" and carries on without a token. Only then
   it records in etcd that the member is ready: user name and a hash of the
   configuration, never the password. Copy the tenants' password files to
   the other hosts first (mode 0600), then run apply there too.

3. enforce - once, from any host with admin access
     pgfleet etcd auth enforce
   a. Gates. It refuses, listing every reason, when a member found in the
      DCS has no readiness record (or one for another user), a member is
      unreachable, JWT tokens meet Patroni < 3.2, the etcd version is one
      Patroni 3.0.2 cannot survive, or the admin credentials do not work.
   b. Pauses every cluster: a paused member does not demote on DCS errors.
   c. auth enable.
   d. Probes every member: it must write to the DCS with its own credentials
      (PATCH /config with a marker: one real change per member), and every
      tenant's credentials directly (PUT/GET/DELETE in its prefix, denied on
      a neighbour's prefix and outside).
   e. If a probe fails: auth disable at once, resume the clusters, and
      report which member failed and why (exit code 3). The time auth was
      on is measured and reported. Before resuming, every member must show
      a fresh marker in its view of the DCS: Patroni 3.0.2 can be left
      reading a watch etcd cancelled when auth goes off while it
      re-authenticates. Such a member managed on this host has its Patroni
      daemon restarted while paused (PostgreSQL keeps running); any other
      is named, with the command to run.
   f. Otherwise resumes every cluster and reports what was done.
   The run's state lives in etcd, so an interrupted enforce can be inspected
   (pgfleet etcd auth status) and rolled back (pgfleet etcd auth rollback)
   from any host. One run at a time: a second coordinator exits 5 (busy),
   naming the run that holds the lock. Once a dead coordinator's lock has
   expired, pgfleet etcd auth migrate finishes its run: one that had passed
   every probe is carried forward (its clusters resumed, recorded
   enforced), any other is rolled back, then migrated again. A rolled-back
   run names each cause and the commands that fix it (a password changed
   in etcd by hand: pgfleet etcd tenants apply), and every report gives the
   wall-clock time of each step. Status reads the pause state from the
   members and says where the run's record disagrees with them.

   The three phases in one go: the plan, a confirmation, then the phases
   (a blocked plan changes nothing):
     pgfleet etcd auth migrate          (--yes skips the confirmation)

A fleet spread over hosts
  Each host runs its own pgfleet with its own settings, secrets and Patroni
  YAMLs; one host, the coordinator, drives the migration (it needs the etcd
  admin identity and must reach every member's REST API and etcd; it need
  not run a member).
    on the coordinator:   pgfleet etcd auth plan
                          pgfleet etcd auth prepare
    hand over:            each host gets the password files of the tenants
                          of the clusters it runs members of, and no other:
                            scp -p <secrets_dir>/patroni-alpha.password \
                                   host1:<secrets_dir>/
                          (mode 0600 kept, owner root; or install -m 600)
    on each member host:  pgfleet etcd auth apply --host-only
    on the coordinator:   pgfleet etcd auth enforce
  Why files are copied, not exported and imported: a tenant's password
  already is a 0600 file, and pgfleet reads it only from one. A copy over
  ssh goes from file to file; an export would put it on a terminal, in a
  pipe or a shell history, where logs and scrollback keep it. Never pass it
  as an argument (ps shows arguments to every user) or in an environment.
  Today \`apply\` records each member's readiness as the etcd admin, so each
  member host also needs etcd_admin.password_file (0600), or
  $PGFLEET_ETCD_ADMIN_PASSWORD.
  Hosts are told apart by name in the run lock, the readiness records and
  the run's coordinator: the kernel's host name, or $PGFLEET_HOST_NAME where
  hosts share one (containers, network namespaces).
  The gates refuse a member the coordinator cannot reach, naming it, and
  change nothing: a host cut off from the coordinator stops enforce before
  auth is switched on. An etcd member that is down or cut off while quorum
  holds does not stop enforce; the report names its endpoint. If the
  coordinator is lost during enforce, run \`pgfleet etcd auth status\` on any
  other host: it shows the interrupted run (which host ran it), and
  \`pgfleet etcd auth rollback\` there finishes it once the coordinator's run
  lock has lapsed (RUN_BUSY, exit 5, until then: a few seconds).

Afterwards
  pgfleet etcd tenants verify    isolation proof: each tenant reads and writes
                                 its own prefix and is denied everywhere else
  pgfleet audit --live           the security posture of the whole fleet
  pgfleet etcd auth rollback     auth disable (as admin) and resume the
                                 clusters; users and roles stay in place

Try it on a lab first: pgfleet lab demo tells the whole story on a real
etcd and real Patroni clusters, pgfleet lab demo --hosts 3 tells it across
hosts (each in its own network namespace, as root: the hand-over and
\`apply --host-only\` on each host), and pgfleet lab replay-outage shows what
the naive runbook (auth enabled before every node has credentials) does.
pgfleet lab up --hosts 3, lab exec HOST -- CMD and lab partition HOST give
you the hosts, and the partitions, to rehearse on. Next steps: TLS to etcd (pgfleet etcd tls
migrate) and REST API protection (pgfleet restapi secure plan / apply); see
pgfleet help create-secured-cluster for the settings.
`;
