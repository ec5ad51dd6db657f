/** `pgfleet help rotate-tenant-password`. */
export const text = `ROTATE A TENANT PASSWORD: a new etcd password for one cluster, no demotion

A tenant is one Patroni cluster: etcd user patroni-<scope> (by default) with
readwrite on /<namespace>/<scope>/. Its password lives in one file,
<secrets_dir>/<user>.password (0600; pgfleet settings show prints the
secrets directory), and in the etcd section of the Patroni YAML of each of
the cluster's members. pgfleet treats the file as the source of truth.

What makes the order matter (etcd 3.4 with simple tokens, Patroni 3.0.2)
  - Patroni re-reads etcd3.username/password on reload, but does not
    re-authenticate then: it keeps its current token and uses the new
    password at its next authentication error.
  - Changing a user's password in etcd invalidates that user's tokens (and
    only that user's). Patroni gets "invalid auth token" and authenticates
    again, with the password it has loaded.
  So give Patroni the new password first, then change it in etcd. In the
  other order every member fails its DCS writes from the moment etcd has the
  new password until its YAML is reloaded.

Steps
  0. Check: auth is on, tokens are simple (JWT tokens with Patroni < 3.2:
     do not rotate live; every auth change makes the tokens stale).
       pgfleet etcd auth status
  1. Pause the cluster, as a safety net: a paused member does not demote on
     DCS errors. (pgfleet instance env NAME, or pgfleet lab env on a lab,
     points patronictl at a member's YAML.)
       patronictl pause alpha --wait
  2. Write the new password into the tenant's file, the same on every host
     that runs a member of the cluster (mode 0600, same owner as before):
       f=/var/lib/pgfleet/secrets/patroni-alpha.password
       (umask 077; openssl rand -base64 32 > "$f.new") && mv "$f.new" "$f"
  3. On each of those hosts: put it into the local members' YAML and reload
     them (atomic rewrite, mode 0600; POST /reload).
       pgfleet etcd auth apply
  4. Once, from a host with admin access: set it in etcd. prepare finds that
     the file's password no longer authenticates and sets it on the user
     (as on any run, it also creates what is missing for clusters found
     since the last one).
       pgfleet etcd auth prepare
     Each member's Patroni log then shows "Invalid auth token" followed by
     "Trying to authenticate on Etcd..." and no error.
  5. Prove it: the tenant authenticates with the new password, works in its
     own prefix and is denied everywhere else.
       pgfleet etcd tenants verify
  6. Resume the cluster.
       patronictl resume alpha --wait

Rolling back: put the old password back into the file on every host, then
run step 3 and step 4 again (apply before prepare, as above).
Other clusters are untouched: only the rotated user's tokens are
invalidated, and apply rewrites the other local members with the
credentials they already have.
`;
