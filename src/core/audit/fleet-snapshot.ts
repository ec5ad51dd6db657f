import type { KeyRange } from '../etcd/key-range.js';
import type { ConfigTree } from '../patroni-config/deep-merge.js';
import type { ProbeOutcome } from '../restapi/probe-matrix.js';
import type { SiteSettings } from '../settings/site-settings.js';
import type { CensusSubject } from '../census/census-subject.js';
import type { DeclaredClient } from '../tenancy/declared-clients.js';

/**
 * Everything the audit rules look at, collected once (src/audit) and then
 * read by pure rules. It holds no secret value: passwords in documents are
 * Secret objects, command lines have their password values replaced.
 */
export interface FleetSnapshot {
  settings: SiteSettings;
  /** The settings file, or undefined when every default applies. */
  settingsSource?: string | undefined;
  /** The OS user Patroni runs as (settings patroni.user as root, else the invoking user), when known. */
  patroniUser?: { name: string; uid: number } | undefined;
  /** `patroni --version` of the installed Patroni, when it was asked. */
  installedPatroniVersion?: string | undefined;
  patroniFiles: PatroniYamlFile[];
  /** The site template (settings patroni.template); the built-in one is pgfleet's own and not audited. */
  template?: TemplateFile | undefined;
  secretFiles: SecretFileFacts[];
  /** Certificates the settings and the Patroni YAMLs name (absent: not collected). */
  certificates?: CertificateFacts[] | undefined;
  processes: ProcessFacts[];
  /** Present with `--live`. */
  live?: LiveFacts | undefined;
  /** What the collector could not look at, and why: the audit says it rather than stay silent. */
  gaps: AuditGap[];
}

export interface FileFacts {
  path: string;
  /** Permission bits (mode & 0o7777). */
  mode: number;
  uid: number;
  gid: number;
  /** The owner's user name, when /etc/passwd knows the uid. */
  ownerName?: string | undefined;
}

export interface YamlDocumentFacts extends FileFacts {
  /** The parsed document, every password replaced by a Secret; undefined when unreadable or not valid YAML. */
  document?: ConfigTree | undefined;
  /** Why the document could not be read. */
  problem?: string | undefined;
  /** 1-based line of each key, by dotted path (`etcd3.password`). */
  keyLines: Record<string, number>;
  /**
   * pgfleet generated it (its header opens the file): fixes go through the
   * settings and pgfleet's commands. False for a file someone else wrote,
   * whose fixes name the key and the file; undefined when it was not read.
   */
  generated?: boolean | undefined;
}

/**
 * A Patroni YAML of this host: in the settings' Patroni config directory,
 * given with --config, or adopted (the file a running Patroni of this
 * fleet reads, or one at patroni.member_files).
 */
export interface PatroniYamlFile extends YamlDocumentFacts {
  origin: 'config-dir' | 'argument' | 'adopted';
}

export type TemplateFile = YamlDocumentFacts;

export type SecretFileKind = 'etcd-admin-password' | 'tenant-password' | 'private-key' | 'pgpass';

/** A file holding a secret (stat only: the audit never reads a secret file). */
export interface SecretFileFacts extends FileFacts {
  kind: SecretFileKind;
  /** Where the audit learnt of it (a settings field or a Patroni YAML key). */
  referencedBy: string;
  /** Patroni reads it (so it must belong to the Patroni user); pgfleet's own secrets belong to whoever runs pgfleet. */
  readByPatroni: boolean;
}

/** A certificate file in use, as read when the snapshot was taken (public material only). */
export interface CertificateFacts {
  path: string;
  /** Where the audit learnt of it (a settings field or a Patroni YAML key). */
  referencedBy: string;
  /** ISO dates; absent when the file could not be read (then `problem`). */
  notAfter?: string | undefined;
  subject?: string | undefined;
  /** When it was read: the rules count days from here, not from when they run. */
  checkedAt: string;
  problem?: string | undefined;
}

export type AuditedProgram = 'etcd' | 'etcdctl' | 'patroni' | 'patronictl' | 'pgfleet';

/** A running etcd/patroni/pgfleet process, from /proc/PID/cmdline, password values replaced. */
export interface ProcessFacts {
  pid: number;
  program: AuditedProgram;
  args: string[];
  /** The options (or forms, such as `user:password@` in a URL) that carried a password. */
  passwordArguments: string[];
  /**
   * For etcd only: the ETCD_* variables of its environment that configure
   * what the audit checks (client certificate auth, token type), never
   * anything else of the environment.
   */
  etcdEnvironment?: Record<string, string> | undefined;
}

export interface AuditGap {
  /** What was not checked: "etcd users and roles", "REST API of /service/alpha/node1". */
  what: string;
  reason: string;
}

export interface LiveFacts {
  etcd: EtcdFacts;
  restApis: RestApiFacts[];
  /** The census of the etcd (every client, not only the configured namespaces'); undefined when it could not be taken. */
  census?: CensusFacts | undefined;
}

/** What the census found that the fleet does not account for, and the clients the tenants file declares. */
export interface CensusFacts {
  subjects: CensusSubject[];
  /** Subjects the tenants file acknowledges, by id, with the reason. */
  acknowledged: Array<{ subject: string; reason: string; origin: string }>;
  v2: { served: boolean; authEnabled: boolean | undefined; keyCount: number };
  declaredClients: Array<Pick<DeclaredClient, 'name' | 'kind' | 'user' | 'role' | 'grant' | 'origin'>>;
  incomplete: string[];
}

export type TokenKind = 'simple' | 'jwt' | 'unknown';

export interface EtcdFacts {
  endpoints: string[];
  authEnabled: boolean;
  versions: Array<{ endpoint: string; version: string }>;
  unreachableEndpoints: string[];
  tokenType: TokenKind;
  /** How the token type was learnt ("admin token", "etcd --auth-token flag", ...). */
  tokenTypeSource?: string | undefined;
  /** Users and roles; undefined when they could not be read (auth on and no working admin credentials). */
  users?: Array<{ name: string; roles: string[] }> | undefined;
  roles?:
    Array<{ name: string; permissions: Array<KeyRange & { permType: 'READ' | 'WRITE' | 'READWRITE' }> }> | undefined;
  /** Clusters with members registered under the audited namespaces. */
  clusters: DiscoveredCluster[];
  /** etcd's own command line (from /debug/vars), password values replaced; undefined when not exposed. */
  serverArgs?: string[] | undefined;
  /**
   * Which etcd user each member's Patroni uses, as `etcd auth apply` recorded
   * it in etcd (readiness records): members on other hosts included.
   */
  memberCredentials?: Array<{ member: string; username: string }> | undefined;
  /** A TLS connection without a client certificate (only tried when etcd is reached over https). */
  clientCertProbe?:
    { endpoint: string; outcome: 'refused' | 'accepted' | 'error'; detail?: string | undefined } | undefined;
}

export interface DiscoveredCluster {
  namespace: string;
  scope: string;
  members: Array<{ name: string; apiUrl?: string | undefined; patroniVersion?: string | undefined }>;
  /** From the cluster's `config` key (its dynamic configuration), when present. */
  config?: DynamicConfigFacts | undefined;
}

/** The parts of a cluster's dynamic configuration (DCS `config` key) the rules read. */
export interface DynamicConfigFacts {
  synchronousMode?: boolean | undefined;
  usePgRewind?: boolean | undefined;
}

/** What an anonymous client, and pgfleet with its own credentials, could do on one member's REST API. */
export interface RestApiFacts {
  /** `<namespace><scope>/<name>` when known from the DCS or a YAML, else the URL. */
  member: string;
  url: string;
  namespace?: string | undefined;
  scope?: string | undefined;
  /** The local Patroni YAML describing this member, if any. */
  configFile?: string | undefined;
  /** Anonymous GET /patroni. */
  safe: RestProbeResult;
  /** Anonymous empty PATCH /config: refused (401/403) when protected, else answered 400 by Patroni, which then writes nothing. */
  unsafe: RestProbeResult;
  /**
   * GET /patroni through pgfleet's own client: the credentials of the
   * member's YAML as patronictl reads them, else the settings' patroni.ctl.
   */
  pgfleet?: RestProbeResult | undefined;
  /** The Patroni version the member published in its DCS key. */
  patroniVersion?: string | undefined;
}

export interface RestProbeResult {
  outcome: ProbeOutcome;
  status?: number | undefined;
  detail?: string | undefined;
}
