/** `pgfleet help create-secured-cluster`. */
export const text = `CREATE A NEW SECURED CLUSTER: credentials and TLS from the first start

The outage pgfleet was written after came from securing a fleet after the
fact. A new cluster can start with everything in place: its own etcd user
limited to its own prefix, TLS to etcd, and a protected REST API.

1. Site settings (pgfleet settings show: the file in use and its values;
   pgfleet settings schema: every field)
     patroni:
       etcd:
         hosts: [10.0.0.1:2379, 10.0.0.2:2379, 10.0.0.3:2379]
         protocol: https
         cacert: /etc/pgfleet/pki/ca.crt
       restapi:
         cafile: /etc/pgfleet/pki/ca.crt
         certfile: /etc/pgfleet/pki/node1.crt
         keyfile: /etc/pgfleet/pki/node1.key
         verify_client: optional
       ctl:
         cacert: /etc/pgfleet/pki/ca.crt
         certfile: /etc/pgfleet/pki/patronictl.crt
         keyfile: /etc/pgfleet/pki/patronictl.key
     etcd_admin:
       username: root
       password_file: /etc/pgfleet/etcd-root.password
   Rules checked when the file is read: cacert and cert need protocol https;
   cert and key go together; a verify_client other than none needs certfile;
   verify_client: required also needs ctl certificates (otherwise patronictl
   and pgfleet are locked out of the REST API). etcd cert/key (client
   certificates) only count when etcd runs with --client-cert-auth, and
   basic auth takes precedence over them: use one or the other.
   verify_client: optional asks for a client certificate on unsafe calls
   only (PATCH/PUT /config, POST /reload, /restart, /switchover...); GET
   endpoints stay open for health checks.

2. Certificates - for labs and small fleets; bring your own files otherwise
     pgfleet pki init
     pgfleet pki issue server node1 --san 10.0.0.11 --san node1.example.net
     pgfleet pki issue client patronictl
     pgfleet pki show
   Keys are written 0600 and never printed.

3. The cluster's etcd tenant, before its first node starts
     pgfleet etcd tenants plan
     pgfleet etcd tenants apply
   One user and one role (patroni-<scope> by default) with readwrite on
   exactly /<namespace>/<scope>/, trailing slash included. A cluster not yet
   in the DCS is listed in the tenants file (tenancy.tenants_file). The
   password goes to <secrets_dir>/patroni-<scope>.password (0600).

4. The nodes, each on its host
     pgfleet instance create main --patroni-cluster alpha \\
       --patroni-node alpha-1 \\
       --patroni-etcd-username patroni-alpha \\
       --patroni-etcd-password-file /var/lib/pgfleet/secrets/patroni-alpha.password \\
       --patroni-restapi-authentication-username patroni \\
       --patroni-restapi-authentication-password-file /etc/pgfleet/restapi.password
   Passwords come from files (0600), never from the command line. Before
   Patroni starts, a pre-flight authenticates as the cluster's user and
   writes, reads and deletes a probe key under /<namespace>/<scope>/. A wrong
   password, an unknown user or a role on another prefix stops the command
   before any process or data directory exists. With etcd auth still off it
   checks the user and its grant (given admin access), and says the password
   itself cannot be verified until auth is on. The first node bootstraps the cluster; the
   next ones (--patroni-node alpha-2, ...) join as replicas. The Patroni YAML
   is written atomically with mode 0600; to see it first, with secrets
   redacted:
     pgfleet patroni config render --name main --patroni-cluster alpha ...
   REST API basic auth protects the unsafe endpoints only, and should go with
   TLS (restapi certfile/keyfile): restapi secure plan and audit warn about
   basic auth without TLS.

5. etcd authentication
   If etcd auth is already on, the cluster is secured from its first start.
   If not, switch it on with the guarded procedure, which checks every
   member of every cluster first: pgfleet help secure-existing-fleet.

6. Check
     pgfleet etcd tenants verify     each tenant can use its prefix, and only it
     pgfleet audit --live            findings about etcd, the REST API, files

Patroni 3.0.2 notes: ctl.authentication (patronictl basic auth) needs Patroni
3.1 or later, so patroni.ctl.restapi_credentials is refused for 3.0.x;
etcd hosts, protocol and certificates are read only when Patroni starts.
Try it all on a lab first: pgfleet lab up (pgfleet lab up --etcd-tls for
etcd over TLS).
`;
