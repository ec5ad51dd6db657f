/** `pgfleet help protect-rest-api`. */
export const text = `PROTECT THE PATRONI REST API of a live fleet: TLS, client certificates, basic auth

What protects what (Patroni's security page)
  Unsafe endpoints (POST /switchover, /restart, /reinitialize, /reload,
  PATCH /config...) can take basic auth. Safe ones (every GET) are open to
  anyone who reaches the port, unless TLS with verify_client: required.
    verify_client none      TLS only: encrypted, nobody's certificate checked
    verify_client optional  a client certificate for unsafe calls (403 without)
    verify_client required  a client certificate for every call: the TLS
                            handshake itself fails without one
  Patroni checks the client certificate before the password (403, then 401).
  Basic auth without TLS sends the password in clear text: allowed, warned.

Why an order
  Patroni calls its peers' REST API (leader race, switchover), and so do
  patronictl and pgfleet. Turn a server to https before its callers trust the
  CA, or ask for client certificates before they present one, and they are
  locked out. So restapi secure goes clients first, servers after, one phase
  over the whole fleet before the next, replicas before their leader:
    1. client         ctl.cacert/certfile/keyfile in every member's YAML
    2. server-tls     restapi certfile/keyfile/cafile, verify_client none
    3. verify-client  verify_client optional or required
    4. basic-auth     restapi.authentication (ctl.authentication on 3.1+)
  Each step rewrites one YAML (atomically, 0600, validated) and POST /reload:
  Patroni 3.0.2 rebuilds its REST socket on reload, also from http to https.

1. Certificates (or bring your own: every setting takes paths)
     pgfleet pki init
     pgfleet pki issue server node1 --san 10.0.0.11 --san node1.example.net
     pgfleet pki issue client patroni
   Install them where the Patroni user can read them (keys 0600, owned by it).

2. The target, in the site settings
     patroni:
       restapi:
         cafile: /etc/patroni/tls/ca.crt       # CA of the client certificates
         certfile: /etc/patroni/tls/node1.crt
         keyfile: /etc/patroni/tls/node1.key
         verify_client: optional
         authentication:
           username: patroni
           password_file: /etc/pgfleet/restapi-{scope}.password   # 0600
       ctl:
         cacert: /etc/patroni/tls/ca.crt       # CA of the server certificates
         certfile: /etc/patroni/tls/patroni.crt
         keyfile: /etc/patroni/tls/patroni.key
   One password per cluster ({scope}): patronictl on any member sends its own
   YAML's password to the leader, so a cluster's members must share it.

3. Plan - changes nothing
     pgfleet restapi secure plan
   Refuses, naming the file and what to do: a certificate that does not match
   its key, an expired one, one the CA did not sign, a SAN missing a member's
   address, verify_client without a certfile, a password file others can
   read, files the Patroni user cannot load (checked as that user: a failed
   TLS load on reload leaves Patroni 3.0.2 without a REST API until it is
   restarted), and any step that would weaken a member.

4. Apply - on every host that runs members
     pgfleet restapi secure apply
   After each step, with the credentials of the member's new YAML (what
   patronictl uses): its Patroni processed the reload, it runs with the same
   role and leader, its new api_url is in the DCS, its peers and it reach
   each other, and the probe matrix is the expected one. At the first
   failure the member gets its previous YAML back (reloaded by REST, else
   SIGHUP), apply stops (exit code 3) and the fleet works; plan again after
   the fix: it starts from where the fleet is.

Afterwards
  pgfleet restapi status          each member through pgfleet's own client
  pgfleet restapi probe           anonymous / CA / certificate / password / both
                                  on GET /patroni and an empty PATCH /config
                                  (refused or 400: writes nothing), vs expected
  pgfleet cluster switchover S    POST /switchover with the configured credentials
  patronictl                      with PATRONICTL_CONFIG_FILE=<the member's YAML>

Rotating the password and renewing the certificates, later
  pgfleet restapi rotate-password   per cluster: a new password into its file
                                  (the old one kept until done), into every
                                  member's restapi.authentication (and
                                  ctl.authentication), every member reloaded
                                  at once through its old password, then the
                                  new one let in and the old one refused;
                                  rolled back at the first failure. Patroni
                                  3.0.2 accepts one password per member: a
                                  caller using the other one is refused only
                                  between the first and the last reload (one
                                  HA loop); pgfleet itself never is.
  pgfleet pki renew               the certificates the settings name, from
                                  the same CA: swapped atomically, reloaded
                                  (Patroni re-applies REST API TLS when the
                                  serial changes), probed by a handshake;
                                  etcd client certificates by a restart while
                                  paused. pgfleet audit warns
                                  pki.expiry_warning_days (default 30) before
                                  a certificate in use expires.

Try it on a lab: pgfleet lab up, pgfleet lab restapi-tls, then plan and apply
with the lab's settings in effect (eval "$(pgfleet lab env)").
`;
