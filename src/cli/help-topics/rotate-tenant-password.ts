/** `pgfleet help rotate-tenant-password`. */
export const text = `ROTATE A TENANT PASSWORD: a new etcd password for one cluster, no demotion

A tenant is one Patroni cluster: etcd user patroni-<scope> (by default) with
readwrite on /<namespace>/<scope>/. Its password lives in one file,
<secrets_dir>/<user>.password (0600; pgfleet settings show prints the
secrets directory), and in the etcd section of the Patroni YAML of each of
the cluster's members. pgfleet treats the file as the source of truth.

One command does it, guarded, on the host that holds the password files:
  pgfleet etcd tenants rotate alpha --check   # the plan; nothing changes
  pgfleet etcd tenants rotate alpha           # or several scopes, or --all

What it does, per cluster (one after the other)
  0. Gates, before any change: the tenant's user exists and etcd accepts
     the password in its file; every member answers and runs, and its YAML
     (on this host) holds that password; the compatibility matrix allows
     rotating a password for each member's Patroni and the etcd in use
     (JWT tokens with Patroni < 3.2: refused).
  1. Pause the cluster: a paused member does not demote on DCS errors.
  2. A new random password into the file (0600, same owner); the old one
     is kept in <file>.previous (0600) until the run ends.
  3. The new password into the YAML of every member of this host (pgfleet's
     own files rewritten atomically; adopted files edited on two lines),
     POST /reload, and the proof from each member's log that Patroni took it.
  4. The password changed in etcd (changepw, through the API).
     Each member's Patroni then logs "Invalid auth token" followed by
     "Trying to authenticate on Etcd..." and no error.
  5. Verify: etcd refuses the old password and accepts the new one; every
     member writes to the DCS (PATCH /config marker); the tenant, with its
     new password, works in its own prefix and is denied elsewhere.
  6. Resume the cluster.
At the first failure: the old password back in the YAMLs (reloaded,
proven), in etcd and in the file; every member probed again; the cluster
resumed; exit 3 with the member and file named.

Why this order (etcd 3.4 with simple tokens, Patroni 3.0.2)
  - Patroni re-reads etcd3.username/password on reload, but does not
    re-authenticate then: it keeps its current token and uses the new
    password at its next authentication error.
  - Changing a user's password in etcd invalidates that user's tokens (and
    only that user's). Patroni gets "invalid auth token" and authenticates
    again, with the password it has loaded.
  So Patroni gets the new password first, then etcd. In the other order
  every member fails its DCS writes until its YAML is reloaded.
  The password changes in place rather than through a second user: measured
  on the lab (npm run bench:rotation), both cost each member one refused
  token that Patroni answers at once, with no failed DCS write; a second
  user makes three auth-store changes instead of one.

Where it stands, from any host
  pgfleet etcd tenants rotate --status     # phase, each cluster's step
  pgfleet etcd auth status                 # shows a rotation under way
A coordinator killed mid-run leaves its state in etcd: run
  pgfleet etcd tenants rotate --rollback   # the old password back everywhere
(or rotate again: the interrupted run is rolled back first), on a host that
holds the password files (the coordinator's host always does).

Clusters spread over several hosts
  The first run writes the members of its own host and stops, the cluster
  paused, naming the members elsewhere. Copy <file> (0600) to each of their
  hosts and run there:
    pgfleet etcd tenants rotate alpha --host-only
  (it keeps the password the YAMLs held in <file>.previous, writes the new
  one, reloads, and records the members ready with the new password's
  fingerprint). Then run the same rotate again on the first host: it checks
  the records, changes the password in etcd, verifies and resumes.
  To give up: pgfleet etcd tenants rotate --rollback, and on each other
  host: pgfleet etcd tenants rotate --rollback --host-only.

Other clusters are untouched: only the rotated user's tokens are
invalidated.
`;
