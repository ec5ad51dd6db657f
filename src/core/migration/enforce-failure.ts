import type { DcsLogCause } from './dcs-log-diagnosis.js';
import { ETCD_TOO_SLOW } from './dcs-write-probe.js';

/**
 * Why a member or a tenant failed enforce (at a gate or in the probes), and
 * the fix that works for each cause: the hint an operator follows as
 * printed. A hint that names a command that does not fix the cause sends
 * the operator round in a loop (a password changed in etcd by hand is fixed
 * by `etcd tenants apply`, not by `etcd auth apply`), so every cause has its
 * own fix, and integration tests run each hint's commands as printed.
 */
export type EnforceFailureKind =
  | 'no-credentials'
  | 'wrong-password-in-yaml'
  | 'etcd-password-differs'
  | 'role-too-wide'
  | 'role-lacks-prefix'
  | 'unreachable'
  | 'absent-from-dcs'
  | 'rest-refused'
  | 'frozen-view'
  | 'tls'
  /** etcd did not answer in time (the authentication herd, a starved machine): nothing wrong with the member. */
  | 'etcd-slow'
  | 'unknown';

/** Who failed, as far as the fix needs to know. */
export interface FailureSubject {
  /** Member id (`/service/alpha/alpha-1`) or tenant user. */
  subject: string;
  /** The instance name, when pgfleet manages the member on this host. */
  localInstance?: string | undefined;
  /** The member's host (from its REST API URL), when it runs elsewhere. */
  host?: string | undefined;
  /** The tenant user concerned. */
  user?: string | undefined;
  /** A tenant (pgfleet's own probe with its credentials), not a member. */
  tenant?: boolean | undefined;
}

export interface EnforceFix {
  /** The command to run on this host, when there is one. */
  command?: string | undefined;
  /** What it does, or what to do where no command of this host does it. */
  text: string;
}

/** The fix for one cause; commands are written to be run exactly as printed. */
export function fixFor(kind: EnforceFailureKind, who: FailureSubject): EnforceFix {
  const elsewhere = (what: string): EnforceFix => ({
    text: `on the host of ${who.subject}${who.host ? ` (${who.host})` : ''}: ${what}`,
  });
  switch (kind) {
    case 'no-credentials':
    case 'wrong-password-in-yaml':
      return who.localInstance
        ? {
            command: 'pgfleet etcd auth apply',
            text: "writes each local member's tenant credentials into its YAML and reloads Patroni",
          }
        : elsewhere('run `pgfleet etcd auth apply --host-only`');
    case 'etcd-password-differs':
      return {
        command: 'pgfleet etcd tenants apply',
        text: `with auth off it sets etcd's password of ${who.user ?? 'each tenant user'} from its password file, which the members' YAML holds`,
      };
    case 'role-too-wide':
      return {
        command: 'pgfleet etcd tenants apply',
        text: "revokes each tenant role's grants beyond its cluster's prefix, and any other role its user holds",
      };
    case 'role-lacks-prefix':
      return {
        command: 'pgfleet etcd tenants apply',
        text: "grants each tenant role readwrite on its cluster's prefix",
      };
    case 'unreachable':
      return who.localInstance
        ? {
            command: `pgfleet instance start ${who.localInstance}`,
            text: `starts its Patroni again and waits until it answers; if its Patroni runs and does not answer, its log says why: pgfleet instance logs ${who.localInstance}`,
          }
        : elsewhere('bring its Patroni back so that its REST API answers, or remove the member from its cluster');
    case 'absent-from-dcs':
      return who.localInstance
        ? {
            command: `pgfleet instance start ${who.localInstance}`,
            text: `starts its Patroni again if it stopped; its member key returns once Patroni reaches etcd (if it runs, its log says why it cannot: pgfleet instance logs ${who.localInstance})`,
          }
        : {
            text: `on ${who.host ? `host ${who.host}` : `the host of ${who.subject}`}: bring its Patroni back and its link to etcd, and its member key returns; if it left its cluster for good, \`pgfleet etcd auth forget ${who.subject}\` drops its readiness record`,
          };
    case 'rest-refused':
      return {
        text: `pgfleet's REST API credentials for ${who.subject} are refused: check patroni.ctl in the settings (and restapi.authentication in its YAML)`,
      };
    case 'frozen-view': {
      // Only a Patroni that sees its cluster paused leaves PostgreSQL running when it stops: pause around the restart.
      // Every step is a command, so that the hint can be followed as printed (on the member's host, patronictl with
      // that member's YAML).
      const [scope, name] = who.subject.split('/').slice(-2) as [string, string];
      const steps = (restart: string): string =>
        `\`patronictl pause ${scope}\`, then ${restart}, then \`patronictl resume ${scope}\` (paused, PostgreSQL keeps running while Patroni restarts)`;
      if (who.localInstance)
        return {
          text: `${who.subject} serves a frozen view of the DCS: ${steps(`\`pgfleet instance restart ${who.localInstance} --patroni\``)}`,
        };
      return elsewhere(
        `it serves a frozen view of the DCS: ${steps(`\`pgfleet instance restart ${name} --patroni\` (with its instance name there; or however its Patroni daemon is restarted there)`)}`,
      );
    }
    case 'etcd-slow':
      return {
        text: `etcd was too slow to answer ${who.subject} while every member authenticated at once (nothing is wrong with its credentials): run again when etcd is less busy; with many members on few etcd cores, lower etcd's --bcrypt-cost or give etcd more CPU (docs/etcd-auth-herd.md)`,
      };
    case 'tls':
      return {
        text: 'check the etcd TLS files in the settings (patroni.etcd.cacert, cert, key: the CA that signed etcd, a client certificate etcd trusts); `pgfleet etcd tls status` shows how each endpoint answers',
      };
    case 'unknown':
      if (who.tenant) return { text: `tenant ${who.subject}: see the detail of its probe above` };
      return who.localInstance
        ? { text: `${who.subject}: its Patroni log says why (pgfleet instance logs ${who.localInstance})` }
        : elsewhere("read its Patroni log to see why it can't write to etcd");
  }
}

/**
 * One hint from the fixes of every failure: each command once (in the order
 * found, its explanations joined), what must be done elsewhere, then the
 * command that runs again.
 */
export function nextStepsHint(fixes: readonly EnforceFix[], then = 'pgfleet etcd auth enforce'): string {
  const commands = new Map<string, string[]>();
  const other: string[] = [];
  for (const fix of fixes) {
    if (!fix.command) {
      if (!other.includes(fix.text)) other.push(fix.text);
      continue;
    }
    const texts = commands.get(fix.command) ?? [];
    if (!texts.includes(fix.text)) texts.push(fix.text);
    commands.set(fix.command, texts);
  }
  const steps = [...[...commands].map(([command, texts]) => `run \`${command}\` (${texts.join('; ')})`), ...other];
  if (steps.length === 0) return `run \`${then}\` again`;
  return `${steps.join('; ')}; then run \`${then}\``;
}

/** Whether an error message is about TLS (certificates, handshake), not about credentials or reachability. */
export function isTlsProblem(message: string): boolean {
  return /certificate|self[- ]signed|\bSSL\b|\bTLS\b|EPROTO|CERT_|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|ERR_OSSL|unable to verify|handshake/i.test(
    message,
  );
}

/** The TLS files pgfleet reaches etcd with (the settings' patroni.etcd.cacert, cert, key). */
export interface EtcdTlsSettingsFiles {
  cacert?: string | undefined;
  cert?: string | undefined;
  key?: string | undefined;
}

/**
 * What a failure to reach etcd over https says about the settings' TLS files:
 * etcd's certificate not signed by `cacert`, a `cert`/`key` pair Node cannot
 * use, or a connection etcd closed during the handshake (it requires a client
 * certificate it trusts, and got none or another). Undefined when the
 * failure is not about TLS: then "etcd unreachable" is the truth.
 */
export function etcdTlsFailure(
  message: string,
  files: EtcdTlsSettingsFiles,
  https: boolean,
): { message: string; hint: string } | undefined {
  const named = (key: 'cacert' | 'cert' | 'key'): string => `patroni.etcd.${key} (${files[key] ?? 'not set'})`;
  if (/UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|SELF_SIGNED|self[- ]signed|CERT_UNTRUSTED|unable to verify/i.test(message))
    return {
      message: `etcd's server certificate is not signed by the CA pgfleet trusts, ${named('cacert')}`,
      hint: `set ${named('cacert')} in the settings to the CA file that signed etcd's server certificates (etcd's --trusted-ca-file signs the clients, which may be another CA)`,
    };
  if (/ERR_OSSL|KEY_VALUES_MISMATCH|PEM|no start line|bad decrypt/i.test(message))
    return {
      message: `pgfleet cannot use its etcd client certificate and key, ${named('cert')} and ${named('key')}`,
      hint: `set ${named('cert')} and ${named('key')} in the settings to a client certificate and ITS key (PEM), signed by the CA of etcd's --trusted-ca-file`,
    };
  if (
    https &&
    /other side closed|ECONNRESET|socket hang up|bad certificate|certificate required|unknown ca/i.test(message)
  )
    return {
      message: `etcd closed the TLS connection: it requires a client certificate it trusts (--client-cert-auth), and ${files.cert ? `refused ${named('cert')}` : 'pgfleet sent none (patroni.etcd.cert is not set)'}`,
      hint: `set ${named('cert')} and ${named('key')} in the settings to a client certificate signed by the CA of etcd's --trusted-ca-file`,
    };
  return undefined;
}

/**
 * A member whose DCS write was refused once auth was on. Its own log names
 * the cause when pgfleet can read it (members of this host); for those, the
 * YAML tells a wrong password apart from a password etcd holds differently
 * (the YAML holds the tenant file's password: etcd's was changed). Elsewhere,
 * the tenant probe of its cluster tells (it authenticates with the file's
 * password).
 */
export function classifyMemberFailure(input: {
  logCause: DcsLogCause | undefined;
  /** Members of this host: what differs between its YAML and its tenant's credentials (undefined: nothing). */
  yamlDrift: string | undefined;
  local: boolean;
  /** The tenant probe of its cluster was refused with the file's password. */
  tenantPasswordRefused: boolean;
  detail: string;
}): EnforceFailureKind {
  // The probe found no refusal its log names beyond doubt, only timeouts: "user name is empty", which a member
  // with credentials logs once when auth goes on under it, must not turn a slow answer into a missing credential.
  if (input.detail.startsWith(ETCD_TOO_SLOW)) return 'etcd-slow';
  switch (input.logCause) {
    case 'no-credentials':
      return 'no-credentials';
    case 'permission-denied':
      return 'role-lacks-prefix';
    case 'authentication-failed':
      if (input.local) return input.yamlDrift !== undefined ? 'wrong-password-in-yaml' : 'etcd-password-differs';
      return input.tenantPasswordRefused ? 'etcd-password-differs' : 'wrong-password-in-yaml';
    default:
      break;
  }
  if (isTlsProblem(input.detail)) return 'tls';
  if (/REST API refused pgfleet/.test(input.detail)) return 'rest-refused';
  if (/got no answer|kept answering an error|ECONNREFUSED|unreachable/i.test(input.detail)) return 'unreachable';
  if (input.tenantPasswordRefused) return 'etcd-password-differs';
  return 'unknown';
}

/** A tenant probe that failed: its password refused, its own prefix denied, a key outside it reachable, or TLS. */
export function classifyTenantFailure(input: {
  ownPrefixOk: boolean;
  ownPrefixDetail: string;
  breaches: number;
  errors: readonly string[];
}): EnforceFailureKind {
  if (!input.ownPrefixOk) {
    if (/refused its password|authentication failed/i.test(input.ownPrefixDetail)) return 'etcd-password-differs';
    if (/permission denied/i.test(input.ownPrefixDetail)) return 'role-lacks-prefix';
    return isTlsProblem(input.ownPrefixDetail) ? 'tls' : 'unknown';
  }
  if (input.breaches > 0) return 'role-too-wide';
  if (input.errors.some(isTlsProblem)) return 'tls';
  return 'unknown';
}

/**
 * What failed, in words that name the cause found (replacing the log's
 * generic line where the cause is more precise than the log can say).
 */
export function describeMemberFailure(
  kind: EnforceFailureKind,
  member: string,
  user: string | undefined,
): string | undefined {
  switch (kind) {
    case 'no-credentials':
      return `${member} has no etcd credentials in its Patroni configuration`;
    case 'wrong-password-in-yaml':
      return `etcd authentication failed for ${member}: its etcd password is wrong (its YAML does not hold its tenant's current password)`;
    case 'etcd-password-differs':
      return `etcd authentication failed for ${member}: its YAML holds the password of ${user ?? 'its tenant'} from the tenant's password file, and etcd holds another one for that user (changed in etcd outside pgfleet)`;
    case 'role-lacks-prefix':
      return `${member}'s etcd role does not grant its cluster prefix`;
    default:
      return undefined;
  }
}
