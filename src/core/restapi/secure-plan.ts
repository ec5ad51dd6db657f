import { PgfleetError } from '../errors.js';
import type { ConfigTree } from '../patroni-config/deep-merge.js';
import { isPlainObject } from '../patroni-config/deep-merge.js';
import type { RoleCredentials } from '../patroni-config/instance-spec.js';
import type { PatroniFeatures } from '../patroni-config/patroni-features.js';
import { ctlSection, restapiSection } from '../patroni-config/restapi-sections.js';
import { checkSettingsSupported } from '../patroni-config/version-requirements.js';
import { Secret } from '../secret.js';
import type { PatroniSettings } from '../settings/site-settings.js';
import type { RestApiProtection, VerifyClient } from './probe-matrix.js';
import { restApiProtectionOf } from './restapi-protection.js';

/**
 * `pgfleet restapi secure plan`: the ordered steps that take every member
 * from the REST API protection its YAML has to the one the settings ask for,
 * without breaking anyone mid-way. Clients first, servers after:
 *
 * 1. client — ctl CA and client certificate in every member's YAML: what
 *    patronictl, pgfleet and Patroni itself (calling its peers) present and
 *    trust. Nothing changes for callers of the server yet.
 * 2. server-tls — the REST API serves https (verify_client none): every
 *    peer already trusts the CA.
 * 3. verify-client — client certificates checked (optional/required):
 *    every peer already presents one.
 * 4. basic-auth — the password on unsafe endpoints (and ctl.authentication
 *    on Patroni >= 3.1).
 *
 * Each phase runs over the whole fleet before the next, member by member,
 * replicas before their leader. A step exists only where the YAML changes.
 */
export const SECURE_PHASES = ['client', 'server-tls', 'verify-client', 'basic-auth'] as const;
export type SecurePhase = (typeof SECURE_PHASES)[number];

export const SECURE_PHASE_DESCRIPTIONS: Record<SecurePhase, string> = {
  client: 'ctl CA and client certificate: what patronictl, pgfleet and the peers present and trust',
  'server-tls': 'the REST API serves https (verify_client none)',
  'verify-client': 'client certificates checked',
  'basic-auth': 'basic auth on the unsafe endpoints',
};

/** The keys of each phase, as `section.key`. */
const PHASE_KEYS: Record<SecurePhase, ReadonlyArray<readonly ['restapi' | 'ctl', string]>> = {
  client: [
    ['ctl', 'insecure'],
    ['ctl', 'cacert'],
    ['ctl', 'certfile'],
    ['ctl', 'keyfile'],
  ],
  'server-tls': [
    ['restapi', 'cafile'],
    ['restapi', 'certfile'],
    ['restapi', 'keyfile'],
  ],
  'verify-client': [['restapi', 'verify_client']],
  'basic-auth': [
    ['restapi', 'authentication'],
    ['ctl', 'authentication'],
  ],
};

export type MemberRole = 'leader' | 'replica' | 'unknown';

/** One member managed on this host, as its YAML and its REST API describe it. */
export interface SecureMemberInput {
  instance: string;
  configFile: string;
  scope: string;
  node: string;
  role: MemberRole;
  /** The member's Patroni YAML, parsed. */
  config: ConfigTree;
}

export interface SecureTarget {
  /** The site settings: patroni.restapi and patroni.ctl are the target. */
  settings: Pick<PatroniSettings, 'restapi' | 'ctl'>;
  /** Basic auth per cluster (scope) when the target has it; a member keeps its own otherwise. */
  authentication: ReadonlyMap<string, RoleCredentials> | undefined;
  features: PatroniFeatures;
}

export interface SecureStep {
  /** 1-based position in the plan. */
  number: number;
  phase: SecurePhase;
  instance: string;
  configFile: string;
  scope: string;
  node: string;
  role: MemberRole;
  /** `restapi.certfile`, `ctl.cacert`…: the keys this step sets, changes or removes. */
  changes: string[];
  before: RestApiProtection;
  after: RestApiProtection;
  /** The member's restapi and ctl sections after the step (managed keys; secrets as Secret values). */
  restapi: ConfigTree;
  ctl: ConfigTree | undefined;
}

export interface SecurePlanWarning {
  code: string;
  message: string;
  hint: string;
}

export interface SecureMemberSummary {
  instance: string;
  scope: string;
  node: string;
  role: MemberRole;
  current: RestApiProtection;
  target: RestApiProtection;
}

export interface SecurePlan {
  members: SecureMemberSummary[];
  steps: SecureStep[];
  /** Steps of later phases left out by `through`: for another run. */
  deferred: number;
  warnings: SecurePlanWarning[];
}

export interface SecurePlanOptions {
  /**
   * Stop after this phase. A cluster whose members live on several hosts is
   * secured phase by phase: each phase on every host before the next.
   */
  through?: SecurePhase | undefined;
}

/**
 * Plans the rollout. Throws a PgfleetError (nothing changed) when the target
 * cannot work or would weaken a member's protection.
 */
export function planRestApiSecuring(
  members: readonly SecureMemberInput[],
  target: SecureTarget,
  options: SecurePlanOptions = {},
): SecurePlan {
  checkSettingsSupported({ ctl: target.settings.ctl } as PatroniSettings, target.features);
  checkTargetCoherent(target);
  if (members.length === 0) {
    throw new PgfleetError('REST_SECURE_NO_MEMBERS', 'no Patroni member is managed on this host: nothing to secure', {
      hint: 'run it on each host of the fleet (it rewrites the YAML of the members on the host where it runs); check patroni.configdir in the settings',
    });
  }
  const ordered = [...members].sort(memberOrder);
  const states = ordered.map((member) => memberStates(member, target));
  const steps: SecureStep[] = [];
  const lastPhase = options.through === undefined ? SECURE_PHASES.length - 1 : SECURE_PHASES.indexOf(options.through);
  let deferred = 0;
  for (const [phaseIndex, phase] of SECURE_PHASES.entries()) {
    for (const [memberIndex, member] of ordered.entries()) {
      const states_ = states[memberIndex]!;
      const before = states_[phaseIndex]!;
      const after = states_[phaseIndex + 1]!;
      const changes = changedKeys(before, after);
      if (changes.length === 0) continue;
      if (phaseIndex > lastPhase) {
        deferred += 1;
        continue;
      }
      steps.push({
        number: steps.length + 1,
        phase,
        instance: member.instance,
        configFile: member.configFile,
        scope: member.scope,
        node: member.node,
        role: member.role,
        changes,
        before: restApiProtectionOf(before.restapi),
        after: restApiProtectionOf(after.restapi),
        restapi: after.restapi,
        ctl: after.ctl,
      });
    }
  }
  return {
    members: ordered.map((member, index) => ({
      instance: member.instance,
      scope: member.scope,
      node: member.node,
      role: member.role,
      current: restApiProtectionOf(states[index]![0]!.restapi),
      target: restApiProtectionOf(states[index]![SECURE_PHASES.length]!.restapi),
    })),
    steps,
    deferred,
    warnings: planWarnings(
      ordered.map((_, index) => restApiProtectionOf(states[index]![SECURE_PHASES.length]!.restapi)),
    ),
  };
}

interface Sections {
  restapi: ConfigTree;
  ctl: ConfigTree | undefined;
}

/** The member's sections before phase 1, after phase 1, …, after the last phase. */
function memberStates(member: SecureMemberInput, target: SecureTarget): Sections[] {
  const current: Sections = {
    restapi: isPlainObject(member.config.restapi) ? { ...member.config.restapi } : {},
    ctl: isPlainObject(member.config.ctl) ? { ...member.config.ctl } : undefined,
  };
  const goal = targetSections(member, current, target);
  checkNotWeakened(member, current, goal);
  const states: Sections[] = [current];
  let state = current;
  for (const phase of SECURE_PHASES) {
    state = applyPhase(state, goal, phase);
    states.push(state);
  }
  return states;
}

function targetSections(member: SecureMemberInput, current: Sections, target: SecureTarget): Sections {
  const listen = text(current.restapi.listen);
  const connectAddress = text(current.restapi.connect_address) ?? listen;
  if (!listen || !connectAddress) {
    throw new PgfleetError('REST_SECURE_MEMBER_INVALID', `${member.configFile}: restapi.listen is missing`, {
      hint: 'restore the file or recreate the instance',
    });
  }
  const authentication = target.authentication?.get(member.scope) ?? currentAuthentication(current.restapi);
  const restapi = {
    ...unmanaged(current.restapi, RESTAPI_MANAGED),
    ...restapiSection(target.settings, { listen, connectAddress, authentication }),
  };
  const ctlBase = current.ctl ? unmanaged(current.ctl, CTL_MANAGED) : {};
  const ctl = target.settings.ctl ? { ...ctlBase, ...ctlSection(target.settings.ctl, authentication) } : current.ctl;
  return { restapi, ctl };
}

const RESTAPI_MANAGED = [
  'listen',
  'connect_address',
  'cafile',
  'certfile',
  'keyfile',
  'verify_client',
  'authentication',
];
const CTL_MANAGED = ['insecure', 'cacert', 'certfile', 'keyfile', 'authentication'];

function unmanaged(section: ConfigTree, managed: readonly string[]): ConfigTree {
  return Object.fromEntries(Object.entries(section).filter(([key]) => !managed.includes(key)));
}

function applyPhase(state: Sections, goal: Sections, phase: SecurePhase): Sections {
  const next: Sections = { restapi: { ...state.restapi }, ctl: state.ctl ? { ...state.ctl } : undefined };
  for (const [sectionName, key] of PHASE_KEYS[phase]) {
    const value = sectionName === 'restapi' ? goal.restapi[key] : goal.ctl?.[key];
    if (sectionName === 'ctl' && next.ctl === undefined && value === undefined) continue;
    const section = sectionName === 'restapi' ? next.restapi : (next.ctl ??= {});
    if (value === undefined) delete section[key];
    else section[key] = value;
  }
  if (phase === 'server-tls') {
    const tlsBefore = text(state.restapi.certfile) !== undefined;
    const tlsAfter = text(next.restapi.certfile) !== undefined;
    // verify_client comes in its own step: switching to https first asks no client certificate.
    if (tlsAfter && !tlsBefore) next.restapi.verify_client = 'none';
  }
  if (next.ctl && Object.keys(next.ctl).length === 0 && state.ctl === undefined) next.ctl = undefined;
  return next;
}

function changedKeys(before: Sections, after: Sections): string[] {
  const changes: string[] = [];
  for (const [name, beforeSection, afterSection] of [
    ['restapi', before.restapi, after.restapi],
    ['ctl', before.ctl ?? {}, after.ctl ?? {}],
  ] as const) {
    const keys = new Set([...Object.keys(beforeSection), ...Object.keys(afterSection)]);
    for (const key of keys) if (!sameValue(beforeSection[key], afterSection[key])) changes.push(`${name}.${key}`);
  }
  return changes;
}

function sameValue(a: unknown, b: unknown): boolean {
  if (a instanceof Secret || b instanceof Secret) return secretText(a) === secretText(b);
  if (isPlainObject(a) && isPlainObject(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    return [...keys].every((key) => sameValue(a[key], b[key]));
  }
  return a === b;
}

function secretText(value: unknown): string | undefined {
  if (value instanceof Secret) return value.reveal();
  if (typeof value === 'string' || typeof value === 'number') return String(value);
  return undefined;
}

function currentAuthentication(restapi: ConfigTree): RoleCredentials | undefined {
  const auth = restapi.authentication;
  if (!isPlainObject(auth)) return undefined;
  const username = text(auth.username);
  const password =
    auth.password instanceof Secret
      ? auth.password
      : auth.password === undefined || auth.password === null
        ? undefined
        : new Secret(String(auth.password));
  return username && password ? { username, password } : undefined;
}

const VERIFY_RANK: Record<VerifyClient, number> = { none: 0, optional: 1, required: 2 };

/** `restapi secure` only adds protection (or swaps files and passwords): a weaker target is refused. */
function checkNotWeakened(member: SecureMemberInput, current: Sections, goal: Sections): void {
  const losses: string[] = [];
  for (const key of ['cafile', 'certfile', 'keyfile'])
    if (current.restapi[key] !== undefined && goal.restapi[key] === undefined) losses.push(`restapi.${key}`);
  for (const key of ['cacert', 'certfile', 'keyfile', 'authentication'])
    if (current.ctl?.[key] !== undefined && goal.ctl?.[key] === undefined) losses.push(`ctl.${key}`);
  const before = restApiProtectionOf(current.restapi);
  const after = restApiProtectionOf(goal.restapi);
  if (before.tls && after.tls && VERIFY_RANK[after.verifyClient] < VERIFY_RANK[before.verifyClient])
    losses.push(`restapi.verify_client ${before.verifyClient} → ${after.verifyClient}`);
  if (current.ctl?.insecure !== true && goal.ctl?.insecure === true) losses.push('ctl.insecure false → true');
  if (losses.length > 0) {
    throw new PgfleetError(
      'REST_SECURE_WOULD_WEAKEN',
      `${member.configFile} (${member.scope}/${member.node}): the settings would remove or lower ${losses.join(', ')}`,
      {
        hint: 'restapi secure only adds protection: put these in patroni.restapi / patroni.ctl of the settings (with the files the member uses now), or change the member with `pgfleet instance alter`',
        details: { member: `${member.scope}/${member.node}`, losses },
      },
    );
  }
}

/** What the settings ask for must be able to work before any member is touched. */
function checkTargetCoherent(target: SecureTarget): void {
  const { restapi, ctl } = target.settings;
  if (restapi.verify_client !== 'none' && restapi.certfile === undefined) {
    throw new PgfleetError(
      'REST_SECURE_VERIFY_CLIENT_WITHOUT_CERTFILE',
      `patroni.restapi.verify_client is ${restapi.verify_client} but patroni.restapi.certfile is not set: Patroni checks client certificates only over TLS`,
      {
        hint: 'set patroni.restapi.certfile and keyfile (and cafile, the CA of the client certificates), or verify_client: none',
      },
    );
  }
  if (restapi.certfile === undefined) return;
  if (restapi.keyfile === undefined) {
    throw new PgfleetError(
      'REST_SECURE_CERT_WITHOUT_KEY',
      'patroni.restapi.certfile is set without patroni.restapi.keyfile',
      { hint: 'set patroni.restapi.keyfile to the key of the server certificate' },
    );
  }
  if (!ctl?.cacert && !restapi.cafile && !ctl?.insecure) {
    throw new PgfleetError(
      'REST_SECURE_NO_SERVER_CA',
      'the REST API would serve https, but neither patroni.ctl.cacert nor patroni.restapi.cafile names the CA that signed patroni.restapi.certfile',
      {
        hint: 'set patroni.ctl.cacert: patronictl, pgfleet and the peers verify the server certificate against it',
      },
    );
  }
  if (restapi.verify_client !== 'none') {
    if (!restapi.cafile) {
      throw new PgfleetError(
        'REST_SECURE_NO_CLIENT_CA',
        `patroni.restapi.verify_client is ${restapi.verify_client} but patroni.restapi.cafile is not set: Patroni would check client certificates against the system store only`,
        {
          hint: 'set patroni.restapi.cafile to the CA that signed the client certificates (patroni.ctl.certfile)',
        },
      );
    }
    if (!ctl?.certfile) {
      throw new PgfleetError(
        'REST_SECURE_NO_CLIENT_CERT',
        `patroni.restapi.verify_client is ${restapi.verify_client} but patroni.ctl has no certfile: the peers (and patronictl) would present the server certificate, which is not a client certificate`,
        {
          hint: 'issue a client certificate (pgfleet pki issue client patroni) and set patroni.ctl.certfile and keyfile',
        },
      );
    }
  }
}

function planWarnings(targets: readonly RestApiProtection[]): SecurePlanWarning[] {
  const warnings: SecurePlanWarning[] = [];
  if (targets.some((protection) => protection.basicAuth && !protection.tls)) {
    warnings.push({
      code: 'REST_SECURE_BASIC_AUTH_WITHOUT_TLS',
      message: 'basic auth without TLS: the REST API password crosses the network in clear text with every unsafe call',
      hint: 'basic auth should go with TLS (Patroni and pglift say so): set patroni.restapi.certfile/keyfile and patroni.ctl.cacert',
    });
  }
  if (targets.some((protection) => !protection.basicAuth && (!protection.tls || protection.verifyClient === 'none'))) {
    warnings.push({
      code: 'REST_SECURE_UNSAFE_ENDPOINTS_OPEN',
      message:
        'some members will still accept unsafe calls (restart, switchover, reinitialize) from anyone who can connect',
      hint: 'add basic auth (patroni.restapi.authentication) or verify_client: optional/required',
    });
  }
  return warnings;
}

/** By cluster, replicas before their leader: a problem shows on a replica first. */
function memberOrder(a: SecureMemberInput, b: SecureMemberInput): number {
  if (a.scope !== b.scope) return a.scope < b.scope ? -1 : 1;
  const rank = (member: SecureMemberInput) => (member.role === 'leader' ? 1 : 0);
  if (rank(a) !== rank(b)) return rank(a) - rank(b);
  return a.node < b.node ? -1 : a.node > b.node ? 1 : 0;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}
