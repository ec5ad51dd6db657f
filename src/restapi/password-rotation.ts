import { setTimeout as sleep } from 'node:timers/promises';
import { ExitCode, PgfleetError, describeError } from '../core/errors.js';
import { reloadDeadlineSeconds } from '../core/instance/reload-proof.js';
import { type RestClientAccess, restAccessFromPatroniConfig } from '../core/restapi/rest-client-access.js';
import { type UnsafeAccess, unsafeAccessOf } from '../core/restapi/unsafe-access.js';
import type { Secret } from '../core/secret.js';
import type { SiteSettings } from '../core/settings/site-settings.js';
import {
  discardPreviousSecret,
  readPreviousSecret,
  restorePreviousSecret,
  stageNewSecret,
} from '../adapters/fs/rotated-secret-file.js';
import { readSecretFile } from '../adapters/fs/secret-file.js';
import { reloadAndProve } from '../adapters/patroni/reload-and-prove.js';
import { type LocalInstance, readLocalInstance } from '../node/local-instances.js';
import {
  type MemberYamlValue,
  patroniReading,
  realConfigFileOf,
  valueAt,
  writeMemberYamlValues,
} from '../node/member-yaml-values.js';
import { restClientWithAccess } from '../fleet/member-rest-client.js';
import { reloadMember } from './member-reload.js';
import { localMembers } from './restapi-status.js';

export interface RestPasswordRotationRequest {
  settings: SiteSettings;
  /** Only these clusters (default: every cluster with members here). */
  scopes?: string[] | undefined;
  /** Print the plan, change nothing. */
  check?: boolean | undefined;
  env?: NodeJS.ProcessEnv | undefined;
  onProgress?: ((message: string) => void) | undefined;
}

export interface RotatedRestMember {
  member: string;
  configFile: string;
  /** ctl.authentication was there and now holds the new password too. */
  ctlAuthentication: boolean;
  /** With the new password, an unsafe call gets past the protection; with the old one, it is refused. */
  newPassword: UnsafeAccess;
  oldPassword: UnsafeAccess;
}

export interface RestPasswordRotationReport {
  outcome: 'planned' | 'rotated';
  username: string;
  clusters: Array<{ scope: string; passwordFile: string; members: RotatedRestMember[] }>;
  blockers: string[];
}

/**
 * `restapi rotate-password`: a new basic-auth password for the REST API of
 * each cluster's members on this host, and for the callers pgfleet knows:
 * the cluster's password file (patroni.restapi.authentication.password_file,
 * which pgfleet uses for members elsewhere), and in each member's YAML
 * `restapi.authentication` (what the server checks, and what patronictl and
 * pgfleet send when they use that YAML) and `ctl.authentication` when
 * present. Patroni 3.0.2 re-applies restapi authentication on reload and
 * accepts one password per member, so per cluster: every YAML is written,
 * then every member is reloaded at once, each through the access that works
 * before the change (POST /reload is itself an unsafe call), the reload
 * proven from its log; then each member is asked, without a change, that the
 * new password gets in and the old one no longer does. Callers using the
 * other password are refused only between the first and the last member's
 * reload (one HA loop). At the first failure the cluster gets its old
 * password back everywhere (exit 3).
 */
export async function rotateRestApiPasswords(
  request: RestPasswordRotationRequest,
): Promise<RestPasswordRotationReport> {
  const progress = request.onProgress ?? (() => undefined);
  const authentication = request.settings.patroni?.restapi.authentication;
  if (!authentication?.password_file)
    throw new PgfleetError(
      'REST_ROTATE_NO_PASSWORD_FILE',
      'the settings name no REST API password file (patroni.restapi.authentication.password_file): there is no password to rotate',
      { hint: 'protect the REST API first: pgfleet help protect-rest-api' },
    );
  const username = authentication.username ?? 'patroni';
  const instances = await localMembers(request.settings, request.env);
  const clusters = new Map<string, LocalInstance[]>();
  for (const instance of instances) {
    if (request.scopes?.length && !request.scopes.includes(instance.scope)) continue;
    clusters.set(instance.scope, [...(clusters.get(instance.scope) ?? []), instance]);
  }
  const blockers: string[] = [];
  if (clusters.size === 0)
    blockers.push(
      request.scopes?.length ? `no member of ${request.scopes.join(', ')} on this host` : 'no member on this host',
    );
  const plan: RestPasswordRotationReport['clusters'] = [];
  for (const [scope, members] of clusters) {
    const passwordFile = authentication.password_file.replaceAll('{scope}', scope);
    plan.push({ scope, passwordFile, members: [] });
    blockers.push(...(await gates(scope, members, username, passwordFile)));
  }
  if (request.check) return { outcome: 'planned', username, clusters: plan, blockers };
  if (blockers.length > 0)
    throw new PgfleetError(
      'REST_ROTATE_BLOCKED',
      `the REST API password rotation is blocked:\n${blockers.map((blocker) => `  - ${blocker}`).join('\n')}`,
      { hint: 'fix each point above, then rotate again; nothing was changed', exitCode: ExitCode.findings },
    );

  const rotated: RestPasswordRotationReport['clusters'] = [];
  for (const { scope, passwordFile } of plan) {
    const members = clusters.get(scope)!;
    progress(`${scope}: a new REST API password into ${passwordFile} (the old one kept until the cluster is done)`);
    const { previous, fresh } = await stageNewSecret(passwordFile, `REST API password of cluster ${scope}`);
    try {
      rotated.push({
        scope,
        passwordFile,
        members: await rotateCluster(scope, members, username, previous, fresh, progress),
      });
      await discardPreviousSecret(passwordFile);
    } catch (error) {
      const cause = describeError(error);
      progress(`${scope}: ${cause}; putting the old password back`);
      const left = await rollBack(scope, members, username, passwordFile, previous, fresh);
      throw new PgfleetError(
        'REST_ROTATE_ROLLED_BACK',
        `REST API password rotation of ${scope} rolled back: ${cause}${left.length > 0 ? `; after the rollback: ${left.join('; ')}` : ''}`,
        {
          exitCode: left.length > 0 ? ExitCode.failed : ExitCode.rolledBack,
          hint:
            left.length > 0
              ? 'check the members named (pgfleet restapi status); reload them by hand if needed'
              : `the old password is back in ${passwordFile} and every YAML; fix the cause and rotate again`,
        },
      );
    }
  }
  return { outcome: 'rotated', username, clusters: rotated, blockers: [] };
}

/** Before any change: the file is readable, every YAML holds its password, every member lets it in on an unsafe call. */
async function gates(
  scope: string,
  members: LocalInstance[],
  username: string,
  passwordFile: string,
): Promise<string[]> {
  const blockers: string[] = [];
  if (await readPreviousSecret(passwordFile, 'REST API password').catch(() => undefined))
    blockers.push(
      `${passwordFile}.previous exists: an earlier rotation did not finish (put it back by hand or remove it)`,
    );
  const current = await readSecretFile(passwordFile, `REST API password of cluster ${scope}`).catch(
    (error: unknown) => {
      blockers.push(describeError(error));
      return undefined;
    },
  );
  if (!current) return blockers;
  for (const instance of members) {
    const member = `${scope}/${instance.node}`;
    const fresh = await readLocalInstance(realConfigFileOf(instance));
    const auth = (valueAt(fresh.config, ['restapi', 'authentication']) ?? {}) as {
      username?: unknown;
      password?: unknown;
    };
    if (auth.username !== username || typeof auth.password !== 'string' || auth.password !== current.reveal()) {
      blockers.push(
        `${member}: its YAML (${instance.configFile}) does not hold the password of ${passwordFile} for user ${username} (pgfleet restapi secure apply sets it)`,
      );
      continue;
    }
    const access = restAccessFromPatroniConfig(fresh.config);
    const answer = await unsafeAccess(access).catch((error: unknown) => describeError(error));
    if (answer !== 'accepted')
      blockers.push(`${member}: an unsafe call with its own YAML's access is not let in (${answer})`);
    const cluster = await restClientWithAccess(access)
      .cluster()
      .catch(() => undefined);
    const elsewhere = (cluster?.members ?? [])
      .map((peer) => peer.name)
      .filter((name) => !members.some((local) => local.node === name));
    if (elsewhere.length > 0)
      blockers.push(
        `${scope} has members on other hosts (${elsewhere.join(', ')}): Patroni 3.0.2 accepts one password per member, so every member of a cluster must change together; rotate from one host running them all`,
      );
  }
  return [...new Set(blockers)];
}

async function rotateCluster(
  scope: string,
  members: LocalInstance[],
  username: string,
  previous: Secret,
  fresh: Secret,
  progress: (message: string) => void,
): Promise<RotatedRestMember[]> {
  // Every YAML first (the servers keep the old password until they reload), then every reload at once.
  const staged: Array<{
    instance: LocalInstance;
    before: { pid: number; startTicks: number };
    oldAccess: RestClientAccess;
    realPath: string;
    ctl: boolean;
    changed: boolean;
  }> = [];
  for (const instance of members) {
    const current = await readLocalInstance(realConfigFileOf(instance));
    const ctl = valueAt(current.config, ['ctl', 'authentication']) !== undefined;
    const before = await patroniReading(instance);
    const written = await writeMemberYamlValues(instance, passwordValues(username, fresh, ctl)).catch(
      (error: unknown) => {
        throw new PgfleetError(
          'REST_ROTATE_YAML_WRITE_FAILED',
          `${scope}/${instance.node}: cannot write ${instance.configFile}: ${describeError(error)}`,
        );
      },
    );
    staged.push({
      instance,
      before,
      oldAccess: restAccessFromPatroniConfig(current.config),
      realPath: written.realPath,
      ctl,
      changed: written.changed,
    });
  }
  progress(
    `${scope}: ${staged.length} YAML(s) written; reloading every member at once (each through its old password)`,
  );
  const problems = (
    await Promise.all(
      staged
        .filter((item) => item.changed)
        .map(async (item) => {
          const client = restClientWithAccess(item.oldAccess);
          try {
            const proof = await reloadAndProve({
              written: { realPath: item.realPath, changedPaths: [['restapi', 'authentication', 'password']] },
              before: item.before,
              rest: client,
              logFile: item.instance.logFile,
              deadlineSeconds: reloadDeadlineSeconds(await client.dynamicConfig().catch(() => ({}))),
            });
            return proof.status === 'proven'
              ? undefined
              : `${scope}/${item.instance.node}: ${proof.status === 'refused' ? proof.message : proof.reason}`;
          } finally {
            await client.close();
          }
        }),
    )
  ).filter((problem): problem is string => problem !== undefined);
  if (problems.length > 0) throw new PgfleetError('REST_ROTATE_RELOAD_NOT_PROVEN', problems.join('; '));

  const results: RotatedRestMember[] = [];
  for (const item of staged) {
    const access = restAccessFromPatroniConfig((await readLocalInstance(item.realPath)).config);
    const newPassword = await untilSettled(() => unsafeAccess(access), 'accepted');
    const oldPassword = await untilSettled(() => unsafeAccess({ ...access, username, password: previous }), 'refused');
    results.push({
      member: `${scope}/${item.instance.node}`,
      configFile: item.instance.configFile,
      ctlAuthentication: item.ctl,
      newPassword,
      oldPassword,
    });
  }
  const wrong = results.filter((result) => result.newPassword !== 'accepted' || result.oldPassword !== 'refused');
  if (wrong.length > 0)
    throw new PgfleetError(
      'REST_ROTATE_VERIFY_FAILED',
      wrong
        .map((result) => `${result.member}: new password ${result.newPassword}, old password ${result.oldPassword}`)
        .join('; '),
    );
  progress(`${scope}: every member lets the new password in and refuses the old one`);
  return results;
}

/** The old password back in each YAML, each member reloaded through whichever password it takes now, and in the file. */
async function rollBack(
  scope: string,
  members: LocalInstance[],
  username: string,
  passwordFile: string,
  previous: Secret,
  fresh: Secret,
): Promise<string[]> {
  const left: string[] = [];
  for (const instance of members) {
    const member = `${scope}/${instance.node}`;
    try {
      const current = await readLocalInstance(realConfigFileOf(instance));
      const ctl = valueAt(current.config, ['ctl', 'authentication']) !== undefined;
      const written = await writeMemberYamlValues(instance, passwordValues(username, previous, ctl));
      const oldAccess = restAccessFromPatroniConfig((await readLocalInstance(written.realPath)).config);
      if (written.changed || (await unsafeAccess(oldAccess).catch(() => 'unknown')) !== 'accepted')
        await reloadMember(written.realPath, [{ ...oldAccess, password: fresh }, oldAccess], { allowSignal: true });
      if ((await untilSettled(() => unsafeAccess(oldAccess), 'accepted')) !== 'accepted')
        left.push(`${member} does not let the old password in again`);
    } catch (error) {
      left.push(`${member}: ${describeError(error)}`);
    }
  }
  await restorePreviousSecret(passwordFile, `REST API password of cluster ${scope}`).catch((error: unknown) =>
    left.push(describeError(error)),
  );
  return left;
}

function passwordValues(username: string, password: Secret, ctl: boolean): MemberYamlValue[] {
  return [
    { path: ['restapi', 'authentication', 'username'], value: username },
    { path: ['restapi', 'authentication', 'password'], value: password },
    ...(ctl
      ? [
          { path: ['ctl', 'authentication', 'username'], value: username },
          { path: ['ctl', 'authentication', 'password'], value: password },
        ]
      : []),
  ];
}

async function unsafeAccess(access: RestClientAccess): Promise<UnsafeAccess> {
  const client = restClientWithAccess(access);
  try {
    return unsafeAccessOf((await client.send('PATCH', '/config', {})).status);
  } finally {
    await client.close();
  }
}

/** A member may take one HA loop more to show what its reload applied: ask again for a while. */
async function untilSettled(
  ask: () => Promise<UnsafeAccess>,
  wanted: UnsafeAccess,
  timeoutMs = 15_000,
): Promise<UnsafeAccess> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const answer = await ask().catch((): UnsafeAccess => 'unknown');
    if (answer === wanted || Date.now() > deadline) return answer;
    await sleep(300);
  }
}
